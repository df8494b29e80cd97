/** What the server hands every loader and action: the service layer and where the request came from. */
import type { RequestMeta } from '../services/audit.js';
import type { Services } from '../services/index.js';

declare module '@remix-run/server-runtime' {
  interface AppLoadContext {
    services: Services;
    meta: RequestMeta;
    /** Nonce of this response's Content-Security-Policy, for Remix's inline scripts. */
    nonce: string;
  }
}

export {};
