import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const src = fileURLToPath(new URL('./src/', import.meta.url));

/**
 * Two pages, served by the feed API: /app/ (the feed as a phone shows it) and /dashboard/.
 * Assets are content-hashed under /web/assets/, so an unchanged chunk (preact, chart.js)
 * keeps its name and its cache across builds; `web/build.ts` skips the build when nothing changed.
 */
export default defineConfig({
  root: src,
  base: '/web/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('./dist/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: { app: `${src}app/index.html`, dashboard: `${src}dashboard/index.html` },
    },
  },
});
