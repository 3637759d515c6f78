#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// V8 "pretenures" objects from allocation sites whose objects mostly survived a young-generation GC:
// it allocates them in old space directly. With many requests in flight, troupe's per-request objects
// look long-lived at first, get pretenured, and then die in old space, which fills with garbage between
// full collections: measured against nginx at 50 connections, ~2.5 MB promoted per scavenge and a peak
// RSS of ~182 MB, against ~127 MB (nothing promoted) with pretenuring off. Set before anything is
// loaded; V8 flags are per process, so worker threads get it too. Only the CLI sets it: a program that
// imports troupe's API keeps its own V8 settings.
setFlagsFromString('--no-allocation-site-pretenuring');

// After a full GC, V8 lets the old generation grow by a factor it picks from GC and mutator speed: for
// troupe's ~14 MB that is live at 50 connections the next full GC came at ~28 MB, so RSS grew ~14 MB
// from 10 s to the end of a 60 s run (what scavenges promote, ~0.36 MB/s, piles up in old space until
// then). With the factor fixed at 1.5 (V8's minimum step of 8 MB applies above it) the next full GC
// comes at ~23 MB, every ~22 s at that rate, 8-13 ms each: RSS 100.8 MB at 10 s, 106.6 MB at 60 s
// (issue 12). Unlike heap sizes, this flag is read at every GC, so it works when set here; a large
// heap (many locations) also grows by half between full GCs, not by up to 4x.
setFlagsFromString('--heap-growing-percent=50');

// A full collection the run can ask for once its warm-up is done (src/run/startup-gc.ts): V8's first
// full GC otherwise came ~1.5 s into a run, over what start-up left in old space, with an incremental
// marking step of 20-24 ms that landed on the requests in flight (bench/latency-truth.mjs --per-request
// --node-arg=--trace-gc: the worst requests, +15-20 ms, all at that instant). --expose-gc set now gives
// a context made later its gc(); the main context's globals stay as they were. The context is made only
// when a run asks, so `--version` and the other commands do not pay for it.
setFlagsFromString('--expose-gc');
globalThis[Symbol.for('troupe.collectGarbage')] = () => runInNewContext('gc')();

// The bundle when it is current, else the compiled modules (bin/cli-entry.js). The bundle runs with
// V8's code cache (bin/run-bundle.js).
const { cliEntry } = await import('./cli-entry.js');
const entry = cliEntry();
if (entry.endsWith('.cjs')) (await import('./run-bundle.js')).runBundle(entry);
else await import(entry);
