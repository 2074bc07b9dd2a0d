import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, openProject, type Adapter } from '../../../src/index.js';
import { columnKind } from '../../../src/profile/column-kind.js';
import { binPlan, parseTime, summaryQuery, valuesQuery, planValueSets, type ColumnSummary, type ProfileSql } from '../../../src/profile/profile-queries.js';
import { profileRelation } from '../../../src/profile/profile-relation.js';
import { profileSqlFor } from '../../../src/tasks/profile.js';
import { writeProject } from '../../helpers/project.js';

const duckSql: ProfileSql = {
  quote: (id) => `"${id.replace(/"/g, '""')}"`,
  stringLiteral: (s) => `'${s.replace(/'/g, "''")}'`,
  floatType: 'double',
  diff: (unit, a, b) => `datediff('${unit}', ${a}, ${b})`,
};

function summary(over: Partial<ColumnSummary>): ColumnSummary {
  return { name: 'x', type: 'INTEGER', kind: 'integer', nonNull: 10, distinct: 10, min: 0, max: 9, mean: null, blanks: null, span: null, ...over };
}

describe('profile query building', () => {
  it('classifies warehouse types', () => {
    expect(['BIGINT', 'INTEGER', 'NUMBER(38,0)', 'DECIMAL(18,0)'].map(columnKind)).toEqual(['integer', 'integer', 'integer', 'integer']);
    expect(['DOUBLE', 'DECIMAL(18,2)', 'FLOAT', 'NUMBER(28,6)'].map(columnKind)).toEqual(['number', 'number', 'number', 'number']);
    expect(['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP_NTZ', 'DATE'].map(columnKind)).toEqual(['timestamp', 'timestamp', 'timestamp', 'date']);
    expect(['VARCHAR', 'TEXT', 'BOOLEAN', 'STRUCT(a INTEGER)'].map(columnKind)).toEqual(['text', 'text', 'boolean', 'other']);
  });

  it('reads every column in one aggregate scan', () => {
    const sql = summaryQuery(
      't',
      [
        { name: 'a', type: 'INTEGER' },
        { name: 'b b', type: 'VARCHAR' },
      ],
      duckSql,
    );
    expect(sql.match(/\bfrom\b/g)).toHaveLength(1);
    expect(sql).toContain('count(*) as row_count');
    expect(sql).toContain(`sum(case when trim("b b") = '' then 1 else 0 end)`);
    // Distinct values come from the values pass, which groups every value anyway...
    expect(sql).not.toContain('distinct');
    // ...unless no top values are asked for.
    expect(summaryQuery('t', [{ name: 'b b', type: 'VARCHAR' }], duckSql, { topValues: 0, bins: 5, distinct: 'exact' })).toContain('count(distinct "b b")');
    expect(summaryQuery('t', [{ name: 'b', type: 'VARCHAR' }], duckSql, { topValues: 0, bins: 5, distinct: 'approx' })).toContain('approx_count_distinct("b")');
  });

  it('puts whole numbers in whole-width bins, one per value when the range is small', () => {
    expect(binPlan(summary({ min: 1, max: 5 }), duckSql, 20)).toMatchObject({ start: 1, width: 1, count: 5 });
    expect(binPlan(summary({ min: 0, max: 99 }), duckSql, 20)).toMatchObject({ start: 0, width: 5, count: 20 });
    expect(binPlan(summary({ kind: 'number', type: 'DOUBLE', min: 0, max: 1 }), duckSql, 4)).toMatchObject({ start: 0, width: 0.25, count: 4 });
    expect(binPlan(summary({ kind: 'number', type: 'DOUBLE', min: 3, max: 3 }), duckSql, 4)).toMatchObject({ count: 1 });
    expect(binPlan(summary({ kind: 'text', type: 'VARCHAR' }), duckSql, 4)).toBeUndefined();
  });

  it('measures time columns from their minimum', () => {
    const plan = binPlan(summary({ kind: 'timestamp', type: 'TIMESTAMP', min: '2018-01-01 00:00:00', max: '2018-01-02 00:00:00', span: 86_400 }), duckSql, 24)!;
    // Whole-second bins that keep to round times: a day in 24 hours.
    expect(plan).toMatchObject({ unit: 'second', start: 0, width: 3600, count: 24 });
    expect(plan.measure).toContain(`datediff('second', cast('2018-01-01 00:00:00' as TIMESTAMP), "x")`);
    expect(parseTime('2018-07-31 20:44:28.78')).toBe(Date.UTC(2018, 6, 31, 20, 44, 28, 780));
    expect(parseTime('2018-07-31 20:44:28+02')).toBe(Date.UTC(2018, 6, 31, 18, 44, 28));
    expect(parseTime('2018-07-31')).toBe(Date.UTC(2018, 6, 31));
    expect(parseTime('not a time')).toBeUndefined();
  });

  it('groups top values and bins of many columns into few grouping-sets queries', () => {
    const cols = Array.from({ length: 30 }, (_, i) => summary({ name: `c${i}` }));
    const groups = planValueSets(cols, duckSql, { topValues: 5, bins: 10, distinct: 'exact' }, 24);
    expect(groups.flat()).toHaveLength(60);
    expect(groups.map((g) => g.length)).toEqual([24, 24, 12]);
    const sql = valuesQuery(
      't',
      cols.map((c) => ({ name: c.name, type: c.type })),
      groups[0]!,
      duckSql,
    );
    expect(sql).toContain('group by grouping sets');
    expect(sql.match(/\bfrom t\b/g)).toHaveLength(1);
    // Top values by a per-column top-n, not a window over every group.
    expect(sql).not.toContain(' over (');
    expect(sql.match(/order by n desc, v\d+\n\s*limit 5/g)).toHaveLength(12);
  });
});

