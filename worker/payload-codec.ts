/**
 * Encryption of every Temporal payload (workflow inputs, results, activity arguments, query
 * answers) with AES-256-GCM, so the Temporal server and its UI hold ciphertext only. Each payload
 * names the key it was sealed with, so keys can be rotated: new payloads use the current key,
 * old ones stay readable while their key is still configured.
 *
 * Keys come from the environment: PAYLOAD_KEYS="<id>:<base64 32 bytes>[,<id>:<base64>…]" and
 * PAYLOAD_KEY_ID (the current one).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class PayloadKeyError extends Error {}

/** Parses `id:base64,id2:base64` into keys of exactly 32 bytes. */
export function parsePayloadKeys(spec: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at).trim();
    const key = Buffer.from(entry.slice(at + 1).trim(), 'base64');
    if (at <= 0 || !/^[\w.-]{1,64}$/.test(id)) throw new PayloadKeyError(`PAYLOAD_KEYS: "${entry.slice(0, 20)}…" is not <id>:<base64 key>`);
    if (key.length !== 32) throw new PayloadKeyError(`PAYLOAD_KEYS: key "${id}" must be 32 bytes (AES-256), got ${key.length}`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new PayloadKeyError('PAYLOAD_KEYS holds no key');
  return keys;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly current: Buffer;

  constructor(
    private readonly keys: Map<string, Buffer>,
    private readonly currentKeyId: string,
  ) {
    const current = keys.get(currentKeyId);
    if (!current) throw new PayloadKeyError(`PAYLOAD_KEY_ID "${currentKeyId}" is not among PAYLOAD_KEYS`);
    this.current = current;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current, iv);
      const plain = PayloadMessage.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(this.currentKeyId) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      // Payloads written before encryption was on (or by a tool without the codec) pass as they are.
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = payload.metadata?.[KEY_ID_METADATA];
      const key = keyId ? this.keys.get(decoder.decode(keyId)) : undefined;
      if (!key) throw new PayloadKeyError(`No key "${keyId ? decoder.decode(keyId) : '?'}" to decrypt a payload`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return PayloadMessage.decode(plain) as Payload;
    });
  }
}

export function payloadCodec(env: { PAYLOAD_KEYS: string; PAYLOAD_KEY_ID: string }): EncryptionCodec {
  return new EncryptionCodec(parsePayloadKeys(env.PAYLOAD_KEYS), env.PAYLOAD_KEY_ID);
}

/** The data converter every client and worker of this system uses. */
export function payloadDataConverter(env: { PAYLOAD_KEYS: string; PAYLOAD_KEY_ID: string }): DataConverter {
  return { payloadCodecs: [payloadCodec(env)] };
}
