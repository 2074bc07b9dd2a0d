import jsYaml from 'js-yaml';
import { ProjectError } from '../core/errors.js';
import { isPlainObject } from '../core/util.js';

/** Parses `--vars '<YAML or JSON>'` into a mapping, or says clearly why it is not one. */
export function parseCliVars(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
  } catch (e) {
    throw new ProjectError('vars', `--vars is not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`, {
      hint: `example: --vars '{countries: [Peru, Latvia], recency_reference_date: "2018-08-01"}'`,
    });
  }
  if (!isPlainObject(value)) {
    throw new ProjectError('vars', `--vars must be a mapping of names to values, got ${JSON.stringify(value)}`, {
      hint: `example: --vars '{vouchers_path: data/file.parquet}'`,
    });
  }
  return value;
}
