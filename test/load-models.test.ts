/** Load models are registered by name; the engine picks one by the config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOAD_MODELS, loadModelName } from '../src/engine/load-models.js';

test('load models: closed, constant-vus, ramping-vus and open are registered; the config picks one', () => {
  assert.deepEqual([...LOAD_MODELS.keys()], ['closed', 'constant-vus', 'ramping-vus', 'open']);
  assert.equal(loadModelName({ load: null }), 'closed');
  assert.equal(loadModelName({ load: null, vus: { model: 'constant-vus', durationMs: 1000, loop: true } }), 'constant-vus');
  assert.equal(loadModelName({ load: null, vus: { model: 'ramping-vus', stages: [{ durationMs: 1000, target: 2 }], startVUs: 0, gracefulRampDownMs: 0 } }), 'ramping-vus');
  assert.equal(loadModelName({ load: { arrival: 'constant', phases: [{ durationMs: 1000, fromRate: 1, toRate: 1 }], maxInFlight: 10 } as never }), 'open');
});
