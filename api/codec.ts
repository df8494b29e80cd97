/**
 * The remote codec endpoint for the Temporal Web UI (`/api/codec/decode`, `/api/codec/encode`):
 * signed-in managers and admins see decrypted payloads, everyone else ciphertext. Only the UI's
 * origin may call it from a browser (CORS with credentials, so the session cookie comes along).
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { seesAllDepartments } from '../domain/access.js';
import type { Services } from '../services/index.js';
import { forbidden, unauthorized } from '../services/errors.js';
import { readSessionToken } from '../services/session-cookie.js';
import { requestMeta } from './request-meta.js';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function createCodecRoutes(services: Services, codec: PayloadCodec) {
  const app = new Hono();
  app.use(
    '*',
    cors({
      origin: (origin) => (origin === services.env.CODEC_CORS_ORIGIN ? origin : null),
      credentials: true,
      allowMethods: ['POST', 'OPTIONS'],
      allowHeaders: ['content-type', 'x-namespace', 'authorization'],
    }),
  );
  for (const direction of ['decode', 'encode'] as const) {
    app.post(`/${direction}`, async (c) => {
      const user = await services.auth.userFromToken(readSessionToken(c.req.header('cookie')));
      if (!user) throw unauthorized('请先在随访平台登录');
      if (!seesAllDepartments(user.role)) throw forbidden('仅管理层和管理员可查看流程数据明文');
      const body = (await c.req.json().catch(() => ({}))) as { payloads?: JsonPayload[] };
      const payloads = (body.payloads ?? []).map(fromJson);
      const result = direction === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
      if (direction === 'decode') {
        await services.audit.record({ actor: user, action: 'codec.decode', details: { payloads: payloads.length } }, requestMeta(c));
      }
      return c.json({ payloads: result.map(toJson) });
    });
  }
  return app;
}
