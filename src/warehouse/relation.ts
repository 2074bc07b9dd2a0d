import type { Dialect, RelationName, RelationType } from './dialect.js';

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

  /** dbt's relation type, when known (`this` of a model, a relation found in the warehouse). */
  type: RelationType | null = null;
  /** Which parts `render()` prints (dbt's `include()`); all three unless narrowed. */
  private parts: { database: boolean; schema: boolean; identifier: boolean } = { database: true, schema: true, identifier: true };

  /** Never an ephemeral model's CTE (that is a CteReference). */
  get is_cte(): boolean {
    return false;
  }
  get is_table(): boolean {
    return this.type === 'table';
  }
  get is_view(): boolean {
    return this.type === 'view';
  }

  /** What dbt_utils' `_is_relation` reads (`obj.get('metadata', {}).get('type', '')` ends with "Relation"), as dbt's relations answer. */
  get metadata(): { type: string } {
    return { type: 'BaseRelation' };
  }

  toString(): string {
    return this.render();
  }

  /** The relation's name only, as dbt's `render()`: never `--empty`'s subquery or a batch's filter (those are `toString()`'s). */
  render(): string {
    const { database, schema, identifier } = this.parts;
    if (database && schema && identifier) return this.dialect.qualify(this);
    const q = (v: string) => this.dialect.quoteIdentifier(v);
    return [database ? q(this.database) : '', schema ? q(this.schema) : '', identifier ? q(this.identifier) : ''].filter(Boolean).join('.');
  }

  /** dbt's `relation.incorporate(path={...}, type=...)`: a copy with some parts replaced. */
  incorporate(kwargs?: { path?: Partial<RelationName>; type?: RelationType } & Record<string, unknown>): Relation {
    const p = kwargs?.path ?? {};
    const r = new Relation(p.database ?? this.database, p.schema ?? this.schema, p.identifier ?? this.identifier, this.dialect);
    r.type = kwargs?.type ?? this.type;
    r.parts = { ...this.parts };
    return r;
  }

  /** dbt's `relation.include(database=False, …)`: a copy that renders only the parts kept. */
  include(kwargs?: { database?: boolean; schema?: boolean; identifier?: boolean }): Relation {
    const r = this.incorporate();
    r.parts = { database: kwargs?.database ?? true, schema: kwargs?.schema ?? true, identifier: kwargs?.identifier ?? true };
    return r;
  }

  /** `relation.quote(...)`: quoting is the dialect's here, so the same relation. */
  quote(): Relation {
    return this;
  }

  /**
   * dbt's `relation.information_schema(view_name)` (dbt-adapters base/relation.py `InformationSchema.from_relation`):
   * the database's INFORMATION_SCHEMA, or one of its views, as `<database>.INFORMATION_SCHEMA.<view>`;
   * the database quoted as the relation's, the schema and the view never (audit_helper's
   * `snowflake__get_columns_in_relation_sql` reads `relation.information_schema('columns')`).
   */
  information_schema(viewName?: unknown): InformationSchemaRelation {
    return new InformationSchemaRelation(this.database, typeof viewName === 'string' && viewName ? viewName : undefined, this.dialect);
  }
}

/** What `relation.information_schema(view)` renders as: `<database>.INFORMATION_SCHEMA[.<view>]`. */
export class InformationSchemaRelation extends Relation {
  constructor(
    database: string,
    readonly information_schema_view: string | undefined,
    dialect: Dialect,
  ) {
    super(database, 'INFORMATION_SCHEMA', information_schema_view ?? '', dialect);
  }

  override render(): string {
    const db = this.database ? `${this.dialect.quoteIdentifier(this.database)}.` : '';
    return `${db}INFORMATION_SCHEMA${this.information_schema_view ? `.${this.information_schema_view}` : ''}`;
  }

  override toString(): string {
    return this.render();
  }
}

/**
 * A relation read with `--empty`: renders as a subquery of no rows with the relation's columns,
 * as dbt's `render_limited` does (`(select * from x where false limit 0) _dbt_limit_subq_x`).
 * On Snowflake the subquery has no alias (dbt-snowflake relation.py `require_alias = False`), so a
 * model's own alias (`{{ source(...) }} as raw_source`, empty/test_empty.py BaseTestEmptyInlineSourceRef) still parses.
 */
export class EmptyRelation extends Relation {
  override toString(): string {
    const limited = `(select * from ${this.render()} where false limit 0)`;
    return this.dialect.type === 'snowflake' ? limited : `${limited} _dbt_limit_subq_${this.identifier}`;
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
