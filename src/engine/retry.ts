/**
 * Retries: which outcomes are retried and how long to wait. Exponential backoff with "equal jitter"
 * (half fixed, half random, so retries of many journeys spread out but never retry at once), capped at
 * maxBackoff; a 429 or 503 with Retry-After waits what the server asked, also capped at maxBackoff.
 */
import type { RetryPolicy } from '../inputs/load.js';
import type { HttpOutcome } from './http.js';

export function isRetryable(policy: RetryPolicy, outcome: Pick<HttpOutcome, 'status' | 'error'>): boolean {
  if (outcome.error === null || outcome.error === 'aborted') return false;
  if (outcome.status !== null && policy.statuses.includes(outcome.status)) return true;
  return policy.codes.includes(outcome.error);
}

/** Seconds (`120`) or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, wallNow: number): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - wallNow);
}

/**
 * How long to wait before attempt `next` (2 for the first retry). `random` is in [0, 1).
 * Returns the delay and whether it came from Retry-After.
 */
export function retryDelay(
  policy: RetryPolicy,
  next: number,
  outcome: Pick<HttpOutcome, 'status' | 'headers'>,
  random: () => number,
  wallNow: number,
): { ms: number; retryAfter: boolean } {
  if (outcome.status === 429 || outcome.status === 503) {
    const asked = parseRetryAfter(outcome.headers?.['retry-after'], wallNow);
    if (asked !== null) return { ms: Math.min(asked, policy.maxBackoffMs), retryAfter: true };
  }
  const exp = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (next - 2));
  return { ms: exp / 2 + random() * (exp / 2), retryAfter: false };
}
