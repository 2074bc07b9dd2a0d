#!/usr/bin/env node
'use strict';
// Thin launcher. The CLI is compiled and bundled into dist/bundle/model.cjs by `npm ci`
// (prepare) or `npm run build`, and run here through a V8 code cache: the bytecode of the
// functions a command used is kept beside the bundle, so the next start skips parsing and
// compiling most of it. The cache is keyed by the bundle's size and modification time (a rebuild
// changes them) and rewritten whenever V8 rejects it (another Node version or flags); it is only a
// speed-up, every failure is ignored. This file is CommonJS (bin/package.json) so Node starts it
// without loading its ES module loader.
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const bundle = path.join(__dirname, '..', 'dist', 'bundle', 'model.cjs');
let source;
let cacheFile;
try {
  const stat = statSync(bundle);
  source = readFileSync(bundle, 'utf8');
  cacheFile = `${bundle}.${stat.size.toString(36)}-${Math.trunc(stat.mtimeMs).toString(36)}.cache`;
} catch {
  process.stderr.write('model: the engine is not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(2);
}
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // first run of this build
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData,
});
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require('node:module').createRequire(bundle), mod, bundle, path.dirname(bundle));
mod.exports.runCli(process.argv).then((code) => {
  process.exitCode = code;
  // A failed command has nothing left to do, but a client library may still wait on a socket (a
  // Snowflake login that never got an answer): exit shortly even then. Unref'd, so it never delays.
  if (code) setTimeout(() => process.exit(), 500).unref();
  if (!cachedData || script.cachedDataRejected) {
    try {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only install runs without the cache
    }
  }
});
