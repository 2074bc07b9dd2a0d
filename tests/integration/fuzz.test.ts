// Generated broken projects: random mutations of the shipped project's files. Whatever the damage,
// the CLI answers with exit code 0, 1 or 2 and a message, never a crash or a stack trace.

import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { faultSeed, prng } from '../helpers/faults.js';
import { copyShippedProject, runModel } from '../helpers/project.js';

const rng = prng(faultSeed());
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const STACK = /\n\s+at .+:\d+:\d+\)?(\n|$)/;

let base: string;

function filesOf(dir: string, exts: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile() && exts.test(f) && !f.includes(`${path.sep}target${path.sep}`) && !f.includes(`${path.sep}data${path.sep}`));
}

const BAD_JINJA = [
  '{{ oops( }}',
  '{% if %}',
  '{% endif %}',
  "{{ ref('nothing_here') }}",
  '{{ undefined_thing.attr.deeper }}',
  '{{ var() }}',
  "{{ env_var('NOT_SET_ANYWHERE_X') }}",
  '{% macro %}',
  '{{ 1 / 0 }}',
  "{{ exceptions.raise_compiler_error('boom') }}",
  '{% for x in 5 %}{{ x }}{% endfor %}',
  "{{ source('raw', 'nope') }}",
  '{{ config(materialized=42) }}',
  '{{ this.nope() }}',
  "{{ adapter.dispatch('nope')() }}",
];
const BAD_YAML = [': :', '[', '{a: ', '\t- x', 'version: [', 'models: 5', '  - name: {{', 'unknown_key: 1', '"unterminated', '- - -', '&a *b'];
const BAD_VARS = [
  '{countries: 5}',
  '{countries: [1, 2]}',
  '{countries: []}',
  '{countries: {a: 1}}',
  '{recency_reference_date: [1]}',
  '{recency_reference_date: "nope"}',
  '{vouchers_path: 5}',
  '{',
  '[1, 2]',
  'null',
  '{countries: ["\'; drop table x; --"]}',
];

/** One random mutation of the project in `dir`; returns what it did, for the failure message. */
function mutate(dir: string): string {
  const textFiles = filesOf(dir, /\.(sql|ya?ml|csv|md)$/);
  const file = pick(textFiles);
  const rel = path.relative(dir, file);
  const text = readFileSync(file, 'utf8');
  const at = Math.floor(rng() * (text.length + 1));
  switch (Math.floor(rng() * 8)) {
    case 0:
      writeFileSync(file, text.slice(0, at));
      return `truncated ${rel} at ${at}`;
    case 1: {
      const bad = pick(BAD_JINJA);
      writeFileSync(file, text.slice(0, at) + bad + text.slice(at));
      return `inserted ${bad} into ${rel} at ${at}`;
    }
    case 2: {
      const bad = pick(BAD_YAML);
      const yml = pick(filesOf(dir, /\.ya?ml$/));
      const t = readFileSync(yml, 'utf8');
      const lines = t.split('\n');
      const line = Math.floor(rng() * lines.length);
      lines.splice(line, 0, bad);
      writeFileSync(yml, lines.join('\n'));
      return `inserted ${bad} into ${path.relative(dir, yml)} line ${line + 1}`;
    }
    case 3: {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rng() * 20) }, () => Math.floor(rng() * 256)));
      const buf = Buffer.from(text);
      writeFileSync(file, Buffer.concat([buf.subarray(0, at), bytes, buf.subarray(at)]));
      return `inserted ${bytes.length} random bytes into ${rel} at ${at}`;
    }
    case 4:
      rmSync(file);
      return `deleted ${rel}`;
    case 5: {
      const csv = filesOf(dir, /\.csv$/)[0];
      if (!csv) return 'no csv';
      const rows = readFileSync(csv, 'utf8').split('\n');
      const r = 1 + Math.floor(rng() * Math.max(1, rows.length - 1));
      rows[r] = pick(['a,b', 'x,y,z,w,v', '"unterminated,1,2,3', 'recency_segment,0-30,zero,30', '', ',,,']);
      writeFileSync(csv, rows.join('\n'));
      return `rewrote row ${r} of ${path.relative(dir, csv)} to ${rows[r]}`;
    }
    case 6: {
      // What editors and other tools do to files: a BOM, CRLF, tabs, a duplicated line, a header-only
      // or duplicated-column CSV, a quoted newline.
      const lines = text.split('\n');
      const line = Math.floor(rng() * lines.length);
      const variants: [string, () => string][] = [
        ['BOM', () => `\uFEFF${text}`],
        ['CRLF', () => text.replace(/\n/g, '\r\n')],
        ['tab indentation', () => text.replace(/^ {2}/gm, '\t')],
        [`duplicated line ${line + 1}`, () => [...lines.slice(0, line + 1), ...lines.slice(line)].join('\n')],
        ['header only', () => `${lines[0]}\n`],
        ['duplicated first column', () => lines.map((l) => `${l.split(',')[0]},${l}`).join('\n')],
        ['quoted newline', () => text.replace(/,([^,\n]*)\n/, ',"$1\nsecond line"\n')],
      ];
      const [what, edit] = pick(variants);
      writeFileSync(file, edit());
      return `${what} in ${rel}`;
    }
    default: {
      // Swap two characters that matter to parsers.
      const ch = pick(['{', '}', '%', "'", '"', ':', '-', '(', ')', '\n']);
      writeFileSync(file, text.slice(0, at) + ch + text.slice(at + 1));
      return `replaced char ${at} of ${rel} with ${JSON.stringify(ch)}`;
    }
  }
}

async function cliInProcess(args: string[]): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  err.on('data', (d: Buffer) => (text += d.toString()));
  const code = await runCli(['node', 'model', ...args], { out, err });
  return { code, text };
}

beforeAll(() => {
  base = copyShippedProject();
});

describe('fuzz: generated broken projects never crash the CLI', () => {
  it('100 mutated projects: compile (and some builds) exit 0, 1 or 2 with no stack trace', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'model-fuzz-'));
    for (let i = 0; i < 100; i++) {
      const dir = path.join(root, String(i));
      cpSync(base, dir, { recursive: true });
      const done = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => mutate(dir));
      const args = ['--project-dir', dir];
      if (rng() < 0.25) args.push('--vars', pick(BAD_VARS));
      const command = i % 6 === 0 ? 'build' : pick(['compile', 'compile', 'ls', 'debug']);
      const r = await cliInProcess([command, ...args]);
      const what = `run ${i}: model ${command} ${args.slice(2).join(' ')} after ${done.join('; ')}\n${r.text}`;
      expect([0, 1, 2], what).toContain(r.code);
      expect(r.text, what).not.toMatch(/internal error/);
      expect(r.text, what).not.toMatch(STACK);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a few broken projects through the real CLI process too', async () => {
    for (let i = 0; i < 4; i++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'model-fuzz-proc-'));
      cpSync(base, dir, { recursive: true });
      const done = [mutate(dir), mutate(dir)];
      const r = await runModel([pick(['build', 'compile']), '--vars', pick(BAD_VARS)], { cwd: dir });
      const what = `${done.join('; ')}\n${r.stdout}${r.stderr}`;
      expect([0, 1, 2], what).toContain(r.code);
      expect(r.stdout + r.stderr, what).not.toMatch(/internal error/);
      expect(r.stdout + r.stderr, what).not.toMatch(STACK);
    }
    expect(existsSync(base)).toBe(true);
  });
});
