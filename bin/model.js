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

const bundle = path.join(__dirname, '..', 'dist', 'bundle', 'model.cjs');

/**
 * `model compile` of an unchanged project is answered from the last compile's replay record by a
 * small bundle that needs none of the engine (src/cli/fast-replay.ts); when it cannot say for
 * sure, it writes nothing and the engine runs.
 */
function fastReplay() {
  if (process.argv[2] !== 'compile') return false;
  let fast;
  try {
    fast = require(path.join(__dirname, '..', 'dist', 'bundle', 'fast-replay.cjs'));
  } catch {
    return false;
  }
  process.stdout.on('error', (e) => {
    // As the engine's CLI: a reader that stops early closes the pipe, and that is no error.
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  try {
    return fast.fastReplay(process.argv.slice(2), { engineFile: bundle });
  } catch {
    return false;
  }
}

function runEngine() {
  const vm = require('node:vm');
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
}

if (!fastReplay()) runEngine();
