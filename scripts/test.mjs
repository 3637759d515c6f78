// The test command: every test file in parallel (packed into six processes, three at a time, at the
// lowest CPU priority), and beside them the timing-sensitive ones (*.timing.test.js: real-time rates,
// timeout precision, signals) two at a time at normal priority, so a CPU-heavy neighbour cannot skew
// what they measure. Ends with one line:
//   troupe tests: 613 passed, 0 failed in 90.9 s (timing 24.5 s, parallel 90.9 s, cpu 165.7 s)
//
//   node scripts/test.mjs              the full suite
//   node scripts/test.mjs --smoke      the short subset CI runs on a second Node version
//   node scripts/test.mjs --slowest=20 also list the 20 slowest files (where the time goes)
//   node scripts/test.mjs --jobs=3     processes at a time in the parallel group (default 3)
//   node scripts/test.mjs --timing-jobs=2  timing processes at a time (default 2)
//   node scripts/test.mjs --record-times  also write each file's time to scripts/test-times.json (the order)
//   node scripts/test.mjs FILE...      only these files (names as in dist/test, e.g. capacity.test.js)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliEntry } from '../bin/cli-entry.js';

// The smoke subset, for a second Node version (CI runs it on Node 24): what can differ between
// versions — the in-process API and the demo, the input loader and the hostile corpus, undici and the
// fault servers, the stdout pipe contract and the CLI's exit-2 path, the import graph. Under 10 s.
const SMOKE = [
  'architecture.test.js',
  'cli-bad-input.test.js',
  'cli-contract.test.js',
  'demo-fallback.test.js',
  'engine.test.js',
  'fixtures.test.js',
  'hostile-inputs.test.js',
  'servers.test.js',
];

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const slowestArg = argv.find((a) => a.startsWith('--slowest'));
const slowest = slowestArg ? Number(slowestArg.split('=')[1] ?? 20) : 0;
const named = argv.filter((a) => !a.startsWith('--'));
// Processes in parallel: three on two cores, because many tests wait on a server, a timer or a child
// more than they compute (the profile of a full run: the test processes idle two thirds of the time).
// engine.test.js's 300 ms header timeout once missed at four: the header wait counted the wait for a
// connection then (it now runs from the write, as undici's does).
const jobs = Number(argv.find((a) => a.startsWith('--jobs='))?.split('=')[1] ?? 3);
// Timing files at a time: two. They mostly wait on real time (arrival rates, timeouts, signals), so
// two side by side leave each other's figures inside their ranges; a CPU-heavy neighbour from the
// parallel group at the same priority would not, which is why that group runs at nice 19.
const timingJobs = Number(argv.find((a) => a.startsWith('--timing-jobs='))?.split('=')[1] ?? 2);

const dir = join('dist', 'test');
const all = readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort();
const chosen = named.length > 0 ? named.map((f) => basename(f)) : smoke ? SMOKE : all;
const missing = chosen.filter((f) => !all.includes(f));
if (missing.length > 0) {
  console.error(`test.mjs: no such test file in ${dir}: ${missing.join(', ')}`);
  process.exit(2);
}
// The CLI tests spawn bin/troupe.js, which runs the bundle only while it is current (bin/cli-entry.js):
// after `npx tsc` alone they would pass on the modules while the bundle users get went untested.
if (!cliEntry().endsWith('/dist/cli/main.cjs')) {
  console.error('test.mjs: the CLI bundle (dist/cli/) is missing or older than dist/src: run `npm run build` (or `node scripts/bundle.mjs` after tsc)');
  process.exit(2);
}
const timing = chosen.filter((f) => f.endsWith('.timing.test.js'));
// Packed by the times in scripts/test-times.json (`--record-times` rewrites it from a full run).
const timesFile = join('scripts', 'test-times.json');
const lastTimes = readTimes(timesFile);
// A file with no recorded time (a new one) is packed as if it took this long.
const UNKNOWN_MS = 3000;
const parallel = chosen.filter((f) => !timing.includes(f));

const reporter = pathToFileURL(join('scripts', 'test-reporter.mjs')).href;
const scratch = mkdtempSync(join(tmpdir(), 'troupe-test-'));
// The tests' own temp folders (tempDir(), mkdtemp(tmpdir())): made inside the scratch folder through
// TMPDIR, so they go with it at the end; ~440 folders a run were left in /tmp before.
const testTmp = join(scratch, 'tmp');
mkdirSync(testTmp);
// Files share processes: a test process spends ~0.7 CPU-s importing dist/src before its first test
// (Node 20's module loader, undici, yaml, zod), which over ~90 files was a third of the suite's CPU.
// Each group's files are packed into a few entry files by their last times (longest first onto the
// least-loaded bucket), so the buckets end together; node:test still reports every test under its own
// file.
const totals = { pass: 0, fail: 0, files: [] };
const cpuBefore = childCpuSeconds();
const seconds = {};
// The two groups run at the same time: the timing files at normal priority, the parallel group at the
// lowest (nice 19), so the kernel hands a waking timing test its core at once (a nice-0 task outweighs
// a nice-19 one 68 to 1) while the parallel group soaks up every cycle the timing files leave idle.
// Run one after the other they took 84 s + 23 s; the timing files use about one core for half of theirs.
// The timing group's spec output is kept and printed after the parallel group's, so the two do not mix.
const groups = [['parallel', jobs, parallel, 19], ['timing', timingJobs, timing, 0]].filter(([, , group]) => group.length > 0);
const started = performance.now();
const finished = await Promise.all(groups.map(([name, concurrency, group, niceness]) => runGroup(name, concurrency, group, niceness)));
seconds.total = (performance.now() - started) / 1000;
for (const { name, status, spec } of finished) {
  if (spec !== undefined) process.stdout.write(readFileSync(spec, 'utf8'));
  const counted = count(readFileSync(join(scratch, `${name}.ndjson`), 'utf8'));
  totals.pass += counted.pass;
  // A crashed runner (status ≠ 0 with no failing test) still fails the suite.
  totals.fail += counted.fail || (status === 0 ? 0 : 1);
  totals.files.push(...counted.files);
}
rmSync(scratch, { recursive: true, force: true });
if (argv.includes('--record-times') && named.length === 0 && !smoke) {
  const times = Object.fromEntries(totals.files.sort((a, b) => a.name.localeCompare(b.name)).map((f) => [f.name, Math.round(f.ms)]));
  writeFileSync(timesFile, `${JSON.stringify(times, null, 1)}\n`);
}

