/**
 * HL7 v2 over MLLP as outside systems send it, into real Postgres and Temporal: framing (two
 * frames in one write, one frame over many), size limit, slow and idle senders, character sets
 * (GB18030 declared or not, ISO-2022-JP, invalid bytes), patient updates, ignored events, late
 * discharges, TLS, the source allow-list, the connection cap and back-pressure. Several
 * messages are the public samples in tests/fixtures/his (see SOURCES.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMllpListener, type MllpListener, type MllpListenerOptions } from '../api/his/mllp-listener.js';
import { followUpWorkflowId } from '../workflows/follow-up/contracts.js';
import { exchangeRaw, mllpFrame, readAck, sendHl7 } from './support/mllp.js';
import { createTestOrg, type TestOrg } from './support/org.js';
import { startStack, uniq, type TestStack } from './support/stack.js';

const quiet = { info() {}, warn() {}, error: console.error };
const fixture = (name: string) => readFileSync(new URL(`./fixtures/his/hl7/${name}`, import.meta.url));
const sgt = (ms: number) => {
  const d = new Date(ms + 8 * 3600_000);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
};

/** An ADT^A03 discharged `daysAgo` days ago, as a Chinese HIS writes it; `msh18` goes into MSH-18. */
function a03({ encounterId, patientId, department, msh18 = 'UNICODE UTF-8', daysAgo = 1, phone = '13812341234' }: { encounterId: string; patientId: string; department: string; msh18?: string; daysAgo?: number; phone?: string }) {
  const discharged = sgt(Date.now() - daysAgo * 86_400_000);
  const pv1 = Array<string>(46).fill('');
  Object.assign(pv1, { 0: 'PV1', 1: '1', 2: 'I', 3: `${department}^301^12`, 10: department, 19: encounterId, 45: discharged });
  return [
    `MSH|^~\\&|HIS|BJZYY|SUIFANG|BJZYY|${discharged}||ADT^A03^ADT_A03|C${uniq()}|P|2.5|||AL|NE||${msh18}`,
    `EVN|A03|${discharged}`,
    `PID|1||${patientId}^^^BJZYY^PI||欧阳^娜娜||19580302|F|||||^PRN^CP^^^^^^^^^${phone}`,
    pv1.join('|'),
    'DG1|1|I10|S72.001^股骨颈骨折^I10',
  ].join('\r');
}

async function workflowExists(stack: TestStack, encounterId: string): Promise<boolean> {
  try {
    await stack.temporal.workflow.getHandle(followUpWorkflowId(encounterId)).describe();
    return true;
  } catch {
    return false;
  }
}

