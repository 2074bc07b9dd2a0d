import type { Dialect, RelationName } from './dialect.js';

/** A relation as templates see it: renders as its quoted name, and exposes its parts like dbt's. */
export class Relation implements RelationName {
  constructor(
    readonly database: string,
    readonly schema: string,
    readonly identifier: string,
    private readonly dialect: Dialect,
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
