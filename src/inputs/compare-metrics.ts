/**
 * The metrics a baseline comparison tracks. Its own module, free of zod, so the CLI can check a
 * `--tolerance METRIC=PERCENT` flag without loading the config schema.
 */
export const COMPARE_METRICS = ['p50', 'p95', 'p99', 'error_rate', 'cache_hit_rate', 'rps'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];
