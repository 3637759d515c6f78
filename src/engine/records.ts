/** Typed records the engine emits. Sinks and metrics consume these; the engine knows nothing of files or terminals. */

import type { CacheStatus, RequestErrorCode } from '../inputs/vocabulary.js';

export { CACHE_STATUSES, type CacheStatus, type RequestErrorCode } from '../inputs/vocabulary.js';

/** The protocol a response came over (ALPN decides between the two when `http2` is on). */
export type Protocol = 'http/1.1' | 'h2';

export interface ResultRecord {
  type: 'result';
  /** Work item id `persona/location/iteration`. */
  id: string;
  persona: string;
  location: string;
  iteration: number;
  step: string;
  method: string;
  /** The URL with secrets redacted. */
  url: string;
  status: number | null;
  ok: boolean;
  error: RequestErrorCode | null;
  /** Short human explanation for an error (secrets redacted); absent on success. */
  message?: string;
  /** Sent → last body byte, ms. */
  latencyMs: number;
  /** Sent → response headers, ms; null when no response arrived. */
  ttfbMs: number | null;
  /** Response body bytes as the wire carried them (compressed when the response was); headers not counted. */
  bytes: number;
  /** Response body bytes after troupe decoded a Content-Encoding; absent when nothing was decoded (then equal to `bytes`). */
  decodedBytes?: number;
  /** `http/1.1` or `h2`; absent when no response arrived. */
  protocol?: Protocol;
  cache: CacheStatus;
  /** Redirect hops followed (absent when none). */
  redirects?: number;
  /** Epoch ms when the request was sent. */
  startedAt: number;
  /** Open model: epoch ms when the request was due (its arrival; for a later step, the end of the one before plus think time). */
  scheduledAt?: number;
  /** Open model: due → last body byte, ms. Service time plus any wait for a free slot or a late scheduler (coordinated omission corrected). */
  responseTimeMs?: number;
  /** With `retries` on: 1 for a first attempt, 2, 3, … for retries (reported apart from first attempts). */
  attempt?: number;
  /** The step's checks and captures, judged on its final attempt (journeys only). */
  checks?: CheckResult[];
  /**
   * Served by troupe's own response cache (`cache.dedupe`), not by the target: `reused` a completed
   * response, or `coalesced` onto an identical request in flight. Never counted in the target's hit rate.
   */
  harnessCache?: 'reused' | 'coalesced';
}

export interface CheckResult {
  /** The check's label, e.g. `status 200`, `json token exists`, `capture token`. */
  name: string;
  ok: boolean;
  /** What was found instead, on failure. */
  message?: string;
}

export interface PersonaStartRecord {
  type: 'persona-start';
  persona: string;
  planned: number;
  at: number;
}

export interface PersonaEndRecord {
  type: 'persona-end';
  persona: string;
  at: number;
}

/**
 * One attempt of a session's setup or teardown (a persona's, per VU or open-model session; or the
 * run-level one). Its requests are reported apart from the load (summary.json `setup`/`teardown`),
 * never in results.ndjson, the load figures or the percentiles.
 */
export interface SessionRecord {
  type: 'session';
  phase: 'setup' | 'teardown';
  /** The persona whose session it is; absent: the run-level setup or teardown. */
  persona?: string;
  /** 1-based VU; 0: no VU (an open-model session, or the run level). */
  vu: number;
  /** 1 for the first attempt; retries (`setupFailure.retries`) count on. */
  attempt: number;
  ok: boolean;
  /** No attempt follows: it passed, or it was the last one allowed. */
  final: boolean;
  /** On a final failure: what the session does next (`stop`: the VU stops, or the arrival skips its visit). */
  then?: 'stop' | 'continue';
  /** What ended the steps early, secrets masked. */
  message?: string;
  /** The attempt's requests, shaped as a visit's. */
  results: ResultRecord[];
}

/**
 * A closed-model virtual user started or ended its loop: the active-VU curve is the running sum. Apart
 * from EngineRecord (`onVu`, not `onRecord`): no sink of results sees it.
 */
export interface VuRecord {
  type: 'vu';
  vu: number;
  event: 'start' | 'end';
  /** Epoch ms. */
  at: number;
}

/**
 * `--workers N` with the recording in the workers: results of this persona were recorded elsewhere
 * and merged into the run's metrics (its snapshot is due). Never written to results.ndjson.
 */
export interface PersonaProgressRecord {
  type: 'persona-progress';
  persona: string;
}

export type EngineRecord = ResultRecord | PersonaStartRecord | PersonaEndRecord | SessionRecord | PersonaProgressRecord;

/**
 * Responses in columns, the first `count` entries of each array: `troupe bench`'s batches
 * (src/bench/tape.ts), recorded as they are into the metrics (RunMetrics.addResponses) and results.tape.
 * A response's record has the latency in whole µs and the start in whole ms: `blockTimes`.
 */
export interface ResponseBlock {
  count: number;
  latencyMs: Float64Array;
  /** Epoch ms it completed. */
  endAt: Float64Array;
  bytes: Float64Array;
  status: Uint16Array;
  /** Index in CACHE_STATUSES. */
  cache: Uint8Array;
}

/** A block response's latency as whole µs, and its record's latencyMs and startedAt (whole ms). */
export function blockTimes(latencyMs: number, endAt: number): { us: number; latencyMs: number; startedAt: number } {
  const us = Math.round(latencyMs * 1000);
  const ms = us / 1000;
  return { us, latencyMs: ms, startedAt: Math.round(endAt - ms) };
}
