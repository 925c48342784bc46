/**
 * The IKE SA lifecycle table: every allowed edge, and refusals of the ones that would
 * resurrect or skip states (strongSwan ike_sa.h semantics: no way back from deleting).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IKE_SA_STATES, IkeSaLifecycle, type IkeSaState } from './ike-sa-state.js';

function walk(path: IkeSaState[]): IkeSaLifecycle {
  const l = new IkeSaLifecycle();
  path.forEach((s, i) => {
    l.transition(s, `step ${i}`, i * 10);
  });
  return l;
}

test('the normal life: connect, establish, rekey, be replaced, delete', () => {
  const l = walk(['connecting', 'established', 'rekeying', 'rekeyed', 'deleting', 'destroying']);
  assert.equal(l.state, 'destroying');
  assert.deepEqual(l.lastChange, { from: 'deleting', to: 'destroying', reason: 'step 5', at: 50 });
});

test('a failed rekey returns to established', () => {
  assert.equal(walk(['connecting', 'established', 'rekeying', 'established']).state, 'established');
});

test('refused edges throw and leave the state unchanged', () => {
  const l = walk(['connecting', 'established', 'deleting']);
  assert.throws(() => l.transition('established', 'resurrect', 99), /deleting -> established/);
  assert.equal(l.state, 'deleting');
  assert.throws(() => new IkeSaLifecycle().transition('established', 'skip', 0), /created -> established/);
});

test('destroying is terminal; every state can reach destroying except itself', () => {
  for (const s of IKE_SA_STATES) {
    const l = new IkeSaLifecycle();
    const paths: Record<IkeSaState, IkeSaState[]> = {
      created: [],
      connecting: ['connecting'],
      established: ['connecting', 'established'],
      rekeying: ['connecting', 'established', 'rekeying'],
      rekeyed: ['connecting', 'established', 'rekeying', 'rekeyed'],
      deleting: ['connecting', 'established', 'deleting'],
      destroying: ['destroying'],
    };
    for (const p of paths[s]) l.transition(p, 'walk', 0);
    assert.equal(l.canMoveTo('destroying'), s !== 'destroying', s);
  }
});
