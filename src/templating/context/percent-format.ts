/** Python's `'%s and %.2f' % (a, b)` formatting (also the `format` filter). */
export function percentFormat(fmt: unknown, args: unknown[]): string {
  let i = 0;
  return String(fmt).replace(/%(\.\d+)?([sdif%])/g, (_m, prec: string | undefined, c: string) => {
    if (c === '%') return '%';
    const v = args[i++];
    if (c === 'd' || c === 'i') return String(Math.trunc(Number(v)));
    if (c === 'f') return Number(v).toFixed(prec ? Number(prec.slice(1)) : 6);
    return String(v);
  });
}
