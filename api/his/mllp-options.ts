/** The MLLP listener's options from the environment (HL7_MLLP_*): what `npm run server` starts. */
import { readFileSync } from 'node:fs';
import type { Env } from '../../config/env.js';
import type { MllpListenerOptions } from './mllp-listener.js';

export function mllpOptions(env: Env, services: MllpListenerOptions['services']): MllpListenerOptions {
  const tls =
    env.HL7_MLLP_TLS_CERT_FILE && env.HL7_MLLP_TLS_KEY_FILE
      ? {
          cert: readFileSync(env.HL7_MLLP_TLS_CERT_FILE),
          key: readFileSync(env.HL7_MLLP_TLS_KEY_FILE),
          ...(env.HL7_MLLP_TLS_CA_FILE ? { ca: readFileSync(env.HL7_MLLP_TLS_CA_FILE) } : {}),
          clientCert: env.HL7_MLLP_TLS_CLIENT_CERT,
        }
      : undefined;
  return {
    port: env.HL7_MLLP_PORT,
    host: env.HL7_MLLP_HOST ?? env.HOST,
    services,
    maxFrameBytes: env.HL7_MLLP_MAX_FRAME_BYTES,
    idleTimeoutMs: env.HL7_MLLP_IDLE_TIMEOUT_SECONDS * 1000,
    frameTimeoutMs: env.HL7_MLLP_FRAME_TIMEOUT_SECONDS * 1000,
    maxConnections: env.HL7_MLLP_MAX_CONNECTIONS,
    queueLimit: env.HL7_MLLP_QUEUE_LIMIT,
    allowedSources: env.HL7_MLLP_ALLOWED_SOURCES,
    fallbackCharsets: env.HL7_CHARSETS,
    ...(tls ? { tls } : {}),
  };
}
