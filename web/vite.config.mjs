// Vite: the dev server and `vite preview` serve the app on 127.0.0.1 only (see the README for
// why not `localhost`); `vite build` prints the bundle's gzipped size and fails above the budget.
import { gzipSync } from 'node:zlib';
import { defineConfig } from 'vite';

const port = Number(process.env.WEB_PORT || 5173);
// Bytes of gzipped JavaScript and CSS, as Vite counts kB (1000 bytes).
const BUDGET = 150_000;

function bundleBudget() {
  return {
    name: 'bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let raw = 0;
      let gzipped = 0;
      for (const file of Object.values(bundle)) {
        if (!/\.(js|css)$/.test(file.fileName)) continue;
        const content = file.type === 'chunk' ? file.code : file.source;
        raw += Buffer.byteLength(content);
        gzipped += gzipSync(content, { level: 9 }).length;
      }
      const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
      this.info(`bundle: ${kb(raw)} of JS and CSS, ${kb(gzipped)} gzipped (budget ${kb(BUDGET)} gzipped)`);
      if (gzipped > BUDGET) this.error(`the bundle is ${kb(gzipped)} gzipped, over the ${kb(BUDGET)} budget`);
    },
  };
}

export default defineConfig({
  plugins: [bundleBudget()],
  // config.json lives here; the browser tests point it at their own stack's copy.
  publicDir: process.env.WEB_PUBLIC_DIR || 'public',
  server: { host: '127.0.0.1', port, strictPort: true },
  preview: { host: '127.0.0.1', port, strictPort: true },
});
