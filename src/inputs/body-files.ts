/**
 * Files that multipart bodies upload: found and sized at load, so that a missing file is an error
 * before anything is sent (exit 2), and each request's Content-Length is known without reading the
 * file. Paths are relative to the file that names them (the config or the persona file).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { InputError, quote, type TroupeErrorCode } from '../errors.js';
import { formatKeyPath, joinKeyPath } from './issues.js';
import type { JourneyStep } from './journey.js';
import type { MultipartFile, RequestTemplate } from './types.js';

export interface BodyFilesWhere {
  /** The file shown in messages (the config or persona file, as displayed). */
  file: string;
  /** Key path of the template, e.g. `request` or `[0].journey[2].request`. */
  path: string;
  /** Folder that relative upload paths are resolved against: the one holding `file`. */
  baseDir: string;
  code: Extract<TroupeErrorCode, 'E_CONFIG' | 'E_FIXTURE'>;
}

/** Every file part of `template` made absolute and given its size; throws InputError naming the key. */
export async function resolveBodyFiles(template: Partial<RequestTemplate> | undefined, where: BodyFilesWhere): Promise<void> {
  const parts = template?.multipart;
  if (!parts) return;
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value !== 'object' || value === null || value.size !== undefined) continue;
    const keyPath = joinKeyPath(where.path, joinKeyPath(joinKeyPath('multipart', formatKeyPath([name])), 'file'));
    const absolute = isAbsolute(value.file) ? value.file : resolve(where.baseDir, value.file);
    let size: number;
    try {
      const info = await stat(absolute);
      if (!info.isFile()) throw new InputError(where.code, { file: where.file, path: keyPath }, `${quote(value.file)} is not a file (${absolute}); expected a file to upload`);
      size = info.size;
    } catch (err) {
      if (err instanceof InputError) throw err;
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
      throw new InputError(where.code, { file: where.file, path: keyPath }, `upload file ${quote(value.file)} ${why} (looked for ${absolute}, relative to the folder of ${where.file}); expected a file to upload`);
    }
    const resolved: MultipartFile = { ...value, file: absolute, size };
    parts[name] = resolved;
  }
}

/** The same for every step of a journey; `path` is the journey's key path. */
export async function resolveJourneyBodyFiles(steps: readonly JourneyStep[] | undefined, where: BodyFilesWhere): Promise<void> {
  if (!steps) return;
  for (const [i, step] of steps.entries()) await resolveBodyFiles(step.request, { ...where, path: joinKeyPath(where.path, `[${i}].request`) });
}
