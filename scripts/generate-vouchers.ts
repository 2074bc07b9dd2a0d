/**
 * Generates synthetic raw voucher data (see app/datagen/generate-vouchers.ts).
 *
 *   npm run generate -- --rows N --out file.parquet [--seed S] [--memory-limit 1GB] [--threads T]
 *
 * The bundled sample data/vouchers_sample.parquet is made with exactly:
 *
 *   npm run generate -- --rows 20000 --seed 2018 --out data/vouchers_sample.parquet
 *
 * Exit codes: 0 done, 2 usage error (message on stderr, no stack trace), 1 anything else.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_SEED,
  MAX_ROWS,
  UsageError,
  formatFromPath,
  generateVouchers,
  validateOptions,
  type GenerateResult,
} from '../app/datagen/generate-vouchers.js';

const USAGE = `usage: npm run generate -- --rows N --out FILE [--seed S] [--memory-limit 1GB] [--threads T] [--quiet]

  --rows N            rows to write, 1..${MAX_ROWS} (accepts 50000, 50_000, 50k, 10M)
  --out FILE          output file; format from the extension: .parquet (zstd), .csv, .csv.gz
  --seed S            whole number >= 0 (default ${DEFAULT_SEED}); same rows + seed = same data
  --memory-limit L    DuckDB memory limit (default 1GB)
  --threads T         DuckDB threads (default: all cores; the output does not depend on it)
  --quiet             no progress lines, only the final summary
`;

/** Whole numbers with optional `_`/`,` separators and a k/M/G suffix, e.g. `10M`. */
export function parseCount(flag: string, text: string): number {
  const m = /^(\d[\d_,]*)([kmg])?$/i.exec(text.trim());
  if (!m || m[1] === undefined) throw new UsageError(`${flag} must be a whole number, got "${text}"`);
  const base = Number(m[1].replaceAll(/[_,]/g, ''));
  const scale = { k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  const value = base * scale;
  if (!Number.isSafeInteger(value)) throw new UsageError(`${flag} is too large: "${text}"`);
  return value;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function main(argv: string[]): Promise<number> {
  let result: GenerateResult;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        rows: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        'memory-limit': { type: 'string' },
        threads: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.rows === undefined) throw new UsageError('--rows is required');
    if (values.out === undefined || values.out === '') throw new UsageError('--out is required');
    const rows = parseCount('--rows', values.rows);
    const seed = values.seed === undefined ? DEFAULT_SEED : parseCount('--seed', values.seed);
    const threads = values.threads === undefined ? undefined : parseCount('--threads', values.threads);
    const quiet = values.quiet;
    // fail on bad input before announcing any work
    validateOptions(rows, seed);
    formatFromPath(values.out);
    if (!quiet) process.stderr.write(`generating ${rows} rows (seed ${seed}) into ${values.out} ...\n`);
    result = await generateVouchers({
      rows,
      seed,
      out: values.out,
      ...(threads !== undefined ? { threads } : {}),
      ...(values['memory-limit'] !== undefined ? { memoryLimit: values['memory-limit'] } : {}),
      ...(quiet
        ? {}
        : {
            onProgress: ({ bytes, seconds }) => process.stderr.write(`  ... ${mb(bytes)} written after ${seconds.toFixed(0)} s\n`),
          }),
    });
  } catch (err) {
    // parseArgs reports unknown/malformed flags with ERR_PARSE_ARGS_* codes: usage errors too
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`generate-vouchers: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`generate-vouchers: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  process.stdout.write(
    `wrote ${result.rows} rows (seed ${result.seed}, ${result.format}) to ${result.out}: ` +
      `${result.bytes} bytes (${mb(result.bytes)}) in ${result.seconds.toFixed(2)} s\n`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
