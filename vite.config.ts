import { vitePlugin as remix } from '@remix-run/dev';
import { defineConfig } from 'vite';

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true;
  }
}

// The portal (Remix v2 on Vite). It is served by the same Hono server as the API (api/server.ts).
export default defineConfig({
  plugins: [
    remix({
      appDirectory: 'web',
      // Tests and benchmarks build into a folder of their own, never under a running server.
      buildDirectory: process.env.SUIFANG_BUILD_DIR ?? 'build',
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
  build: { target: 'es2022' },
});
