// Builds the dashboard into dashboard/dist, which the service serves at / (src/dashboard/static.ts).
// `npm run dashboard:dev` serves it with hot reload and proxies /graphql (HTTP and WebSocket) to a
// running `npm start` (HEALTHGRAPH_URL, default http://localhost:4000).
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.HEALTHGRAPH_URL ?? 'http://localhost:4000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets', sourcemap: false, reportCompressedSize: true },
  server: { proxy: { '/graphql': { target: api, ws: true, changeOrigin: false } } },
});
