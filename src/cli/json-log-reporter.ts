import { isUserError, type ProjectError, ProjectErrors } from '../core/errors.js';
import { INVOCATION_ID } from '../core/invocation.js';
import { redact } from '../core/secrets.js';
import { countByStatus, type NodeResult, type RunSummary } from '../execute/results.js';
import type { Node } from '../parse/nodes.js';
import { CliReporter, type LogLevel } from './reporter.js';

type Level = Exclude<LogLevel, 'none'>;

/**
 * `--log-format json`: one JSON object per line on stdout, in dbt's structured-logging shape
 * (`{"info": {name, code, msg, level, invocation_id, pid, thread, ts, category, extra}, "data": {…}}`),
 * with dbt's event names and codes from dbt-core's `core/dbt/events/types.py` (LogStartLine Q011,
 * LogModelResult Q012, LogTestResult Q007, LogSeedResult Q016, SkippingDetails Q034, NodeStart
 * Q024, NodeFinished Q025, StatsLine Z023, EndOfRunSummary Z030, MainEncounteredError Z002,
 * ListCmdOut Z049, Note Z050).
 */
export class JsonLogReporter extends CliReporter {
  private emit(name: string, code: string, level: Level, msg: string, data: Record<string, unknown> = {}): void {
    if (this.shows(level)) this.write(name, code, level, msg, data);
  }

  private write(name: string, code: string, level: Level, msg: string, data: Record<string, unknown>): void {
    const info = {
      name,
      code,
      msg: redact(msg),
      level,
      invocation_id: INVOCATION_ID,
      pid: process.pid,
      thread: 'MainThread',
      ts: new Date().toISOString(),
      category: '',
      extra: {},
    };
    this.out.write(`${redact(JSON.stringify({ info, data }))}\n`);
  }

  /** What a command prints (ls lines, show rows, where results are) is dbt's ListCmdOut: shown even when quiet. */
  override print(line = ''): void {
    if (this.level !== 'none') this.write('ListCmdOut', 'Z049', 'info', line, { msg: redact(line) });
  }

  override info(message: string): void {
    this.emit('Note', 'Z050', 'info', message, { msg: message });
  }

  override warn(message: string): void {
    this.emit('Note', 'Z050', 'warn', message, { msg: message });
  }

