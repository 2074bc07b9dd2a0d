import { pyRepr, pyStr } from './python-repr.js';

/**
 * Python's `'%s and %.2f' % (a, b)` formatting (also the `format` filter): `%(name)s` with a dict,
 * flags `-+ 0#`, width and precision (`*` too), conversions `s r a d i u f F e E g G x X o c %`.
 */
export function percentFormat(fmt: unknown, args: unknown[]): string {
  const mapping =
    args.length === 1 && args[0] !== null && typeof args[0] === 'object' && !Array.isArray(args[0]) ? (args[0] as Record<string, unknown>) : undefined;
  let i = 0;
  const next = (): unknown => {
    if (i >= args.length) throw new Error('not enough arguments for format string');
    return args[i++];
  };
  return String(fmt).replace(
    /%(?:\(([^)]*)\))?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([diouxXeEfFgGcrsa%])/g,
    (_m, key: string | undefined, flags: string, w: string | undefined, p: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      const width = w === '*' ? Number(next()) : w === undefined ? 0 : Number(w);
      const precision = p === '*' ? Number(next()) : p === undefined ? undefined : Number(p || 0);
      const value = key !== undefined ? mapping?.[key] : next();
      return pad(convert(value, conv, flags, precision), width, flags, 'diouxXeEfFgG'.includes(conv));
    },
  );
}

function convert(v: unknown, conv: string, flags: string, precision: number | undefined): string {
  switch (conv) {
    case 's':
      return precision === undefined ? pyStrOrNone(v) : pyStrOrNone(v).slice(0, precision);
    case 'r':
    case 'a':
      return pyRepr(v);
    case 'c':
      return typeof v === 'number' ? String.fromCodePoint(v) : String(v);
  }
  const n = Number(v);
  if (Number.isNaN(n) && typeof v !== 'number') throw new Error(`%${conv} format: a number is required, not ${typeof v === 'string' ? 'str' : typeof v}`);
  const sign = n < 0 || Object.is(n, -0) ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const a = Math.abs(n);
  let body: string;
  switch (conv) {
    case 'd':
    case 'i':
    case 'u':
      body = String(Math.trunc(a));
      break;
    case 'o':
      body = (flags.includes('#') ? '0o' : '') + Math.trunc(a).toString(8);
      break;
    case 'x':
    case 'X': {
      const hex = (flags.includes('#') ? '0x' : '') + Math.trunc(a).toString(16);
      body = conv === 'X' ? hex.toUpperCase() : hex;
      break;
    }
    case 'f':
    case 'F':
      body = a.toFixed(precision ?? 6);
      break;
    case 'e':
    case 'E': {
      const e = a.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      body = conv === 'E' ? e.toUpperCase() : e;
      break;
    }
    default: {
      // %g: the shorter of %e and %f at the given significant digits, trailing zeros dropped (unless #).
      const digits = precision === 0 ? 1 : (precision ?? 6);
      const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
      let g = exp < -4 || exp >= digits ? a.toExponential(digits - 1).replace(/e([+-])(\d)$/, 'e$10$2') : a.toFixed(Math.max(0, digits - 1 - exp));
      if (!flags.includes('#')) g = g.replace(/\.?0+(e|$)/, '$1');
      body = conv === 'G' ? g.toUpperCase() : g;
    }
  }
  return sign + body;
}

function pyStrOrNone(v: unknown): string {
  return v === null || v === undefined ? 'None' : pyStr(v);
}

function pad(text: string, width: number, flags: string, numeric: boolean): string {
  if (text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (numeric && flags.includes('0')) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    const prefix = /^[-+ ]?(0[xXo])/.exec(text)?.[1] ?? '';
    const digits = text.slice(sign.length + prefix.length);
    return sign + prefix + digits.padStart(width - sign.length - prefix.length, '0');
  }
  return text.padStart(width);
}
