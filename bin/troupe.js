#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// V8 "pretenures" objects from allocation sites whose objects mostly survived a young-generation GC:
// it allocates them in old space directly. With many requests in flight, troupe's per-request objects
// look long-lived at first, get pretenured, and then die in old space, which fills with garbage between
// full collections: measured against nginx at 50 connections, ~2.5 MB promoted per scavenge and a peak
// RSS of ~182 MB, against ~127 MB (nothing promoted) with pretenuring off. Set before anything is
// loaded; V8 flags are per process, so worker threads get it too. Only the CLI sets it: a program that
// imports troupe's API keeps its own V8 settings.
setFlagsFromString('--no-allocation-site-pretenuring');

// The bundle when it is current, else the compiled modules (bin/cli-entry.js). The bundle runs with
// V8's code cache (bin/run-bundle.js).
const { cliEntry } = await import('./cli-entry.js');
const entry = cliEntry();
if (entry.endsWith('.cjs')) (await import('./run-bundle.js')).runBundle(entry);
else await import(entry);
