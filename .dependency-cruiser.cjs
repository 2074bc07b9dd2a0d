/**
 * The engine's layer rules, checked by `npm test` (`npm run lint:layers`), and the line between the
 * engine (src/) and the segmentation app (app/): the app uses the engine's public API, src/index.ts,
 * and adds commands to its CLI through src/cli/main.ts; the engine never imports the app.
 *
 * `src/` is a stack of layers. A module may import its own layer and the layers below it,
 * never one above; type-only imports count the same. The order, lowest first, with what each holds
 * (src/README.md says more):
 */
const LAYERS = [
  'core', //        errors, secrets, small utilities
  'warehouse', //   the warehouse contracts: Dialect, Relation, the Adapter interface (no I/O)
  'project', //     project files: discovery, YAML with positions, zod schemas, profiles, vars, CSV
  'templating', //  the one home for Jinja: nunjucks environment, dbt context, fast tier
  'parse', //       one parser per resource type -> Manifest
  'graph', //       the DAG, selection, cycle checks, ready queue
  'compile', //     render nodes to SQL with a live context
  'plan', //        materializations: (node, dialect) -> statements, no I/O
  'adapters', //    DuckDB and Snowflake adapters: the only warehouse I/O
  'execute', //     run plans in graph order; results; artifacts under target/
  'profile', //     data profiles of relations
  'docs', //        the docs site
  'tasks', //       one use case per command, what the CLI and the API call
  'cli', //         the commander program
];

const below = (i) => LAYERS.slice(0, i);
const above = (i) => LAYERS.slice(i + 1);

const layerRules = LAYERS.flatMap((layer, i) =>
  above(i).length === 0
    ? []
    : [
        {
          name: `layer-${layer}`,
          comment: `${layer}/ may import only ${below(i).join(', ') || 'nothing else in src'} (and itself)`,
          severity: 'error',
          from: { path: `^src/${layer}/` },
          to: { path: `^src/(${above(i).join('|')})/` },
        },
      ],
);

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'no import circle between files, in the engine or the app (type-only imports included)',
      severity: 'error',
      from: { path: '^(src|app)/' },
      to: { circular: true },
    },
    {
      name: 'index-is-the-top',
      comment: 'src/index.ts only re-exports: nothing inside src imports it',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'app-uses-the-public-api',
      comment: 'app/ imports from src/ only the public API (src/index.ts) and the CLI extension point (src/cli/main.ts)',
      severity: 'error',
      from: { path: '^app/' },
      to: { path: '^src/', pathNot: '^src/(index|cli/main)\\.ts$' },
    },
    {
      name: 'engine-does-not-import-the-app',
      comment: 'nothing under src/ imports app/: the engine knows nothing of the projects it runs',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^app/' },
    },
    {
      name: 'test-infrastructure-apart',
      comment: 'the Snowflake emulator (packages/) and the engine never import each other: it is a test instrument',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(src|app)/' },
    },
    {
      name: 'no-test-infrastructure-in-products',
      comment: 'the engine and the app never import the Snowflake emulator (only tests do)',
      severity: 'error',
      from: { path: '^(src|app)/' },
      to: { path: '^packages/' },
    },
    {
      name: 'no-stray-top-level-files',
      comment: 'every module of src lives in a layer folder (src/index.ts aside)',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' },
      to: {},
    },
  ],
  options: {
    // swc, not tsc: TypeScript 7 has no JavaScript API; swc keeps `import type` in its syntax tree,
    // so type-only imports are checked like any other.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
