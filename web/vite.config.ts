/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

// The dev server forwards the node's surfaces to a local node (COMPANYOS_NODE, default
// http://127.0.0.1:8080); the built console uses same-origin relative URLs only.
const node = process.env.COMPANYOS_NODE ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: {
      '/api': { target: node, changeOrigin: true },
      '/graphql': { target: node, changeOrigin: true, ws: true },
      '/ws': { target: node, changeOrigin: true, ws: true },
      '/metrics': { target: node, changeOrigin: true },
      '/healthz': { target: node, changeOrigin: true },
      '/readyz': { target: node, changeOrigin: true },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    manifest: true,
    // Monaco (GraphiQL's editor, loaded only on /graphiql) is one ~2.8 MB chunk.
    chunkSizeWarningLimit: 3000,
    rolldownOptions: {
      onLog(level, log, handler) {
        // GraphiQL's packages carry React Compiler's "use no memo" directives, which a bundle drops harmlessly.
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
  },
});
