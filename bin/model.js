#!/usr/bin/env node
// Thin launcher. The CLI is compiled and bundled into dist/bundle/model.cjs by `npm ci`
// (prepare) or `npm run build`, and run here through a V8 code cache: the bytecode of the
// functions a command used is kept beside the bundle, so the next start skips parsing and
// compiling most of it. The cache is keyed by the bundle's content hash and rewritten whenever V8
// rejects it (another Node version or flags); it is only a speed-up, every failure is ignored.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'model.cjs');
let source;
try {
  source = readFileSync(bundle);
} catch {
  process.stderr.write('model: the engine is not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(2);
}
const cacheFile = `${bundle}.${createHash('sha1').update(source).digest('hex').slice(0, 16)}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // first run of this build
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source.toString('utf8')}\n})`, {
  filename: bundle,
  cachedData,
});
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
process.exitCode = await mod.exports.runCli(process.argv);
// A failed command has nothing left to do, but a client library may still wait on a socket (a
// Snowflake login that never got an answer): exit shortly even then. Unref'd, so it never delays.
if (process.exitCode) setTimeout(() => process.exit(), 500).unref();
if (!cachedData || script.cachedDataRejected) {
  try {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
  } catch {
    // a read-only install runs without the cache
  }
}
