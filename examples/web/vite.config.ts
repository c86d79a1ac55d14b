import { defineConfig } from 'vite';

// `make web` serves this on http://127.0.0.1:5173 (an origin the dev gateway and the
// upload endpoint allow) against `make dev`'s gateway.
export default defineConfig({
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  build: { outDir: 'dist', sourcemap: true },
});
