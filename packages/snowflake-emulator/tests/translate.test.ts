import { describe, expect, it } from 'vitest';
import { encodeName } from '../src/strict.js';
import { arrayInsertAsSelect, translate, TranslationError, type Translation } from '../src/translate.js';

function one(sql: string): Translation {
  const result = translate(sql);
  expect(result).toHaveLength(1);
  return result[0]!;
}
const duck = (sql: string): string => {
  const { duckdb } = one(sql);
  expect(duckdb).toHaveLength(1);
  return duckdb[0]!;
};

describe('translate: DDL', () => {
  it('drops TRANSIENT and COPY GRANTS from CREATE TABLE', () => {
    expect(duck('create or replace transient table analytics.public.foo copy grants as (select 1 as a)')).toBe(
      'CREATE OR REPLACE  TABLE ANALYTICS.PUBLIC.FOO   AS (SELECT 1 AS A)',
    );
    expect(duck('CREATE TRANSIENT TABLE IF NOT EXISTS foo (a int)')).toBe('CREATE  TABLE IF NOT EXISTS FOO (A BIGINT)');
    expect(one('create table foo (a int)')).toMatchObject({
      status: 'Table FOO successfully created.',
      createTarget: { kind: 'TABLE', parts: 1 },
    });
  });

  it('maps Snowflake column types in column lists and casts', () => {
    expect(
      duck(
        'create table t (id NUMBER(38,0) not null, amt number, f FLOAT, g float8, h double precision, ' +
          'ts TIMESTAMP_NTZ(9), l timestamp_ltz, z TIMESTAMP_TZ, v VARIANT, o object, s STRING, "Mixed" text, b binary(16))',
      ),
    ).toBe(
      'CREATE TABLE T (ID DECIMAL(38,0) NOT NULL, AMT DECIMAL(38,0), F DOUBLE, G DOUBLE, H DOUBLE PRECISION, ' +
        `TS TIMESTAMP, L TIMESTAMPTZ, Z TIMESTAMPTZ, V JSON, O JSON, S VARCHAR, "${encodeName('Mixed')}" VARCHAR, B BLOB)`,
    );
    expect(duck('select x::number(10,2), cast(y as timestamp_ltz), try_cast(z as float) from t')).toBe(
      'SELECT X::DECIMAL(10,2), CAST(Y AS TIMESTAMPTZ), TRY_CAST(SF_TRY_CAST_INPUT(Z) AS DOUBLE) FROM T',
    );
    expect(duck('alter table t add column n number(5,1)')).toBe('ALTER TABLE T ADD COLUMN N DECIMAL(5,1)');
  });

  it('leaves type-like words alone outside type positions', () => {
    expect(duck('select number, text, float from t as variant')).toBe('SELECT NUMBER, TEXT, FLOAT FROM T AS VARIANT');
  });

  it('turns SWAP WITH into three renames in one transaction', () => {
    const t = one('alter table analytics.public.foo swap with foo__new');
    expect(t.atomic).toBe(true);
    expect(t.duckdb).toEqual([
      'ALTER TABLE "ANALYTICS"."PUBLIC"."FOO" RENAME TO "FOO__EMULATOR_SWAP"',
      'ALTER TABLE "ANALYTICS"."PUBLIC"."FOO__NEW" RENAME TO "FOO"',
      'ALTER TABLE "ANALYTICS"."PUBLIC"."FOO__EMULATOR_SWAP" RENAME TO "FOO__NEW"',
    ]);
  });

  // docs.snowflake.com/en/sql-reference/sql/insert: OVERWRITE truncates the target, then inserts, as one statement.
  it('turns INSERT OVERWRITE into a delete and the insert, run together', () => {
    const t = one('insert overwrite into a.b.t (id) select id from a.b.s');
    expect(t.atomic).toBe(true);
    expect(t.duckdb).toEqual(['DELETE FROM "A"."B"."T"', 'INSERT  INTO A.B.T (ID) SELECT ID FROM A.B.S']);
    expect(() => one('insert overwrite a.b.t select 1')).toThrow(/expected INTO/);
  });

  it('drops the qualification of RENAME TO targets', () => {
    expect(duck('alter table a.b.foo rename to a.b.bar')).toBe('ALTER TABLE "A"."B"."FOO" RENAME TO "BAR"');
  });

  it('creates databases as attached in-memory catalogs with a PUBLIC schema', () => {
    expect(one('create database if not exists raw')).toMatchObject({
      duckdb: [`ATTACH IF NOT EXISTS ':memory:' AS "RAW"`, 'CREATE SCHEMA IF NOT EXISTS "RAW"."PUBLIC"'],
      createsContext: { database: 'RAW', schema: 'PUBLIC' },
    });
    expect(one('create or replace database raw').duckdb[0]).toBe('DETACH DATABASE IF EXISTS "RAW"');
    expect(one('drop database if exists raw').duckdb).toEqual(['DETACH DATABASE IF EXISTS "RAW"']);
  });

  it('makes a created schema current', () => {
    expect(one('create schema if not exists analytics.staging')).toMatchObject({
      duckdb: ['CREATE SCHEMA IF NOT EXISTS ANALYTICS.STAGING'],
      createsContext: { database: 'ANALYTICS', schema: 'STAGING' },
    });
  });
});

