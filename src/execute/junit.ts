import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { NodeResult, RunSummary } from './results.js';
import { redact } from '../core/secrets.js';

/** Text for an XML attribute or element: escaped, and without characters XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function seconds(r: NodeResult): string {
  return ((r.completedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(3);
}

function body(r: NodeResult): string {
  const lines = [r.error?.headline ?? r.message, ...(r.error?.hint ? [`hint: ${r.error.hint}`] : []), ...(r.details ?? [])];
  return xmlEscape(redact(lines.join('\n')));
}

/**
 * The run as JUnit XML, which CI systems show as a test report: one test case per node, data
 * tests and models alike; a failing test is a <failure>, a node in error an <error>, a skipped
 * one <skipped>, a warning passes with its message in <system-out>.
 */
export function junitXml(summary: RunSummary, suiteName: string): string {
  const results = summary.results;
  const count = (f: (r: NodeResult) => boolean) => results.filter(f).length;
  const failures = count((r) => r.status === 'fail');
  const errors = count((r) => r.status === 'error');
  const skipped = count((r) => r.status === 'skipped');
  const time = summary.elapsedSeconds.toFixed(3);
  const attrs = `tests="${results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}"`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${xmlEscape(suiteName)}" ${attrs}>`];
  out.push(`  <testsuite name="${xmlEscape(suiteName)}" ${attrs} timestamp="${summary.startedAt.toISOString()}">`);
  for (const r of results) {
    const n = r.node;
    const classname = [n.resourceType, ...n.fqn.slice(0, -1)].join('.');
    const head = `    <testcase name="${xmlEscape(n.name)}" classname="${xmlEscape(classname)}" file="${xmlEscape(n.file)}" time="${seconds(r)}"`;
    const failureCount = r.failures !== undefined ? ` (${r.failures} failing row${r.failures === 1 ? '' : 's'})` : '';
    switch (r.status) {
      case 'fail':
        out.push(`${head}>`, `      <failure message="${xmlEscape(redact(r.message) + failureCount)}" type="fail">${body(r)}</failure>`, '    </testcase>');
        break;
      case 'error':
        out.push(`${head}>`, `      <error message="${xmlEscape(redact(r.error?.headline ?? r.message))}" type="error">${body(r)}</error>`, '    </testcase>');
        break;
      case 'skipped':
        out.push(`${head}>`, `      <skipped message="${xmlEscape(redact(r.message))}"/>`, '    </testcase>');
        break;
      case 'warn':
        out.push(`${head}>`, `      <system-out>${xmlEscape('WARN: ')}${body(r)}</system-out>`, '    </testcase>');
        break;
      default:
        out.push(`${head}/>`);
    }
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}

/** Writes the JUnit report; `file` is relative to the current folder, as CI configs expect. */
export function writeJUnit(file: string, summary: RunSummary, suiteName: string): string {
  const abs = path.resolve(file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, junitXml(summary, suiteName));
  return abs;
}
