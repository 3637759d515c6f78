/**
 * An error no module gave a code to is a bug in troupe, not the user's: its message and a request to
 * report it, never a stack trace.
 */
export function unexpectedErrorText(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return `troupe: unexpected error: ${message}\ntroupe: this is a bug in troupe; please report it, with the command you ran, at the troupe issue tracker\n`;
}