describe('translate: session statements', () => {
  it('treats ALTER SESSION and USE WAREHOUSE/ROLE as session-only', () => {
    expect(one("alter session set timezone = 'UTC', query_tag = 'x' JS_TREAT_INTEGER_AS_BIGINT = true")).toMatchObject({
      duckdb: [],
      setParameters: { TIMEZONE: 'UTC', QUERY_TAG: 'x', JS_TREAT_INTEGER_AS_BIGINT: 'true' },
    });
    expect(one('alter session unset query_tag').unsetParameters).toEqual(['QUERY_TAG']);
    expect(one('use warehouse compute_wh')).toMatchObject({ duckdb: [], use: { warehouse: 'COMPUTE_WH' } });
    expect(one('use role transformer')).toMatchObject({ duckdb: [], use: { role: 'TRANSFORMER' } });
  });

  it('resolves USE DATABASE / SCHEMA targets', () => {
    expect(one('use database analytics').use).toEqual({ database: 'ANALYTICS' });
    expect(one('use schema staging').use).toEqual({ schema: 'STAGING' });
    expect(one('use schema analytics.staging').use).toEqual({ database: 'ANALYTICS', schema: 'STAGING' });
    expect(one('use "Mixed"."sch"').use).toEqual({ database: 'Mixed', schema: 'sch' });
  });
});

describe('translate: expressions', () => {
  it('rewrites :N markers and keeps ?', () => {
    expect(duck('select * from t where a = :1 and b = :2')).toBe('SELECT * FROM T WHERE A = $1 AND B = $2');
    expect(duck('insert into t values (?, ?)')).toBe('INSERT INTO T VALUES (?, ?)');
    expect(duck('select a::int from t')).toBe('SELECT A::BIGINT FROM T');
  });

  it('DATEADD reads a text literal as a TIMESTAMP_NTZ, as Snowflake coerces it (dbt-utils date_spine)', () => {
    expect(duck("select dateadd(day, row_number() over (order by n) - 1, '2018-01-01') from t")).toBe(
      "SELECT SF_DATEADD_DATE_PART('day', ROW_NUMBER() OVER (ORDER BY N) - 1, CAST('2018-01-01' AS TIMESTAMP)) FROM T",
    );
  });

  it('quotes bare date parts; DATEADD and DATE_TRUNC keep a DATE a DATE', () => {
    expect(duck('select datediff(day, a, b), dateadd(month, 1, d), date_trunc(week, d), dateadd(hrs, 1, d) from t')).toBe(
      "SELECT DATEDIFF('day', A, B), SF_DATEADD_DATE_PART('month', 1, D), SF_DATE_TRUNC('week', D), SF_DATEADD_TIME_PART('hour', 1, D) FROM T",
    );
    expect(duck("select datediff('day', a, b)")).toBe("SELECT DATEDIFF('day', A, B)");
  });

  // Snowflake's "Supported date and time parts": DAYOFWEEKISO (1 = Monday … 7 = Sunday), WEEKISO, YEAROFWEEKISO.
  it("names Snowflake's ISO date parts as DuckDB does", () => {
    expect(duck("select date_part('dayofweekiso', d), date_part(weekiso, d), date_part(yearofweekiso, d) from t")).toBe(
      "SELECT DATE_PART('isodow', D), DATE_PART('week', D), DATE_PART('isoyear', D) FROM T",
    );
  });

  it('drops the parentheses of niladic date functions', () => {
    expect(duck('select current_timestamp(), current_date()')).toBe('SELECT CURRENT_TIMESTAMP, CURRENT_DATE');
  });

  it('scopes information_schema to its database', () => {
    expect(duck("select table_name from analytics.information_schema.tables where table_schema = 'PUBLIC'")).toBe(
      "SELECT TABLE_NAME FROM SF_INFORMATION_SCHEMA_TABLES('ANALYTICS') AS TABLES WHERE TABLE_SCHEMA = 'PUBLIC'",
    );
    expect(duck('select * from information_schema.columns c')).toBe('SELECT * FROM SF_INFORMATION_SCHEMA_COLUMNS(current_database()) C');
    expect(duck('select * from "raw".information_schema.schemata')).toBe(`SELECT * FROM SF_INFORMATION_SCHEMA_SCHEMATA('${encodeName('raw')}') AS SCHEMATA`);
  });
});

