/**
 * The answer the API serves, held in memory: the segment rules, `segments_derived` and the
 * countries the pipeline covered. Read from the warehouse once (open, read, close: DuckDB lets
 * one process hold the file), then swapped whole after each pipeline run, so a request never
 * waits on the warehouse and never sees half of an answer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RelationName } from '../warehouse/dialect.js';
import { connect, ProjectError, type Session } from '../index.js';
import { SEGMENT_TYPES } from './schemas.js';

export interface SegmentRule {
  segmentType: string;
  segmentName: string;
  min: number;
  /** null: open-ended. */
  max: number | null;
}

export interface AnswerRow {
  segmentType: string;
  segmentName: string;
  voucherAmount: number;
  voucherCount: number;
  segmentRows: number;
}

export interface Answer {
  /** Per segment type, its rules by ascending min. */
  rules: Map<string, SegmentRule[]>;
  /** `segments_derived` keyed by `type \0 name`. */
  rows: Map<string, AnswerRow>;
  /** The pipeline's countries, trimmed and lower-cased. */
  countries: Set<string>;
  /** The countries as configured, for messages and /health. */
  countryNames: string[];
  builtAt: string | null;
  loadedAt: string;
  /** Increases with each swap; sent as the X-Answer-Version header. */
  version: number;
}

export const answerKey = (segmentType: string, segmentName: string) => `${segmentType}\u0000${segmentName}`;

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
    return this.current;
  }

  fail(problem: string): void {
    this.lastProblem = problem;
  }
}

function relationOf(session: Session, name: string): RelationName {
  const id = session.manifest.byName.get(name);
  const node = id ? session.manifest.nodes.get(id) : undefined;
  if (!node?.relation) {
    throw new ProjectError('project', `the project has no model or seed named '${name}', which the API serves from`, {
      hint: 'the API serves the segmentation project: segments_derived (the answer) and rules_for_segments (the seed)',
    });
  }
  return node.relation;
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

/** When the last `model build` finished segments_derived, from target/run_results.json, if it says. */
function builtAtFromArtifacts(session: Session): string | null {
  try {
    const runResults = JSON.parse(readFileSync(path.join(session.project.targetDir, 'run_results.json'), 'utf8')) as {
      results?: { unique_id?: string; status?: string; timing?: { completed_at?: string }[] }[];
    };
    const id = session.manifest.byName.get('segments_derived');
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
  const answerRelation = relationOf(session, 'segments_derived');
  const rulesRelation = relationOf(session, 'rules_for_segments');
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
      list.push({ segmentType: String(segmentType), segmentName: String(segmentName), min: num(min), max: max === null || max === undefined ? null : num(max) });
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
        builtAt: builtAt ?? builtAtFromArtifacts(session),
        loadedAt: new Date().toISOString(),
      },
    };
  } finally {
    await adapter.close();
  }
}
