import { compileNode } from '../compile/compile-node.js';
import { writeNodeSql } from '../core/target-files.js';
import { writeManifest } from '../execute/artifacts.js';
import { testSqlFile } from '../parse/data-tests/add-data-tests.js';
import type { Node } from '../parse/nodes.js';
import { applyDefer } from './defer.js';
import { openProject, select, type CommonOptions, type SelectOptions, type Session } from './session.js';

export interface CompiledFile {
  node: Node;
  sql: string;
  path: string;
}

/** `model compile`: renders the selected models and tests to target/compiled/ without touching a warehouse. */
export async function compile(opts: CommonOptions & SelectOptions = {}): Promise<{ session: Session; files: CompiledFile[] }> {
  const session = await openProject(opts);
  const nodes = select(session, opts, ['model', 'test'], opts.reporter);
  await applyDefer(session, opts, new Set(nodes.map((n) => n.uniqueId)));
  const files: CompiledFile[] = [];
  const { project } = session;
  for (const node of nodes) {
    if (node.resourceType !== 'model' && node.resourceType !== 'test') continue;
    const { sql } = compileNode(session, node);
    const file = node.resourceType === 'test' ? testSqlFile(node) : node.file;
    files.push({ node, sql, path: writeNodeSql(project, 'compiled', file, sql) });
  }
  writeManifest(session);
  return { session, files };
}