describe('translate: literals and comments are never rewritten', () => {
  it('keeps keywords inside strings, quoted identifiers and comments', () => {
    const sql =
      'select \'create or replace transient table x; alter table a swap with b :1 ? datediff(day, a, b)\' as "number" ' +
      '-- alter session set x = 1; number(3)\n' +
      "from t /* timestamp_ntz ; */ where s = 'use warehouse w'";
    const result = translate(sql);
    expect(result).toHaveLength(1);
    expect(result[0]!.duckdb[0]).toBe(
      `SELECT 'create or replace transient table x; alter table a swap with b :1 ? datediff(day, a, b)' AS "${encodeName('number')}" ` +
        '-- alter session set x = 1; number(3)\n' +
        "FROM T /* timestamp_ntz ; */ WHERE S = 'use warehouse w'",
    );
    expect(result[0]!.quotedNames).toEqual(['number']);
  });

  it('re-encodes Snowflake escapes and $$ strings as standard literals', () => {
    expect(duck("select 'it\\'s', 'a''b', 'tab\\there', $$dollar 'quoted'$$")).toBe("SELECT 'it''s', 'a''b', 'tab\there', 'dollar ''quoted'''");
  });

  it('turns // comments into -- comments (// is integer division in DuckDB)', () => {
    expect(duck('select 1 // one\n')).toBe('SELECT 1 -- one');
  });
});

describe('translate: statements', () => {
  it('splits on top-level semicolons only', () => {
    const result = translate("select ';'; select 2;;");
    expect(result.map((t) => t.duckdb[0])).toEqual(["SELECT ';'", 'SELECT 2']);
  });

  it('answers SHOW from the catalog with lower-case column names', () => {
    const t = one("show tables like 'FOO%' in schema analytics.public");
    expect(t.duckdb[0]).toContain("database_name = 'ANALYTICS' AND schema_name = 'PUBLIC'");
    expect(t.duckdb[0]).toContain("replace(name, chr(57344), '') ILIKE 'FOO%'");
    expect(t.quotedNames).toContain('name');
  });

  it('rejects unterminated literals and unsupported commands with Snowflake codes', () => {
    expect(() => translate("select 'oops")).toThrow(TranslationError);
    try {
      translate("select 'oops");
    } catch (error) {
      expect((error as TranslationError).code).toBe('001003');
    }
    expect(() => translate('get @stage file:///tmp/')).toThrow(/Unsupported/);
    // Staging commands are handed to stages.ts / copy-into.ts whole.
    expect(translate('put file:///tmp/x @stage')[0]!.stageCommand).toBe('put');
    expect(translate('create temporary stage s')[0]!.stageCommand).toBe('ddl');
  });
});

