#!/usr/bin/env node
// Peak RSS of troupe uploading a 5 MB file (multipart, streamed from disk) against the same run
// uploading 10 bytes: the difference is what the upload costs in memory, which should stay below the
// file's size (issue 11). Each case runs `--rounds` times under GNU time (%M, peak RSS); medians are
// compared. The target is test/helpers/realistic-api.ts's POST /upload, which hashes what it gets.
//
//   npm run build && node bench/upload-memory.mjs [--rounds 3] [--mb 5]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, mb: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const bytes = Math.round(Number(values.mb) * 1024 * 1024);
const { startRealisticApi } = await import(join(ROOT, 'dist', 'test', 'helpers', 'realistic-api.js'));
const api = await startRealisticApi();
const dir = mkdtempSync(join(tmpdir(), 'troupe-upload-memory-'));
const big = randomBytes(bytes);
writeFileSync(join(dir, 'big.bin'), big);
writeFileSync(join(dir, 'small.bin'), randomBytes(10));
writeFileSync(join(dir, 'p.yaml'), 'name: uploader\n');
writeFileSync(join(dir, 'l.csv'), 'id\nl1\n');
for (const file of ['small', 'big']) {
  writeFileSync(join(dir, `${file}.yaml`), `name: up\ntarget: ${api.url}\npersonas: p.yaml\nlocations: l.csv\nrequest: { method: POST, path: /upload, multipart: { note: hi, file: { file: ${file}.bin } } }\nconcurrency: 1\niterations: 3\n`);
}

// Asynchronous: the target runs in this process and must keep answering.
const peakKb = (file, round) => new Promise((resolvePeak, reject) => {
  const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, join(ROOT, 'bin', 'troupe.js'), 'run', '--config', `${file}.yaml`, '--out', `out-${file}-${round}`, '--no-reports', '--no-progress'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => { stderr += c; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.once('error', reject);
  child.once('close', (code) => {
    clearTimeout(timer);
    if (code !== 0) reject(new Error(`troupe run (${file}) exited ${code}: ${stderr.slice(-800)}`));
    else resolvePeak(Number(stderr.trim().split('\n').at(-1)));
  });
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const peaks = { small: [], big: [] };
try {
  for (let r = 0; r < rounds; r++) for (const file of ['small', 'big']) peaks[file].push((await peakKb(file, r)) / 1024);
} finally {
  await api.close();
}
const bigUploads = api.stats.uploads.filter((u) => u.files[0]?.size === bytes);
const intact = bigUploads.length === rounds * 3 && bigUploads.every((u) => u.files[0].sha256 === createHash('sha256').update(big).digest('hex'));
rmSync(dir, { recursive: true, force: true });
const fileMb = bytes / 1024 / 1024;
const rise = median(peaks.big) - median(peaks.small);
console.log(`upload memory: ${rounds} rounds × 3 uploads, node ${process.version}`);
console.log(`  10-byte file: peak RSS ${peaks.small.map((m) => m.toFixed(1)).join(', ')} MB (median ${median(peaks.small).toFixed(1)})`);
console.log(`  ${fileMb} MB file:  peak RSS ${peaks.big.map((m) => m.toFixed(1)).join(', ')} MB (median ${median(peaks.big).toFixed(1)})`);
console.log(`  ${bigUploads.length} uploads of ${fileMb} MB arrived; server-side sha256 of each matches: ${intact ? 'yes' : 'NO'}`);
console.log(`target: peak RSS rise below the file size (${fileMb} MB)   ${rise.toFixed(1)} MB  ${rise < fileMb && intact ? 'PASS' : 'MISS'}`);
