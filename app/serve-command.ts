/**
 * `model serve`, the segmentation app's command: added to the engine's CLI through `runCli`'s
 * `commands` (app/main.ts), so the engine never imports the app.
 */
import type { Command } from 'commander';
import { common, toOptions, type CliContext, type CommonFlags } from '../src/cli/main.js';

interface ServeFlags extends CommonFlags {
  host: string;
  port: string;
  rateLimit: string;
  pipelineRateLimit: string;
  build?: boolean;
}

/** `model serve`: the voucher REST API, until SIGINT or SIGTERM. */
export function registerServe(program: Command, { reporter }: CliContext): void {
  common(program.command('serve').description('serve the voucher REST API (POST /getVoucher/, POST /runPipeline/, GET /health, /docs)'))
    .option('--host <address>', 'address to listen on; off loopback MODEL_API_TOKEN is required', '127.0.0.1')
    .option('--port <n>', 'port to listen on', '8000')
    .option('--build', 'run the pipeline once at startup (answers meanwhile come from the previous answer, if any)')
    .option('--rate-limit <n>', '/getVoucher/ requests per minute per client address (0: no limit)', '0')
    .option('--pipeline-rate-limit <n>', '/runPipeline/ requests per minute per client address', '10')
    .action(async (flags: ServeFlags) => {
      // The engine's API is loaded here, not at start-up: it carries every task (the docs site's
      // layout library too), which would cost every other command.
      const { ProjectError, registerSecret } = await import('../src/index.js');
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new ProjectError('usage', `--port must be a whole number from 0 to 65535, got '${flags.port}'`);
      const limits = [flags.rateLimit, flags.pipelineRateLimit].map(Number);
      if (limits.some((n) => !Number.isInteger(n) || n < 0))
        throw new ProjectError('usage', '--rate-limit and --pipeline-rate-limit take a whole number of requests per minute (0: no limit)');
      const opts = toOptions(flags, reporter);
      const token = process.env.MODEL_API_TOKEN;
      registerSecret(token);
      // Loaded here, not at start-up: Fastify and its plugins would cost every other command.
      const { buildServer } = await import('./api/server.js');
      const { app, cache, runner, listen } = await buildServer({
        projectDir: opts.projectDir,
        target: opts.target,
        vars: opts.vars,
        profilesDir: opts.profilesDir,
        threads: opts.threads,
        host: flags.host,
        token,
        // The global --log-level (dbt's, also DBT_LOG_LEVEL; -q is error) sets the JSON log on
        // stdout too: info has a line per request, warn and error leave them out, none logs nothing.
        logLevel: reporter.level === 'none' ? false : reporter.level,
        voucherRateLimit: limits[0],
        pipelineRateLimit: limits[1],
      });
      const address = await listen(flags.host, port);
      const loaded = cache.answer;
      reporter.info(`serving the voucher API on ${address} (docs: ${address}/docs)`);
      reporter.info(
        loaded ? `answer loaded: ${loaded.rows.size} segments, countries ${loaded.countryNames.join(', ')}` : `no answer loaded yet: ${cache.problem ?? ''}`,
      );
      if (flags.build) {
        runner.run().then(
          (s) => reporter.info(`startup build: ${s.status} in ${s.duration_seconds}s`),
          (e: unknown) => reporter.warn(`startup build failed: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          reporter.info('stopping: finishing requests in flight…');
          void app.close().then(() => resolve());
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
