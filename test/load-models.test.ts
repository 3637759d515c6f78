/** Load models are registered by name; the engine picks one by the config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOAD_MODELS, loadModelName } from '../src/engine/load-models.js';

test('load models: closed and open are registered; an arrival schedule picks open, none picks closed', () => {
  assert.deepEqual([...LOAD_MODELS.keys()], ['closed', 'open']);
  assert.equal(loadModelName({ load: null }), 'closed');
  assert.equal(loadModelName({ load: { arrival: 'constant', phases: [{ durationMs: 1000, fromRate: 1, toRate: 1 }], maxInFlight: 10 } as never }), 'open');
});
