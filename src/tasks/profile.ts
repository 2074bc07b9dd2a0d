import type { Adapter } from '../warehouse/adapter.js';
import type { RelationName } from '../warehouse/dialect.js';
import { ProjectError } from '../core/errors.js';
import type { Workspace } from '../graph/workspace.js';
import { connect, openProject, type CommonOptions, type Session } from './session.js';
import { didYouMean } from '../core/util.js';
import { DEFAULT_SETTINGS, type ProfileSettings, type ProfileSql } from '../profile/profile-queries.js';
import { profileRelation, type RelationProfile } from '../profile/profile-relation.js';

export interface ProfileOptions extends CommonOptions, Partial<ProfileSettings> {
  /** A model or seed name, a source as `source_name.table_name`, or a relation `schema.table` / `database.schema.table`. */
  relation: string;
}

export interface NamedProfile extends RelationProfile {
  /** What was asked for, and the node it names (if any). */
  name: string;
  uniqueId: string | null;
}

/** The warehouse-specific bits of the profile SQL, through the project's cross-database macros. */
export function profileSqlFor(ws: Workspace): ProfileSql {
  const { engine, dialect } = ws;
  const floatType = engine.renderString('{{ type_float() }}', '<profile>').trim();
  return {
    // Column names come from the warehouse: quoted so each names that exact column (a seed's quoted lower-case column on Snowflake).
    quote: (id) => dialect.quoteColumn(id),
    stringLiteral: (s) => dialect.stringLiteral(s),
    floatType,
    diff: (unit, from, to) => engine.renderString('{{ datediff(a, b, unit) }}', '<profile>', { extra: { a: from, b: to, unit } }).trim(),
  };
}

/** Finds what a name means: model or seed, then source, then a schema-qualified relation. */
export function resolveRelation(session: Session, name: string): { relation: RelationName; uniqueId: string | null } {
  const { manifest } = session;
  const id = manifest.byName.get(name) ?? manifest.sourcesByName.get(name);
  if (id) {
    const node = manifest.nodes.get(id)!;
    if (!node.relation) {
      throw new ProjectError('usage', `'${name}' is an ephemeral model: it has no table or view to profile`, {
        hint: 'profile a model that selects from it, or make it a view',
      });
    }
    return { relation: node.relation, uniqueId: id };
  }
  const parts = name.split('.');
  if (parts.length === 2 && parts.every(Boolean)) return { relation: { database: session.database, schema: parts[0]!, identifier: parts[1]! }, uniqueId: null };
  if (parts.length === 3 && parts.every(Boolean)) return { relation: { database: parts[0]!, schema: parts[1]!, identifier: parts[2]! }, uniqueId: null };
  throw new ProjectError('usage', `no model, seed or source named '${name}'`, {
    hint:
      didYouMean(name, [...manifest.byName.keys(), ...manifest.sourcesByName.keys()]) ??
      'name a model or seed, a source as source_name.table_name, or a relation as schema.table',
  });
}

/** Whether a relation has been built (exists in the warehouse). */
export async function relationExists(adapter: Adapter, rel: RelationName): Promise<boolean> {
  const found = await adapter.listRelations(rel.database, rel.schema);
  return found.has(rel.identifier.toLowerCase());
}

/** Profiles a built relation on an open adapter. */
export async function profileOn(adapter: Adapter, ws: Workspace, rel: RelationName, settings: ProfileSettings): Promise<RelationProfile> {
  const relationSql = ws.dialect.qualify(rel);
  return adapter.withConnection((conn) => profileRelation(conn, relationSql, profileSqlFor(ws), settings));
}

export function settingsFrom(opts: Partial<ProfileSettings>): ProfileSettings {
  const s = { ...DEFAULT_SETTINGS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as ProfileSettings;
  if (!Number.isInteger(s.topValues) || s.topValues < 0) throw new ProjectError('usage', `--top must be a whole number from 0, got '${s.topValues}'`);
  if (!Number.isInteger(s.bins) || s.bins < 1 || s.bins > 1000)
    throw new ProjectError('usage', `--bins must be a whole number from 1 to 1000, got '${s.bins}'`);
  return s;
}

/** `model profile`: counts, nulls, distinct values, ranges, top values and histograms of one relation. */
export async function runProfile(opts: ProfileOptions): Promise<{ session: Session; profile: NamedProfile }> {
  const settings = settingsFrom({ topValues: opts.topValues, bins: opts.bins, distinct: opts.distinct });
  const session = await openProject(opts);
  const { relation, uniqueId } = resolveRelation(session, opts.relation);
  const adapter = await connect(session);
  try {
    if (!(await relationExists(adapter, relation))) {
      throw new ProjectError('database', `${session.dialect.qualify(relation)} does not exist`, {
        hint: uniqueId ? 'run `model build` first' : 'check the schema and table name, or run `model build` first',
      });
    }
    const profile = await profileOn(adapter, session, relation, settings);
    return { session, profile: { ...profile, name: opts.relation, uniqueId } };
  } catch (e) {
    if (e instanceof ProjectError) throw e;
    throw new ProjectError('database', e instanceof Error ? e.message : String(e));
  } finally {
    await adapter.close();
  }
}
