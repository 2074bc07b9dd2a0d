import type { QueryResult } from '../warehouse/adapter.js';

/**
 * Answers to the queries a render makes (`run_query()`, `{% call statement %}`), by SQL text.
 * Rendering is synchronous, so a render that asks for an unknown query gets an empty result,
 * is discarded, and runs again once the query has been run on the warehouse.
 */
export class QueryCache {
  private readonly answers = new Map<string, QueryResult>();
  missing: string[] = [];

  lookup(sql: string): QueryResult | undefined {
    const hit = this.answers.get(sql);
    if (!hit && !this.missing.includes(sql)) this.missing.push(sql);
    return hit;
  }

  set(sql: string, result: QueryResult): void {
    this.answers.set(sql, result);
  }
}
