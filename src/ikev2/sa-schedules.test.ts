/**
 * The engine's three lazy schedules (IKE SA rekey, CHILD SA rekey, reauthentication) must not
 * keep gone SAs alive. Found by the soak (bench/README.md "Soak"): a gateway with the default
 * rekey_time (4 h, rand_time 24 min) whose clients rekey every few seconds scheduled each new
 * IKE SA 3.6-4 h ahead; a rekeyed IKE SA's entry was dropped only when it reached the top of
 * the heap, behind the entry of a live IKE SA with an earlier time, so dead IKE SAs (and CHILD
 * SAs, 1 h ahead) piled up in the gateway's heap for the length of rand_time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { RekeySchedule } from './child-rekey.js';
import { ReauthSchedule } from './ike-reauth.js';
import { IkeRekeySchedule } from './ike-rekey-schedule.js';
import { type ChildSa, IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collect garbage after the current job (WeakRef targets stay alive until it ends). */
async function collect(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

let now = 0;
const ctx = { clock: { now: () => now }, random32: () => 0 } as unknown as Ikev2Context;
const conn = { name: 'gw', rekeyTime: 14_400, randTime: 1_440, reauthTime: 0 } as unknown as ConnectionConfig;
const addr = { address: new Uint8Array([10, 0, 0, 1]), port: 500 };

function establishedSa(): IkeSa {
  const sa = new IkeSa(false, 1n, addr, addr);
  sa.conn = conn;
  sa.lifecycle.transition('connecting', 'test', now);
  sa.lifecycle.transition('established', 'test', now);
  return sa;
}

/** An IKE SA rekeyed and deleted (its successor holds everything). */
function retire(sa: IkeSa): void {
  sa.lifecycle.transition('rekeying', 'test', now);
  sa.lifecycle.transition('rekeyed', 'test', now);
  sa.lifecycle.transition('destroying', 'test', now);
}

test('IkeRekeySchedule: IKE SAs gone long before their rekey time are not kept alive', async () => {
  const s = new IkeRekeySchedule();
  const live = establishedSa();
  s.schedule(ctx, live, 0); // the earliest entry: it stays at the top of the heap
  const gone: WeakRef<IkeSa>[] = [];
  for (let i = 0; i < 500; i++) {
    now += 10_000;
    const sa = establishedSa();
    s.schedule(ctx, sa, 0);
    retire(sa);
    gone.push(new WeakRef(sa));
    assert.equal(s.next()?.sa, live);
  }
  await collect();
  const kept = gone.filter((w) => w.deref() !== undefined).length;
  assert.ok(kept <= 100, `${kept} of 500 gone IKE SAs still referenced by the schedule`);
  assert.equal(s.next()?.sa, live, 'the live entry stays');
});

test('ReauthSchedule: IKE SAs gone before their reauthentication time are not kept alive', async () => {
  const s = new ReauthSchedule();
  const live = establishedSa();
  const liveAt = now + 3_600_000;
  s.add(live, liveAt);
  const gone: WeakRef<IkeSa>[] = [];
  for (let i = 0; i < 500; i++) {
    now += 10_000;
    const sa = establishedSa();
    s.add(sa, now + 3_600_000);
    retire(sa);
    gone.push(new WeakRef(sa));
    assert.equal(s.next(), liveAt);
  }
  await collect();
  const kept = gone.filter((w) => w.deref() !== undefined).length;
  assert.ok(kept <= 100, `${kept} of 500 gone IKE SAs still referenced by the schedule`);
  assert.equal(s.takeDue(liveAt), live, 'the live entry stays');
});

test('RekeySchedule: CHILD SAs (and their IKE SAs) gone before their rekey time are not kept alive', async () => {
  const s = new RekeySchedule();
  const ike = establishedSa();
  const child = (at: number): ChildSa => ({ name: 'net', rekeyAt: at }) as unknown as ChildSa;
  const live = child(now + 3_600_000);
  ike.children = [live];
  s.add(ike, live);
  const gone: WeakRef<object>[] = [];
  for (let i = 0; i < 500; i++) {
    now += 10_000;
    const sa = establishedSa();
    const c = child(now + 3_600_000);
    sa.children = [c];
    s.add(sa, c);
    sa.children = []; // rekeyed: removed from its IKE SA
    retire(sa);
    gone.push(new WeakRef(c), new WeakRef(sa));
    assert.equal(s.next()?.child, live);
  }
  await collect();
  const kept = gone.filter((w) => w.deref() !== undefined).length;
  assert.ok(kept <= 200, `${kept} of 1000 gone CHILD and IKE SAs still referenced by the schedule`);
  assert.equal(s.next()?.child, live, 'the live entry stays');
});
