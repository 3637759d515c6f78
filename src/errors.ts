/**
 * The one errors module. Users (and tests) match on `code`, never on message text.
 * Only src/cli/main.ts turns these into a process exit code.
 */

/**
 * Exit codes are API: CI scripts branch on them. See README "Exit codes".
 * - 0 ok · 1 thresholds failed, regression, abortOn · 2 bad usage, config, inputs, a damaged or refused
 *   run directory · 3 target unreachable before the run · 4 a report or artifact could not be written
 *   (the rest was written) · 130 interrupted.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  artifactFailed: 4,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * When a command ends with several outcomes, the most important one is its exit code. An error that
 * stops the command (2, 3) never gets here: it is thrown. Then: interrupted (the figures are partial,
 * so their verdict is not one) > thresholds failed or regression (the CI gate must see it even when a
 * report is missing) > an artifact that could not be written > ok.
 */
const PRECEDENCE: readonly number[] = [ExitCode.usage, ExitCode.unreachable, ExitCode.interrupted, ExitCode.failed, ExitCode.artifactFailed, ExitCode.ok];

export function mostImportantExit(...codes: number[]): number {
  return codes.reduce((best, code) => (rank(code) < rank(best) ? code : best), ExitCode.ok);
}

function rank(code: number): number {
  const i = PRECEDENCE.indexOf(code);
  return i === -1 ? 0 : i;
}

export type TroupeErrorCode =
  | 'E_USAGE'
  | 'E_EXISTS'
  | 'E_CONFIG'
  | 'E_FIXTURE'
  | 'E_TEMPLATE'
  | 'E_ENV'
  | 'E_TARGET_UNREACHABLE'
  | 'E_SETUP'
  | 'E_RUN_DIR'
  | 'E_RUN_DIR_DAMAGED'
  | 'E_RUN_DIR_FORMAT'
  | 'E_ARTIFACT'
  | 'E_OUTPUT'
  | 'E_INTERNAL';

export class TroupeError extends Error {
  readonly code: TroupeErrorCode;
  readonly exitCode: ExitCodeValue;
  constructor(code: TroupeErrorCode, message: string, exitCode: ExitCodeValue, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TroupeError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Where in an input a problem is: the file, and a row number or a key path inside it. */
export interface InputLocation {
  file: string;
  /** 1-based row (CSV data rows count the header as row 1) or line number. */
  row?: number;
  /** Key path such as `personas[2].thinkTime` or `request.headers.Authorization`. */
  path?: string;
}

export function describeLocation(where: InputLocation): string {
  let text = where.file;
  if (where.row !== undefined) text += `, row ${where.row}`;
  if (where.path) text += `, at ${where.path}`;
  return text;
}

/** Bad command-line usage: unknown option value, malformed flag. */
export class UsageError extends TroupeError {
  constructor(message: string) {
    super('E_USAGE', message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

/** A file troupe would write is already there (`troupe init` never overwrites): exit 2, without the usage text. */
export class FileExistsError extends TroupeError {
  constructor(message: string) {
    super('E_EXISTS', message, ExitCode.usage);
    this.name = 'FileExistsError';
  }
}

/** A config, persona or location file that cannot be used. The message names file, row/path, value, expectation. */
export class InputError extends TroupeError {
  readonly where: InputLocation;
  constructor(code: 'E_CONFIG' | 'E_FIXTURE' | 'E_TEMPLATE' | 'E_ENV', where: InputLocation, problem: string) {
    super(code, `${describeLocation(where)}: ${problem}`, ExitCode.usage);
    this.name = 'InputError';
    this.where = where;
  }
}

export class TargetUnreachableError extends TroupeError {
  constructor(target: string, reason: string) {
    super('E_TARGET_UNREACHABLE', `target ${target} is unreachable: ${reason}`, ExitCode.unreachable);
    this.name = 'TargetUnreachableError';
  }
}

/**
 * The run-level setup failed, or every VU stopped after its setup failed: the load cannot run. Exit 1,
 * not 2: the inputs were valid and the target reachable; it is the target's answer that failed, as a
 * threshold does. The run directory says so (run.json `failed`, summary.json `setup`).
 */
export class SetupError extends TroupeError {
  constructor(message: string) {
    super('E_SETUP', message, ExitCode.failed);
    this.name = 'SetupError';
  }
}

export class RunDirError extends TroupeError {
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.usage) {
    super('E_RUN_DIR', message, exitCode);
    this.name = 'RunDirError';
  }
}

/** A file of a run directory that cannot be read: a damaged line of results.ndjson, invalid run.json or summary.json. */
export class DamagedFileError extends TroupeError {
  readonly file: string;
  /** 1-based line of results.ndjson, when the damage is in one line. */
  readonly line?: number;
  constructor(file: string, message: string, line?: number) {
    super('E_RUN_DIR_DAMAGED', message, ExitCode.usage);
    this.name = 'DamagedFileError';
    this.file = file;
    if (line !== undefined) this.line = line;
  }
}

/** run.json or summary.json written in a newer major format version than this troupe reads. */
export class FormatVersionError extends TroupeError {
  readonly file: string;
  readonly formatVersion: string;
  constructor(file: string, formatVersion: string, message: string) {
    super('E_RUN_DIR_FORMAT', message, ExitCode.usage);
    this.name = 'FormatVersionError';
    this.file = file;
    this.formatVersion = formatVersion;
  }
}

/** A report or artifact (csv/, report.pdf, junit.xml, summary.md, compare.json, a snapshot) that could not be written. */
export class ArtifactError extends TroupeError {
  /** What it is, as the user knows it: `csv/`, `report.pdf`, `junit.xml` … */
  readonly artifact: string;
  constructor(artifact: string, reason: string, options?: { cause?: unknown }) {
    super('E_ARTIFACT', `${artifact} could not be written: ${reason}`, ExitCode.artifactFailed, options);
    this.name = 'ArtifactError';
    this.artifact = artifact;
  }
}

/** An output (`--output NAME`, `outputs:`) that could not start or could not finish; its name is in the message. */
export class OutputError extends TroupeError {
  readonly output: string;
  constructor(output: string, reason: string, options?: { cause?: unknown }) {
    super('E_OUTPUT', `output "${output}" ${reason}`, ExitCode.artifactFailed, options);
    this.name = 'OutputError';
    this.output = output;
  }
}

/** Quote a user value for an error message, short enough to read. */
export function quote(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === undefined) text = 'nothing';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
