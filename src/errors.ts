/**
 * The one errors module. Users (and tests) match on `code`, never on message text.
 * Only src/cli/main.ts turns these into a process exit code.
 */

/** Exit codes are API: CI scripts branch on them. See README "Exit codes". */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type TroupeErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_FIXTURE'
  | 'E_TEMPLATE'
  | 'E_ENV'
  | 'E_TARGET_UNREACHABLE'
  | 'E_RUN_DIR'
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

export class RunDirError extends TroupeError {
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.usage) {
    super('E_RUN_DIR', message, exitCode);
    this.name = 'RunDirError';
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
