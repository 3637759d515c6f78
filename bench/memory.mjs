#!/usr/bin/env node
// Memory benchmark: troupe's peak resident set size on large inputs, measured with GNU time
// (`/usr/bin/time -v`, "Maximum resident set size"). See bench/README.md for what the figures mean.
//
//   npm run build && node bench/memory.mjs [--case validate|subset|grid|all] [--rows N] [--json] [--keep]
//
// Cases (each one process, run one after the other, each bounded by --timeout):
//   validate  `troupe validate` of a generated N-row locations CSV (default 1,000,000 rows, ~110 MB);
//   subset    `troupe run` of one persona whose `locations: { tag: sample }` filter picks 1 row in 1,000
//             of that CSV (1,000 requests), reports included;
//   grid      `troupe run` of 100 personas × a 1,000-row CSV (100,000 requests), reports included.
// Runs go to bench/fast-server.mjs (own process, loopback, port 0): it answers at once, so what is
// measured is troupe, not a slow target. Inputs are generated into a temporary folder, removed at the
// end (--keep keeps it and prints its path).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TROUPE = join(ROOT, 'bin', 'troupe.js');
const SERVER = join(ROOT, 'bench', 'fast-server.mjs');
const GNU_TIME = '/usr/bin/time';
const CASES = ['validate', 'subset', 'grid'];

function usage(message) {
  process.stderr.write(`memory: ${message}\n`);
  process.exit(2);
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      case: { type: 'string', default: 'all' },
      rows: { type: 'string', default: '1000000' },
      personas: { type: 'string', default: '100' },
      'grid-locations': { type: 'string', default: '1000' },
      timeout: { type: 'string', default: '900' },
      dir: { type: 'string' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node bench/memory.mjs [--case validate|subset|grid|all] [--rows N] [--personas N] [--grid-locations N] [--json] [--keep]\n' +
        '  --case C            one case, or all of them in turn (default all)\n' +
        '  --rows N            rows of the big locations CSV for validate and subset (default 1000000)\n' +
        '  --personas N        personas of the grid case (default 100)\n' +
        '  --grid-locations N  locations of the grid case (default 1000)\n' +
        '  --timeout S         deadline per case in seconds (default 900)\n' +
        '  --dir DIR           parent of the temporary folder (default: the OS temp folder)\n' +
        '  --json              print the figures as JSON instead of a table\n' +
        '  --keep              keep the temporary folder (inputs, run directories) and print its path\n',
    );
    process.exit(0);
  }
  const cases = values.case === 'all' ? CASES : [values.case];
  if (!cases.every((c) => CASES.includes(c))) usage(`--case: expected one of ${CASES.join(', ')} or all, got ${values.case}`);
  const int = (name, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) usage(`${name}: expected a positive integer, got ${text}`);
    return n;
  };
  return {
    cases,
    rows: int('--rows', values.rows),
    personas: int('--personas', values.personas),
    gridLocations: int('--grid-locations', values['grid-locations']),
    timeoutMs: int('--timeout', values.timeout) * 1000,
    dir: values.dir ?? tmpdir(),
    json: values.json,
    keep: values.keep,
  };
}

// ---------------------------------------------------------------------------------------------------
// Inputs

// Ten columns, ~110 bytes a row (the issue's 1M-row file is 109 MB). Templates use `zip` and `id`; the
// subset persona's filter uses `tags`; name, address, city, state, lat, lon and notes are never used.
const HEADER = 'id,name,address,city,state,zip,lat,lon,tags,notes\n';

function csvRow(i, sampleEvery) {
  const n = String(i).padStart(7, '0');
  const zip = String(10000 + (i % 89999));
  const tags = sampleEvery > 0 && i % sampleEvery === 0 ? 'urban;sample' : i % 2 ? 'urban;retail' : 'suburban;office';
  const lat = (25 + (i % 2400) / 100).toFixed(6);
  const lon = (-70 - (i % 5000) / 100).toFixed(6);
  return `loc-${n},Store ${n},"${1 + (i % 9999)} Main St, Springfield, IL ${zip}",Springfield,IL,${zip},${lat},${lon},${tags},opened 2019 refit 2023\n`;
}

