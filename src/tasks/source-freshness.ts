/**
 * `model source freshness`: for each selected source table with criteria and a `loaded_at_field`,
 * `max(loaded_at_field)` against the warehouse's current time, judged pass / warn / error, and
 * written to target/sources.json in dbt's shape (dbt-core task/freshness.py,
 * artifacts/schemas/freshness/v3).
 */
import path from 'node:path';
import { redact } from '../core/secrets.js';
import { metadata, writeJsonAtomic } from '../execute/artifacts.js';
import { freshnessCriteria } from '../execute/source-freshness-json.js';
import type { SourceNode } from '../parse/nodes.js';
import { freshnessSeconds, type FreshnessTime } from '../parse/source-freshness.js';
import { Relation } from '../warehouse/relation.js';
import { connect, openProject, select, type CommonOptions, type SelectOptions, type Session } from './session.js';

export type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error';

export interface FreshnessResult {
  node: SourceNode;
  status: FreshnessStatus;
  maxLoadedAt?: Date;
  snapshottedAt?: Date;
  ageSeconds?: number;
  error?: string;
  startedAt: Date;
  completedAt: Date;
}

/** Runs every check; the caller exits 1 when any is an error or a runtime error, as dbt does. */
export async function sourceFreshness(
  opts: CommonOptions & SelectOptions & { output?: string },
): Promise<{ session: Session; results: FreshnessResult[]; file: string; elapsedSeconds: number }> {
  const session = await openProject(opts);
  const started = Date.now();
  // dbt checks only the sources with criteria and a loaded_at_field or loaded_at_query (graph/selector FreshnessSelector).
  const nodes = select(session, opts, ['source'], opts.reporter).filter(
    (n): n is SourceNode =>
      n.resourceType === 'source' && !!n.freshness && !!(n.freshness.warnAfter || n.freshness.errorAfter) && !!(n.loadedAtField || n.loadedAtQuery),
  );
  const results: FreshnessResult[] = [];
  if (nodes.length) {
    const adapter = await connect(session);
    try {
      await adapter.withConnection(async (conn) => {
        for (const node of nodes) {
          const startedAt = new Date();
          const relation = new Relation(node.relation.database, node.relation.schema, node.relation.identifier, session.dialect);
          try {
            const sql = freshnessQuery(session, node, relation);
            const r = await conn.execute(sql);
            const [maxRaw, nowRaw] = r.rows[0] ?? [];
            const snapshottedAt = toUtc(nowRaw) ?? new Date();
            const maxLoadedAt = toUtc(maxRaw);
            // dbt: no rows at all is as stale as can be (max_loaded_at is the epoch, task/freshness.py).
            const loaded = maxLoadedAt ?? new Date(0);
            const ageSeconds = (snapshottedAt.getTime() - loaded.getTime()) / 1000;
            results.push({
              node,
              status: judge(ageSeconds, node.freshness!),
              maxLoadedAt: loaded,
              snapshottedAt,
              ageSeconds,
              startedAt,
              completedAt: new Date(),
            });
          } catch (e) {
            results.push({ node, status: 'runtime error', error: redact(e instanceof Error ? e.message : String(e)), startedAt, completedAt: new Date() });
          }
        }
      });
    } finally {
      await adapter.close();
    }
  }
  const elapsedSeconds = (Date.now() - started) / 1000;
  const file = opts.output ? path.resolve(opts.output) : path.join(session.project.targetDir, 'sources.json');
  writeJsonAtomic(file, { metadata: metadata('sources'), results: results.map(toJson), elapsed_time: elapsedSeconds });
  return { session, results, file, elapsedSeconds };
}

/**
 * dbt's collect_freshness macro: max of the field (with the criteria's filter) and the warehouse's
 * current time; for `loaded_at_query`, collect_freshness_custom_sql: the query's one value, no filter.
 */
function freshnessQuery(session: Session, node: SourceNode, relation: Relation): string {
  if (node.loadedAtQuery) {
    const query = session.engine
      .renderString(node.loadedAtQuery, node.file, { thisRelation: () => relation })
      .trim()
      .replace(/;\s*$/, '');
    return `with source_query as (\n${query}\n)\nselect (select * from source_query) as max_loaded_at, current_timestamp as snapshotted_at`;
  }
  const filter = node.freshness?.filter ? ` where ${node.freshness.filter}` : '';
  return `select max(${node.loadedAtField}) as max_loaded_at, current_timestamp as snapshotted_at from ${relation.render()}${filter}`;
}

function judge(age: number, f: { warnAfter?: FreshnessTime; errorAfter?: FreshnessTime }): FreshnessStatus {
  if (f.errorAfter && age > freshnessSeconds(f.errorAfter)) return 'error';
  if (f.warnAfter && age > freshnessSeconds(f.warnAfter)) return 'warn';
  return 'pass';
}

/** A warehouse timestamp as a UTC instant; one without a zone is read as UTC, as dbt does. */
function toUtc(v: unknown): Date | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v;
  const s = String(v).trim();
  const zoned = /([+-]\d{2}(:?\d{2})?|Z)$/i.test(s) && /\d{2}:\d{2}/.test(s);
  const d = new Date(zoned ? s.replace(' ', 'T') : `${s.replace(' ', 'T')}${/T|\s|\d{2}:\d{2}/.test(s) ? '' : 'T00:00:00'}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function toJson(r: FreshnessResult): Record<string, unknown> {
  const timing = [
    { name: 'compile', started_at: r.startedAt.toISOString(), completed_at: r.startedAt.toISOString() },
    { name: 'execute', started_at: r.startedAt.toISOString(), completed_at: r.completedAt.toISOString() },
  ];
  if (r.status === 'runtime error') return { unique_id: r.node.uniqueId, error: r.error ?? '', status: 'runtime error' };
  return {
    unique_id: r.node.uniqueId,
    max_loaded_at: r.maxLoadedAt!.toISOString(),
    snapshotted_at: r.snapshottedAt!.toISOString(),
    max_loaded_at_time_ago_in_s: r.ageSeconds,
    status: r.status,
    criteria: freshnessCriteria(r.node),
    adapter_response: {},
    timing,
    thread_id: 'Thread-1',
    execution_time: (r.completedAt.getTime() - r.startedAt.getTime()) / 1000,
  };
}
