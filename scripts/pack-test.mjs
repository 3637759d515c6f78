// The install test: troupe as a user gets it. `npm pack` (prepack builds), the tarball's file list,
// an empty project that installs it from the tarball (its dependencies come from the registry), and
// there: the demo fallback, the README's programmatic API example and "Use it on your own service"
// commands, a global install as the Dockerfile's runtime stage does it, and the Kubernetes example's
// shard and merge command lines read from the YAML. Run by .ci/run after the unit suite:
//
//   node scripts/pack-test.mjs          # exit 0 when every step passed; prints each step's time
//
// Every spawned process is bounded in time. Temp files go under $TMPDIR/troupe-pack-*; kept on failure.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));
const YAML = require('yaml');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const WORK = mkdtempSync(join(tmpdir(), 'troupe-pack-'));
const PROJECT = join(WORK, 'project');
const PREFIX = join(WORK, 'prefix');
const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------------
// Processes

/** Run a command to completion within `timeoutMs`; throws with its output unless it exits `expect`. */
function sh(command, { cwd = PROJECT, env = {}, timeoutMs = MINUTE, expect = 0 } = {}) {
  const result = spawnSync('sh', ['-c', command], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env }, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 });
  const out = { code: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  if (result.error || out.code !== expect) {
    const why = result.error ? `${result.error.message} (limit ${timeoutMs} ms)` : `exit ${out.code}, expected ${expect}`;
    throw new Error(`${command} (in ${cwd}): ${why}\n--- stdout\n${out.stdout.slice(-4000)}\n--- stderr\n${out.stderr.slice(-4000)}`);
  }
  return out;
}

/** The same, without blocking: for the shards that run at once. */
function shAsync(command, { cwd, env = {}, timeoutMs = 2 * MINUTE }) {
  return new Promise((resolvePromise) => {
    const child = spawn('sh', ['-c', command], { cwd, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: signal ? `killed by ${signal} (limit ${timeoutMs} ms)` : code, stdout, stderr });
    });
  });
}

/**
 * `troupe demo-server --port 0` from an installed troupe (the project's by default; the Kubernetes step
 * passes the global install's); resolves to its URL and a stop function.
 */
function startDemoServer(bin = join(PROJECT, 'node_modules', '.bin', 'troupe')) {
  const child = spawn(bin, ['demo-server', '--port', '0'], { cwd: WORK, stdio: ['ignore', 'pipe', 'pipe'] });
  const limit = setTimeout(() => child.kill('SIGKILL'), 10 * MINUTE);
  const stop = () => {
    clearTimeout(limit);
    child.kill('SIGTERM');
  };
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error('troupe demo-server printed no URL within 15 s'))), 15_000);
    child.on('error', (err) => (clearTimeout(timer), clearTimeout(limit), reject(new Error(`${bin} demo-server: ${err.message}`))));
    child.stdout.on('data', (d) => {
      const match = /http:\/\/\S+/.exec(String(d));
      if (match) {
        clearTimeout(timer);
        resolvePromise({ url: match[0], stop });
      }
    });
  });
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const runDirs = (dir) => (existsSync(dir) ? readdirSync(dir).filter((e) => statSync(join(dir, e)).isDirectory()).map((e) => join(dir, e)) : []);
const commands = () => sh('npx troupe --help').stdout;
const hasCommand = (name) => new RegExp(`^\\s+${name}\\b`, 'm').test(commands());

/** The fenced block right after `<!-- marker -->` in the README. */
function readmeBlock(marker) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- ${marker} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  check(match, `README.md has no fenced block after <!-- ${marker} -->`);
  return match[1];
}

// ---------------------------------------------------------------------------------------------------
// Steps

let tarball;
let tarballFiles;

