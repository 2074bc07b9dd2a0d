import type { RefCall } from './nodes.js';

/**
 * Which node a `ref()` names, as dbt resolves it: `ref('pkg', 'name')` in that package;
 * `ref('name')` in the referring node's own package first, then the root project, then any
 * package. `byName` holds each model and seed as `package.name`, and by its bare name (the root
 * project's when names clash).
 */
export function lookupRef(byName: ReadonlyMap<string, string>, name: string, pkg: string | undefined, fromPackage: string | undefined): string | undefined {
  if (pkg) return byName.get(`${pkg}.${name}`);
  return (fromPackage ? byName.get(`${fromPackage}.${name}`) : undefined) ?? byName.get(name);
}

/** The node a recorded ref() names (`ref('m', v=2)` is the model `m_v2`). */
export function lookupRefCall(byName: ReadonlyMap<string, string>, r: RefCall, fromPackage: string | undefined): string | undefined {
  return lookupRef(byName, r.version !== undefined ? `${r.name}_v${r.version}` : r.name, r.package, fromPackage);
}

/** `ref(...)` as written in a template. */
export function refText(r: RefCall): string {
  const args = [...(r.package ? [r.package] : []), r.name].map((a) => `'${a}'`);
  return `ref(${args.join(', ')}${r.version !== undefined ? `, v=${JSON.stringify(r.version)}` : ''})`;
}

/** Registers a model or seed: under `package.name`, and its bare name unless the root project (parsed first) has it. */
export function registerName(byName: Map<string, string>, pkg: string, name: string, uniqueId: string, isRoot: boolean): void {
  byName.set(`${pkg}.${name}`, uniqueId);
  if (isRoot || !byName.has(name)) byName.set(name, uniqueId);
}

/** The names people type: bare names only, for did-you-mean hints. */
export function bareNames(byName: ReadonlyMap<string, string>): string[] {
  return [...byName.keys()].filter((k) => !k.includes('.'));
}
