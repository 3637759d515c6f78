/** Reading and checking run directories from CLI tests. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Every file under `dir`, recursively (paths relative to it). */
export async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** Polls until `outDir` holds one run directory whose results.ndjson has at least `lines` lines. */
export async function waitForResults(outDir: string, lines: number, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const [id] = (await readdir(outDir)).filter((e) => !e.startsWith('.'));
      if (id) {
        const path = join(outDir, id, 'results.ndjson');
        if ((await stat(path)).size > 0) {
          const count = (await readFile(path, 'utf8')).split('\n').length - 1;
          if (count >= lines) return join(outDir, id);
        }
      }
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`no run in ${outDir} reached ${lines} result lines within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Every .json file of a run directory parses (temp files of atomic writes are not .json). Returns their names. */
export async function assertJsonFilesParse(runDir: string): Promise<string[]> {
  const files = (await walk(runDir)).filter((f) => f.endsWith('.json'));
  for (const f of files) {
    const text = await readFile(join(runDir, f), 'utf8');
    assert.doesNotThrow(() => JSON.parse(text), `${f} parses`);
  }
  return files;
}

export interface ResultsFile {
  lines: Array<{ id: string; ok: boolean; error: string | null }>;
  /** Lines that did not parse (at most the last one may be cut off). */
  cut: number;
  cutIsLast: boolean;
}

export async function readResultsFile(runDir: string): Promise<ResultsFile> {
  const text = await readFile(join(runDir, 'results.ndjson'), 'utf8');
  const raw = text.split('\n');
  const lines: ResultsFile['lines'] = [];
  let cut = 0;
  let cutIsLast = true;
  raw.forEach((line, i) => {
    if (line === '') return;
    try {
      lines.push(JSON.parse(line));
    } catch {
      cut++;
      if (i !== raw.length - 1) cutIsLast = false;
    }
  });
  return { lines, cut, cutIsLast };
}

export async function readJson<T = any>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
