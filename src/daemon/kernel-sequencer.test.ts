import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelSequencer } from './kernel-sequencer.js';

/** A kernel request that completes when the test says so. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve = (): void => {};
  let reject = (_e: Error): void => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a message sent after kernel work waits for it: the CHILD SA rekey Delete answer goes out once the new outbound SA is active', async () => {
  // The gateway's actions for the client's Delete of the old CHILD SA after a rekey:
  // activate-child (new outbound SA), remove-child (old SAs), then the INFORMATIONAL response.
  const log: string[] = [];
  const seq = new KernelSequencer((what, e) => log.push(`failed ${what}: ${String(e)}`));
  const activate = deferred();
  const remove = deferred();
  seq.kernel('activate', async () => {
    log.push('activate sent');
    await activate.promise;
    log.push('activate done');
  });
  seq.kernel('remove', async () => {
    log.push('remove sent');
    await remove.promise;
    log.push('remove done');
  });
  seq.send(() => log.push('response sent'));
  await settle();
  assert.deepEqual(log, ['activate sent'], 'nothing but the first PF_KEY request yet');
  activate.resolve();
  await settle();
  assert.deepEqual(log, ['activate sent', 'activate done', 'remove sent']);
  remove.resolve();
  await seq.idle();
  assert.deepEqual(log, ['activate sent', 'activate done', 'remove sent', 'remove done', 'response sent']);
});

test('messages keep their order when some wait for kernel work', async () => {
  const log: string[] = [];
  const seq = new KernelSequencer(() => undefined);
  seq.send(() => log.push('A')); // nothing queued: at once
  assert.deepEqual(log, ['A']);
  const install = deferred();
  seq.kernel('install', () => install.promise);
  seq.send(() => log.push('B'));
  seq.send(() => log.push('C')); // behind B, though no kernel work came between them
  await settle();
  assert.deepEqual(log, ['A']);
  install.resolve();
  await seq.idle();
  assert.deepEqual(log, ['A', 'B', 'C']);
  seq.send(() => log.push('D')); // all done: at once again
  assert.deepEqual(log, ['A', 'B', 'C', 'D']);
});

test('a failed kernel request is reported and does not hold back what follows', async () => {
  const log: string[] = [];
  const seq = new KernelSequencer((what, e) => log.push(`${what}: ${e instanceof Error ? e.message : String(e)}`));
  const install = deferred();
  seq.kernel('installing CHILD SA net', () => install.promise);
  seq.send(() => log.push('sent'));
  install.reject(new Error('EEXIST'));
  await seq.idle();
  assert.deepEqual(log, ['installing CHILD SA net: EEXIST', 'sent']);
});
