/**
 * Hostile input, by class (issue 13): header injection, control characters in paths, URLs and the
 * target, YAML alias bombs and deep nesting, out-of-range numbers and durations, and `${env:…}` values
 * that a validation message would quote back. Each is refused in-process (test/helpers/refused.ts):
 * exit code 2, a short message naming the file (or flag) and the key path, no stack trace, no run
 * directory, nothing written into the project, and the sentinel secret in no message. The CLI side
 * (stderr, exit code) is proved for a few of them in test/hostile-cli.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunOptions } from '../src/index.js';
import { tempDir } from './helpers/cli.js';
import { expectRefused } from './helpers/refused.js';

export const SENTINEL = 'S3NT1NEL-h0st1le-7c1d';
const ENV = { ...process.env, HOSTILE_SECRET: SENTINEL, HOSTILE_NL: `${SENTINEL}\nX-Injected: 1` };

/** A YAML double-quoted string for any text: every character outside printable ASCII escaped (\\U beyond U+FFFF). */
const yq = (text: string) =>
  `"${[...text].map((ch) => {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x20 && cp <= 0x7e) return ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  }).join('')}"`;

interface Case {
  name: string;
  /** Lines added to troupe.config.yaml (a default `request:` unless one is given). */
  config?: string;
  /** Replaces troupe.config.yaml with troupe.config.json holding this text. */
  configJson?: string;
  /** personas/p.yaml (or p.json when it starts with [ or {). */
  persona?: string;
  /** locations.csv, or locations.json when it starts with [. */
  locations?: string;
  /** API options, as the flags of the same name. */
  options?: RunOptions;
  file: string;
  where: RegExp;
}

const BASE = ['target: http://127.0.0.1:9', 'personas: personas'];
const GET = 'request: { method: GET, path: /x }';

const headerValues: Array<[string, string, RegExp]> = [
  ['CR', 'a\rb', /a carriage return/],
  ['LF', 'a\nb', /a line feed/],
  ['CRLF + injected header', 'a\r\nX-Injected: 1', /a carriage return/],
  ['NUL', 'a\0b', /a NUL byte/],
  ['a C0 control (U+0001)', 'a\u0001b', /a control character \(U\+0001\)/],
  ['DEL', 'a\u007fb', /a control character \(U\+007F\)/],
  ['ESC of an ANSI sequence', '\u001b[31mred', /a control character \(U\+001B\)/],
  ['non-Latin-1 (CJK)', 'a中b', /U\+4E2D .*beyond Latin-1/],
  ['an emoji', 'ok 🎭', /U\+1F3AD .*beyond Latin-1/],
];

