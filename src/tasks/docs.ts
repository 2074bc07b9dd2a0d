import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Adapter, ColumnInfo } from '../warehouse/adapter.js';
import type { RelationName, RelationType } from '../warehouse/dialect.js';
import { compileNode } from '../compile/compile-node.js';
import { ProjectError, ProjectErrors, throwIfAny } from '../core/errors.js';
import type { Workspace } from '../graph/workspace.js';
import { connect, openProject, type CommonOptions, type Session } from './session.js';
import { DEFAULT_SETTINGS, type Scalar } from '../profile/profile-queries.js';
import { profileOn, resolveRelation } from './profile.js';
import { writeManifest } from '../execute/artifacts.js';
import { catalogRelations, writeCatalog, type CatalogEntry, type CatalogRelation } from '../execute/catalog-artifact.js';
import { silentReporter } from '../execute/reporter.js';
import { redact, redactDeep } from '../core/secrets.js';
import { chartColumns, chartSpecOf, orderColumns, type ChartSpec } from '../docs/chart-spec.js';
import { parseDocBlocks } from '../parse/doc-blocks.js';
import { renderSiteHtml } from '../docs/site-html.js';
import {
  buildSiteData,
  funnelCheck,
  runResultsSchema,
  type FunnelCheck,
  type FunnelEnd,
  type RunResultsFile,
  type SiteChart,
  type SiteData,
  type SiteProfile,
} from '../docs/site-data.js';

export interface DocsOptions extends CommonOptions {
  /** Leave the warehouse alone: no column types, profiles or charts. */
  noData?: boolean;
  /** More relations to profile besides the sources (names as `model profile` takes them). */
  profile?: string[];
  /** dbt's `--no-compile`: no compiled SQL on the page, and no manifest.json written. */
  noCompile?: boolean;
}

export interface DocsResult {
  session: Session;
  /** Absolute path of the written index.html. */
  file: string;
  data: SiteData;
}

const CHART_ROW_LIMIT = 1000;
const NOT_BUILT = 'not built yet: run `model build` first';

/** The folder the site is written to: `<target-path>/docs`. */
export function docsDir(session: Session): string {
  return path.join(session.project.targetDir, 'docs');
}

/** `model docs generate`: writes one self-contained `target/docs/index.html`. */
export async function generateDocs(opts: DocsOptions = {}): Promise<DocsResult> {
  const reporter = opts.reporter ?? silentReporter;
  const session = await openProject(opts);
  const { manifest, project } = session;

  const { blocks, errors } = parseDocBlocks(project.docFiles);
  const specs = new Map<string, ChartSpec>();
  const knowsRelation = (name: string): string | undefined => {
    try {
      resolveRelation(session, name);
      return undefined;
    } catch (e) {
      if (e instanceof ProjectError) return e.hint ? `${e.message} (${e.hint})` : e.message;
      throw e;
    }
  };
  for (const node of manifest.nodes.values()) {
    const { spec, error } = chartSpecOf(node, project, knowsRelation);
    if (error) errors.push(error);
    if (spec) specs.set(node.uniqueId, spec);
  }
  throwIfAny(errors);

  const compiled = new Map<string, { sql?: string; error?: string }>();
  for (const node of opts.noCompile ? [] : manifest.nodes.values()) {
    if (node.resourceType !== 'model' && node.resourceType !== 'snapshot' && node.resourceType !== 'test') continue;
    try {
      compiled.set(node.uniqueId, { sql: redact(compileNode(session, node).sql) });
    } catch (e) {
      if (!(e instanceof ProjectError) && !(e instanceof ProjectErrors)) throw e;
      compiled.set(node.uniqueId, { error: e instanceof ProjectError ? e.headline : e.message });
    }
  }

  const notes: string[] = [];
  const runResults = readRunResults(session, notes);
  let catalog: Map<string, ColumnInfo[]> | undefined;
  let profiles: SiteProfile[] = [];
  let charts: SiteChart[] = chartsWithout(session, specs, opts.noData ? 'the warehouse was not read (--no-data)' : NOT_BUILT);

  if (!opts.noData) {
    let adapter: Adapter | undefined;
    try {
      adapter = await connect(session);
    } catch (e) {
      const why = e instanceof ProjectError ? e.message : String(e);
      notes.push(`The warehouse could not be read (${why}): the page has no column types, profiles or charts.`);
      reporter.warn(`docs: the warehouse could not be read: ${why}`);
    }
    if (adapter) {
      try {
        ({ catalog, profiles, charts } = await readWarehouse(session, adapter, specs, opts.profile ?? [], (m) => reporter.warn(m)));
      } finally {
        await adapter.close();
      }
      if (catalog.size === 0) notes.push('Nothing is built in the warehouse yet: run `model build` first, then generate the docs again.');
    }
  }

  const data = redactDeep(
    buildSiteData({
      workspace: session,
      generatedAt: new Date().toISOString(),
      overview: blocks.get('__overview__')?.text,
      compiled,
      runResults,
      catalog,
      profiles,
      charts,
      notes,
    }),
  );
  const dir = docsDir(session);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'index.html');
  writeFileSync(file, renderSiteHtml(data));
  copyAssets(session);
  if (!opts.noCompile) {
    const compiledSql = new Map<string, string>();
    for (const [id, c] of compiled) if (c.sql !== undefined) compiledSql.set(id, c.sql);
    writeManifest(session, compiledSql);
  }
  return { session, file, data };
}

