// Bundles the compiled CLI into one CommonJS file, dist/bundle/model.cjs. tsc puts the engine in
// dist/src/ and the segmentation app in dist/app/; the entry is the app's dist/app/main.js (the
// engine's CLI plus the app's `model serve`). One module instead of hundreds of files cuts Node's
// start-up by a few hundred milliseconds, and a single classic script can be loaded with a V8 code
// cache (see bin/model.js), which ES modules cannot on Node 20. Native and lazily loaded clients stay external. The engine's own macro files are
// compiled to JavaScript here, once, instead of on every start.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const dist = path.resolve('dist');
const load = (rel) => import(pathToFileURL(path.join(dist, rel)).href);

const { compileTemplateToCode } = await load('src/templating/template-engine.js');
const { BUILTIN_MACROS, BUILTIN_MACROS_FILE } = await load('src/templating/builtin-macros.js');
const { DATA_TEST_MACROS, DATA_TEST_MACROS_FILE } = await load('src/parse/data-tests/builtin-tests.js');

const precompiled = [
  [BUILTIN_MACROS_FILE, BUILTIN_MACROS],
  [DATA_TEST_MACROS_FILE, DATA_TEST_MACROS],
].map(([file, source]) => {
  const { source: text, code } = compileTemplateToCode(file, source);
  return `  { file: ${JSON.stringify(file)}, source: ${JSON.stringify(text)}, code: function () {\n${code}\n} },`;
});
const precompiledModule = `export const PRECOMPILED = [\n${precompiled.join('\n')}\n];\n`;

/** Replaces the empty dist/src/templating/precompiled.js with the compiled built-in macros. */
const precompilePlugin = {
  name: 'precompiled-templates',
  setup(b) {
    const target = path.join(dist, 'src', 'templating', 'precompiled.js');
    b.onLoad({ filter: /precompiled\.js$/ }, (args) => (path.resolve(args.path) === target ? { contents: precompiledModule, loader: 'js' } : undefined));
  },
};

/**
 * zod's namespace object carries every one of its ~50 message locales (a quarter of the bundle,
 * all parsed and set up at every start); the engine speaks English, the default zod registers
 * itself, so the bundle keeps only that one.
 */
const englishOnlyZodPlugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";\n', loader: 'js' }));
  },
};

/**
 * commander loads node:child_process (and with it net, dgram and streams) at start-up for its
 * executable subcommands, which this CLI does not have: it gets a stand-in that loads the real
 * module on the first spawn.
 */
const lazyChildProcessPlugin = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents: 'let real;\nmodule.exports = { spawn: (...args) => (real ??= require("node:child_process")).spawn(...args) };\n',
      loader: 'js',
    }));
  },
};

rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/app/main.js'],
  outfile: 'dist/bundle/model.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['@duckdb/node-api', 'snowflake-sdk', 'chokidar', 'fsevents', 'playwright-core', 'fastify', '@fastify/*', 'pino'],
  // The bundle sits at dist/bundle/, two folders below the root like src/<layer>/, so paths built
  // from import.meta.url (src/docs/site-html.ts) resolve the same from the sources and the bundle.
  // (tsc's unbundled dist/src/<layer>/ is three folders down: it is bundled, not run.)
  define: { 'import.meta.url': '__modelImportMetaUrl' },
  banner: { js: 'var __modelImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [precompilePlugin, englishOnlyZodPlugin, lazyChildProcessPlugin],
  // The bundle runs as a vm.Script (for the code cache), where a real import() has no loader:
  // lazily loaded clients (snowflake-sdk, DuckDB in the emulator) become require() calls.
  supported: { 'dynamic-import': false },
  // MODEL_BUNDLE_MINIFY=0 keeps names readable in CPU profiles.
  minify: process.env.MODEL_BUNDLE_MINIFY !== '0',
  // No keepNames: it wraps every function the bundle creates in a defineProperty call, which cost
  // ~10% of a 1,000-model compile; nothing here depends on minified function names (nunjucks'
  // AST nodes carry explicit type names).
  legalComments: 'none',
  logLevel: 'warning',
});

// `model compile` of an unchanged project is answered by this small bundle, before the engine's is
// read (src/cli/fast-replay.ts, bin/model.js): Node's built-in modules only.
await build({
  entryPoints: ['dist/src/cli/fast-replay.js'],
  outfile: 'dist/bundle/fast-replay.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
});

// The API's front thread (app/api/voucher-front-worker.ts): the fast path and the answer, neither the engine nor Fastify.
await build({
  entryPoints: ['dist/app/api/voucher-front-worker.js'],
  outfile: 'dist/bundle/api-front.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  plugins: [englishOnlyZodPlugin],
  minify: process.env.MODEL_BUNDLE_MINIFY !== '0',
  legalComments: 'none',
  logLevel: 'warning',
});

// Warm the code cache with a real command: compiling a copy of the shipped project runs most of
// the engine, so the first command a user types already starts from cached bytecode.
const warm = mkdtempSync(path.join(os.tmpdir(), 'model-warm-'));
try {
  for (const entry of ['project.yml', 'profiles.yml', 'models', 'seeds', 'macros', 'data-tests']) {
    if (existsSync(entry)) cpSync(entry, path.join(warm, entry), { recursive: true });
  }
  spawnSync(process.execPath, ['bin/model.js', 'compile', '--project-dir', warm], { stdio: 'ignore', timeout: 60_000 });
} finally {
  rmSync(warm, { recursive: true, force: true });
}
