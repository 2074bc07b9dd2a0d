/**
 * Writes a synthetic project for benchmarks: N models in layers that ref the layer above,
 * a seed, macros called from every model, and (for a Dataform comparison) the same graph
 * as Dataform .sqlx files.
 *
 *   tsx bench/generate-project.ts --models 1000 --out /tmp/p1000 [--dataform /tmp/df1000]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ProjectShape {
  models: number;
  /** Models per layer; each model refs up to `fanIn` models of the layer before. */
  width: number;
  fanIn: number;
}

export function shapeFor(models: number): ProjectShape {
  return { models, width: Math.max(3, Math.round(Math.sqrt(models))), fanIn: 2 };
}

function layerOf(i: number, width: number): number {
  return Math.floor(i / width);
}

function parentsOf(i: number, shape: ProjectShape): number[] {
  const layer = layerOf(i, shape.width);
  if (layer === 0) return [];
  const start = (layer - 1) * shape.width;
  const out: number[] = [];
  for (let k = 0; k < shape.fanIn; k++) out.push(start + ((i + k * 7) % shape.width));
  return [...new Set(out)];
}

const name = (i: number) => `m_${String(i).padStart(5, '0')}`;

/** Our project: project.yml, a seed, macros, models/layer_N/m_XXXXX.sql, and a schema.yml per layer. */
export function writeModelProject(dir: string, shape: ProjectShape): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'macros'), { recursive: true });
  mkdirSync(path.join(dir, 'seeds'), { recursive: true });
  writeFileSync(path.join(dir, 'project.yml'), `name: bench\nvars:\n  factor: 3\nmodels:\n  bench:\n    +materialized: view\n`);
  writeFileSync(path.join(dir, 'seeds', 'base.csv'), 'id,amount,label\n1,10,a\n2,20,b\n3,30,c\n');
  writeFileSync(
    path.join(dir, 'macros', 'helpers.sql'),
    [
      "{% macro scaled(col) %}({{ col }} * {{ var('factor') }}){% endmacro %}",
      "{% macro label_of(col) %}case when {{ col }} > 10 then 'big' else 'small' end{% endmacro %}",
    ].join('\n'),
  );
  const layers = new Map<number, string[]>();
  for (let i = 0; i < shape.models; i++) {
    const layer = layerOf(i, shape.width);
    const folder = path.join(dir, 'models', `layer_${layer}`);
    mkdirSync(folder, { recursive: true });
    const parents = parentsOf(i, shape);
    const from = parents.length
      ? parents.map((p, k) => (k === 0 ? `from {{ ref('${name(p)}') }} as p0` : `join {{ ref('${name(p)}') }} as p${k} using (id)`)).join('\n')
      : "from {{ ref('base') }} as p0";
    const sql = [
      `{{ config(tags=['layer_${layer}']) }}`,
      'select',
      '    p0.id,',
      `    {{ scaled('p0.amount') }} as amount,`,
      `    {{ label_of('p0.amount') }} as label`,
      from,
      // Some models carry Jinja logic, most are plain refs and macro calls, as in real projects.
      i % 10 === 0 ? '{% if var("factor") > 100 %}where p0.id > 0{% endif %}' : '',
    ].join('\n');
    writeFileSync(path.join(folder, `${name(i)}.sql`), `${sql}\n`);
    layers.set(layer, [...(layers.get(layer) ?? []), name(i)]);
  }
  for (const [layer, names] of layers) {
    const yml = [
      'version: 2',
      'models:',
      ...names.flatMap((n) => [
        `  - name: ${n}`,
        `    description: Model ${n} of layer ${layer}`,
        '    columns:',
        '      - name: id',
        '        description: The key',
      ]),
    ];
    writeFileSync(path.join(dir, 'models', `layer_${layer}`, 'schema.yml'), `${yml.join('\n')}\n`);
  }
}

/** The same graph for Dataform: workflow_settings.yaml, definitions/*.sqlx, includes/helpers.js. */
export function writeDataformProject(dir: string, shape: ProjectShape): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'definitions'), { recursive: true });
  mkdirSync(path.join(dir, 'includes'), { recursive: true });
  writeFileSync(
    path.join(dir, 'workflow_settings.yaml'),
    'defaultProject: bench\ndefaultLocation: US\ndefaultDataset: bench\ndefaultAssertionDataset: bench_assertions\ndataformCoreVersion: 3.0.0\nvars:\n  factor: "3"\n',
  );
  writeFileSync(
    path.join(dir, 'includes', 'helpers.js'),
    "function scaled(col) { return `(${col} * ${dataform.projectConfig.vars.factor})`; }\nfunction label_of(col) { return `case when ${col} > 10 then 'big' else 'small' end`; }\nmodule.exports = { scaled, label_of };\n",
  );
  writeFileSync(path.join(dir, 'definitions', 'base.sqlx'), 'config { type: "table" }\nselect 1 as id, 10 as amount\n');
  for (let i = 0; i < shape.models; i++) {
    const parents = parentsOf(i, shape);
    const from = parents.length
      ? parents.map((p, k) => (k === 0 ? `from \${ref("${name(p)}")} as p0` : `join \${ref("${name(p)}")} as p${k} using (id)`)).join('\n')
      : 'from ${ref("base")} as p0';
    const sql = [
      `config { type: "view", tags: ["layer_${layerOf(i, shape.width)}"], description: "Model ${name(i)}" }`,
      'select',
      '    p0.id,',
      "    ${helpers.scaled('p0.amount')} as amount,",
      "    ${helpers.label_of('p0.amount')} as label",
      from,
    ].join('\n');
    writeFileSync(path.join(dir, 'definitions', `${name(i)}.sqlx`), `${sql}\n`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const arg = (flag: string) => {
    const i = process.argv.indexOf(flag);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const models = Number(arg('--models') ?? '100');
  const out = arg('--out');
  if (!out || !Number.isInteger(models) || models < 1) {
    process.stderr.write('usage: tsx bench/generate-project.ts --models N --out DIR [--dataform DIR]\n');
    process.exit(2);
  }
  writeModelProject(out, shapeFor(models));
  const df = arg('--dataform');
  if (df) writeDataformProject(df, shapeFor(models));
  process.stdout.write(`wrote ${models} models to ${out}${df ? ` and ${df}` : ''}\n`);
}
