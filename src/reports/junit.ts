/**
 * JUnit XML for CI: one testsuite per run, one testcase per threshold and per regression check.
 * Failures carry the measured value and the limit, so a CI test tab reads like the console.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunSummary } from '../run-dir/types.js';
import { comparisonRows, type Comparison } from './compare.js';

// XML 1.0 cannot carry most control characters even escaped: drop them.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(text: string): string {
  return text.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string; body: string };
  skipped?: string;
}

function renderCase(t: Case): string {
  const open = `    <testcase classname="${escapeXml(t.classname)}" name="${escapeXml(t.name)}" time="0"`;
  if (t.failure) {
    const f = t.failure;
    return `${open}>\n      <failure type="${escapeXml(f.type)}" message="${escapeXml(f.message)}">${escapeXml(f.body)}</failure>\n    </testcase>`;
  }
  if (t.skipped !== undefined) return `${open}>\n      <skipped message="${escapeXml(t.skipped)}"/>\n    </testcase>`;
  return `${open}/>`;
}

/** Pure: summary (with its threshold verdict) and an optional comparison in, JUnit XML out. */
export function renderJunit(summary: Pick<RunSummary, 'runId' | 'name' | 'startedAt' | 'durationMs' | 'thresholds'>, comparison?: Comparison | null): string {
  const cases: Case[] = [];
  for (const r of summary.thresholds?.results ?? []) {
    const measured = r.measured === null ? 'no data' : `${r.measured} ${r.unit}`;
    cases.push({
      classname: `troupe.thresholds.${r.scope}`,
      name: r.expression,
      ...(r.passed ? {} : { failure: { type: 'threshold', message: r.message, body: `scope: ${r.scope}\nmetric: ${r.metric}\nmeasured: ${measured}\nlimit: ${r.operator} ${r.limit} ${r.unit}\n${r.message}` } }),
    });
  }
  if (comparison) {
    const cells = comparisonRows(comparison);
    comparison.rows.forEach((row, i) => {
      const cell = cells[i]!;
      const message = `${row.metric} ${cell.direction}: ${cell.baseline} → ${cell.current} (${cell.change}), tolerance ${cell.tolerance}`;
      const c: Case = { classname: `troupe.regression.${row.scope}`, name: `${row.metric} (${row.scope}) vs baseline` };
      if (row.regressed) c.failure = { type: 'regression', message, body: `baseline: ${cell.baseline}\ncurrent: ${cell.current}\nchange: ${cell.change}\ntolerance: ${cell.tolerance}\nsamples: ${row.samples.baseline} → ${row.samples.current}` };
      else if (!row.judged) c.skipped = row.note;
      cases.push(c);
    });
  }
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = (summary.durationMs / 1000).toFixed(3);
  const suiteName = `troupe ${summary.runId}`;
  const attrs = `tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="troupe" ${attrs}>`,
    `  <testsuite name="${escapeXml(suiteName)}" ${attrs} timestamp="${escapeXml(summary.startedAt)}">`,
    ...cases.map(renderCase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export async function writeJunit(path: string, xml: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, xml);
}
