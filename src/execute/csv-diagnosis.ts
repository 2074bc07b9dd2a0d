import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Where a CSV data file stops being rectangular: DuckDB's sniffer then sees one column. */
export interface RaggedRow {
  /** 1-based line on which the row starts */
  line: number;
  values: number;
  columns: number;
}

/** The delimiter the header line uses most, of the usual ones. */
function delimiterOf(header: string): string {
  let best = ',';
  let most = -1;
  for (const d of [',', ';', '\t', '|']) {
    const n = header.split(d).length;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

/**
 * The first row whose number of values differs from the header's, reading the file as a stream
 * (quoted values may hold delimiters and newlines). Undefined when every row fits.
 */
export async function findRaggedRow(file: string): Promise<RaggedRow | undefined> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let delimiter = ',';
  let columns = -1;
  let lineNo = 0;
  let rowStart = 0;
  let values = 1;
  let quoted = false;
  try {
    for await (const text of lines) {
      lineNo++;
      if (!quoted) {
        if (text === '' && columns >= 0) continue;
        rowStart = lineNo;
        values = 1;
        if (columns < 0) delimiter = delimiterOf(text.replace(/^\uFEFF/, ''));
      }
      for (const ch of text) {
        if (ch === '"') quoted = !quoted;
        else if (ch === delimiter && !quoted) values++;
      }
      if (quoted) continue;
      if (columns < 0) columns = values;
      else if (values !== columns) return { line: rowStart, values, columns };
    }
  } finally {
    lines.close();
  }
  return undefined;
}
