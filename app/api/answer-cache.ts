/**
 * The answer the API serves, held in memory: the segment rules, the answer table and the
 * countries the pipeline covered. Which seed and model those are is project config (the
 * `voucher_api` var in project.yml), not code. Read from the warehouse once (open, read, close:
 * DuckDB lets one process hold the file), then swapped whole after each pipeline run, so a
 * request never waits on the warehouse and never sees half of an answer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, ProjectError, type RelationName, type Session } from '../../src/index.js';
import { SEGMENT_TYPES } from './schemas.js';
import { answerKey, type Answer, type AnswerRow, type SegmentRule } from './answer.js';

export { answerKey, type Answer, type AnswerRow, type SegmentRule } from './answer.js';

/** Holds the current answer; `swap` replaces it in one assignment. */
export class AnswerCache {
  private current: Answer | undefined;
  private lastProblem: string | null = null;
  private versions = 0;

  get answer(): Answer | undefined {
    return this.current;
  }

  /** Why no answer is loaded (or why the last reload failed), for /health and 503s. */
  get problem(): string | null {
    return this.lastProblem;
  }

  swap(next: Omit<Answer, 'version'>): Answer {
    this.current = { ...next, version: ++this.versions };
    this.lastProblem = null;
    for (const listener of this.listeners) listener();
    return this.current;
  }

  fail(problem: string): void {
    this.lastProblem = problem;
    for (const listener of this.listeners) listener();
  }

  private readonly listeners: (() => void)[] = [];

  /** Calls `listener` after each swap or failure (the API's front thread keeps a copy of the answer). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}

/** The project var naming the relations the API serves: `vars: voucher_api: {answer, rules}` in project.yml. */
export const API_VAR = 'voucher_api';
const API_VAR_EXAMPLE = `${API_VAR}: {answer: segments_derived, rules: rules_for_segments}`;

/** A model or seed the API reads, as the project names it. */
export interface ServedNode {
  /** The name in the project (`voucher_api.answer` or `.rules`). */
  name: string;
  uniqueId: string;
  relation: RelationName;
}

/** The two relations the API serves: the answer table and the segment rules. */
export interface ServedRelations {
  answer: ServedNode;
  rules: ServedNode;
}

/**
 * Reads `voucher_api.answer` and `voucher_api.rules` from the session's project vars (project.yml,
 * or `--vars`) and finds the model or seed each names; a ProjectError naming the file and the var
 * when one is missing or names nothing the API can read.
 */
export function servedRelations(session: Session): ServedRelations {
  const file = session.project.file;
  const config = session.project.vars[API_VAR];
  const missing = (what: string) =>
    new ProjectError('project', `the var '${API_VAR}.${what}' is not set: the API needs it to know which model or seed to serve from`, {
      location: { file },
      hint: `add under vars: in ${file}: ${API_VAR_EXAMPLE}`,
    });
  const find = (key: 'answer' | 'rules'): ServedNode => {
    const name = config !== null && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>)[key] : undefined;
    if (typeof name !== 'string' || name.trim() === '') throw missing(key);
    const uniqueId = session.manifest.byName.get(name);
    const node = uniqueId ? session.manifest.nodes.get(uniqueId) : undefined;
    if (!uniqueId || !node?.relation || (node.resourceType !== 'model' && node.resourceType !== 'seed')) {
      throw new ProjectError(
        'project',
        `the var '${API_VAR}.${key}' names '${name}', but the project has no model or seed of that name for the API to serve from`,
        {
          location: { file },
          hint: `name a model or seed of the project (an ephemeral model has no table to read), e.g. ${API_VAR_EXAMPLE}`,
        },
      );
    }
    return { name, uniqueId, relation: node.relation };
  };
  return { answer: find('answer'), rules: find('rules') };
}

/** The `countries` var as the pipeline's `selected_countries()` macro reads it. */
export function countriesOf(session: Session): string[] {
  const value = session.project.vars.countries ?? ['Peru'];
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return list.filter((c): c is string => typeof c === 'string' && c.trim() !== '').map((c) => c.trim());
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** When the last `model build` finished the answer table, from target/run_results.json, if it says. */
function builtAtFromArtifacts(session: Session, id: string): string | null {
  try {
    const runResults = JSON.parse(readFileSync(path.join(session.project.targetDir, 'run_results.json'), 'utf8')) as {
      results?: { unique_id?: string; status?: string; timing?: { completed_at?: string }[] }[];
    };
    const r = runResults.results?.find((x) => x.unique_id === id && x.status === 'success');
    return r?.timing?.[0]?.completed_at ?? null;
  } catch {
    return null;
  }
}

export type LoadResult = { answer: Omit<Answer, 'version'> } | { missing: string };

/**
 * Reads the rules and the answer table. `missing` when the pipeline has not built them yet;
 * warehouse errors (a locked file) are thrown as ProjectError.
 */
export async function loadAnswer(session: Session, builtAt?: string): Promise<LoadResult> {
  const served = servedRelations(session);
  const answerRelation = served.answer.relation;
  const rulesRelation = served.rules.relation;
  const dialect = session.dialect;
  const adapter = await connect(session);
  try {
    for (const rel of [answerRelation, rulesRelation]) {
      const existing = await adapter.listRelations(rel.database, rel.schema);
      if (!existing.has(rel.identifier.toLowerCase())) {
        return { missing: `${rel.schema}.${rel.identifier} does not exist yet: run the pipeline first (POST /runPipeline/ or \`model build\`)` };
      }
    }
    const [rulesResult, answerResult] = await adapter.withConnection(async (c) => [
      await c.execute(`select segment_type, segment_name, min_value, max_value from ${dialect.qualify(rulesRelation)} order by segment_type, min_value`),
      await c.execute(`select segment_type, segment_name, voucher_amount, voucher_count, segment_rows from ${dialect.qualify(answerRelation)}`),
    ]);
    const rules = new Map<string, SegmentRule[]>();
    for (const t of SEGMENT_TYPES) rules.set(t, []);
    for (const [segmentType, segmentName, min, max] of rulesResult.rows) {
      if (min === null || min === undefined) continue;
      const list = rules.get(String(segmentType)) ?? [];
      list.push({
        segmentType: String(segmentType),
        segmentName: String(segmentName),
        min: num(min),
        max: max === null || max === undefined ? null : num(max),
      });
      rules.set(String(segmentType), list);
    }
    const rows = new Map<string, AnswerRow>();
    for (const [segmentType, segmentName, amount, count, segmentRows] of answerResult.rows) {
      if (amount === null || amount === undefined) continue;
      rows.set(answerKey(String(segmentType), String(segmentName)), {
        segmentType: String(segmentType),
        segmentName: String(segmentName),
        voucherAmount: num(amount),
        voucherCount: num(count),
        segmentRows: num(segmentRows),
      });
    }
    const countryNames = countriesOf(session);
    return {
      answer: {
        rules,
        rows,
        countries: new Set(countryNames.map((c) => c.toLowerCase())),
        countryNames,
        builtAt: builtAt ?? builtAtFromArtifacts(session, served.answer.uniqueId),
        loadedAt: new Date().toISOString(),
      },
    };
  } finally {
    await adapter.close();
  }
}
