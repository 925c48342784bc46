/**
 * The main thread and a sealing thread (replica-keys.ts, sealer-link.ts; docs/dataplane.md
 * §10.9) in one test thread: every message crosses through structuredClone at the moment it
 * is posted, as postMessage does, and the two Dataplanes share nothing else. The gateway
 * and the NAT are the in-memory network of test-harness.ts; expected packets are the
 * hand-built hex of scenarios.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBackend } from '../crypto/node-backend.js';
import { toHex } from '../util/hex.js';
import { SeededRng } from '../util/rng.js';
import { Dataplane, type DataplaneSink } from './dataplane.js';
import type { ListenerSpec } from './listener.js';
import { ReplicaKeys, type SealerEvent, type ToSealer } from './replica-keys.js';
import { CLIENT, GATEWAY, ICMP_REP4, ICMP_REQ4, NAT_PUBLIC, natTunnel, tunnelPolicy } from './scenarios.js';
import { applySealerEvents, applyToSealer, forChange, forMainThread } from './sealer-link.js';
import { type Host, ip, type Net, saConfig } from './test-harness.js';

interface Split {
  readonly sealer: Dataplane;
  readonly keys: ReplicaKeys;
  /** messages posted and not yet delivered, each way */
  readonly toSealer: ToSealer[];
  readonly toMain: SealerEvent[][];
  /** deliver everything in flight both ways, until quiet */
  sync(): void;
  /** one TUN read batch, read and sealed by the sealing thread */
  fromTun(...packets: Uint8Array[]): void;
}

/** Give `host` a sealing thread, wired as dataplane-io wires the worker. */
function split(net: Net, host: Host, listeners: readonly ListenerSpec[]): Split {
  const keys = new ReplicaKeys();
  const toSealer: ToSealer[] = [];
  const toMain: SealerEvent[][] = [];
  const post = (m: ToSealer): void => {
    toSealer.push(structuredClone(m));
  };
  const sink: DataplaneSink = {
    udpSend: (listener, address, port, payload) => {
      const l = listeners[listener];
      assert.ok(l);
      const from = l.address === '0.0.0.0' ? host.address : l.address;
      net.send({ kind: 'udp', src: { address: from, port: l.port }, dst: { address, port }, payload: payload.slice() });
      return false;
    },
    rawSend: () => assert.fail('no raw ESP here'),
    tunWrite: () => assert.fail('the sealing thread never writes to the TUN'),
    toIke: () => assert.fail('the sealing thread never sees IKE'),
    pfkey: () => assert.fail('the sealing thread never talks PF_KEY'),
  };
  const sealer = new Dataplane({
    keys,
    backend: nodeBackend,
    rng: new SeededRng(9n),
    clock: net.clock,
    sink,
    listeners,
  });
  // what dataplane-io posts when the worker starts, then every change
  for (const e of host.keys.sad.dump()) post(forChange({ kind: 'sa-added', entry: e, released: [] }, host.keys.spd));
  post(forChange({ kind: 'spd-changed' }, host.keys.spd));
  host.keys.onChange = (c) => {
    post(forChange(c, host.keys.spd));
    host.dp.onSadChange(forMainThread(c));
  };
  host.onPeerMoved = (old, to) => post({ kind: 'peer-moved', old, to });
  const events = (): void => {
    if (keys.pending) toMain.push(structuredClone(keys.take()));
  };
  return {
    sealer,
    keys,
    toSealer,
    toMain,
    sync() {
      while (toSealer.length > 0 || toMain.length > 0) {
        for (const m of toSealer.splice(0)) {
          applyToSealer(keys, sealer, m);
          events();
        }
        for (const e of toMain.splice(0)) applySealerEvents(host.dp, e);
      }
    },
    fromTun(...packets) {
      sealer.beginBatch();
      for (const p of packets) sealer.fromTun(p);
      sealer.endBatch();
      events();
    },
  };
}