describe('arrayInsertAsSelect', () => {
  it('reads an array-bound INSERT … VALUES tuple from the staging table', () => {
    expect(arrayInsertAsSelect('insert into db.s.t (a, b) values (?, cast(? as int))', 2)).toBe(
      'insert into db.s.t (a, b) SELECT "B1", cast("B2" as int) FROM TEMP.MAIN."__EMULATOR_ARRAY_BINDS"',
    );
    expect(arrayInsertAsSelect('insert into t values (:2, :1)', 2)).toBe('insert into t SELECT "B2", "B1" FROM TEMP.MAIN."__EMULATOR_ARRAY_BINDS"');
  });

  it('leaves other statements alone', () => {
    expect(arrayInsertAsSelect('update t set a = ?', 1)).toBeUndefined();
    expect(arrayInsertAsSelect('insert into t select ? from u', 1)).toBeUndefined();
    expect(arrayInsertAsSelect("insert into t values (?, '?')", 2)).toBeUndefined();
  });
});

describe('translate: strict checks', () => {
  const code = (sql: string): string | undefined => {
    try {
      translate(sql);
      return undefined;
    } catch (error) {
      return (error as TranslationError).code;
    }
  };

  it('takes names followed by parentheses that are not function calls', () => {
    for (const sql of [
      'with c (a) as (select 1) select * from c',
      'with b as (select 1), c (a) as (select 2) select * from c',
      'select * from (values (1, 2)) v(a, b)',
      'select * from (values (1)) as v (a)',
      'insert into t (a, b) values (1, 2)',
      'insert into db.s.t(a) select 1',
      'create table if not exists t (a int, b varchar(3))',
      'create view v (a) as select 1',
      'select * from t, lateral flatten(input => t.v) f',
      'select * from table(generator(rowcount => 3))',
      'select my_db.s.my_udf(1)',
      'select count(*) from t where a in (1, 2) and exists (select 1)',
      'merge into t using s on t.a = s.a when not matched then insert (a) values (s.a)',
      "select listagg(a, ',') within group (order by a) from t",
      'select * exclude (a) from t',
    ]) {
      expect(code(sql), sql).toBeUndefined();
    }
  });

  it('refuses calls of functions Snowflake lacks and DuckDB-only syntax', () => {
    expect(code('select list_value(1)')).toBe('002140');
    expect(code('select a, struct_pack(x := 1) from t')).toBe('002140');
    expect(code("select * from read_csv('x.csv')")).toBe('002140');
    expect(code('select x from t where columns(*) > 1')).toBe('002140');
    expect(code('select iff(a := 1, 2, 3)')).toBe('001003');
    expect(code('select * from a anti join b using (x)')).toBe('001003');
    expect(code('insert or replace into t values (1)')).toBe('001003');
    expect(code('create macro m(a) as a')).toBe('001003');
  });

  it('wraps divisions whole-term, left to right', () => {
    expect(duck('select a * b / c / 2, abs(x) / (y + 1), -d / e::number(10,2), sum(v) over (partition by k) / 2 from t')).toBe(
      'SELECT SF_DIV(SF_DIV(A * B , C) , 2), SF_DIV(ABS(X) , (Y + 1)), -SF_DIV(D , E::DECIMAL(10,2)), SF_DIV(SUM(V) OVER (PARTITION BY K) , 2) FROM T',
    );
  });

  it('checks MERGE duplicates only for the rows a WHEN MATCHED clause acts on', () => {
    const t = one('merge into t using s on t.a = s.a when matched and s.op = 1 then delete when not matched then insert (a) values (s.a)');
    expect(t.mergeCheck).toContain('WHERE (S.OP = 1) GROUP BY T.ROWID HAVING COUNT(*) > 1');
    expect(one('merge into t using s on t.a = s.a when not matched then insert (a) values (s.a)').mergeCheck).toBeUndefined();
  });

  it('checks the length of casts to VARCHAR(n)', () => {
    expect(duck('select cast(a as varchar(3)), b::varchar(2), try_cast(c as char(1)) from t')).toBe(
      'SELECT SF_CAST_VARCHAR(CAST(A AS VARCHAR), 3), SF_CAST_VARCHAR(B::VARCHAR, 2), SF_TRY_CAST_VARCHAR(TRY_CAST(SF_TRY_CAST_INPUT(C) AS VARCHAR), 1) FROM T',
    );
  });
});
