/**
 * `troupe init`: what to write (a pure plan of {path, content}) and the writer that writes it all or
 * nothing. The one file it may change is .gitignore, and only by appending missing entries.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { FileExistsError, InputError, UsageError } from '../errors.js';
import { slugify } from '../inputs/slug.js';
import { journeyFromHar, type EnvVar, type RecordedJourney } from './har.js';
import { pathKind } from '../inputs/read.js';
import {
  CONFIG_FILE, DEMO_LOCATIONS, ENV_EXAMPLE_FILE, JOURNEY_PERSONA, LOCATIONS_FILE, PERSONAS_DIR, PLAIN_PERSONA, RECORDED_LOCATIONS,
  REPORTS_DIR, WORKFLOW_FILE, configText, schemaLine, workflowText,
} from './templates.js';
import { PERSONA_SCHEMA_FILE } from '../inputs/json-schema.js';

export const CI_PROVIDERS = ['github'] as const;
export type CiProvider = (typeof CI_PROVIDERS)[number];

export interface ScaffoldFile {
  /** Relative to the project folder, with forward slashes. */
  path: string;
  content: string;
}

export interface ScaffoldPlan {
  files: ScaffoldFile[];
  /** Lines .gitignore must have. */
  gitignore: string[];
  envVars: EnvVar[];
  notes: string[];
}

export interface ScaffoldOptions {
  /** Project name: run ids start with it. */
  name: string;
  /** --target: "demo" or an http(s) URL. Default: the HAR's origin, else demo. */
  target?: string;
  ci?: CiProvider;
  /** A journey recorded in a HAR file, and the file's name for comments. */
  recorded?: { journey: RecordedJourney; file: string };
}

/** `--target`, checked: written into a committed file, it must not carry credentials. */
export function checkTarget(value: string): string {
  if (value === 'demo') return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--target: got ${JSON.stringify(value)}, expected "demo" or an http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target: got ${JSON.stringify(url.protocol)}, expected "demo" or an http:// or https:// URL`);
  if (url.username || url.password) throw new UsageError('--target: a URL with user:password would be written to troupe.config.yaml; give the URL without them and send credentials in a header with ${env:NAME}');
  return value.replace(/\/+$/, '');
}

/** Every file `troupe init` would write, for these options. Pure. */
export function planScaffold(options: ScaffoldOptions): ScaffoldPlan {
  const recorded = options.recorded;
  const target = options.target ?? recorded?.journey.origin ?? 'demo';
  const envVars = recorded?.journey.envVars ?? [];
  const files: ScaffoldFile[] = [
    {
      path: CONFIG_FILE,
      content: configText({
        name: options.name,
        target,
        demoRequest: !recorded,
        allowHosts: recorded?.journey.otherHosts ?? [],
        intro: recorded ? [`The journey in personas/recorded.yaml was recorded in ${recorded.file}.`] : ['It runs as written against the embedded demo target: npx troupe run --target demo'],
      }),
    },
  ];
  if (recorded) {
    files.push(
      { path: `${PERSONAS_DIR}/recorded.yaml`, content: recordedPersona(recorded.journey, recorded.file) },
      { path: LOCATIONS_FILE, content: RECORDED_LOCATIONS },
    );
    if (envVars.length > 0) files.push({ path: ENV_EXAMPLE_FILE, content: envExample(envVars) });
  } else {
    files.push(
      { path: `${PERSONAS_DIR}/casual-browser.yaml`, content: PLAIN_PERSONA },
      { path: `${PERSONAS_DIR}/analyst.yaml`, content: JOURNEY_PERSONA },
      { path: LOCATIONS_FILE, content: DEMO_LOCATIONS },
    );
  }
  if (options.ci === 'github') files.push({ path: WORKFLOW_FILE, content: workflowText(envVars.map((v) => v.name)) });
  return {
    files,
    gitignore: envVars.length > 0 ? [`${REPORTS_DIR}/`, '.env'] : [`${REPORTS_DIR}/`],
    envVars,
    notes: recorded?.journey.notes ?? [],
  };
}

function recordedPersona(journey: RecordedJourney, file: string): string {
  const head = [
    schemaLine(1, PERSONA_SCHEMA_FILE),
    `# Recorded from ${file} by \`troupe init --from-har\`: ${journey.steps.length} request(s) in order.`,
    '# Credentials became ${env:NAME} placeholders (see .env.example); browser-only headers were dropped.',
    '# Replace recorded ids with {{location.COLUMN}} or {{vars.NAME}} (captured from an earlier step) as needed.',
  ];
  const body = stringify({ name: 'Recorded session', description: `Replays ${file}.`, journey: journey.steps }, { lineWidth: 0 });
  return `${head.join('\n')}\n${body}`;
}

