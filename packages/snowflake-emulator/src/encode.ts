// Encodes DuckDB results the way Snowflake's JSON result format does: every
// value a string (or null), with a rowtype entry per column that tells the
// client how to decode it.

import {
  type DuckDBBlobValue,
  type DuckDBDateValue,
  DuckDBDecimalType,
  type DuckDBTimestampMillisecondsValue,
  type DuckDBTimestampNanosecondsValue,
  type DuckDBTimestampSecondsValue,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  type DuckDBTimeValue,
  DuckDBTypeId,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { decodeName, NAME_MARK } from './strict.js';

export interface RowType {
  name: string;
  database: string;
  schema: string;
  table: string;
  type: string;
  precision: number | null;
  scale: number | null;
  length: number | null;
  byteLength: number | null;
  nullable: boolean;
  collation: null;
}

export type RowSet = (string | null)[][];

const MAX_TEXT = 16_777_216;
const MAX_BINARY = 8_388_608;

function rowType(name: string, type: string, extra: Partial<RowType> = {}): RowType {
  return {
    name,
    database: '',
    schema: '',
    table: '',
    type,
    precision: null,
    scale: null,
    length: null,
    byteLength: null,
    nullable: true,
    collation: null,
    ...extra,
  };
}

export const fixedColumn = (name: string): RowType => rowType(name, 'fixed', { precision: 38, scale: 0 });
export const textColumn = (name: string): RowType => rowType(name, 'text', { length: MAX_TEXT, byteLength: MAX_TEXT });

/**
 * Exact signed decimal "<seconds>.<9-digit fraction>" from a count of
 * `unitsPerSecond` since the epoch; the client parses it as one number, so
 * 1969-12-31 23:59:59.5 is "-0.500000000".
 */
function epochText(units: bigint, unitsPerSecond: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const nanos = ((abs % unitsPerSecond) * 1_000_000_000n) / unitsPerSecond;
  return `${negative ? '-' : ''}${abs / unitsPerSecond}.${nanos.toString().padStart(9, '0')}`;
}

const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.BIGNUM,
]);

const NESTED_TYPES = new Set<DuckDBTypeId>([DuckDBTypeId.LIST, DuckDBTypeId.STRUCT, DuckDBTypeId.MAP, DuckDBTypeId.ARRAY, DuckDBTypeId.UNION]);

type Encoder = (value: DuckDBValue, json: () => unknown) => string;

/** The Snowflake column type for a DuckDB type, and how to encode its values. */
function columnCodec(name: string, type: DuckDBType): { rowtype: RowType; encode: Encoder } {
  const id = type.typeId;
  if (id === DuckDBTypeId.BOOLEAN) {
    return { rowtype: rowType(name, 'boolean'), encode: (v) => (v ? '1' : '0') };
  }
  if (INTEGER_TYPES.has(id)) return { rowtype: fixedColumn(name), encode: (v) => String(v) };
  if (type instanceof DuckDBDecimalType) {
    return {
      rowtype: rowType(name, 'fixed', { precision: type.width, scale: type.scale }),
      encode: (v) => String(v),
    };
  }
  if (id === DuckDBTypeId.FLOAT || id === DuckDBTypeId.DOUBLE) {
    return { rowtype: rowType(name, 'real'), encode: (v) => String(v) };
  }
  if (id === DuckDBTypeId.DATE) {
    return {
      rowtype: rowType(name, 'date'),
      encode: (v) => String((v as DuckDBDateValue).days),
    };
  }
  const timestamp = (snowflakeType: string, toText: (v: DuckDBValue) => string) => ({
    rowtype: rowType(name, snowflakeType, { precision: 0, scale: 9 }),
    encode: toText,
  });
  switch (id) {
    case DuckDBTypeId.TIMESTAMP:
      return timestamp('timestamp_ntz', (v) => epochText((v as DuckDBTimestampValue).micros, 1_000_000n));
    case DuckDBTypeId.TIMESTAMP_S:
      return timestamp('timestamp_ntz', (v) => epochText((v as DuckDBTimestampSecondsValue).seconds, 1n));
    case DuckDBTypeId.TIMESTAMP_MS:
      return timestamp('timestamp_ntz', (v) => epochText((v as DuckDBTimestampMillisecondsValue).millis, 1000n));
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestamp('timestamp_ntz', (v) => epochText((v as DuckDBTimestampNanosecondsValue).nanos, 1_000_000_000n));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return timestamp('timestamp_ltz', (v) => epochText((v as DuckDBTimestampTZValue).micros, 1_000_000n));
    case DuckDBTypeId.TIME:
      return timestamp('time', (v) => epochText((v as DuckDBTimeValue).micros, 1_000_000n));
    case DuckDBTypeId.BLOB:
      return {
        rowtype: rowType(name, 'binary', { length: MAX_BINARY, byteLength: MAX_BINARY }),
        encode: (v) =>
          Buffer.from((v as DuckDBBlobValue).bytes)
            .toString('hex')
            .toUpperCase(),
      };
  }
  if (id === DuckDBTypeId.VARCHAR && type.alias?.toUpperCase() === 'JSON') {
    return { rowtype: rowType(name, 'variant'), encode: (v) => String(v) };
  }
  if (NESTED_TYPES.has(id)) {
    return { rowtype: rowType(name, 'variant'), encode: (_v, json) => JSON.stringify(json()) };
  }
  // VARCHAR, UUID, INTERVAL, ENUM, ...: their text form (names read from the catalog decoded).
  return { rowtype: textColumn(name), encode: (v) => decodeName(String(v)) };
}

const PLAIN_LOWER_IDENTIFIER = /^[a-z_][a-z0-9_$]*$/;

/**
 * Snowflake reports unquoted identifiers upper-cased. A DuckDB column name that
 * is a plain lower-case identifier is upper-cased unless the query wrote it in
 * double quotes.
 */
export function snowflakeColumnName(name: string, quotedNames: ReadonlySet<string>): string {
  // A name stored with case marks was quoted: it keeps its case (see strict.ts).
  if (name.includes(NAME_MARK)) return decodeName(name);
  return PLAIN_LOWER_IDENTIFIER.test(name) && !quotedNames.has(name) ? name.toUpperCase() : name;
}

export function encodeResult(reader: DuckDBResultReader, quotedNames: ReadonlySet<string>): { rowtype: RowType[]; rowset: RowSet } {
  const names = reader.columnNames();
  const codecs = reader.columnTypes().map((type, i) => columnCodec(snowflakeColumnName(names[i]!, quotedNames), type));
  const rows = reader.getRows();
  let jsonRows: unknown[][] | undefined;
  const rowset = rows.map((row, r) =>
    row.map((value, c) => {
      if (value === null) return null;
      return codecs[c]!.encode(value, () => {
        jsonRows ??= reader.getRowsJson();
        return jsonRows[r]?.[c];
      });
    }),
  );
  return { rowtype: codecs.map((c) => c.rowtype), rowset };
}
