import type { Dialect, RelationName } from './dialect.js';

/** A relation as templates see it: renders as its quoted name, and exposes its parts like dbt's. */
export class Relation implements RelationName {
  constructor(
    readonly database: string,
    readonly schema: string,
    readonly identifier: string,
    protected readonly dialect: Dialect,
  ) {}

  get name(): string {
    return this.identifier;
  }
  get table(): string {
    return this.identifier;
  }

  toString(): string {
    return this.dialect.qualify(this);
  }

  render(): string {
    return this.toString();
  }
}

/**
 * A relation read with `--empty`: renders as a subquery of no rows with the relation's columns,
 * as dbt's `render_limited` does (`(select * from x where false limit 0) _dbt_limit_subq_x`).
 */
export class EmptyRelation extends Relation {
  override toString(): string {
    return `(select * from ${super.toString()} where false limit 0) _dbt_limit_subq_${this.identifier}`;
  }
}

/**
 * A relation read by one batch of a microbatch model: only its rows whose `eventTime` falls in
 * [start, end), as dbt renders an upstream node that has an `event_time`.
 */
export class BatchFilteredRelation extends Relation {
  constructor(
    rel: RelationName,
    dialect: Dialect,
    private readonly eventTime: string,
    private readonly window: { start: string; end: string },
  ) {
    super(rel.database, rel.schema, rel.identifier, dialect);
  }

  override toString(): string {
    const d = this.dialect;
    const col = d.quoteIdentifier(this.eventTime);
    const at = (t: string) => `cast(${d.stringLiteral(t)} as timestamp)`;
    return `(select * from ${d.qualify(this)} where ${col} >= ${at(this.window.start)} and ${col} < ${at(this.window.end)})`;
  }
}

/** What `ref()` of an ephemeral model renders as: the name of the CTE that inlines it. */
export class CteReference {
  constructor(readonly name: string) {}
  get identifier(): string {
    return this.name;
  }
  toString(): string {
    return this.name;
  }
}

export function relationKey(r: RelationName): string {
  return `${r.database}.${r.schema}.${r.identifier}`.toLowerCase();
}
