#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into dist/ by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const main = [path.join(dist, 'bundle', 'main.js'), path.join(dist, 'cli', 'main.js')].find((f) => existsSync(f));
if (!main) {
  process.stderr.write('model: the engine is not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(2);
}
const { runCli } = await import(pathToFileURL(main).href);
process.exitCode = await runCli(process.argv);