const CASES: Case[] = [
  // Header values: CR/LF is request smuggling; undici would refuse them only at send time, per request.
  ...headerValues.map(([label, value, why]): Case => ({
    name: `config request header value with ${label}`,
    config: `request: { method: GET, path: /x, headers: { X-A: ${yq(value)} } }`,
    file: 'troupe.config.yaml', where: new RegExp(`at request\\.headers\\.X-A: the value contains ${why.source}`),
  })),
  ...headerValues.slice(0, 4).map(([label, value, why]): Case => ({
    name: `persona header value with ${label}`,
    persona: `name: P\nheaders: { X-A: ${yq(value)} }\n`,
    file: 'personas/p.yaml', where: new RegExp(`at headers\\.X-A: the value contains ${why.source}`),
  })),
  { name: 'persona request header value with LF', persona: `name: P\nrequest: { headers: { X-A: ${yq('a\nb')} } }\n`, file: 'personas/p.yaml', where: /at request\.headers\.X-A: the value contains a line feed/ },
  { name: 'journey step header value with CR', persona: `name: P\njourney:\n  - name: s\n    request: { method: GET, path: /x, headers: { X-A: ${yq('a\rb')} } }\n`, file: 'personas/p.yaml', where: /at journey\[0\]\.request\.headers\.X-A: the value contains a carriage return/ },
  { name: 'header value from ${env:} with LF (the value is not quoted back)', config: 'request: { method: GET, path: /x, headers: { X-A: "${env:HOSTILE_NL}" } }', file: 'troupe.config.yaml', where: /at request\.headers\.X-A: the value contains a line feed/ },
  // Header names: RFC 9110 tokens only.
  ...([['a space', 'X A'], ['a colon', 'X:A'], ['LF', 'X\nA'], ['a tab', 'X\tA'], ['nothing (empty)', ''], ['non-ASCII', 'Ü-Header']] as const).map(([label, name]): Case => ({
    name: `header name with ${label}`,
    config: `request: { method: GET, path: /x, headers: { ${yq(name)}: v } }`,
    file: 'troupe.config.yaml', where: /at request\.headers\[.*\]: is not a valid header name/,
  })),
  { name: 'header named __proto__ (would vanish from a plain object)', config: 'request: { method: GET, path: /x, headers: { __proto__: v } }', file: 'troupe.config.yaml', where: /at request\.headers\.__proto__: is not a header name troupe can send/ },
  // Paths and URLs.
  ...([['LF', '/x\ny'], ['CR', '/x\ry'], ['NUL', '/x\0y'], ['a tab', '/x\ty'], ['DEL', '/x\u007fy']] as const).map(([label, path]): Case => ({
    name: `request path with ${label}`,
    config: `request: { method: GET, path: ${yq(path)} }`,
    file: 'troupe.config.yaml', where: /at request\.path: got .*, expected a path without control characters/,
  })),
  { name: 'persona request path with CRLF', persona: `name: P\nrequest: { path: ${yq('/a\r\nb')} }\n`, file: 'personas/p.yaml', where: /at request\.path: got .*without control characters/ },
  { name: 'journey step path with LF', persona: `name: P\njourney:\n  - name: s\n    request: { method: GET, path: ${yq('/a\nb')} }\n`, file: 'personas/p.yaml', where: /at journey\[0\]\.request\.path: got .*without control characters/ },
  { name: 'request url with LF', config: `request: { method: GET, url: ${yq('http://127.0.0.1:9/\nx')} }`, file: 'troupe.config.yaml', where: /at request\.url: got .*, expected a URL without control characters/ },
  { name: 'request url with NUL', config: `request: { method: GET, url: ${yq('http://127.0.0.1:9/\0')} }`, file: 'troupe.config.yaml', where: /at request\.url: got .*without control characters/ },
  ...([['LF (the URL parser would drop it)', 'http://127.0.0.1:9/\nx'], ['a tab', 'http://127.0.0.1:9/\tx'], ['a space in the host', 'http://127.0.0.1 :9'], ['NUL', 'http://127.0.0.1:9/\0']] as const).map(([label, target]): Case => ({
    name: `target with ${label}`,
    config: `target: ${yq(target)}\n${GET}`,
    file: 'troupe.config.yaml', where: /at target: got .*, expected "demo" or an http:\/\/ or https:\/\/ URL/,
  })),
  { name: '--target with CRLF', options: { target: 'http://127.0.0.1:9/\r\nx' }, file: '--target', where: /^--target: got .*, expected "demo" or an http/ },
  // Resource exhaustion: alias bombs and deep nesting are coded errors, not a hang or a stack overflow.
  { name: 'YAML alias bomb in the config', config: `${GET}\n${aliasBomb()}`, file: 'troupe.config.yaml', where: /invalid YAML: too many alias expansions/ },
  { name: 'YAML alias bomb in a persona file', persona: `name: P\nparams:\n  ${aliasBomb().split('\n').join('\n  ')}\n`, file: 'personas/p.yaml', where: /invalid YAML: too many alias expansions/ },
  { name: 'YAML nested 5000 levels (overflows the parser)', config: `${GET}\nx: ${'['.repeat(5000)}${']'.repeat(5000)}`, file: 'troupe.config.yaml', where: /row \d+: invalid YAML: nested too deeply/ },
  { name: 'YAML nested 100 levels', config: `${GET}\nx: ${'['.repeat(100)}${']'.repeat(100)}`, file: 'troupe.config.yaml', where: /at x\[0\].*: nested more than 64 levels deep/ },
  { name: 'persona YAML nested 1000 levels', persona: `name: P\nparams: { deep: ${'['.repeat(1000)}${']'.repeat(1000)} }\n`, file: 'personas/p.yaml', where: /nested (more than 64 levels deep|too deeply)/ },
  { name: 'config JSON nested 100 000 levels', configJson: `{"target":"http://127.0.0.1:9","personas":"personas","locations":"locations.csv","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, file: 'troupe.config.json', where: /at x\[0\].*: nested more than 64 levels deep/ },
  { name: 'persona JSON nested 100 000 levels', persona: `[{"name":"P","params":{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]`, file: 'personas/p.json', where: /nested more than 64 levels deep/ },
  { name: 'locations JSON nested 100 000 levels', locations: `[{"id":"a","deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}]`, file: 'locations.json', where: /nested more than 64 levels deep/ },
  // Numbers and durations out of their documented ranges (README "Limits").
  ...([['1e9', '1000000000'], ['0', '0'], ['-1', '-1'], ['1.5', '1.5']] as const).map(([label, v]): Case => ({
    name: `concurrency ${label}`, config: `${GET}\nconcurrency: ${v}`, file: 'troupe.config.yaml', where: /at concurrency: got .*, expected an integer from 1 to 10000/,
  })),
  { name: 'iterations 1e12 (a plan that would not fit in memory)', config: `${GET}\niterations: 1000000000000`, file: 'troupe.config.yaml', where: /at iterations: got 1000000000000, expected an integer from 1 to 1000000/ },
  { name: 'phase rate 1e12 (would hang the scheduler)', config: `${GET}\nload: { phases: [{ duration: 1s, rate: 1000000000000 }] }`, file: 'troupe.config.yaml', where: /at load\.phases\[0\]\.rate: got 1000000000000, expected a rate of at most 100000/ },
  { name: 'phase rampTo 1e9', config: `${GET}\nload: { phases: [{ duration: 1s, rate: 1, rampTo: 1000000000 }] }`, file: 'troupe.config.yaml', where: /at load\.phases\[0\]\.rampTo: got 1000000000, expected a rate of at most 100000/ },
  { name: 'phase rate -1', config: `${GET}\nload: { phases: [{ duration: 1s, rate: -1 }] }`, file: 'troupe.config.yaml', where: /at load\.phases\[0\]\.rate: got -1, expected a rate >= 0/ },
  { name: 'phase duration past 2^31 ms', config: `${GET}\nload: { phases: [{ duration: 9999999999m, rate: 1 }] }`, file: 'troupe.config.yaml', where: /at load\.phases\[0\]\.duration: got "9999999999m", expected a duration of at most 2147483647ms/ },
  { name: 'load.maxInFlight 1e9', config: `${GET}\nload: { phases: [{ duration: 1s, rate: 1 }], maxInFlight: 1000000000 }`, file: 'troupe.config.yaml', where: /at load\.maxInFlight: got 1000000000, expected an integer from 1 to 100000/ },
  { name: 'timeouts.headers past 2^31 ms (Node would fire it after 1 ms)', config: `${GET}\ntimeouts: { headers: 3000000000ms }`, file: 'troupe.config.yaml', where: /at timeouts\.headers: got "3000000000ms", expected a duration of at most 2147483647ms/ },
  { name: 'timeouts.total 30000h', config: `${GET}\ntimeouts: { total: 30000h }`, file: 'troupe.config.yaml', where: /at timeouts\.total: got "30000h", expected a duration of at most/ },
  { name: 'thinkTime past 2^31 ms', persona: 'name: P\nthinkTime: 3000000000ms\n', file: 'personas/p.yaml', where: /at thinkTime: got "3000000000ms", expected a duration of at most 2147483647ms/ },
  { name: 'thinkTime range ending past 2^31 ms', persona: 'name: P\nthinkTime: 1ms-3000000000ms\n', file: 'personas/p.yaml', where: /at thinkTime: got "1ms-3000000000ms", expected a duration of at most/ },
  { name: 'weight -1', persona: 'name: P\nweight: -1\n', file: 'personas/p.yaml', where: /at weight: got -1/ },
  { name: 'maxResponseBytes 99999999gb', config: `${GET}\nmaxResponseBytes: 99999999gb`, file: 'troupe.config.yaml', where: /at maxResponseBytes: got "99999999gb"/ },
  { name: 'retries.attempts 1000', config: `${GET}\nretries: { attempts: 1000 }`, file: 'troupe.config.yaml', where: /at retries\.attempts: got 1000, expected an integer from 1 to 20/ },
  { name: '--rate 1e12', options: { rate: 1e12, duration: 1000 }, file: '--rate', where: /^--rate: got 1000000000000, expected a rate of at most 100000 arrivals per second/ },
  { name: '--rate 0', options: { rate: 0, duration: 1000 }, file: '--rate', where: /^--rate: got 0, expected a rate above 0/ },
  { name: '--rate NaN', options: { rate: Number.NaN, duration: 1000 }, file: '--rate', where: /^--rate: got/ },
  { name: '--concurrency 1e9', options: { concurrency: 1e9 }, file: '--concurrency', where: /^--concurrency: got 1000000000, expected an integer from 1 to 10000/ },
  { name: '--concurrency Infinity', options: { concurrency: Number.POSITIVE_INFINITY }, file: '--concurrency', where: /^--concurrency: got/ },
  { name: '--iterations 1e12', options: { iterations: 1e12 }, file: '--iterations', where: /^--iterations: got 1000000000000, expected an integer from 1 to 1000000/ },
  { name: '--duration -1', options: { rate: 1, duration: -1 }, file: '--duration', where: /^--duration: got -1, expected a duration above 0/ },
  // A ${env:} value in a bad place: named by key, never quoted back (stderr reaches CI logs).
  ...([['concurrency', 'at concurrency: got "\\[secret\\]", expected a number'], ['target', 'at target: got "\\[secret\\]", expected "demo"'], ['order', 'at order: got "\\[secret\\]"'], ['iterations', 'at iterations: got "\\[secret\\]"']] as const).map(([key, where]): Case => ({
    name: `\${env:} secret as ${key} (not echoed)`,
    config: `${GET}\n${key}: "\${env:HOSTILE_SECRET}"`,
    file: 'troupe.config.yaml', where: new RegExp(where),
  })),
  { name: '${env:} secret as timeouts.connect (not echoed)', config: `${GET}\ntimeouts: { connect: "\${env:HOSTILE_SECRET}" }`, file: 'troupe.config.yaml', where: /at timeouts\.connect: got "\[secret\]"/ },
  { name: '${env:} secret as a persona weight (not echoed)', persona: 'name: P\nweight: "${env:HOSTILE_SECRET}"\n', file: 'personas/p.yaml', where: /at weight: got "\[secret\]"/ },
  { name: '${env:} secret as a persona thinkTime (not echoed)', persona: 'name: P\nthinkTime: "${env:HOSTILE_SECRET}"\n', file: 'personas/p.yaml', where: /at thinkTime: got "\[secret\]"/ },
  { name: '${env:} secret inside a bad request path (not echoed)', config: 'request: { method: GET, path: "x-${env:HOSTILE_SECRET}" }', file: 'troupe.config.yaml', where: /at request\.path: got "x-\[secret\]"/ },
  { name: 'a duplicate persona name holding a secret (not echoed)', persona: 'name: "agent ${env:HOSTILE_SECRET}"\n', locations: undefined, file: 'personas/q.yaml', where: /duplicate persona name "agent \[secret\]"/ },
];

function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}

/** Writes the case's project; returns its folder and the names written (to prove nothing else appears). */
async function writeCase(c: Case): Promise<string> {
  const dir = await tempDir('troupe-hostile-');
  await mkdir(join(dir, 'personas'));
  const persona = c.persona ?? 'name: P\n';
  await writeFile(join(dir, 'personas', /^[[{]/.test(persona) ? 'p.json' : 'p.yaml'), persona);
  // The duplicate-name case: a second file with the same (secret-holding) name.
  if (c.file === 'personas/q.yaml') await writeFile(join(dir, 'personas', 'q.yaml'), persona);
  const locationsFile = c.locations?.startsWith('[') ? 'locations.json' : 'locations.csv';
  await writeFile(join(dir, locationsFile), c.locations ?? 'id,route\na,/ok\n');
  if (c.configJson !== undefined) await writeFile(join(dir, 'troupe.config.json'), c.configJson);
  else {
    const extra = c.config ?? GET;
    // A key the case sets replaces the base line with that key.
    const base = BASE.filter((line) => !new RegExp(`^${line.split(':')[0]}:`, 'm').test(extra));
    const lines = [...base, `locations: ${locationsFile}`, ...(extra.includes('request:') ? [] : [GET]), extra];
    await writeFile(join(dir, 'troupe.config.yaml'), `${lines.join('\n')}\n`);
  }
  return dir;
}

test('the hostile corpus has at least 60 refused inputs', () => {
  assert.ok(CASES.length >= 60, `${CASES.length} cases`);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'names are unique');
});

for (const c of CASES) {
  test(`hostile: ${c.name} → exit 2 naming ${c.file}`, async () => {
    const dir = await writeCase(c);
    const before = (await readdir(dir, { recursive: true })).sort();
    const error = await expectRefused({ cwd: dir, env: ENV, ...(c.configJson !== undefined ? { config: 'troupe.config.json' } : {}), ...c.options }, c.file, c.where);
    assert.ok(!error.message.includes(SENTINEL) && !error.message.includes(JSON.stringify(SENTINEL).slice(1, -1)), `the secret is not echoed: ${error.message}`);
    assert.deepEqual((await readdir(dir, { recursive: true })).sort(), before, 'nothing written into the project');
  });
}
