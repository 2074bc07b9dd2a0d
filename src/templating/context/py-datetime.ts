/**
 * The part of Python's `datetime` module dbt templates reach for: `run_started_at`,
 * `modules.datetime.datetime.now()`, `.strftime()`, `.isoformat()`, `timedelta`, and what they
 * print. Values hold a UTC instant; a naive value's fields are read as UTC too, so nothing
 * depends on the machine's time zone except `now()` and `date.today()`, which are local as in Python.
 * `d - timedelta(days=1)`, `d + timedelta(…)` and `d1 - d2` work as in Python: the template
 * compiler sends `+` and `-` through `__add__`/`__sub__` (nunjucks-patches.ts).
 */

import { PY_CLASS } from '../nunjucks-patches.js';

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** nunjucks hands keyword arguments over as a trailing object tagged `__keywords`. */
function splitKwargs(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && '__keywords' in last) {
    const { __keywords: _k, ...kw } = last as Record<string, unknown>;
    return [args.slice(0, -1), kw];
  }
  return [args, {}];
}

export class PyTimedelta {
  constructor(readonly ms: number) {}
  get days(): number {
    return Math.floor(this.ms / 86_400_000);
  }
  get seconds(): number {
    return Math.floor((this.ms - this.days * 86_400_000) / 1000);
  }
  /** A number for comparisons, the text Python prints everywhere else (`'' + d`, `{{ d }}`). */
  [Symbol.toPrimitive](hint: string): number | string {
    return hint === 'number' ? this.ms : this.toString();
  }
  total_seconds(): number {
    return this.ms / 1000;
  }
  /** Python's `td + td` (a date or datetime on the other side is PyDateTime's). */
  __add__(o: unknown): PyTimedelta | undefined {
    return o instanceof PyTimedelta ? new PyTimedelta(this.ms + o.ms) : undefined;
  }
  __sub__(o: unknown): PyTimedelta | undefined {
    return o instanceof PyTimedelta ? new PyTimedelta(this.ms - o.ms) : undefined;
  }
  toString(): string {
    const rest = this.ms - this.days * 86_400_000;
    const h = Math.floor(rest / 3_600_000);
    const m = Math.floor((rest % 3_600_000) / 60_000);
    const s = Math.floor((rest % 60_000) / 1000);
    const micro = Math.round((rest % 1000) * 1000);
    const time = `${h}:${pad(m)}:${pad(s)}${micro ? `.${pad(micro, 6)}` : ''}`;
    return this.days ? `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${time}` : time;
  }
}

