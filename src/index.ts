/**
 * The engine's public API: what the CLI does, as functions (load → parse → graph → compile →
 * plan → execute → artifacts). This file only re-exports; each use case lives in `tasks/`.
 */
export { InternalError, isUserError, ProjectError, ProjectErrors } from './core/errors.js';
export type { SourceLocation } from './core/errors.js';
export { redact, registerSecret } from './core/secrets.js';
export { ENGINE_VERSION } from './execute/artifacts.js';
export { junitXml, writeJUnit } from './execute/junit.js';
export type { Reporter } from './execute/reporter.js';
export { countByStatus, exitCodeOf } from './execute/results.js';
export type { NodeResult, NodeStatus, RunSummary } from './execute/results.js';
export type { Manifest } from './parse/manifest.js';
export type { Node, ResourceType } from './parse/nodes.js';
export type { ColumnProfile, RelationProfile } from './profile/profile-relation.js';
export { compile } from './tasks/compile.js';
export type { CompiledFile } from './tasks/compile.js';
export { generateDocs } from './tasks/docs.js';
export type { DocsOptions, DocsResult } from './tasks/docs.js';
export { build, execute, run, seed, snapshot, test } from './tasks/execute.js';
export type { ExecuteCommand } from './tasks/execute.js';
export { runProfile as profile } from './tasks/profile.js';
export type { NamedProfile, ProfileOptions } from './tasks/profile.js';
export { serveDocs } from './tasks/serve-docs.js';
export type { DocsServer, ServeOptions } from './tasks/serve-docs.js';
export { connect, openProject, select } from './tasks/session.js';
export type { CommonOptions, RunOptions, SelectOptions, Session } from './tasks/session.js';
export { show } from './tasks/show.js';
export type { QueryOutput } from './tasks/show.js';
export type { SiteData } from './docs/site-data.js';
export type { Adapter } from './warehouse/adapter.js';
export type { RelationName } from './warehouse/dialect.js';