if (slowest > 0) {
  console.log(`\nslowest ${slowest} test files (sum of its top-level tests, s):`);
  for (const f of totals.files.sort((a, b) => b.ms - a.ms).slice(0, slowest)) {
    console.log(`  ${(f.ms / 1000).toFixed(1).padStart(6)}  ${f.name}`);
  }
}
const { total, ...groupSeconds } = seconds;
// CPU seconds of every test process: unlike wall time, barely moved by other work on a shared machine.
const cpu = childCpuSeconds() - cpuBefore;
const parts = [...Object.entries(groupSeconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`), ...(Number.isFinite(cpu) ? [`cpu ${cpu.toFixed(1)} s`] : [])].join(', ');
console.log(`\ntroupe tests${smoke ? ' (smoke)' : ''}: ${totals.pass} passed, ${totals.fail} failed in ${total.toFixed(1)} s (${parts})`);
process.exit(totals.fail > 0 ? 1 : 0);

/** Runs one group's files under node --test; resolves with its exit status once it ends. */
function runGroup(name, concurrency, group, niceness) {
  const log = join(scratch, `${name}.ndjson`);
  // Only the first group to start writes to the terminal as it goes; the others write to a file.
  const spec = name === groups[0][0] ? undefined : join(scratch, `${name}.spec.txt`);
  const args = [
    // A test that waits on something that never comes fails after two minutes (the slowest whole
    // file takes ~16 s) instead of holding the suite, and CI, until its hard limit.
    '--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000',
    '--test-reporter=spec', `--test-reporter-destination=${spec ?? 'stdout'}`,
    `--test-reporter=${reporter}`, `--test-reporter-destination=${log}`,
    ...bundle(name, group, name === 'parallel' ? concurrency * 2 : concurrency),
  ];
  const begun = performance.now();
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, TMPDIR: testTmp } });
  // Set before the runner has started any test process: they inherit it, as do the CLIs they spawn.
  if (niceness !== 0) {
    try {
      setPriority(child.pid, niceness);
    } catch {
      // Not permitted here: the group runs at normal priority, only slower to share.
    }
  }
  return new Promise((resolve) => {
    child.on('close', (status) => {
      seconds[name] = (performance.now() - begun) / 1000;
      resolve({ name, status, spec });
    });
  });
}

/**
 * The entry files for a group: its files packed into `count` buckets that each import theirs in turn
 * (longest first onto the least-loaded bucket, so no long file is left for the end while the other
 * slots stand idle).
 */
function bundle(name, files, count) {
  const buckets = Array.from({ length: Math.min(count, files.length) }, () => ({ ms: 0, files: [] }));
  const ms = (f) => lastTimes[f] ?? UNKNOWN_MS;
  for (const f of [...files].sort((a, b) => ms(b) - ms(a) || a.localeCompare(b))) {
    const least = buckets.reduce((a, b) => (b.ms < a.ms ? b : a));
    least.ms += ms(f);
    least.files.push(f);
  }
  const entries = buckets.map((bucket, i) => {
    const entry = join(scratch, `${name}-${i + 1}.mjs`);
    const imports = bucket.files.map((f) => `await import(${JSON.stringify(pathToFileURL(join(process.cwd(), dir, f)).href)});`);
    writeFileSync(entry, `${imports.join('\n')}\n`);
    return entry;
  });
  return entries;
}

/** File name → ms of its top-level tests in the last full run; {} when there was none. */
function readTimes(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

/** User + system CPU of waited-for descendants (Linux /proc; NaN elsewhere), at 100 ticks per second. */
function childCpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

// What scripts/test-reporter.mjs wrote: counts, and top-level test durations summed per file.
function count(text) {
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const sum = (key) => lines.reduce((n, l) => n + (l[key] ?? 0), 0);
  const perFile = new Map();
  for (const l of lines) if (l.file) perFile.set(l.file, (perFile.get(l.file) ?? 0) + l.ms);
  const files = [...perFile].map(([name, ms]) => ({ name: basename(name), ms }));
  return { pass: sum('pass'), fail: sum('fail') + sum('cancelled'), files };
}