/** A `datetime` (or, with `dateOnly`, a `date`); `utc` marks an aware value (`+00:00`). */
export class PyDateTime {
  private readonly d: Date;
  constructor(
    readonly ms: number,
    private readonly utc: boolean,
    private readonly dateOnly = false,
  ) {
    this.d = new Date(ms);
  }
  get year(): number {
    return this.d.getUTCFullYear();
  }
  get month(): number {
    return this.d.getUTCMonth() + 1;
  }
  get day(): number {
    return this.d.getUTCDate();
  }
  get hour(): number {
    return this.d.getUTCHours();
  }
  get minute(): number {
    return this.d.getUTCMinutes();
  }
  get second(): number {
    return this.d.getUTCSeconds();
  }
  get microsecond(): number {
    return this.d.getUTCMilliseconds() * 1000;
  }
  weekday(): number {
    return (this.d.getUTCDay() + 6) % 7;
  }
  isoweekday(): number {
    return this.weekday() + 1;
  }
  date(): PyDateTime {
    return new PyDateTime(Date.UTC(this.year, this.month - 1, this.day), false, true);
  }
  timestamp(): number {
    return this.ms / 1000;
  }
  /** Python's `d + timedelta(…)`: a date stays a date (whole days only, as Python keeps it). */
  __add__(o: unknown): PyDateTime | undefined {
    if (!(o instanceof PyTimedelta)) return undefined;
    const ms = this.dateOnly ? o.days * 86_400_000 : o.ms;
    return new PyDateTime(this.ms + ms, this.utc, this.dateOnly);
  }
  /** `d - timedelta(…)` is a date or datetime, `d1 - d2` a timedelta. */
  __sub__(o: unknown): PyDateTime | PyTimedelta | undefined {
    if (o instanceof PyTimedelta) return this.__add__(new PyTimedelta(-o.ms));
    if (o instanceof PyDateTime) return new PyTimedelta(this.ms - o.ms);
    return undefined;
  }
  /** `replace(day=1)`, `replace(tzinfo=None)`, … */
  replace(...args: unknown[]): PyDateTime {
    const [, kw] = splitKwargs(args);
    const f = (k: string, v: number) => (typeof kw[k] === 'number' ? (kw[k] as number) : v);
    const ms = Date.UTC(
      f('year', this.year),
      f('month', this.month) - 1,
      f('day', this.day),
      f('hour', this.hour),
      f('minute', this.minute),
      f('second', this.second),
      f('microsecond', this.microsecond) / 1000,
    );
    return new PyDateTime(ms, 'tzinfo' in kw ? kw.tzinfo !== null && kw.tzinfo !== undefined : this.utc, this.dateOnly);
  }
  astimezone(): PyDateTime {
    return new PyDateTime(this.ms, true, this.dateOnly);
  }
  /** A number for comparisons, the text Python prints everywhere else (`'' + d`, `{{ d }}`). */
  [Symbol.toPrimitive](hint: string): number | string {
    return hint === 'number' ? this.ms : this.toString();
  }
  isoformat(sep = 'T'): string {
    if (this.dateOnly) return this.strftime('%Y-%m-%d');
    const micro = this.microsecond ? `.${pad(this.microsecond, 6)}` : '';
    return `${this.strftime(`%Y-%m-%d${sep}%H:%M:%S`)}${micro}${this.utc ? '+00:00' : ''}`;
  }
  strftime(format: string): string {
    return String(format).replace(/%([a-zA-Z%])/g, (m, c: string) => {
      switch (c) {
        case 'Y':
          return pad(this.year, 4);
        case 'y':
          return pad(this.year % 100);
        case 'm':
          return pad(this.month);
        case 'd':
          return pad(this.day);
        case 'H':
          return pad(this.hour);
        case 'I':
          return pad(this.hour % 12 || 12);
        case 'p':
          return this.hour < 12 ? 'AM' : 'PM';
        case 'M':
          return pad(this.minute);
        case 'S':
          return pad(this.second);
        case 'f':
          return pad(this.microsecond, 6);
        case 'j':
          return pad(Math.floor((Date.UTC(this.year, this.month - 1, this.day) - Date.UTC(this.year, 0, 1)) / 86_400_000) + 1, 3);
        case 'a':
          return DAY_NAMES[this.weekday()]!.slice(0, 3);
        case 'A':
          return DAY_NAMES[this.weekday()]!;
        case 'b':
          return MONTH_NAMES[this.month - 1]!.slice(0, 3);
        case 'B':
          return MONTH_NAMES[this.month - 1]!;
        case 'w':
          return String(this.d.getUTCDay());
        case 'z':
          return this.utc ? '+0000' : '';
        case 'Z':
          return this.utc ? 'UTC' : '';
        case '%':
          return '%';
        default:
          return m;
      }
    });
  }
  toString(): string {
    return this.isoformat(' ');
  }
  toJSON(): string {
    return this.isoformat();
  }
}

/** Python's `datetime.strptime` for the numeric directives (`%Y %m %d %H %M %S %f %y %j`, literals). */
function strptime(text: string, format: string): PyDateTime {
  const fields: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0, f: 0 };
  const order: string[] = [];
  const widths: Record<string, string> = {
    Y: '\\d{4}',
    y: '\\d{2}',
    m: '\\d{1,2}',
    d: '\\d{1,2}',
    H: '\\d{1,2}',
    M: '\\d{1,2}',
    S: '\\d{1,2}',
    f: '\\d{1,6}',
    j: '\\d{1,3}',
  };
  const pattern = String(format).replace(/%([a-zA-Z%])|([.*+?^${}()|[\]\\])/g, (_m, c: string | undefined, special: string | undefined) => {
    if (special) return `\\${special}`;
    if (c === '%') return '%';
    const w = widths[c!];
    if (!w) throw new Error(`strptime: the directive %${c} is not supported`);
    order.push(c!);
    return `(${w})`;
  });
  const m = new RegExp(`^${pattern}$`).exec(String(text));
  if (!m) throw new Error(`time data ${JSON.stringify(text)} does not match format ${JSON.stringify(format)}`);
  order.forEach((c, i) => {
    const v = m[i + 1]!;
    if (c === 'y') fields.Y = 2000 + Number(v) - (Number(v) >= 69 ? 100 : 0);
    else if (c === 'f') fields.f = Number(v.padEnd(6, '0'));
    else if (c === 'j') {
      fields.m = 1;
      fields.d = Number(v);
    } else fields[c] = Number(v);
  });
  return new PyDateTime(Date.UTC(fields.Y!, fields.m! - 1, fields.d!, fields.H!, fields.M!, fields.S!, fields.f! / 1000), false);
}