describe('a sealing thread beside the main thread', () => {
  it('seals from its SAD copy; the main thread sealed nothing and did the SAD accounting once per batch', () => {
    const { net, client, gateway, natPort } = natTunnel();
    const s = split(net, client, [{ address: '0.0.0.0', port: 4500, role: 'natt' }]);
    s.sync();
    assert.equal(s.keys.sad.size, 2);
    s.fromTun(ICMP_REQ4, ICMP_REQ4, ICMP_REQ4);
    assert.equal(net.queue.length, 3);
    assert.deepEqual(net.queue[0]?.src, { address: NAT_PUBLIC, port: natPort });
    net.pump();
    assert.deepEqual(gateway.tun, [ICMP_REQ4, ICMP_REQ4, ICMP_REQ4]);
    // the replies come back through the main thread's inbound path
    gateway.dp.fromTun(ICMP_REP4);
    net.pump();
    assert.deepEqual(client.tun, [ICMP_REP4]);
    assert.equal(client.dp.status().totals.espOut, 0);
    assert.equal(s.sealer.status().totals.espOut, 3);
    // the key engine's SA counted nothing until the batch's one event arrived
    const out = client.keys.sad.dump().find((e) => e.spi === 0x1001);
    assert.equal(out?.current.packets, 0n);
    assert.equal(s.toMain.length, 1);
    assert.deepEqual(
      s.toMain[0]?.map((e) => e.kind),
      ['used'],
    );
    s.sync();
    assert.equal(out?.current.packets, 3n);
    assert.equal(out?.current.bytes, BigInt(3 * ICMP_REQ4.length));
  });

  it('forwards a packet without an SA to the key engine, which holds it; the SA brings it back to the sealing thread', () => {
    const { net } = natTunnel();
    const listeners: ListenerSpec[] = [{ address: '0.0.0.0', port: 4500, role: 'natt' }];
    const host = net.host({ name: 'client2', address: '10.0.0.9', behindNat: true, listeners });
    host.keys.addPolicy(tunnelPolicy('out', '10.1.0.2/32', '10.2.0.0/24', '10.0.0.9', GATEWAY));
    const s = split(net, host, listeners);
    s.sync();
    s.fromTun(ICMP_REQ4);
    assert.equal(net.queue.length, 0);
    assert.equal(s.sealer.status().totals.drops['no-sa'], undefined, 'forwarded, not dropped');
    s.sync();
    assert.equal(host.keys.acquires.length, 1, 'the key engine saw the ACQUIRE');
    assert.equal(host.dp.status().totals.held, 1);
    assert.equal(host.pfkey.length, 1);
    // the key manager adds the SA: the held packet goes to the sealing thread, not the main one
    host.keys.addSa(
      saConfig({
        spi: 0x3001,
        src: ip('10.0.0.9'),
        dst: ip(GATEWAY),
        encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500 },
      }),
    );
    assert.equal(host.dp.status().totals.released, 0);
    assert.equal(net.queue.length, 0);
    s.sync();
    assert.equal(s.sealer.status().totals.released, 1);
    assert.equal(net.queue.length, 1);
    // RFC 4303 §2: SPI 0x3001, sequence number 1, sealed once
    assert.equal(toHex(net.queue[0]?.payload.subarray(0, 8) ?? new Uint8Array()), '0000300100000001');
  });

  it('reports the ESP engine lifetime and the SAD byte limit to the key engine, in order', () => {
    const { net, client } = natTunnel();
    const s = split(net, client, [{ address: '0.0.0.0', port: 4500, role: 'natt' }]);
    // a new outbound SA with a soft byte limit of two packets' worth
    const entry = client.keys.addSa(
      saConfig({
        spi: 0x1002,
        src: ip(CLIENT),
        dst: ip(GATEWAY),
        encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500 },
      }),
      {
        lifetime: {
          soft: { allocations: 0, bytes: BigInt(2 * ICMP_REQ4.length), addtime: 0, usetime: 0 },
          hard: { allocations: 0, bytes: 0n, addtime: 0, usetime: 0 },
        },
      },
    );
    s.sync();
    s.fromTun(ICMP_REQ4, ICMP_REQ4, ICMP_REQ4);
    assert.equal(client.pfkey.length, 0);
    s.sync();
    assert.equal(client.pfkey.length, 1, 'one EXPIRE (soft) from the batch that crossed the limit');
    const now = client.keys.sad.dump().find((e) => e.id === entry.id);
    assert.equal(now?.state, 'dying');
  });

  it('follows a NAT rebinding seen by the main thread: the sealing thread sends to the new port', () => {
    const { net, nat, client, gateway } = natTunnel();
    const s = split(net, gateway, [{ address: GATEWAY, port: 4500, role: 'natt' }]);
    s.sync();
    client.dp.fromTun(ICMP_REQ4);
    net.pump();
    const newPort = nat.rebind({ address: CLIENT, port: 4500 });
    client.dp.fromTun(ICMP_REQ4);
    net.pump();
    assert.equal(gateway.tun.length, 2);
    assert.equal(gateway.keys.mappings.length, 1, 'the main thread moved the SA');
    s.sync();
    s.fromTun(ICMP_REP4);
    assert.deepEqual(net.queue[0]?.dst, { address: NAT_PUBLIC, port: newPort });
    net.pump();
    assert.deepEqual(client.tun, [ICMP_REP4]);
  });
});