describe('profiling a relation on DuckDB', () => {
  let adapter: Adapter;
  let sql: ProfileSql;
  const relation = 'memory.main.people';

  beforeAll(async () => {
    const dir = writeProject({
      'project.yml': 'name: p\nprofile: p\n',
      'profiles.yml': 'p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ":memory:"\n      threads: 1\n',
    });
    const session = await openProject({ projectDir: dir });
    sql = profileSqlFor(session);
    adapter = await connect(session);
    await adapter.withConnection(async (c) => {
      await c.execute(`create table ${relation} as
        select
          range as id,
          case when range % 7 = 0 then null else (range % 5) * 1.5 end as amount,
          case when range % 4 = 0 then '' when range % 9 = 0 then null else 'name' || (range % 3) end as name,
          timestamp '2018-01-01' + to_days(cast(range % 50 as integer)) as seen_at,
          date '2018-01-01' + cast(range % 10 as integer) as day,
          range % 2 = 0 as even,
          case when range < 3 then [1, 2] end as tags
        from range(1000)`);
    });
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it('counts rows, nulls and distinct values exactly as independent queries do', async () => {
    const p = await adapter.withConnection((c) => profileRelation(c, relation, sql));
    expect(p.rows).toBe(1000);
    for (const col of p.columns) {
      const [nulls, distinct] = await adapter.withConnection(async (c) => {
        const r = await c.execute(`select count(*) filter (where "${col.name}" is null), count(distinct "${col.name}") from ${relation}`);
        return r.rows[0]!.map(Number);
      });
      expect(col.nulls, col.name).toBe(nulls);
      expect(col.nullShare, col.name).toBeCloseTo(nulls! / 1000, 10);
      if (col.kind !== 'other') expect(col.distinct, col.name).toBe(distinct);
    }
    const byName = Object.fromEntries(p.columns.map((c) => [c.name, c]));
    expect(byName.amount).toMatchObject({ kind: 'number', min: 0, max: 6 });
    expect(byName.name!.blanks).toBe(250);
    expect(byName.tags).toMatchObject({ kind: 'other', nulls: 997, top: [], histogram: null });
    expect(byName.day).toMatchObject({ kind: 'date', min: '2018-01-01', max: '2018-01-10', span: 9 });
  });

  it('ranks the most frequent values with stable ties and no NULL', async () => {
    const p = await adapter.withConnection((c) => profileRelation(c, relation, sql, { topValues: 3, bins: 10, distinct: 'exact' }));
    const name = p.columns.find((c) => c.name === 'name')!;
    const expected = await adapter.withConnection((c) =>
      c.execute(`select name, count(*) as n from ${relation} where name is not null group by name order by n desc, name limit 3`),
    );
    expect(name.top).toEqual(expected.rows.map((r) => ({ value: r[0], count: Number(r[1]) })));
    const even = p.columns.find((c) => c.name === 'even')!;
    expect(even.top).toEqual([
      { value: false, count: 500 },
      { value: true, count: 500 },
    ]);
  });

  it('bins every non-null value of numeric and time columns exactly once', async () => {
    const p = await adapter.withConnection((c) => profileRelation(c, relation, sql, { topValues: 5, bins: 10, distinct: 'exact' }));
    for (const name of ['id', 'amount', 'seen_at', 'day']) {
      const col = p.columns.find((c) => c.name === name)!;
      expect(col.histogram, name).not.toBeNull();
      expect(
        col.histogram!.reduce((a, b) => a + b.count, 0),
        name,
      ).toBe(1000 - col.nulls);
    }
    const day = p.columns.find((c) => c.name === 'day')!;
    // Ten days, ten bins of one day each, a hundred rows in each.
    expect(day.histogram!.map((b) => b.count)).toEqual(Array(10).fill(100));
    expect(day.histogram![0]).toMatchObject({ start: '2018-01-01', end: '2018-01-02' });
    const id = p.columns.find((c) => c.name === 'id')!;
    expect(id.histogram!.map((b) => b.count)).toEqual(Array(10).fill(100));
  });

  it('bins time and number columns into contiguous bins that end at the maximum', async () => {
    await adapter.withConnection((c) =>
      c.execute(`create table memory.main.odd as
        select
          timestamp '2018-01-01 00:00:00.5' + to_microseconds(range * 1234567) as "seen at",
          cast(range / 7.0 as decimal(12, 3)) as "it's ""dec""",
          range * 3 as n,
          cast(null as integer) as nothing,
          range % 3 = 0 as flag,
          time '10:00:00' + to_seconds(range % 4) as t
        from range(100)`),
    );
    const p = await adapter.withConnection((c) => profileRelation(c, 'memory.main.odd', sql, { topValues: 3, bins: 20, distinct: 'exact' }));
    const col = (name: string) => p.columns.find((c) => c.name === name)!;
    const checks: [string, string, (v: unknown) => number][] = [
      ['seen at', 'epoch_ms("seen at")', (v) => parseTime(String(v))!],
      [`it's "dec"`, `cast("it's ""dec""" as double)`, Number],
      ['n', 'cast(n as double)', Number],
    ];
    for (const [name, expr, toNumber] of checks) {
      const c = col(name);
      const h = c.histogram!;
      // Contiguous, starting at or before the minimum, the last bin ending at the maximum.
      expect(toNumber(h[0]!.start), name).toBeLessThanOrEqual(toNumber(c.min));
      expect(h.at(-1)!.end, name).toEqual(c.max);
      for (let i = 1; i < h.length; i++) expect(h[i]!.start, name).toEqual(h[i - 1]!.end);
      // Recounted independently from the edges: [start, end), the last bin [start, end].
      const values = await adapter.withConnection((conn) => conn.execute(`select ${expr} from memory.main.odd`));
      const counts = h.map(() => 0);
      for (const [v] of values.rows) {
        const x = Number(v);
        const k = h.findIndex((b, i) => x >= toNumber(b.start) && (x < toNumber(b.end) || (i === h.length - 1 && x <= toNumber(b.end))));
        expect(k, `${name} ${x}`).toBeGreaterThanOrEqual(0);
        counts[k]!++;
      }
      expect(
        h.map((b) => b.count),
        name,
      ).toEqual(counts);
    }
    expect(col('seen at').histogram![0]!.start).toBe('2018-01-01 00:00:00');
    expect(col('n')).toMatchObject({ min: 0, max: 297, distinct: 100 });
    expect(col('nothing')).toMatchObject({ nulls: 100, nullShare: 1, distinct: 0, min: null, max: null, top: [], histogram: null });
    expect(col('flag')).toMatchObject({
      kind: 'boolean',
      min: false,
      max: true,
      distinct: 2,
      top: [
        { value: false, count: 66 },
        { value: true, count: 34 },
      ],
    });
    expect(col('t')).toMatchObject({ kind: 'scalar', min: '10:00:00', max: '10:00:03', distinct: 4, histogram: null });
    expect(col('t').top).toEqual([
      { value: '10:00:00', count: 25 },
      { value: '10:00:01', count: 25 },
      { value: '10:00:02', count: 25 },
    ]);
  });

  it('counts distinct values in the aggregate pass when no top values are asked for', async () => {
    const exact = await adapter.withConnection((c) => profileRelation(c, relation, sql, { topValues: 0, bins: 10, distinct: 'exact' }));
    const withTop = await adapter.withConnection((c) => profileRelation(c, relation, sql));
    expect(exact.columns.map((c) => c.distinct)).toEqual(withTop.columns.map((c) => c.distinct));
    expect(exact.columns.every((c) => c.top.length === 0)).toBe(true);
    const approx = await adapter.withConnection((c) => profileRelation(c, relation, sql, { topValues: 0, bins: 10, distinct: 'approx' }));
    expect(approx.columns.find((c) => c.name === 'even')!.distinct).toBe(2);
  });

  it('profiles an empty relation without a values pass', async () => {
    await adapter.withConnection((c) => c.execute(`create table memory.main.nothing (a integer, b varchar)`));
    const p = await adapter.withConnection((c) => profileRelation(c, 'memory.main.nothing', sql));
    expect(p.rows).toBe(0);
    expect(p.queries).toHaveLength(1);
    expect(p.columns.map((c) => [c.name, c.nulls, c.nullShare, c.top.length])).toEqual([
      ['a', 0, 0, 0],
      ['b', 0, 0, 0],
    ]);
  });
});
