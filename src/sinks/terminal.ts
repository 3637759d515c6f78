import { Chalk, type ChalkInstance } from 'chalk';

export interface TerminalInfo {
  isTTY: boolean;
  color: boolean;
}

/**
 * Colour only where a person reads it: FORCE_COLOR (non-empty, not 0/false) forces it on, NO_COLOR
 * (any value, see no-color.org) turns it off, otherwise only on a TTY.
 */
export function detectTerminal(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): TerminalInfo {
  const isTTY = Boolean(stream.isTTY);
  const force = env.FORCE_COLOR;
  let color = isTTY;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') color = false;
  if (force !== undefined && force !== '0' && force !== 'false') color = true;
  if (force === '0' || force === 'false') color = false;
  return { isTTY, color };
}

export function paint(info: TerminalInfo): ChalkInstance {
  return new Chalk({ level: info.color ? 1 : 0 });
}