function localNow(): number {
  const now = new Date();
  return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate(), now.getHours(), now.getMinutes(), now.getSeconds(), now.getMilliseconds());
}

/** A function that is also a Python class: member lookup keeps its attributes (see PY_CLASS). */
function pyClass<F extends (...a: never[]) => unknown, M extends object>(fn: F, methods: M): F & M {
  return Object.assign(fn, methods, { [PY_CLASS]: true });
}

const num = (v: unknown, dflt: number) => (v === undefined || v === null ? dflt : Number(v));

/** `modules.datetime`: `datetime`, `date`, `timedelta` as constructors with their class methods. */
export function datetimeModule(): Record<string, unknown> {
  const datetime = pyClass(
    (...args: unknown[]) => {
      const [a, kw] = splitKwargs(args);
      const get = (i: number, k: string, d: number) => num(a[i] ?? kw[k], d);
      const ms = Date.UTC(
        get(0, 'year', 1),
        get(1, 'month', 1) - 1,
        get(2, 'day', 1),
        get(3, 'hour', 0),
        get(4, 'minute', 0),
        get(5, 'second', 0),
        get(6, 'microsecond', 0) / 1000,
      );
      return new PyDateTime(ms, kw.tzinfo !== undefined && kw.tzinfo !== null);
    },
    {
      now: (tz?: unknown) => (tz ? new PyDateTime(Date.now(), true) : new PyDateTime(localNow(), false)),
      today: () => new PyDateTime(localNow(), false),
      utcnow: () => new PyDateTime(Date.now(), false),
      strptime,
      fromisoformat: (s: unknown) => fromIso(String(s), false),
      fromtimestamp: (t: unknown) => new PyDateTime(Number(t) * 1000, false),
    },
  );
  const date = pyClass(
    (...args: unknown[]) => {
      const [a, kw] = splitKwargs(args);
      return new PyDateTime(Date.UTC(num(a[0] ?? kw.year, 1), num(a[1] ?? kw.month, 1) - 1, num(a[2] ?? kw.day, 1)), false, true);
    },
    {
      today: () => new PyDateTime(localNow(), false).date(),
      fromisoformat: (s: unknown) => fromIso(String(s), true),
    },
  );
  const timedelta = (...args: unknown[]) => {
    const [a, kw] = splitKwargs(args);
    const v = (i: number, k: string) => num(a[i] ?? kw[k], 0);
    const ms =
      v(0, 'days') * 86_400_000 +
      v(1, 'seconds') * 1000 +
      v(2, 'microseconds') / 1000 +
      v(3, 'milliseconds') +
      v(4, 'minutes') * 60_000 +
      v(5, 'hours') * 3_600_000 +
      v(6, 'weeks') * 7 * 86_400_000;
    return new PyTimedelta(ms);
  };
  return { datetime, date, timedelta, timezone: { utc: 'UTC' } };
}

function fromIso(s: string, dateOnly: boolean): PyDateTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]00:?00)?$/.exec(s.trim());
  if (!m) throw new Error(`Invalid isoformat string: ${JSON.stringify(s)}`);
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(sec ?? 0), Number((frac ?? '0').padEnd(6, '0')) / 1000);
  return dateOnly ? new PyDateTime(ms, false, true) : new PyDateTime(ms, tz !== undefined);
}
