// Bundles the compiled CLI (dist/) into a few files: one module graph instead of hundreds of
// files cuts Node's start-up by a few hundred milliseconds. Native and lazily loaded warehouse
// clients stay external.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: start from an empty folder so old chunks do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/cli/main.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@duckdb/node-api', 'snowflake-sdk', 'chokidar', 'fsevents', 'playwright-core', 'fastify', '@fastify/*', 'pino'],
  banner: { js: "import { createRequire as __modelCreateRequire } from 'node:module'; const require = __modelCreateRequire(import.meta.url);" },
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
});
