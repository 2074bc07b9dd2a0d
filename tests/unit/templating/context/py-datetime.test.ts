import { describe, expect, it } from 'vitest';
import { datetimeModule, PyDateTime } from '../../../../src/templating/context/py-datetime.js';

const dt = datetimeModule() as {
  datetime: ((...a: unknown[]) => PyDateTime) & { strptime(s: string, f: string): PyDateTime; fromisoformat(s: string): PyDateTime };
  date: ((...a: unknown[]) => PyDateTime) & { fromisoformat(s: string): PyDateTime };
  timedelta: (...a: unknown[]) => { toString(): string; total_seconds(): number };
};
const kw = (o: Record<string, unknown>) => ({ ...o, __keywords: true });

describe("Python's datetime, as dbt templates see it", () => {
  it('prints and formats as Python does', () => {
    const d = dt.datetime(2024, 3, 1, 9, 5, 7);
    expect(String(d)).toBe('2024-03-01 09:05:07');
    expect(d.isoformat()).toBe('2024-03-01T09:05:07');
    expect(d.strftime('%Y%m%d %H:%M:%S %a %A %b %B %j %y %I%p %%')).toBe('20240301 09:05:07 Fri Friday Mar March 061 24 09AM %');
    expect(String(new PyDateTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678), true))).toBe('2024-01-02 03:04:05.678000+00:00');
    expect(String(dt.date(2024, 2, 29))).toBe('2024-02-29');
    expect(String(dt.datetime(2024, 1, 1).date())).toBe('2024-01-01');
    expect(dt.datetime(2024, 1, 1).weekday()).toBe(0);
  });

  it('parses, replaces, compares and measures', () => {
    expect(dt.datetime.strptime('01/03/24 10:30', '%d/%m/%y %H:%M').isoformat()).toBe('2024-03-01T10:30:00');
    expect(() => dt.datetime.strptime('2024-03', '%Y-%m-%d')).toThrow(/does not match format/);
    expect(dt.datetime.fromisoformat('2024-03-01T10:30:00+00:00').isoformat()).toBe('2024-03-01T10:30:00+00:00');
    expect(dt.date.fromisoformat('2024-03-01').isoformat()).toBe('2024-03-01');
    expect(String(dt.datetime(2024, 3, 15).replace(kw({ day: 1 })))).toBe('2024-03-01 00:00:00');
    expect(+dt.datetime(2024, 1, 2) > +dt.datetime(2024, 1, 1)).toBe(true);
    expect(String(dt.timedelta(kw({ days: 1, hours: 2, minutes: 3 })))).toBe('1 day, 2:03:00');
    expect(String(dt.timedelta(kw({ hours: 5 })))).toBe('5:00:00');
    expect(dt.timedelta(kw({ weeks: 1 })).total_seconds()).toBe(604_800);
  });

  it("adds and subtracts as Python does (dbt_expectations' `date.today() - timedelta(365)`)", () => {
    const d = dt.date(2024, 3, 1) as unknown as { __sub__(o: unknown): unknown; __add__(o: unknown): unknown };
    expect(String(d.__sub__(dt.timedelta(365)))).toBe('2023-03-02');
    expect(String(d.__add__(dt.timedelta(kw({ hours: 30 }))))).toBe('2024-03-02');
    const t = dt.datetime(2024, 3, 1, 12) as unknown as { __sub__(o: unknown): unknown };
    expect(String(t.__sub__(dt.timedelta(kw({ days: 10 }))))).toBe('2024-02-20 12:00:00');
    expect(String(t.__sub__(dt.datetime(2024, 2, 29)))).toBe('1 day, 12:00:00');
    const today = (dt.datetime as unknown as { today(): PyDateTime }).today();
    expect(today.strftime('%Y')).toMatch(/^\d{4}$/);
  });
});