function envExample(vars: readonly EnvVar[]): string {
  const lines = [
    '# The ${env:NAME} values troupe needs, written by `troupe init --from-har` (the recorded values were not kept).',
    '# Copy this file to .env and fill it in: troupe reads .env (never commit it; .gitignore lists it).',
    '# Variables set in the real environment win over .env.',
  ];
  for (const v of vars) lines.push('', `# ${v.usedFor}`, `${v.name}=`);
  return `${lines.join('\n')}\n`;
}

/** The text to append to a .gitignore (null: none yet) so that it has `entries`; null when it has them all. */
export function gitignoreAddition(existing: string | null, entries: readonly string[]): string | null {
  const have = new Set((existing ?? '').split(/\r?\n/).map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')));
  const missing = entries.filter((e) => !have.has(e.replace(/\/$/, '')));
  if (missing.length === 0) return null;
  const separator = existing === null || existing === '' ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  return `${separator}# troupe\n${missing.join('\n')}\n`;
}

export interface InitOptions {
  /** The project folder (created if missing). */
  dir: string;
  /** Only shapes paths in messages. */
  cwd: string;
  target?: string;
  ci?: CiProvider;
  /** A HAR file, relative to cwd. */
  fromHar?: string;
}

export interface InitResult {
  dir: string;
  /** Relative to dir: the files created, and .gitignore if it was created or appended to. */
  written: string[];
  gitignore: 'created' | 'appended' | 'unchanged';
  envVars: EnvVar[];
  notes: string[];
}

async function readHar(path: string, display: string): Promise<RecordedJourney> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError('E_FIXTURE', { file: display }, code === 'ENOENT' ? 'HAR file not found (given with --from-har)' : `cannot read the HAR file: ${code ?? String(err)}`);
  }
  return journeyFromHar(text, display);
}

/** Plans and writes a project; refuses (exit 2, nothing written) when any file it would create exists. */
export async function initProject(options: InitOptions): Promise<InitResult> {
  const dir = resolve(options.cwd, options.dir);
  const target = options.target === undefined ? undefined : checkTarget(options.target);
  const harDisplay = options.fromHar === undefined ? undefined : relative(options.cwd, resolve(options.cwd, options.fromHar)) || options.fromHar;
  const recorded = options.fromHar === undefined ? undefined : { journey: await readHar(resolve(options.cwd, options.fromHar), harDisplay!), file: basename(options.fromHar) };
  const kind = await pathKind(dir);
  if (kind !== 'missing' && kind !== 'directory') throw new FileExistsError(`init: ${relative(options.cwd, dir) || dir} exists and is not a folder`);
  const plan = planScaffold({ name: slugify(basename(dir), 'troupe'), ...(target ? { target } : {}), ...(options.ci ? { ci: options.ci } : {}), ...(recorded ? { recorded } : {}) });

  // All checks before the first write, so a refusal leaves the folder as it was.
  for (const file of plan.files) {
    if ((await pathKind(join(dir, file.path))) !== 'missing') {
      throw new FileExistsError(`init: ${join(relative(options.cwd, dir), file.path)} already exists; nothing was written (troupe init never overwrites a file: move it away or init another folder)`);
    }
  }
  const gitignorePath = join(dir, '.gitignore');
  const gitignoreKind = await pathKind(gitignorePath);
  if (gitignoreKind !== 'missing' && gitignoreKind !== 'file') throw new FileExistsError(`init: ${join(relative(options.cwd, dir), '.gitignore')} is not a file; nothing was written`);
  const existing = gitignoreKind === 'file' ? await readFile(gitignorePath, 'utf8') : null;
  const gitignore = gitignoreAddition(existing, plan.gitignore);

  const written: string[] = [];
  for (const file of plan.files) {
    const path = join(dir, file.path);
    await mkdir(dirname(path), { recursive: true });
    // 'wx': fails rather than overwrite a file that appeared since the check.
    await writeFile(path, file.content, { flag: 'wx' });
    written.push(file.path);
  }
  if (gitignore !== null) {
    await (existing === null ? writeFile(gitignorePath, gitignore, { flag: 'wx' }) : appendFile(gitignorePath, gitignore));
    written.push('.gitignore');
  }
  return { dir, written, gitignore: gitignore === null ? 'unchanged' : existing === null ? 'created' : 'appended', envVars: plan.envVars, notes: plan.notes };
}