/**
 * The project's `asset-paths` copied under the target folder, each replacing its earlier copy, as
 * dbt's docs generate does (a path that does not exist is left out), so the site can link them.
 */
function copyAssets(ws: Workspace): void {
  for (const asset of ws.project.config['asset-paths'] ?? []) {
    const from = path.resolve(ws.project.dir, asset);
    const to = path.resolve(ws.project.targetDir, asset);
    // Only folders inside the project, copied inside the target folder.
    if (!isInside(ws.project.dir, from) || !isInside(ws.project.targetDir, to)) continue;
    rmSync(to, { recursive: true, force: true });
    if (existsSync(from)) cpSync(from, to, { recursive: true });
  }
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function readRunResults(ws: Workspace, notes: string[]): RunResultsFile | undefined {
  const file = path.join(ws.project.targetDir, 'run_results.json');
  if (!existsSync(file)) {
    notes.push('No run_results.json yet: statuses appear after `model build`.');
    return undefined;
  }
  try {
    const parsed = runResultsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // An unreadable file is reported below, like an invalid one.
  }
  notes.push(`${path.relative(ws.project.dir, file)} could not be read: statuses are left out.`);
  return undefined;
}

function chartBase(manifest: Workspace['manifest'], id: string, spec: ChartSpec): Omit<SiteChart, 'rows' | 'note' | 'check'> {
  const node = manifest.nodes.get(id)!;
  return { id, name: node.name, title: spec.title ?? node.name, description: node.description, spec };
}

function chartsWithout(ws: Workspace, specs: Map<string, ChartSpec>, note: string): SiteChart[] {
  return [...specs].map(([id, spec]) => ({ ...chartBase(ws.manifest, id, spec), rows: null, note, check: null }));
}

async function readWarehouse(
  session: Session,
  adapter: Adapter,
  specs: Map<string, ChartSpec>,
  extraProfiles: string[],
  warn: (message: string) => void,
): Promise<{ catalog: Map<string, ColumnInfo[]>; profiles: SiteProfile[]; charts: SiteChart[] }> {
  const { manifest } = session;
  const d = session.dialect;
  const schemas = new Map<string, Map<string, RelationType>>();
  const typeOf = async (rel: RelationName): Promise<RelationType | undefined> => {
    const key = `${rel.database}.${rel.schema}`.toLowerCase();
    let found = schemas.get(key);
    if (!found) {
      found = await adapter.listRelations(rel.database, rel.schema);
      schemas.set(key, found);
    }
    return found.get(rel.identifier.toLowerCase());
  };
  const exists = async (rel: RelationName): Promise<boolean> => (await typeOf(rel)) !== undefined;

  // The warehouse's catalog, one query per schema the project's relations live in (dbt's get_catalog).
  const catalog = new Map<string, ColumnInfo[]>();
  const entries: CatalogEntry[] = [];
  const described = new Map<string, Map<string, CatalogRelation>>();
  const catalogErrors: string[] = [];
  for (const node of manifest.nodes.values()) {
    if (!node.relation || node.resourceType === 'test') continue;
    const key = `${node.relation.database}.${node.relation.schema}`.toLowerCase();
    let inSchema = described.get(key);
    if (!inSchema) {
      const { database, schema } = node.relation;
      try {
        inSchema = catalogRelations(await adapter.withConnection((c) => c.execute(d.catalogSql(database, schema))));
      } catch (e) {
        // As dbt's catalog: what could not be read is listed under `errors`, and the rest goes on.
        const why = `${database}.${schema}: ${redact(e instanceof Error ? e.message : String(e))}`;
        catalogErrors.push(why);
        warn(`docs: the catalog of ${why}`);
        inSchema = new Map();
      }
      described.set(key, inSchema);
    }
    const relation = inSchema.get(node.relation.identifier.toLowerCase());
    if (!relation) continue;
    catalog.set(
      node.uniqueId,
      relation.columns.map((c) => ({ name: c.name, type: c.type })),
    );
    entries.push({ node, relation });
  }
  writeCatalog(session, entries, catalogErrors);

  // The raw data's profile: every built source, then whatever else was asked for.
  const profiles: SiteProfile[] = [];
  const wanted: { name: string; relation: RelationName; id: string | null }[] = [];
  for (const node of manifest.nodes.values()) {
    if (node.resourceType === 'source' && catalog.has(node.uniqueId))
      wanted.push({ name: `${node.sourceName}.${node.tableName}`, relation: node.relation, id: node.uniqueId });
  }
  for (const name of extraProfiles) {
    const { relation, uniqueId } = resolveRelation(session, name);
    if (!(await exists(relation))) throw new ProjectError('database', `${d.qualify(relation)} does not exist`, { hint: 'run `model build` first' });
    wanted.push({ name, relation, id: uniqueId });
  }
  for (const w of wanted) {
    const profile = await profileOn(adapter, session, w.relation, DEFAULT_SETTINGS);
    profiles.push({ id: w.id, name: w.name, profile });
  }

  const charts: SiteChart[] = [];
  for (const [id, spec] of specs) {
    const base = chartBase(manifest, id, spec);
    const node = manifest.nodes.get(id)!;
    const built = catalog.get(id);
    if (!node.relation || !built) {
      charts.push({ ...base, rows: null, note: NOT_BUILT, check: null });
      continue;
    }
    const have = new Map(built.map((c) => [c.name.toLowerCase(), c.name]));
    const missing = chartColumns(spec).filter((c) => !have.has(c.toLowerCase()));
    if (missing.length) {
      charts.push({ ...base, rows: null, note: `the chart names columns ${node.name} does not have: ${missing.join(', ')}`, check: null });
      continue;
    }
    const cols = chartColumns(spec).map((c) => have.get(c.toLowerCase())!);
    const order = orderColumns(spec).map((c) => d.quoteIdentifier(have.get(c.toLowerCase())!));
    const sql = `select ${cols.map((c) => d.quoteIdentifier(c)).join(', ')} from ${d.qualify(node.relation)}${order.length ? ` order by ${order.join(', ')}` : ''} limit ${CHART_ROW_LIMIT}`;
    const result = await adapter.withConnection((c) => c.execute(sql));
    // Rows keyed by the spec's own spelling of each column.
    const rows = result.rows.map((r) => Object.fromEntries(chartColumns(spec).map((name, i) => [name, (r[i] ?? null) as Scalar])));
    let check: FunnelCheck | null = null;
    if (spec.type === 'funnel') {
      // The relations the funnel starts and ends at, counted on their own.
      const count = async (name: string | undefined): Promise<FunnelEnd | undefined> => {
        if (name === undefined) return undefined;
        const { relation } = resolveRelation(session, name);
        if (!(await exists(relation))) return { name, rows: null };
        const r = await adapter.withConnection((c) => c.execute(`select count(*) from ${d.qualify(relation)}`));
        return { name, rows: Number(r.rows[0]?.[0] ?? 0) };
      };
      check = funnelCheck(rows, spec, { rowsIn: await count(spec.rows_in), rowsOut: await count(spec.rows_out) });
    }
    charts.push({ ...base, rows, note: rows.length ? null : `${node.name} has no rows`, check });
  }
  return { catalog, profiles, charts };
}
