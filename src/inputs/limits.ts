/**
 * The ranges of the counts a user gives (config keys and flags). Apart from the schemas in issues.ts
 * so that the CLI's flag parsers, which run for `--help` too, can check them without loading zod.
 */
export const LIMITS = { concurrency: 10_000, iterations: 1_000_000, maxInFlight: 100_000, rate: 100_000 } as const;