async function writeCsv(path, rows, sampleEvery) {
  const out = createWriteStream(path);
  let chunk = HEADER;
  for (let i = 1; i <= rows; i++) {
    chunk += csvRow(i, sampleEvery);
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

const REQUEST = ['request:', '  method: GET', '  path: "/api/{{location.id}}"', '  query:', '    zip: "{{location.zip}}"'];

function configText({ url, personas, locations, concurrency }) {
  return [`name: memory`, `target: ${url}`, `personas: ${personas}`, `locations: ${locations}`, ...REQUEST, `concurrency: ${concurrency}`, 'iterations: 1', 'order: persona', ''].join('\n');
}

async function writeInputs(dir, options, url, cases) {
  await mkdir(join(dir, 'grid-personas'), { recursive: true });
  const needBig = cases.includes('validate') || cases.includes('subset');
  if (needBig) await writeCsv(join(dir, 'big.csv'), options.rows, 1000);
  if (cases.includes('grid')) await writeCsv(join(dir, 'grid.csv'), options.gridLocations, 0);
  await writeFile(join(dir, 'all.yaml'), 'name: everyone\ndescription: visits every row\n');
  await writeFile(join(dir, 'sample.yaml'), 'name: sampler\ndescription: visits the rows tagged sample\nlocations: { tag: sample }\n');
  for (let p = 1; p <= options.personas; p++) {
    const n = String(p).padStart(3, '0');
    await writeFile(join(dir, 'grid-personas', `p${n}.yaml`), `name: persona ${n}\nparams:\n  segment: s${p % 7}\n`);
  }
  const files = {
    validate: configText({ url, personas: 'all.yaml', locations: 'big.csv', concurrency: 20 }),
    subset: configText({ url, personas: 'sample.yaml', locations: 'big.csv', concurrency: 20 }),
    grid: configText({ url, personas: 'grid-personas', locations: 'grid.csv', concurrency: 50 }),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, `${name}.yaml`), text);
}

// ---------------------------------------------------------------------------------------------------
// Processes

const children = new Set();
function killAll() {
  for (const child of children) {
    try {
      if (child.exitCode === null) process.kill(child.detached ? -child.pid : child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function track(child, detached = false) {
  child.detached = detached;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function startServer() {
  const child = track(spawn(process.execPath, [SERVER], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }));
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error('fast server printed no port within 10 s')), 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', (text) => {
      clearTimeout(timer);
      resolvePort(Number(text.trim()));
    });
    child.once('exit', (code) => reject(new Error(`fast server exited (${code})`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** Runs `node bin/troupe.js ARGS` under `/usr/bin/time -v`; resolves with its exit code and figures. */
async function measured(args, { cwd, timeoutMs, timeFile }) {
  const child = track(spawn(GNU_TIME, ['-v', '-o', timeFile, process.execPath, TROUPE, ...args], { cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'] }), true);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => (stderr = (stderr + text).slice(-8000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid, 'SIGKILL');
  }, timeoutMs);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  const report = await readFile(timeFile, 'utf8').catch(() => '');
  const rssKb = Number(/Maximum resident set size \(kbytes\):\s*(\d+)/.exec(report)?.[1]);
  const wall = /Elapsed \(wall clock\) time.*?:\s*([\d:.]+)\s*$/m.exec(report)?.[1] ?? '';
  const wallS = wall.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  const toolCode = Number(/Exit status:\s*(\d+)/.exec(report)?.[1] ?? code);
  return { code: timedOut ? 'timeout' : toolCode, rssMb: rssKb / 1024, wallS, stderr };
}

async function summarySize(outDir) {
  const runs = await readdir(outDir).catch(() => []);
  for (const run of runs) {
    const info = await stat(join(outDir, run, 'summary.json')).catch(() => null);
    if (info) return info.size;
  }
  return null;
}

const DESCRIPTIONS = {
  validate: (o) => `validate ${o.rows.toLocaleString('en-US')}-row CSV`,
  subset: (o) => `run 1 in 1,000 of ${o.rows.toLocaleString('en-US')} rows`,
  grid: (o) => `run ${o.personas} personas × ${o.gridLocations.toLocaleString('en-US')} locations`,
};

async function runCase(name, dir, options) {
  const outDir = join(dir, `out-${name}`);
  const args = name === 'validate' ? ['validate', '--config', `${name}.yaml`] : ['run', '--config', `${name}.yaml`, '--out', outDir, '--no-progress'];
  const result = await measured(args, { cwd: dir, timeoutMs: options.timeoutMs, timeFile: join(dir, `${name}.time`) });
  const size = name === 'validate' ? null : await summarySize(outDir);
  return { case: name, description: DESCRIPTIONS[name](options), exit: result.code, peakRssMb: Number(result.rssMb.toFixed(1)), wallS: Number(result.wallS.toFixed(2)), summaryBytes: size, stderr: result.code === 0 ? undefined : result.stderr.trim().split('\n').slice(-5).join('\n') };
}

function table(rows) {
  const mb = (bytes) => (bytes === null ? '—' : `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MB`);
  const lines = [['case', 'peak RSS MB', 'wall s', 'summary.json', 'exit'], ...rows.map((r) => [r.description, r.peakRssMb.toFixed(1), r.wallS.toFixed(2), mb(r.summaryBytes), String(r.exit)])];
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l, k) => l.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ') + (k === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const dir = await mkdtemp(join(options.dir, 'troupe-memory-'));
  const server = await startServer();
  const rows = [];
  try {
    await writeInputs(dir, options, server.url, options.cases);
    for (const name of options.cases) {
      const row = await runCase(name, dir, options);
      rows.push(row);
      if (!options.json) process.stderr.write(`memory: ${row.description}: ${row.peakRssMb} MB, ${row.wallS} s, exit ${row.exit}\n${row.stderr ? `${row.stderr}\n` : ''}`);
    }
  } finally {
    server.child.kill('SIGTERM');
    if (options.keep) process.stderr.write(`memory: kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
  const node = process.version;
  process.stdout.write(options.json ? `${JSON.stringify({ node, target: 'bench/fast-server.mjs', cases: rows }, null, 2)}\n` : `${table(rows)}\n(node ${node}, target bench/fast-server.mjs, peak RSS from /usr/bin/time -v)\n`);
  process.exitCode = rows.every((r) => r.exit === 0) ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`memory: ${err.stack ?? err}\n`);
  killAll();
  process.exit(1);
});