describe('MLLP transport and messages as outside systems send them', () => {
  let stack: TestStack;
  let org: TestOrg;
  let mllp: MllpListener;
  const listeners: MllpListener[] = [];
  const listen = async (options: Partial<MllpListenerOptions> = {}) => {
    const listener = await startMllpListener({ port: 0, host: '127.0.0.1', services: stack.services, logger: quiet, ...options });
    listeners.push(listener);
    return listener;
  };

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    org = await createTestOrg(stack.sql);
    mllp = await listen();
  });
  afterAll(async () => {
    for (const l of listeners) await l.close();
    await stack?.stop();
  });

  const ids = () => ({ encounterId: `ZY${uniq()}`, patientId: `P${uniq()}`, department: org.deptA });
  const inboxOf = (encounterId: string) =>
    stack.sql<{ outcome: string; charset: string | null; raw: string; raw_bytes: Buffer | null; error: string | null; note: string | null }[]>`
      SELECT outcome, charset, raw, raw_bytes, error, note FROM inbound_messages WHERE his_encounter_id = ${encounterId} ORDER BY id`;

  describe('framing', () => {
    it('two frames in one TCP write → two ACKs, both discharges stored with their workflows', async () => {
      const first = ids();
      const second = ids();
      const { acks } = await exchangeRaw(mllp.port, Buffer.concat([mllpFrame(a03(first)), mllpFrame(a03(second))]), { expectAcks: 2 });
      expect(acks.map((a) => readAck(a.toString('utf8')).code)).toEqual(['AA', 'AA']);
      expect(await workflowExists(stack, first.encounterId)).toBe(true);
      expect(await workflowExists(stack, second.encounterId)).toBe(true);
    });

    it('one frame over many small writes → one ACK', async () => {
      const message = ids();
      const bytes = mllpFrame(a03(message));
      const ack = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: mllp.port });
        socket.on('connect', () => {
          void (async () => {
            for (let i = 0; i < bytes.length; i += 7) {
              socket.write(bytes.subarray(i, i + 7));
              await new Promise((r) => setTimeout(r, 2));
            }
          })();
        });
        socket.on('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.subarray(1, -2).toString('utf8'));
        });
        socket.on('error', reject);
      });
      expect(readAck(ack).code).toBe('AA');
      expect(await workflowExists(stack, message.encounterId)).toBe(true);
    });

    it('a 20 MiB frame closes the connection; the server still answers the next sender', async () => {
      const before = process.memoryUsage().rss;
      const huge = Buffer.concat([Buffer.from([0x0b]), Buffer.from(`MSH|^~\\&|HIS|H|FU|H|20261120||ADT^A03|BIG|P|2.5\r`), Buffer.alloc(20 * 1024 * 1024, 0x41)]);
      const result = await exchangeRaw(mllp.port, huge, { expectAcks: 2, timeoutMs: 20_000 });
      expect(result.closed).toBe(true);
      expect(result.acks.map((a) => readAck(a.toString('utf8')).code)).toEqual(['AR']);
      console.log(`[his-mllp] rss growth while refusing a 20 MiB frame: ${Math.round((process.memoryUsage().rss - before) / 1024 / 1024)} MiB (the 20 MiB sent from this process included)`);
      expect(readAck(await sendHl7(mllp.port, a03(ids()))).code).toBe('AA');
    });

    it('a sender that trickles a frame slower than the frame timeout, and one that says nothing, are disconnected', async () => {
      const strict = await listen({ frameTimeoutMs: 400, idleTimeoutMs: 800 });
      const started = Date.now();
      const slow = await new Promise<number>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: strict.port });
        const text = mllpFrame(a03(ids()));
        let i = 0;
        const timer = setInterval(() => {
          if (!socket.destroyed) socket.write(text.subarray(i, ++i)); // one byte every 100 ms: never idle, never finished
        }, 100);
        socket.on('close', () => {
          clearInterval(timer);
          resolve(Date.now() - started);
        });
        socket.on('error', () => {});
      });
      expect(slow).toBeGreaterThanOrEqual(350);
      expect(slow).toBeLessThan(3000);
      const idle = await exchangeRaw(strict.port, Buffer.alloc(0), { expectAcks: 1, timeoutMs: 5000 });
      expect(idle.closed).toBe(true);
    });

    it('back-pressure: with a queue of one, six frames in one write are all answered, in order', async () => {
      const tight = await listen({ queueLimit: 1 });
      const messages = Array.from({ length: 6 }, () => a03(ids()));
      const { acks } = await exchangeRaw(tight.port, Buffer.concat(messages.map((m) => mllpFrame(m))), { expectAcks: 6 });
      expect(acks.map((a) => readAck(a.toString('utf8')).controlId)).toEqual(messages.map((m) => m.split('|')[9]));
      expect(acks.every((a) => readAck(a.toString('utf8')).code === 'AA')).toBe(true);
    });
  });

  describe('character sets', () => {
    it('ADT^A03 in GB18030 with MSH-18 set: AA in GB18030, the name intact, the original bytes kept', async () => {
      const message = ids();
      const bytes = iconv.encode(a03({ ...message, msh18: 'GB 18030-2000' }), 'gb18030');
      const { acks } = await exchangeRaw(mllp.port, mllpFrame(bytes));
      const ack = iconv.decode(acks[0]!, 'gb18030');
      expect(readAck(ack).code).toBe('AA');
      expect(ack.split('\r')[0]!.split('|')[17]).toBe('GB 18030-2000');
      const [patient] = await stack.sql`SELECT name, phone FROM patients WHERE his_patient_id = ${message.patientId}`;
      expect(patient).toEqual({ name: '欧阳娜娜', phone: '13812341234' });
      const [inbox] = await inboxOf(message.encounterId);
      expect(inbox).toMatchObject({ outcome: 'accepted', charset: 'gb18030' });
      expect(inbox!.raw_bytes!.equals(bytes)).toBe(true);
      expect(inbox!.raw).toContain('欧阳^娜娜');
    });

    it('ADT^A03 in GB18030 without MSH-18: decoded after UTF-8 fails, AA', async () => {
      const message = ids();
      const { acks } = await exchangeRaw(mllp.port, mllpFrame(iconv.encode(a03({ ...message, msh18: '' }), 'gb18030')));
      expect(readAck(iconv.decode(acks[0]!, 'gb18030')).code).toBe('AA');
      const [patient] = await stack.sql`SELECT name FROM patients WHERE his_patient_id = ${message.patientId}`;
      expect(patient!.name).toBe('欧阳娜娜');
      expect((await inboxOf(message.encounterId))[0]!.charset).toBe('gb18030');
    });

    it('bytes that are invalid in the declared set → AR naming MSH-18, stored as rejected with the bytes, nothing else stored', async () => {
      const message = ids();
      const text = a03({ ...message, msh18: 'UNICODE UTF-8' });
      const bytes = Buffer.concat([Buffer.from(text.slice(0, text.indexOf('欧阳')), 'utf8'), Buffer.from([0xc4, 0xe3, 0xff]), Buffer.from(text.slice(text.indexOf('^娜娜')), 'utf8')]);
      const { acks } = await exchangeRaw(mllp.port, mllpFrame(bytes));
      const ack = readAck(acks[0]!.toString('utf8'));
      expect(ack).toMatchObject({ code: 'AR', errLocation: 'MSH^1^18' });
      expect(ack.text).toContain('UNICODE UTF-8');
      const [row] = await stack.sql<{ outcome: string; raw_bytes: Buffer }[]>`SELECT outcome, raw_bytes FROM inbound_messages WHERE raw_bytes = ${bytes}`;
      expect(row!.outcome).toBe('rejected');
      const [n] = await stack.sql`SELECT count(*)::int AS n FROM encounters WHERE his_encounter_id = ${message.encounterId}`;
      expect(n!.n).toBe(0);
    });

    it('SS-MIX2 ADT^A03 in ISO-2022-JP without a visit number (PV1-19, PID-18) → AR with the reason, answered in UTF-8', async () => {
      const { acks } = await exchangeRaw(mllp.port, mllpFrame(fixture('ssmix2-adt-a03.iso2022jp.hl7')));
      const text = acks[0]!.toString('utf8');
      expect(readAck(text)).toMatchObject({ code: 'AR', text: '就诊号缺失(PV1-19、PID-18 都没有)' });
      expect(text.split('\r')[0]!.split('|')[17]).toBe('UNICODE UTF-8');
    });
  });

  describe('messages', () => {
    it('ADT^A08 brings the new phone of a known patient; for an unknown one it is acknowledged and stored as ignored', async () => {
      const message = ids();
      expect(readAck(await sendHl7(mllp.port, a03(message))).code).toBe('AA');
      const a08 = [
        `MSH|^~\\&|HIS|BJZYY|SUIFANG|BJZYY|20261128090000||ADT^A08^ADT_A01|C${uniq()}|P|2.5`,
        'EVN|A08|20261128090000',
        `PID|1||${message.patientId}^^^BJZYY^PI||欧阳^娜娜||19580302|F|||||^PRN^CP^^^^^^^^^13900001111`,
        'PV1|1|I',
      ].join('\r');
      expect(readAck(await sendHl7(mllp.port, a08)).code).toBe('AA');
      const [patient] = await stack.sql`SELECT phone FROM patients WHERE his_patient_id = ${message.patientId}`;
      expect(patient!.phone).toBe('13900001111');
      const stranger = a08.replace(message.patientId, `P${uniq()}`);
      expect(readAck(await sendHl7(mllp.port, stranger)).code).toBe('AA');
      const [row] = await stack.sql`SELECT outcome, note FROM inbound_messages WHERE raw = ${stranger}`;
      expect(row).toMatchObject({ outcome: 'ignored' });
      expect(row!.note).toContain('不在随访系统中');
    });

    it('an event with no use here (UCLH ADT^A17) → AA, stored as ignored with the reason', async () => {
      const bytes = fixture('emap-uclh-adt-a17.hl7');
      const { acks } = await exchangeRaw(mllp.port, mllpFrame(bytes.toString('utf8')));
      expect(readAck(acks[0]!.toString('utf8')).code).toBe('AA');
      const [row] = await stack.sql`SELECT outcome, note FROM inbound_messages WHERE raw = ${bytes.toString('utf8').replace(/\n/g, '\r')} ORDER BY id DESC LIMIT 1`;
      expect(row).toEqual({ outcome: 'ignored', note: '随访系统不使用 ADT^A17 消息' });
    });

    it('a discharge from 2013 (UCLH ADT^A03) is stored and shown, AA, but nobody is contacted: no follow-up starts', async () => {
      const { acks } = await exchangeRaw(mllp.port, mllpFrame(fixture('emap-uclh-adt-a03.hl7').toString('utf8')));
      expect(readAck(acks[0]!.toString('utf8')).code).toBe('AA');
      const [encounter] = await stack.sql`SELECT status, follow_up_skipped FROM encounters WHERE his_encounter_id = '123412341234'`;
      expect(encounter).toMatchObject({ status: 'discharged' });
      expect(encounter!.follow_up_skipped).toContain('不再随访');
      expect(await workflowExists(stack, '123412341234')).toBe(false);
      const [inbox] = await inboxOf('123412341234');
      expect(inbox).toMatchObject({ outcome: 'accepted' });
      expect(inbox!.note).toContain('不再随访');
    });

    it('a backlog of a few days (discharged 5 days ago, replayed after an outage) still gets its follow-up', async () => {
      const message = ids();
      expect(readAck(await sendHl7(mllp.port, a03({ ...message, daysAgo: 5 }))).code).toBe('AA');
      expect(await workflowExists(stack, message.encounterId)).toBe(true);
      const [encounter] = await stack.sql`SELECT follow_up_skipped FROM encounters WHERE his_encounter_id = ${message.encounterId}`;
      expect(encounter!.follow_up_skipped).toBeNull();
    });
  });

  describe('who may connect', () => {
    it('refuses addresses outside the allow-list', async () => {
      const guarded = await listen({ allowedSources: ['10.0.0.0/8'] });
      const result = await exchangeRaw(guarded.port, mllpFrame(a03(ids())), { timeoutMs: 5000 });
      expect(result).toEqual({ acks: [], closed: true });
      const open = await listen({ allowedSources: ['10.0.0.0/8', '127.0.0.1'] });
      expect(readAck(await sendHl7(open.port, a03(ids()))).code).toBe('AA');
    });

    it('caps the number of connections', async () => {
      const capped = await listen({ maxConnections: 1 });
      const first: Socket = connect({ host: '127.0.0.1', port: capped.port });
      await new Promise((resolve) => first.once('connect', resolve));
      try {
        const second = await exchangeRaw(capped.port, mllpFrame(a03(ids())), { timeoutMs: 5000 });
        expect(second).toEqual({ acks: [], closed: true });
      } finally {
        first.destroy();
      }
    });

    it('MLLP over TLS; with client certificates required, a client without one is refused', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mllp-tls-'));
      try {
        const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
        openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1');
        const cert = readFileSync(join(dir, 'cert.pem'));
        const key = readFileSync(join(dir, 'key.pem'));
        const secure = await listen({ tls: { cert, key } });
        const message = a03(ids());
        const ok = await exchangeRaw(secure.port, mllpFrame(message), { socket: () => tlsConnect({ host: '127.0.0.1', port: secure.port, ca: cert }) });
        expect(readAck(ok.acks[0]!.toString('utf8')).code).toBe('AA');

        const strict = await listen({ tls: { cert, key, ca: cert, clientCert: 'require' } });
        const refused = await exchangeRaw(strict.port, mllpFrame(a03(ids())), {
          timeoutMs: 5000,
          socket: () => tlsConnect({ host: '127.0.0.1', port: strict.port, ca: cert }),
        }).catch((err: Error) => ({ acks: [], closed: true, error: err.message }));
        expect(refused.acks).toEqual([]);
        expect(refused.closed).toBe(true);
        // With the certificate (self-signed, so it is its own CA) the same listener answers.
        const mutual = await exchangeRaw(strict.port, mllpFrame(a03(ids())), {
          socket: () => tlsConnect({ host: '127.0.0.1', port: strict.port, ca: cert, cert, key }),
        });
        expect(readAck(mutual.acks[0]!.toString('utf8')).code).toBe('AA');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
