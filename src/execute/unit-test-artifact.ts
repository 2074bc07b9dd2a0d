import type { Workspace } from '../graph/workspace.js';
import type { UnitTestFixture, UnitTestNode } from '../parse/nodes.js';

function fixtureJson(f: UnitTestFixture): { rows: unknown; format: string; fixture: null } {
  return { rows: f.format === 'sql' ? (f.sql ?? '') : (f.rows ?? []).map((r) => r.values), format: f.format, fixture: null };
}

/** A unit test as dbt's manifest (v12) lists it under `unit_tests` (dbt-core artifacts/resources/v1/unit_test_definition.py). */
export function unitTestToJson(ws: Workspace, node: UnitTestNode): Record<string, unknown> {
  const given = node.given.map((g) => ({ input: g.input, ...fixtureJson(g) }));
  const expect = fixtureJson(node.expect);
  const overrides = { macros: node.overrides.macros, vars: node.overrides.vars, env_vars: node.overrides.envVars };
  const tested = ws.manifest.nodes.get(node.testedNode);
  return {
    model: node.model,
    given,
    expect,
    name: node.name,
    resource_type: 'unit_test',
    package_name: node.packageName,
    path: node.file.split('/').slice(1).join('/') || node.file,
    original_file_path: node.file,
    unique_id: node.uniqueId,
    fqn: node.fqn,
    description: node.description,
    overrides,
    depends_on: { macros: [], nodes: node.dependsOn },
    config: { tags: node.tags, meta: (node.config.meta as Record<string, unknown> | undefined) ?? {}, enabled: node.config.enabled !== false },
    checksum: node.checksum,
    schema: tested?.relation?.schema ?? null,
    created_at: Date.now() / 1000,
    versions: null,
    version: node.version ?? null,
  };
}
