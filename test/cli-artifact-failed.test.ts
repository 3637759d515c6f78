/**
 * A report or artifact that cannot be written: the command writes the rest, names what failed and why,
 * and exits 4. A file where a folder must go stops even root (chmod would not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadInputs } from '../src/inputs/config.js';
import { executeRun } from '../src/run/execute.js';
import { runCli } from './helpers/cli.js';
import { locationsCsv, writeProject } from './helpers/project.js';

const quiet = { stream: new PassThrough(), terminal: { isTTY: false, color: false }, enabled: false };

async function demoProject() {
  return writeProject({
    config: ['name: artifacts', 'target: demo', 'locations: locations.csv', 'request: { method: POST, path: /api/v1/analyze, json: { address: "{{location.route}}", radius_miles: 5 } }', 'concurrency: 2', 'demo: { missLatency: 0ms }', 'out: out', ''].join('\n'),
    personas: { 'a.yaml': 'name: Ana\n' },
    locations: locationsCsv(4, (i) => `${i} Main St`),
  });
}

test('troupe report: csv/ cannot be made → exit 4 naming csv/ and why; the other format is still written', async () => {
  const project = await demoProject();
  const { runDir } = await executeRun({ inputs: await loadInputs({ cwd: project, overrides: {} }), progress: quiet });
  await writeFile(join(runDir, 'csv'), 'a file where the csv folder must go\n');
  // csv,html: the other format is the HTML page (half a PDF's render cost; the PDF is the report tests').
  const result = await runCli(['report', runDir, '--format', 'csv,html'], { cwd: project });
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, /troupe: \S+\/csv\/ could not be written: EEXIST: file already exists, mkdir '[^']+\/csv'\n/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(result.stdout, `${join(runDir, 'report.html')}\n`, 'the files that were written are listed');
  assert.ok((await stat(join(runDir, 'report.html'))).size > 0);
  assert.ok(!(await readdir(runDir)).includes('report.pdf'), 'only the formats asked for');
});

test('troupe run: a --junit file that cannot be written → exit 4 naming it; the run and its reports are written', async () => {
  const project = await demoProject();
  await writeFile(join(project, 'blocker'), 'not a folder\n');
  const result = await runCli(['run', '--no-progress', '--junit', 'blocker/junit.xml', '--no-reports'], { cwd: project });
  assert.equal(result.code, 4, result.stderr);
  assert.match(result.stderr, /troupe: blocker\/junit\.xml could not be written: (EEXIST|ENOTDIR)/);
  const [id] = await readdir(join(project, 'out'));
  const files = await readdir(join(project, 'out', id!));
  assert.ok(files.includes('summary.json') && files.includes('summary.md'), files.join(', '));
});
