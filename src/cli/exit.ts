/** Immediate exit for a second interrupt signal; the normal path returns an exit code to main. */
export function exitNow(code: number): never {
  process.exit(code);
}
