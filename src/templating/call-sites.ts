import nunjucks from 'nunjucks';
import { createEnvironment, preprocess } from './nunjucks-patches.js';

interface AstNode {
  lineno: number;
  colno: number;
  value?: unknown;
  children?: AstNode[];
  name?: AstNode;
  args?: AstNode;
  findAll(type: unknown): AstNode[];
}

const internals = nunjucks as unknown as {
  parser: { parse(src: string, extensions: unknown[], opts: unknown): AstNode };
  nodes: { FunCall: unknown; Symbol: new () => unknown; Literal: new () => unknown };
};

let extensions: unknown[] | undefined;

/**
 * Where a template calls `fn('name', …)` or `fn('package', 'name', …)` (any call of `fn` when no name is given): 1-based line and column of
 * the function's name, read from the template parser's syntax tree (so a call in a comment or a
 * string does not count). Undefined when there is no such call, or the template does not parse.
 * Used for errors only, so the parse is paid only when something is wrong.
 */
export function callSite(source: string, fn: string, firstArg?: string): { line: number; column: number } | undefined {
  extensions ??= (createEnvironment() as unknown as { extensionsList: unknown[] }).extensionsList;
  let root: AstNode;
  try {
    root = internals.parser.parse(preprocess(source), extensions, {});
  } catch {
    return undefined;
  }
  for (const call of root.findAll(internals.nodes.FunCall)) {
    const callee = call.name;
    if (!callee || !(callee instanceof internals.nodes.Symbol) || callee.value !== fn) continue;
    const args = (call.args?.children ?? []).map((a) => (a instanceof internals.nodes.Literal ? a.value : undefined));
    if (firstArg === undefined || args[0] === firstArg || (typeof args[0] === 'string' && args[1] === firstArg))
      return { line: callee.lineno + 1, column: callee.colno + 1 };
  }
  return undefined;
}