  private nodeInfo(node: Node, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      node_path: node.file,
      node_name: node.name,
      unique_id: node.uniqueId,
      resource_type: node.resourceType,
      materialized:
        node.resourceType === 'model'
          ? node.materialized
          : node.resourceType === 'seed'
            ? 'seed'
            : node.resourceType === 'unit_test'
              ? 'unit'
              : (node.config.materialized ?? ''),
      node_relation: node.relation
        ? {
            database: node.relation.database,
            schema: node.relation.schema,
            alias: node.relation.identifier,
            relation_name: `${node.relation.database}.${node.relation.schema}.${node.relation.identifier}`,
          }
        : null,
      ...extra,
    };
  }

  override nodeStarted(node: Node, index: number, total: number): void {
    this.emit('NodeStart', 'Q024', 'debug', `Began running node ${node.uniqueId}`, { node_info: this.nodeInfo(node, { node_status: 'started' }) });
    this.emit('LogStartLine', 'Q011', 'info', `${index} of ${total} START ${this.describe(node)}`, {
      description: this.describe(node),
      index,
      total,
      node_info: this.nodeInfo(node, { node_status: 'started' }),
    });
  }

  override nodeFinished(r: NodeResult, index: number, total: number): void {
    const seconds = (r.completedAt.getTime() - r.startedAt.getTime()) / 1000;
    const node_info = this.nodeInfo(r.node, {
      node_status: r.status,
      node_started_at: r.startedAt.toISOString(),
      node_finished_at: r.completedAt.toISOString(),
    });
    const level: Level = r.status === 'error' || r.status === 'fail' || r.status === 'partial success' ? 'error' : r.status === 'warn' ? 'warn' : 'info';
    const common = { index, total, execution_time: seconds, node_info, status: r.status };
    if (r.status === 'skipped') {
      this.emit('SkippingDetails', 'Q034', 'info', `${index} of ${total} SKIP ${this.describe(r.node)}`, {
        ...common,
        resource_type: r.node.resourceType,
        node_name: r.node.name,
        schema: r.node.relation?.schema ?? '',
      });
    } else if (r.node.resourceType === 'test' || r.node.resourceType === 'unit_test') {
      const name = r.node.resourceType === 'unit_test' ? `${r.node.model}::${r.node.name}` : r.node.name;
      this.emit('LogTestResult', 'Q007', level, `${index} of ${total} ${r.status.toUpperCase()} ${name}`, {
        ...common,
        name,
        num_failures: r.failures ?? 0,
      });
    } else if (r.node.resourceType === 'seed') {
      this.emit('LogSeedResult', 'Q016', level, `${index} of ${total} ${r.status === 'error' ? 'ERROR loading' : 'OK loaded'} ${this.describe(r.node)}`, {
        ...common,
        result_message: r.message,
        schema: r.node.relation?.schema ?? '',
        relation: r.node.relation?.identifier ?? r.node.name,
      });
    } else {
      this.emit('LogModelResult', 'Q012', level, `${index} of ${total} ${r.status === 'error' ? 'ERROR creating' : 'OK created'} ${this.describe(r.node)}`, {
        ...common,
        description: this.describe(r.node),
      });
    }
    this.emit('NodeFinished', 'Q025', 'debug', `Finished running node ${r.node.uniqueId}`, {
      node_info,
      run_result: { status: r.status, message: r.message, execution_time: seconds, failures: r.failures ?? null, adapter_response: {} },
    });
  }

  override runFinished(summary: RunSummary): void {
    const c = countByStatus(summary.results);
    const errors = summary.results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'partial success');
    const warnings = summary.results.filter((r) => r.status === 'warn');
    for (const r of [...errors, ...warnings]) {
      this.emit(
        r.status === 'warn' ? 'RunResultWarning' : 'RunResultFailure',
        r.status === 'warn' ? 'Z021' : 'Z022',
        r.status === 'warn' ? 'warn' : 'error',
        r.message,
        {
          resource_type: r.node.resourceType,
          node_name: r.node.name,
          path: r.node.file,
          node_info: this.nodeInfo(r.node, { node_status: r.status }),
        },
      );
    }
    this.emit(
      'EndOfRunSummary',
      'Z030',
      'info',
      errors.length ? `Completed with ${errors.length} errors and ${warnings.length} warnings` : 'Completed successfully',
      {
        num_errors: errors.length,
        num_warnings: warnings.length,
        keyboard_interrupt: summary.interrupted,
      },
    );
    const stats = { error: c.error + c.fail, pass: c.success + c.pass, skip: c.skipped, total: summary.results.length, warn: c.warn };
    this.emit('StatsLine', 'Z023', 'info', `Done. PASS=${stats.pass} WARN=${stats.warn} ERROR=${stats.error} SKIP=${stats.skip} TOTAL=${stats.total}`, {
      stats,
    });
  }

  override printError(e: ProjectError): void {
    this.emit('MainEncounteredError', 'Z002', 'error', [e.headline, ...(e.hint ? [`hint: ${e.hint}`] : [])].join('\n'), {
      exc: e.headline,
      kind: e.kind,
      location: e.location ?? null,
      hint: e.hint ?? null,
    });
  }

  override fatal(e: unknown): number {
    if (e instanceof ProjectErrors) {
      for (const x of e.errors) this.printError(x);
      return 2;
    }
    if (isUserError(e)) {
      this.printError(e as ProjectError);
      return 2;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    this.emit('MainEncounteredError', 'Z002', 'error', `internal error (a bug in model, please report it): ${err.message}`, { exc: err.message });
    this.emit('MainStackTrace', 'Z003', 'error', err.stack ?? '', { stack_trace: err.stack ?? '' });
    return 3;
  }
}
