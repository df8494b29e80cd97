/**
 * Payload encryption: workflow histories in Temporal hold ciphertext only; the UI's codec endpoint
 * decrypts for signed-in managers and admins, and for nobody else.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENCRYPTED_ENCODING, EncryptionCodec, parsePayloadKeys, PayloadKeyError } from '../worker/payload-codec.js';
import { followUpWorkflowId, getFollowUpStateQuery } from '../workflows/follow-up/contracts.js';
import { waitFor } from './support/follow-up-fixtures.js';
import { createTestOrg, dischargeBody, signIn, type TestOrg } from './support/org.js';
import { startStack, type TestStack } from './support/stack.js';

const key = () => randomBytes(32).toString('base64');

/**
 * Every payload in a workflow history, with where it sits, apart from what the server must read
 * (search attributes) and the SDK's own marker bookkeeping (patch ids, local activity ids), which
 * it writes in plain JSON and which carries none of our data.
 */
function payloadsIn(history: unknown): { path: string; payload: Payload }[] {
  const found: { path: string; payload: Payload }[] = [];
  const walk = (value: unknown, path: string) => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const metadata = (value as Payload).metadata;
    if (metadata && typeof metadata === 'object' && 'encoding' in metadata) {
      found.push({ path, payload: value as Payload });
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const sdkBookkeeping = path.endsWith('markerRecordedEventAttributes.details') && k !== 'result';
      if (k !== 'searchAttributes' && !sdkBookkeeping) walk(v, `${path}.${k}`);
    }
  };
  walk(history, 'history');
  return found;
}

describe('EncryptionCodec', () => {
  it('round-trips payloads, each sealed with a fresh IV under the current key id', async () => {
    const codec = new EncryptionCodec(parsePayloadKeys(`k1:${key()}`), 'k1');
    const payload = defaultPayloadConverter.toPayload({ phone: '13812341234', name: '王秀英' });
    const [a] = await codec.encode([payload]);
    const [b] = await codec.encode([payload]);
    expect(Buffer.from(a!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(a!.metadata!['encryption-key-id']!).toString()).toBe('k1');
    expect(Buffer.from(a!.data!).toString('latin1')).not.toContain('13812341234');
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    const [back] = await codec.decode([a!]);
    expect(defaultPayloadConverter.fromPayload(back!)).toEqual({ phone: '13812341234', name: '王秀英' });
  });

  it('reads payloads of an older key after rotation, and refuses tampered or unknown-key ones', async () => {
    const [k1, k2] = [key(), key()];
    const old = new EncryptionCodec(parsePayloadKeys(`k1:${k1}`), 'k1');
    const rotated = new EncryptionCodec(parsePayloadKeys(`k1:${k1},k2:${k2}`), 'k2');
    const [sealed] = await old.encode([defaultPayloadConverter.toPayload('住院号 ZY1')]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([sealed!]))[0]!)).toBe('住院号 ZY1');
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload('x')]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    await expect(old.decode([fresh!])).rejects.toBeInstanceOf(PayloadKeyError);
    const tampered = { ...sealed!, data: Buffer.from(sealed!.data!).fill(1, 20, 21) };
    await expect(rotated.decode([tampered])).rejects.toThrow();
    // Payloads from before encryption pass through.
    const plain = defaultPayloadConverter.toPayload({ a: 1 });
    expect(await rotated.decode([plain])).toEqual([plain]);
  });

  it('rejects malformed keys', () => {
    expect(() => parsePayloadKeys('k1:short')).toThrow(/32 bytes/);
    expect(() => parsePayloadKeys('nokey')).toThrow(PayloadKeyError);
    expect(() => new EncryptionCodec(parsePayloadKeys(`k1:${key()}`), 'k9')).toThrow(/PAYLOAD_KEY_ID/);
  });
});

describe('encrypted workflow payloads', () => {
  let stack: TestStack;
  let org: TestOrg;
  beforeAll(async () => {
    stack = await startStack({ worker: true });
    org = await createTestOrg(stack.sql);
  });
  afterAll(() => stack.stop());

  it('keeps plaintext out of the Temporal history; the codec endpoint decrypts for managers only', async () => {
    const body = dischargeBody(org.deptA, { dischargedAt: new Date().toISOString() });
    await stack.services.discharges.ingestJson(JSON.stringify(body));
    const workflowId = followUpWorkflowId(body.encounterId);
    // Our own client (with the codec) reads the workflow's state in plain.
    await waitFor(async () => ((await stack.temporal.workflow.getHandle(workflowId).query(getFollowUpStateQuery)).touchpoints.length ? true : undefined));

    // A client without the key sees what the Temporal server stores.
    const connection = await Connection.connect({ address: inject('infra').temporalAddress });
    const raw = new Client({ connection });
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    await connection.close();
    // Every payload of ours the server keeps is sealed: the input, the summary, local activity results.
    const payloads = payloadsIn(history);
    expect(payloads.map((p) => p.path)).toEqual(
      expect.arrayContaining([expect.stringMatching(/userMetadata\.summary$/), expect.stringMatching(/markerRecordedEventAttributes\.details\.result\./)]),
    );
    expect(payloads.filter((p) => Buffer.from(p.payload.metadata!.encoding!).toString() !== ENCRYPTED_ENCODING).map((p) => p.path)).toEqual([]);
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    const input = started.input!.payloads![0]!;
    expect(Buffer.from(input.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(input.data!).toString('latin1')).not.toContain(body.encounterId);

    const request = (cookie?: string, origin = 'http://localhost:8233') =>
      stack.app.request('/api/codec/decode', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({
          payloads: [{ metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(input.data!).toString('base64') }],
        }),
      });
    expect((await request()).status).toBe(401);
    expect((await request(await signIn(stack.app, org.users.agentA.username))).status).toBe(403);
    const ok = await request(await signIn(stack.app, org.users.manager.username));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const decoded = (await ok.json()) as { payloads: { data: string }[] };
    expect(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString())).toEqual({ encounterId: body.encounterId });
    const foreign = await request(await signIn(stack.app, org.users.manager.username), 'https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const [audited] = await stack.sql`SELECT action FROM audit_log WHERE actor_username = ${org.users.manager.username} AND action = 'codec.decode'`;
    expect(audited).toBeDefined();
  });
});
