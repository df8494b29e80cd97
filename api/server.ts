/**
 * The one HTTP origin: the API under /api and the Remix portal for everything else.
 * Both receive the same service layer; the portal gets it through Remix's load context.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { Hono } from 'hono';
import { NONCE, secureHeaders, type SecureHeadersVariables } from 'hono/secure-headers';
import { serveStatic } from '@hono/node-server/serve-static';
import { createRequestHandler, type ServerBuild } from '@remix-run/node';
import type { Services } from '../services/index.js';
import { createApi } from './app.js';
import { requestBodyLimit } from './body-limit.js';
import { portalSignInRateLimit, sameOriginForms, surveyRateLimit } from './hardening.js';
import { requestMeta } from './request-meta.js';

export const WEB_BUILD_DIR = fileURLToPath(new URL('../build', import.meta.url));

export interface WebBuild {
  server: ServerBuild;
  /** Folder of the build (its client/ holds the static assets). */
  dir: string;
}

export async function loadWebBuild(dir = WEB_BUILD_DIR): Promise<WebBuild> {
  const entry = `${dir}/server/index.js`;
  if (!existsSync(entry)) throw new Error(`The portal is not built (${entry} is missing): run "npm run build:web"`);
  return { server: (await import(pathToFileURL(entry).href)) as ServerBuild, dir };
}

export function createHttpApp({ services, webBuild }: { services: Services; webBuild: WebBuild }) {
  const app = new Hono<{ Variables: SecureHeadersVariables }>();
  app.use(
    '*',
    secureHeaders({
      xFrameOptions: 'DENY',
      referrerPolicy: 'same-origin',
      // Scripts only from our origin, plus Remix's inline bootstrap carrying this response's nonce.
      contentSecurityPolicy: {
        scriptSrc: ["'self'", NONCE],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    }),
  );
  // The API limits its own bodies (createApi); the portal's form posts get the same limit here.
  app.use('*', requestBodyLimit(services.env.HTTP_BODY_LIMIT_BYTES, /^\/api(\/|$)/));
  app.use('*', portalSignInRateLimit(services));
  app.use('/s/*', surveyRateLimit(services));
  // Form posts must come from the portal itself (integrations post JSON, which this does not check).
  // (Providers' webhooks post forms from their servers and are checked by signature instead.)
  const sameOrigin = sameOriginForms();
  app.use('*', (c, next) => (c.req.path.startsWith('/api/webhooks/') ? next() : sameOrigin(c, next)));
  app.route('/api', createApi(services));

  const clientRoot = relative(process.cwd(), `${webBuild.dir}/client`);
  app.use(
    '/assets/*',
    serveStatic({ root: clientRoot, onFound: (_path, c) => c.header('Cache-Control', 'public, max-age=31536000, immutable') }),
  );
  app.get('/favicon.ico', (c) => c.body(null, 204));

  const handleRemix = createRequestHandler(webBuild.server, services.env.NODE_ENV === 'production' ? 'production' : 'development');
  app.all('*', (c) => handleRemix(c.req.raw, { services, meta: requestMeta(c), nonce: c.get('secureHeadersNonce') ?? '' }));
  return app;
}