function pack() {
  const { stdout } = sh(`npm pack --pack-destination ${JSON.stringify(WORK)} --json`, { cwd: ROOT, timeoutMs: 5 * MINUTE });
  // The lifecycle scripts' output (prepack: clean, build) comes first on stdout; the JSON report last.
  const [info] = JSON.parse(stdout.slice(stdout.search(/^\[\s*$/m)));
  tarball = join(WORK, info.filename);
  tarballFiles = info.files.map((f) => f.path).sort();
  return `${basename(tarball)}: ${tarballFiles.length} files, ${(info.size / 1024).toFixed(0)} KiB`;
}

function fileList() {
  const allowed = [/^package\.json$/, /^README\.md$/, /^CHANGELOG\.md$/, /^LICENSE(\.md)?$/, /^bin\/(troupe|cli-entry|run-bundle)\.js$/, /^dist\/src\/.+\.(js|d\.ts)$/, /^dist\/cli\/main\.cjs$/, /^personas\/[^/]+\.yaml$/, /^fixtures\/locations\.csv$/, /^schema\/[^/]+\.json$/, /^scripts\/prepare\.mjs$/];
  const stray = tarballFiles.filter((f) => !allowed.some((re) => re.test(f)));
  check(stray.length === 0, `unexpected files in the tarball: ${stray.join(', ')}`);
  check(!tarballFiles.some((f) => /(^|\/)(test|tests|__tests__)\//.test(f) || /\.test\.(js|ts)$/.test(f)), 'test files in the tarball');
  const required = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'scripts/prepare.mjs', 'bin/troupe.js', 'bin/cli-entry.js', 'dist/src/cli/main.js', 'dist/cli/main.cjs', 'bin/run-bundle.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'fixtures/locations.csv', 'personas/sarah.yaml'];
  // The build generates the JSON Schema (once `troupe schema` exists); whatever it wrote must ship.
  if (existsSync(join(ROOT, 'schema'))) required.push(...readdirSync(join(ROOT, 'schema')).filter((f) => f.endsWith('.json')).map((f) => `schema/${f}`));
  const missing = required.filter((f) => !tarballFiles.includes(f));
  check(missing.length === 0, `missing from the tarball: ${missing.join(', ')}`);
  return `only ${allowed.length} kinds of file; none of test/, dist/test or test fixtures`;
}

function installIntoEmptyProject() {
  mkdirSync(PROJECT);
  sh('npm init -y');
  sh(`npm i -D ${JSON.stringify(tarball)} --no-audit --no-fund`, { timeoutMs: 5 * MINUTE });
  check(existsSync(join(PROJECT, 'node_modules', '.bin', 'troupe')), 'node_modules/.bin/troupe is missing');
  // npm gives the installed files one time: bin runs the bundle, not the modules (bin/cli-entry.js).
  const entry = sh(`node --input-type=module -e "console.log((await import('./node_modules/troupe/bin/cli-entry.js')).cliEntry())"`).stdout.trim();
  check(entry.endsWith('/node_modules/troupe/dist/cli/main.cjs'), `bin/troupe.js would run ${entry}, not the bundle`);
  return 'npm i -D <tarball>; bin runs dist/cli/main.cjs';
}

function demoFallback() {
  const { stderr } = sh('npx troupe run', { timeoutMs: 2 * MINUTE });
  const notice = stderr.split('\n').filter((l) => l.includes('built-in demo'));
  check(notice.length === 1 && notice[0] === 'troupe: no troupe.config.yaml here; running the built-in demo (npx troupe init writes a project)', `expected one line about the built-in demo, got:\n${stderr}`);
  const [dir, ...more] = runDirs(join(PROJECT, 'reports'));
  check(dir && more.length === 0, 'expected one run directory under ./reports');
  const summary = readJson(join(dir, 'summary.json'));
  check(summary.status === 'complete' && summary.global.requests === 80, `summary: status ${summary.status}, ${summary.global.requests} requests`);
  // The installed package's folder is the user's: the bundle keeps V8's code cache there (bin/run-bundle.js).
  check(existsSync(join(PROJECT, 'node_modules', 'troupe', 'dist', 'cli', 'main.cjs.run.v8cache')), 'no code cache next to the installed bundle after `npx troupe run`');
  return `reports/${basename(dir)}/summary.json: complete, 80 requests; code cache written`;
}

function apiExample() {
  const file = join(PROJECT, 'check-load.mjs');
  writeFileSync(file, readmeBlock('api-example'));
  const { stdout } = sh('node check-load.mjs', { timeoutMs: 2 * MINUTE });
  check(/^complete: 80 requests, p95 [\d.]+ ms, cache hit rate 80%\n$/.test(stdout), `unexpected output: ${stdout}`);
  // The declarations resolve through `exports` and type the example (the checkout's TypeScript).
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  sh(`node ${tsc} --noEmit --allowJs --checkJs --strict --skipLibCheck --module nodenext --moduleResolution nodenext --target es2023 --types node --typeRoots ${join(ROOT, 'node_modules', '@types')} check-load.mjs`, { timeoutMs: 2 * MINUTE });
  return `README example: ${stdout.trim()}; type-checks against dist/src/index.d.ts`;
}

/** "Use it on your own service" as written, line by line: install from the tarball, init, validate, run. */
async function ownServiceCommands() {
  if (!hasCommand('init')) return 'skipped: init not built';
  const demo = await startDemoServer();
  try {
    const lines = readmeBlock('own-service-commands').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    check(lines.some((l) => l.startsWith('npm i -D troupe')), 'the README block does not install troupe with npm i -D troupe');
    for (const line of lines) {
      const command = line.replace(/^npm i -D troupe\b/, `npm i -D ${JSON.stringify(tarball)} --no-audit --no-fund`).replaceAll('https://staging.example.com', demo.url);
      sh(command, { timeoutMs: 3 * MINUTE });
    }
    return `${lines.length} commands`;
  } finally {
    demo.stop();
  }
}

/** `troupe schema` is a JSON Schema (checked with ajv) that the config `troupe init` wrote satisfies. */
function schemaValidatesConfig() {
  if (!hasCommand('schema')) return 'skipped: schema not built';
  check(tarballFiles.some((f) => /^schema\/.+\.json$/.test(f)), 'the tarball has no schema/*.json');
  const schema = JSON.parse(sh('npx troupe schema').stdout);
  // troupe's schema is draft 2020-12: ajv's default class is draft-07.
  const Ajv = require('ajv/dist/2020').default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validateConfig = ajv.compile(schema);
  const config = YAML.parse(readFileSync(join(PROJECT, 'troupe.config.yaml'), 'utf8'));
  check(validateConfig(config), `troupe.config.yaml does not satisfy troupe schema: ${ajv.errorsText(validateConfig.errors)}`);
  return 'ajv: the written troupe.config.yaml is valid';
}

/** `init --ci github` in a fresh folder writes a workflow. */
function initCiGithub() {
  if (!hasCommand('init')) return 'skipped: init not built';
  const dir = join(WORK, 'init-ci');
  mkdirSync(dir);
  sh(`${join(PROJECT, 'node_modules', '.bin', 'troupe')} init --ci github`, { cwd: dir });
  const workflows = join(dir, '.github', 'workflows');
  check(existsSync(workflows) && readdirSync(workflows).some((f) => f.endsWith('.yml') || f.endsWith('.yaml')), 'no workflow under .github/workflows');
  return 'a workflow under .github/workflows';
}

/** The Dockerfile's runtime stage without Docker: a global install into a prefix, then troupe in an empty /work. */
function globalInstall() {
  sh(`npm install -g --prefix ${JSON.stringify(PREFIX)} --omit=dev --no-audit --no-fund ${JSON.stringify(tarball)}`, { cwd: WORK, timeoutMs: 5 * MINUTE });
  const bin = join(PREFIX, 'bin', 'troupe');
  const version = sh(`${bin} --version`, { cwd: WORK }).stdout.trim();
  check(version === VERSION, `troupe --version printed ${JSON.stringify(version)}, expected ${VERSION}`);
  const work = join(WORK, 'container-work');
  mkdirSync(work);
  // ENTRYPOINT ["troupe"], CMD ["run"], WORKDIR /work: `troupe run` in an empty folder.
  sh('troupe run', { cwd: work, env: { PATH: `${join(PREFIX, 'bin')}${delimiter}${process.env.PATH}` }, timeoutMs: 2 * MINUTE });
  check(runDirs(join(work, 'reports')).length === 1, 'troupe run in the container folder wrote no run directory');
  return `troupe --version → ${version}; troupe run in an empty WORKDIR wrote reports/`;
}

/** The keys of each ConfigMap made by the `kubectl create configmap` lines in the YAML's header. */
function configMapsFromHeader(text, sourceDir) {
  const maps = new Map();
  for (const [, name, rest] of text.matchAll(/^#\s+kubectl create configmap (\S+)((?: --from-file=\S+)+)\s*$/gm)) {
    const keys = new Map();
    for (const [, spec] of rest.matchAll(/--from-file=(\S+)/g)) {
      const [key, path] = spec.includes('=') ? spec.split('=') : [null, spec];
      const full = join(sourceDir, path);
      if (statSync(full).isDirectory()) for (const f of readdirSync(full)) keys.set(f, join(full, f));
      else keys.set(key ?? basename(path), full);
    }
    maps.set(name, keys);
  }
  check(maps.size > 0, 'the Kubernetes example has no `kubectl create configmap` line in its header');
  return maps;
}

/** A container's volume mounts made real under `root`: ConfigMaps copied in, other volumes as folders. */
function materializeMounts(container, volumes, configMaps, root) {
  const host = (p) => join(root, p);
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    check(volume, `volumeMount ${mount.name} has no volume`);
    if (!volume.configMap) {
      mkdirSync(host(mount.mountPath), { recursive: true });
      continue;
    }
    const keys = configMaps.get(volume.configMap.name);
    check(keys, `ConfigMap ${volume.configMap.name} is mounted but no kubectl line in the header creates it`);
    const items = volume.configMap.items ?? [...keys.keys()].map((key) => ({ key, path: key }));
    if (mount.subPath) {
      const item = items.find((i) => i.path === mount.subPath);
      check(item && keys.has(item.key), `ConfigMap ${volume.configMap.name} has no key for subPath ${mount.subPath}`);
      mkdirSync(dirname(host(mount.mountPath)), { recursive: true });
      copyFileSync(keys.get(item.key), host(mount.mountPath));
    } else {
      for (const item of items) {
        check(keys.has(item.key), `ConfigMap ${volume.configMap.name} has no key ${item.key}`);
        mkdirSync(dirname(join(host(mount.mountPath), item.path)), { recursive: true });
        copyFileSync(keys.get(item.key), join(host(mount.mountPath), item.path));
      }
    }
  }
  return host;
}

/** A container's command line with its mount paths moved under `root`, as one `sh -c` script. */
function commandLine(container, root) {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  check(argv[0] === 'sh' && argv[1] === '-c' && argv.length === 3, `expected command ["sh", "-c"] and one script in args, got ${JSON.stringify(argv)}`);
  check(!/\bnpx\b|npm (i|install)\b/.test(argv[2]), `the container installs at run time: ${argv[2]}`);
  const paths = [...new Set([container.workingDir, ...(container.volumeMounts ?? []).map((m) => m.mountPath)])].filter(Boolean).sort((a, b) => b.length - a.length);
  const escaped = paths.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return argv[2].replace(new RegExp(`(?<![\\w/.-])(${escaped.join('|')})(?=[/\\s;"']|$)`, 'g'), (p) => join(root, p));
}

async function kubernetesExample() {
  const file = join(ROOT, 'examples', 'kubernetes', 'indexed-job.yaml');
  const text = readFileSync(file, 'utf8');
  const docs = YAML.parseAllDocuments(text).map((d) => d.toJS());
  const shardJob = docs.find((d) => d.kind === 'Job' && d.spec.completionMode === 'Indexed');
  const mergeJob = docs.find((d) => d.kind === 'Job' && d !== shardJob);
  check(shardJob && mergeJob, 'expected an Indexed Job and a merge Job');
  const [shard] = shardJob.spec.template.spec.containers;
  const [merge] = mergeJob.spec.template.spec.containers;
  check(shard.image === merge.image && !/^node:/.test(shard.image), `both Jobs use the troupe image, got ${shard.image} and ${merge.image}`);

  // The user's project folder, where the kubectl lines run: a config against a shared target, personas/, locations.csv.
  const demo = await startDemoServer(join(PREFIX, 'bin', 'troupe'));
  try {
    // The project `troupe init` writes, pointed at a shared target: what the header's kubectl lines read.
    const source = join(WORK, 'k8s-project');
    sh(`${join(PREFIX, 'bin', 'troupe')} init ${JSON.stringify(source)} --target ${demo.url}`, { cwd: WORK });
    const planned = JSON.parse(sh(`${join(PREFIX, 'bin', 'troupe')} validate --json`, { cwd: source }).stdout).planned;

    const root = join(WORK, 'k8s');
    const configMaps = configMapsFromHeader(text, source);
    materializeMounts(shard, shardJob.spec.template.spec.volumes, configMaps, root);
    materializeMounts(merge, mergeJob.spec.template.spec.volumes, configMaps, root);
    // ConfigMap volumes are read-only: troupe must not write into /work.
    const readOnly = [shard.workingDir, ...(shard.volumeMounts ?? []).filter((m) => m.mountPath.startsWith(`${shard.workingDir}/`) && !m.subPath).map((m) => m.mountPath)].map((p) => join(root, p));
    for (const dir of readOnly) if (existsSync(dir)) chmodSync(dir, 0o555);

    const env = { PATH: `${join(PREFIX, 'bin')}${delimiter}${process.env.PATH}` };
    // The Downward API: an env var from a pod-template annotation, as the header's apply line stamps it
    // (`sed s/__CREATED__/$(date …)/`). Stamped 57 s ago here, so `--start-after 60s` waits about 3 s.
    const created = new Date(Math.floor(Date.now() / 1000) * 1000 - 57_000).toISOString().replace(/\.000Z$/, 'Z');
    const annotations = shardJob.spec.template.metadata?.annotations ?? {};
    for (const e of shard.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(e.valueFrom?.fieldRef?.fieldPath ?? '')?.[1];
      if (annotation !== undefined) env[e.name] = String(annotations[annotation] ?? '').replace('__CREATED__', created);
    }
    const count = shardJob.spec.completions;
    const script = commandLine(shard, root);
    const shards = await Promise.all(Array.from({ length: count }, (_, k) => shAsync(script, { cwd: join(root, shard.workingDir), env: { ...env, JOB_COMPLETION_INDEX: String(k) } })));
    shards.forEach((r, k) => check(r.code === 0, `shard JOB_COMPLETION_INDEX=${k}: exit ${r.code}\n${r.stderr.slice(-3000)}`));

    sh(commandLine(merge, root), { cwd: join(root, merge.workingDir), env, timeoutMs: 2 * MINUTE });
    const merged = join(root, 'results', 'merged');
    const manifest = readJson(join(merged, 'run.json'));
    const summary = readJson(join(merged, 'summary.json'));
    const shardRequests = readdirSync(join(root, 'results')).filter((d) => d.startsWith('shard-')).flatMap((d) => runDirs(join(root, 'results', d))).map((d) => readJson(join(d, 'summary.json')).global.requests);
    check(shardRequests.length === count, `expected ${count} shard run directories, got ${shardRequests.length}`);
    const sum = shardRequests.reduce((a, b) => a + b, 0);
    check(manifest.status === 'complete' && summary.status === 'complete', `merged run: status ${manifest.status}`);
    const shardVisits = readdirSync(join(root, 'results')).filter((d) => d.startsWith('shard-')).flatMap((d) => runDirs(join(root, 'results', d))).map((d) => readJson(join(d, 'summary.json')).completed);
    check(summary.global.requests === sum, `merged ${summary.global.requests} requests; the shards ran ${shardRequests.join(' + ')}`);
    check(summary.completed === planned && shardVisits.reduce((a, b) => a + b, 0) === planned, `merged ${summary.completed} visits (shards ${shardVisits.join(' + ')}), troupe validate planned ${planned}`);
    check(summary.thresholds?.passed === true, 'the merged run judged the config threshold');
    check(summary.merge?.plannedAt !== undefined && summary.merge.firstRequestSpreadMs !== null, `the shards were given one start instant: ${JSON.stringify(summary.merge)}`);
    return `${count} shards (${shardRequests.join(' + ')} requests, first requests ${summary.merge.firstRequestSpreadMs} ms apart) → one merged run, complete, ${summary.global.requests} requests`;
  } finally {
    demo.stop();
  }
}

// The order matters: the API example and the demo fallback run in the project before `init` writes a config.
const STEPS = [
  ['npm pack', pack],
  ['tarball file list', fileList],
  ['install into an empty project', installIntoEmptyProject],
  ['npx troupe run without a config (demo fallback)', demoFallback],
  ['README programmatic API example', apiExample],
  ['README "Use it on your own service" commands (init, validate, run --target demo, your URL)', ownServiceCommands],
  ['troupe schema validates the written config (ajv)', schemaValidatesConfig],
  ['troupe init --ci github', initCiGithub],
  ['global install as in the Dockerfile', globalInstall],
  ['Kubernetes example: 4 shards + merge from the YAML', kubernetesExample],
];

const started = Date.now();
let failed = false;
for (const [name, step] of STEPS) {
  const t0 = Date.now();
  try {
    const note = await step();
    console.log(`${note.startsWith('skipped:') ? 'skip' : 'ok  '} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${note}`);
  } catch (err) {
    failed = true;
    console.log(`FAIL ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n${err instanceof Error ? err.message : String(err)}`);
    break;
  }
}
console.log(`pack-test: ${failed ? 'failed' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s${failed ? `; files kept in ${WORK}` : ''}`);
if (!failed) {
  for (const dir of ['work', 'work/personas', 'work/data']) if (existsSync(join(WORK, 'k8s', dir))) chmodSync(join(WORK, 'k8s', dir), 0o755);
  rmSync(WORK, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
