/**
 * The macros of installed packages, each under its package's name (`dbt_utils.star(...)`), and
 * dbt's search for a macro by package (dbt-core core/dbt/context/macros.py, `MacroNamespace`, and
 * `dispatch` in core/dbt/context/providers.py). Root-project and built-in macros stay the engine's
 * flat globals; this holds the rest.
 */
export type MacroFn = (...a: unknown[]) => unknown;

export interface DispatchEntry {
  macro_namespace: string;
  search_order: string[];
}

export class MacroNamespaces {
  /** package -> macro name -> function, as templates see them. */
  private readonly byPackage = new Map<string, Record<string, MacroFn>>();
  private dispatchConfig: readonly DispatchEntry[] = [];

  /** The namespace object of a package (created empty on first use), which the engine exposes as a global. */
  namespace(pkg: string): Record<string, MacroFn> {
    let ns = this.byPackage.get(pkg);
    if (!ns) this.byPackage.set(pkg, (ns = {}));
    return ns;
  }

  add(pkg: string, name: string, fn: MacroFn): void {
    this.namespace(pkg)[name] = fn;
  }

  get(pkg: string, name: string): MacroFn | undefined {
    const ns = this.byPackage.get(pkg);
    return ns && Object.hasOwn(ns, name) ? ns[name] : undefined;
  }

  has(pkg: string): boolean {
    return this.byPackage.has(pkg);
  }

  packages(): string[] {
    return [...this.byPackage.keys()];
  }

  /** The first package (in load order) holding `name`, for a name looked up without a package. */
  firstWith(name: string): { pkg: string; fn: MacroFn } | undefined {
    for (const [pkg, ns] of this.byPackage) if (Object.hasOwn(ns, name)) return { pkg, fn: ns[name]! };
    return undefined;
  }

  setDispatch(entries: readonly DispatchEntry[]): void {
    this.dispatchConfig = entries;
  }

  /**
   * The packages `adapter.dispatch(name, namespace)` searches, as dbt's `_get_search_packages`:
   * the root project's `dispatch:` order for that namespace; else, for an installed package, the
   * root project then the package; else (no namespace, or `dbt`) the flat namespace only (`null`).
   */
  searchOrder(namespace: string | undefined, rootName: string | undefined): (string | null)[] {
    if (namespace === undefined || namespace === null) return [null];
    const configured = this.dispatchConfig.find((d) => d.macro_namespace === namespace);
    if (configured) return configured.search_order;
    if (this.byPackage.has(namespace)) return [rootName ?? null, namespace];
    return [null];
  }
}
