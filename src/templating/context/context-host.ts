import type nunjucks from 'nunjucks';
import type { Dialect } from '../../warehouse/dialect.js';
import type { RenderHooks } from '../render-hooks.js';
import type { TargetInfo } from '../target-info.js';

/**
 * What the dbt context's functions need from the engine that renders: the render in progress,
 * and how to fail with a message that names the template. The engine builds one over itself.
 */
export interface ContextHost {
  readonly env: nunjucks.Environment;
  readonly target: TargetInfo;
  readonly dialect: Dialect;
  readonly vars: Record<string, unknown>;
  /** The project's name (dbt's `project_name`) and file, when rendering a project's templates. */
  readonly project: { name: string; file: string } | undefined;
  /** dbt's behaviour flags the project file sets (`flags:`), read as `adapter.behavior.<flag>`. */
  readonly behaviorFlags: Readonly<Record<string, unknown>>;
  /** The hooks of the render in progress, if any (globals are read outside renders too). */
  current(): RenderHooks | undefined;
  /** The hooks of the render in progress; throws outside one. */
  hooks(): RenderHooks;
  hasMacro(name: string): boolean;
  /** A macro by package as dbt's dispatch looks it up (`null`: the flat namespace). */
  findMacro(pkg: string | null, name: string): ((...a: unknown[]) => unknown) | undefined;
  /** The packages `adapter.dispatch(name, namespace)` searches, in order (`null`: the flat namespace). */
  dispatchOrder(namespace: string | undefined): (string | null)[];
  /** Renders a one-off string with vars and env vars only. */
  renderString(text: string, file: string): string;
  /** The engine's log, for `print()` and renders without a log of their own. */
  log(msg: string): void;
  /** Throws a template error at the current file (and the line `needle` matches first), kept through nunjucks' re-wrapping. */
  fail(message: string, opts?: { hint?: string; needle?: RegExp }): never;
  /** Wraps a context function so a ProjectError it throws survives nunjucks' re-wrapping. */
  guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
}
