/**
 * Versions and version ranges as dbt reads them (dbt-core `core/dbt/semver.py`): `1.2.3`,
 * `1.2.3-rc1`, with an optional matcher (`>=`, `>`, `<=`, `<`, `=`); a range is a list of such
 * specifiers (or one string, comma-separated) that all must hold.
 */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease?: string;
}

export type Matcher = '>=' | '>' | '<=' | '<' | '=';

export interface VersionSpecifier extends Version {
  matcher: Matcher;
}

/** The dbt version this engine answers to `require-dbt-version` (and to the hub's `require_dbt_version`). */
export const DBT_COMPAT_VERSION = '1.9.0';

const SPEC = /^\s*(>=|<=|>|<|=)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\s*$/;

export function parseSpecifier(text: string): VersionSpecifier | undefined {
  const m = SPEC.exec(text);
  if (!m) return undefined;
  return {
    matcher: (m[1] as Matcher | undefined) ?? '=',
    major: Number(m[2]),
    minor: Number(m[3] ?? 0),
    patch: Number(m[4] ?? 0),
    ...(m[5] ? { prerelease: m[5] } : {}),
  };
}

export function parseVersion(text: string): Version | undefined {
  const s = parseSpecifier(text);
  if (s?.matcher !== '=') return undefined;
  const { matcher: _m, ...v } = s;
  return v;
}

/** Negative, zero or positive as `a` is before, equal to or after `b`; a prerelease comes before its release. */
export function compareVersions(a: Version, b: Version): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0) return d;
  if (a.prerelease === b.prerelease) return 0;
  if (!a.prerelease) return 1;
  if (!b.prerelease) return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

/** The specifiers of a `version:` value: a list, or a string (comma-separated parts all apply). */
export function rangeOf(value: string | number | (string | number)[]): { specs: VersionSpecifier[]; bad?: string } {
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','));
  const specs: VersionSpecifier[] = [];
  for (const p of parts) {
    const s = parseSpecifier(p);
    if (!s) return { specs, bad: p.trim() };
    specs.push(s);
  }
  return { specs };
}

export function satisfies(v: Version, specs: readonly VersionSpecifier[]): boolean {
  const holds: Record<Matcher, (c: number) => boolean> = {
    '=': (c) => c === 0,
    '>=': (c) => c >= 0,
    '>': (c) => c > 0,
    '<=': (c) => c <= 0,
    '<': (c) => c < 0,
  };
  return specs.every((s) => holds[s.matcher](compareVersions(v, s)));
}

export function formatSpecifier(s: VersionSpecifier): string {
  return `${s.matcher === '=' ? '' : s.matcher}${formatVersion(s)}`;
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease ? `-${v.prerelease}` : ''}`;
}

/**
 * The newest of `available` inside the range, as dbt picks it: prereleases only when asked for
 * (`install-prerelease`) or named in the range.
 */
export function newestInRange(available: readonly string[], specs: readonly VersionSpecifier[], prerelease: boolean): string | undefined {
  const allowPre = prerelease || specs.some((s) => s.prerelease);
  let best: { text: string; v: Version } | undefined;
  for (const text of available) {
    const v = parseVersion(text);
    if (!v || (v.prerelease && !allowPre) || !satisfies(v, specs)) continue;
    if (!best || compareVersions(v, best.v) > 0) best = { text, v };
  }
  return best?.text;
}
