import { ProjectError } from '../core/errors.js';

export interface CsvTable {
  header: string[];
  /** Each row with the 1-based line it starts on. */
  rows: { line: number; values: string[]; quoted: boolean[] }[];
}

/**
 * RFC 4180 CSV: quoted fields may hold delimiters, quotes ("") and newlines. Rows must all be as
 * wide as the header; a ragged row is an error naming its line.
 */
export function parseCsv(text: string, file: string, delimiter = ','): CsvTable {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: { line: number; values: string[]; quoted: boolean[] }[] = [];
  let values: string[] = [];
  let quotedFlags: boolean[] = [];
  let field = '';
  let quoted = false;
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endField = () => {
    values.push(field);
    quotedFlags.push(quoted);
    field = '';
    quoted = false;
  };
  const endRecord = () => {
    endField();
    // A blank line is not a record.
    if (!(values.length === 1 && values[0] === '' && !quotedFlags[0])) records.push({ line: recordLine, values, quoted: quotedFlags });
    values = [];
    quotedFlags = [];
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      inQuotes = true;
      quoted = true;
      i++;
      continue;
    }
    if (ch === delimiter) {
      endField();
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRecord();
      if (ch === '\r' && src[i + 1] === '\n') i++;
      i++;
      line++;
      recordLine = line;
      continue;
    }
    if (ch === '"') {
      throw new ProjectError('seed', 'a quote (") inside an unquoted field; quote the whole field and double the inner quote', {
        location: { file, line },
      });
    }
    field += ch;
    i++;
  }
  if (inQuotes) throw new ProjectError('seed', 'a quoted field is never closed', { location: { file, line: recordLine } });
  if (field !== '' || values.length > 0 || quoted) endRecord();

  const head = records.shift();
  if (!head) throw new ProjectError('seed', 'the file is empty: a seed needs a header row', { location: { file, line: 1 } });
  const header = head.values.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, idx) => {
    if (h === '') throw new ProjectError('seed', `column ${idx + 1} of the header has no name`, { location: { file, line: head.line } });
    if (seen.has(h.toLowerCase())) throw new ProjectError('seed', `column '${h}' appears twice in the header`, { location: { file, line: head.line } });
    seen.add(h.toLowerCase());
  });
  for (const r of records) {
    if (r.values.length !== header.length) {
      throw new ProjectError(
        'seed',
        `row has ${r.values.length} value${r.values.length === 1 ? '' : 's'} but the header has ${header.length} columns (${header.join(', ')})`,
        { location: { file, line: r.line }, hint: 'a value containing a comma must be quoted: "a, b"' },
      );
    }
  }
  return { header, rows: records };
}
