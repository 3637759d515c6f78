/**
 * The layout's one-way flow, checked over the source tree: a wrong-way import fails here, not in review.
 * cli → everything; the core folders never reach up into cli, run orchestration, reports or bench.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

const SRC = join(REPO_ROOT, 'src');

/** Top-level area of a file under src/: its first folder, or the file's stem for src/errors.ts etc. */
function areaOf(file: string): string {
  const [first, second] = relative(SRC, file).split(sep);
  return second === undefined ? first!.replace(/\.[jt]s$/, '') : first!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative import of a file, static, re-export or dynamic, as the area it lands in. */
function importedAreas(file: string): { area: string; specifier: string }[] {
  const text = readFileSync(file, 'utf8');
  const found: { area: string; specifier: string }[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)) {
    const target = resolve(dirname(file), m[1]!);
    if (!target.startsWith(SRC + sep)) continue;
    found.push({ area: areaOf(target), specifier: m[1]! });
  }
  return found;
}

// What each area may import besides itself. Leaves (errors, version, redact, util) import little or nothing.
const ALLOWED: Record<string, readonly string[]> = {
  errors: [],
  version: [],
  util: [],
  redact: [],
  inputs: ['errors', 'version', 'util'],
  plan: ['inputs', 'errors', 'util'],
  engine: ['inputs', 'plan', 'metrics', 'errors', 'util', 'redact', 'version'],
  metrics: ['inputs', 'engine', 'errors', 'util'],
  sinks: ['inputs', 'engine', 'metrics', 'run-dir', 'errors', 'util', 'redact'],
  demo: ['inputs', 'errors', 'util'],
  'run-dir': ['inputs', 'engine', 'metrics', 'errors', 'util', 'version'],
  scaffold: ['inputs', 'errors', 'util', 'redact', 'version'],
};
// Never, whatever the table above grows into: the core does not reach up.
const NEVER: Record<string, readonly string[]> = {
  inputs: ['plan', 'engine', 'metrics', 'sinks', 'run', 'run-dir', 'reports', 'cli', 'bench', 'demo'],
  engine: ['cli', 'reports', 'run', 'run-dir', 'bench', 'sinks'],
  metrics: ['cli', 'reports', 'run', 'run-dir', 'bench', 'sinks'],
  sinks: ['cli', 'reports', 'run', 'bench'],
  // The on-disk format sits below everything that runs or reports.
  'run-dir': ['cli', 'reports', 'run', 'bench', 'sinks'],
};

test('imports point one way: cli → everything; inputs import nothing above them; engine, metrics, sinks never import cli, reports or run', () => {
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = areaOf(file);
    for (const { area, specifier } of importedAreas(file)) {
      if (area === from) continue;
      const never = NEVER[from]?.includes(area) ?? false;
      const allowed = from === 'cli' || from === 'index' ? area !== 'bin' : ALLOWED[from] === undefined ? area !== 'cli' : ALLOWED[from]!.includes(area);
      if (never || !allowed) wrong.push(`${relative(REPO_ROOT, file)} imports ${specifier} (${from} → ${area})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the checker sees static, re-exported and dynamic imports', () => {
  const file = join(SRC, 'cli', 'main.ts');
  const areas = new Set(importedAreas(file).map((i) => i.area));
  assert.ok(areas.has('errors') && areas.has('cli'), [...areas].join(', '));
  const reexports = importedAreas(join(SRC, 'engine', 'records.ts')).map((i) => i.area);
  assert.ok(reexports.includes('inputs'), 'export … from is an import');
  const dynamic = importedAreas(join(SRC, 'cli', 'commands', 'run.ts')).map((i) => i.area);
  assert.ok(dynamic.includes('run') && dynamic.includes('reports'), 'import() is an import');
});

// The run directory's file and folder names: only src/run-dir/ spells them; everyone else asks it for paths.
const RUN_DIR_NAMES = ['run.json', 'summary.json', 'results.ndjson', 'personas', 'csv', 'report.pdf', 'report.html', 'compare.json', 'compare.csv', 'compare.md', 'junit.xml', 'summary.md'];

/**
 * String literals that are a run-directory name, or a path ending in one (`x/run.json`), and any use of
 * RUN_FILES. A name inside a sentence (an error message, a help text) is prose, not a path, and passes.
 * `personas` and `csv` are also config keys and format names: as a bare literal they count only as a
 * path argument (`join(dir, 'personas')`, `mkdir(… 'csv'`).
 */
function runDirNameUses(text: string): string[] {
  const found: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[\s;,{}()])\/\/.*$/gm, '$1');
  for (const m of code.matchAll(/(['"`])((?:[^'"`\\\n]|\\.)*?)\1/g)) {
    const literal = m[2]!;
    const last = literal.split('/').pop()!;
    if (!RUN_DIR_NAMES.includes(last) || (literal.includes('/') && /\s/.test(literal))) continue;
    if ((last === 'personas' || last === 'csv') && !literal.includes('/')) {
      const before = code.slice(Math.max(0, m.index! - 40), m.index!);
      if (!/(join|resolve|mkdir|rm)\([^()]*$/.test(before)) continue;
    }
    found.push(m[0]);
  }
  for (const _ of code.matchAll(/\bRUN_FILES\b/g)) found.push('RUN_FILES');
  return found;
}

/** Same names, other folders: each with why it is not the run directory's. */
const NOT_THE_RUN_DIR = new Set([
  "src/inputs/demo-inputs.ts: 'personas'", // the package's shipped demo personas/ folder
]);

test('only src/run-dir/ touches the run directory\'s file names', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(SRC)) {
    if (file.startsWith(join(SRC, 'run-dir') + sep)) continue;
    for (const use of runDirNameUses(readFileSync(file, 'utf8'))) {
      const entry = `${relative(REPO_ROOT, file)}: ${use}`;
      if (!NOT_THE_RUN_DIR.has(entry)) offenders.push(entry);
    }
  }
  assert.deepEqual(offenders, [], 'ask src/run-dir/ (runDirPaths, snapshotPath, the read and write functions) instead');
});

test('the file-name check sees paths and RUN_FILES, and lets prose and config keys pass', () => {
  assert.deepEqual(runDirNameUses("join(dir, 'run.json'); x = `${dir}/summary.json`; RUN_FILES.results; mkdir(join(d, 'personas'))"), ["'run.json'", '`${dir}/summary.json`', "'personas'", 'RUN_FILES']);
  assert.deepEqual(runDirNameUses("fail('has no run.json here'); const k = { personas: 'personas' }; // 'summary.json'\n'csv/ and report.pdf at the end'"), []);
});

test('the README\'s developer section has one paragraph per src/ folder, and none for a folder that is gone', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- layout -->'));
  const described = [...section.matchAll(/^- \*\*`src\/([a-z-]+)\/`\*\*/gm)].map((m) => m[1]!).sort();
  const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  assert.deepEqual(described, folders);
});
