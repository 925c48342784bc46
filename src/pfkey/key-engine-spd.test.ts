/**
 * X_SPD* messages: SPDADD with tunnel ipsecrequests as racoon/Shrew send them (Linux 16-byte
 * and KAME 8-byte requests), SPDUPDATE, SPDGET, SPDDUMP, SPDDELETE, SPDDELETE2, SPDFLUSH.
 * Expected bytes from test-buffers.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { SeededRng } from '../util/rng.js';
import { encodePfkeyMessage, type PfkeyDialect } from '../wire/pfkey/index.js';
import { type Delivery, KeyEngine, type SadChange } from './key-engine.js';
import { address, ipsecrequest, lifetime, msg, policy, toHex } from './test-buffers.js';

const GW = '192.0.2.1';
const PEER = '203.0.113.9';
const zero = (t: number) => lifetime(t, 0, 0n, 0n, 0n);

function setup() {
  const changes: SadChange[] = [];
  const engine = new KeyEngine({ clock: new FakeClock(0), rng: new SeededRng(1n), onChange: (c) => changes.push(c) });
  return { engine, changes };
}

const bytesOf = (engine: KeyEngine, d: Delivery) => toHex(encodePfkeyMessage(d.message, engine.dialectOf(d.to)));

for (const d of ['linux', 'kame'] as PfkeyDialect[]) {
  test(`${d}: SPDADD out/in tunnel policies (racoon spdadd ... esp/tunnel/A-B/unique:N), broadcast with the allocated id`, () => {
    const { engine, changes } = setup();
    const c = engine.connect(d, 300);
    const other = engine.connect(d, 301);
    // 10.0.1.0/24 -> 10.0.2.0/24 any, dir out (2), type ipsec (2), esp (50) tunnel (2) unique (3) reqid 5, priority 0
    const add = msg(
      { type: 14, satype: 0, seq: 20, pid: 300 },
      address(d, 5, '10.0.1.0', 255, 24),
      address(d, 6, '10.0.2.0', 255, 24),
      policy(2, 2, 0, 0, ipsecrequest(d, 50, 2, 3, 5, [GW, PEER])),
    );
    const out = engine.receive(c, add);
    const p = engine.spd.dump()[0];
    assert.ok(p);
    assert.equal(p.id, 1, 'Linux xfrm_gen_index: generator 0 | dir out (1)');
    // Linux pfkey_xfrm_policy2msg: SRC | DST | HARD | SOFT | CURRENT | X_POLICY
    const reply = msg(
      { type: 14, satype: 0, seq: 20, pid: 300 },
      address(d, 5, '10.0.1.0', 255, 24),
      address(d, 6, '10.0.2.0', 255, 24),
      zero(3),
      zero(4),
      zero(2),
      policy(2, 2, 1, 0, ipsecrequest(d, 50, 2, 3, 5, [GW, PEER])),
    );
    assert.deepEqual(
      out.map((x) => [x.to, bytesOf(engine, x)]),
      [
        [c, toHex(reply)],
        [other, toHex(reply)],
      ],
    );
    assert.deepEqual(changes, [{ kind: 'spd-changed' }]);
    assert.deepEqual(p.requests[0], {
      proto: 'esp',
      mode: 'tunnel',
      level: 'unique',
      reqid: 5,
      tunnel: { src: p.requests[0]?.tunnel?.src, dst: p.requests[0]?.tunnel?.dst },
    });
    assert.equal(p.requests[0]?.tunnel?.dst.text, PEER);

    // the same again: EEXIST; SPDUPDATE replaces it keeping the id
    assert.equal(engine.receive(c, add)[0]?.message.header.errno, 17);
    const upd = msg(
      { type: 13, satype: 0, seq: 21, pid: 300 },
      address(d, 5, '10.0.1.0', 255, 24),
      address(d, 6, '10.0.2.0', 255, 24),
      policy(2, 2, 0, 0, ipsecrequest(d, 50, 2, 2, 0, [GW, PEER])),
    );
    const u = engine.receive(c, upd);
    assert.equal(u[0]?.message.header.type, 13);
    assert.equal(engine.spd.dump()[0]?.id, 1);
    assert.equal(engine.spd.dump()[0]?.requests[0]?.level, 'require');

    // inbound policy, transport mode, level unique with reqid 0: a reqid is generated (> 0x3fff)
    const inb = msg(
      { type: 14, satype: 0, seq: 22, pid: 300 },
      address(d, 5, PEER, 17, 32, 500),
      address(d, 6, GW, 17, 32, 500),
      policy(2, 1, 0, 0, ipsecrequest(d, 50, 1, 3, 0)),
    );
    assert.equal(engine.receive(c, inb)[0]?.message.header.errno, 0);
    const pin = engine.spd.dump().find((x) => x.dir === 'in');
    assert.equal(pin?.requests[0]?.reqid, 0x4000);
    assert.equal(pin?.selector.sport, 500);
    assert.equal(pin?.selector.proto, 17);

    // SPDGET by id: to the sender only
    const got = engine.receive(c, msg({ type: 16, satype: 0, seq: 23, pid: 300 }, policy(0, 0, 1, 0)));
    assert.deepEqual(
      got.map((x) => x.to),
      [c],
    );
    assert.equal(got[0]?.message.header.type, 16);
    // SPDDUMP: in (id 8) first, then out (id 1); seq counts down
    const dump = engine.receive(c, msg({ type: 18, satype: 0, seq: 24, pid: 300 }));
    assert.deepEqual(
      dump.map((x) => [x.to, x.message.header.type, x.message.header.seq, x.message.header.pid]),
      [
        [c, 18, 1, 300],
        [c, 18, 0, 300],
      ],
    );
    assert.deepEqual(
      dump.map((x) => {
        const pe = x.message.extensions[5];
        return pe?.ext === 'X_POLICY' ? [pe.dir, pe.id] : [];
      }),
      [
        [1, 8],
        [2, 1],
      ],
    );
    // SPDDELETE by selector + dir: broadcast
    const del = engine.receive(
      c,
      msg(
        { type: 15, satype: 0, seq: 25, pid: 300 },
        address(d, 5, '10.0.1.0', 255, 24),
        address(d, 6, '10.0.2.0', 255, 24),
        policy(2, 2, 0, 0),
      ),
    );
    assert.equal(del.length, 2);
    // SPDDELETE2 by id
    const del2 = engine.receive(c, msg({ type: 22, satype: 0, seq: 26, pid: 300 }, policy(0, 0, 8, 0)));
    assert.equal(del2[0]?.message.header.type, 22);
    assert.equal(engine.spd.size, 0);
    // SPDFLUSH of an empty SPD: answer to the sender only
    const fl = engine.receive(c, msg({ type: 19, satype: 0, seq: 27, pid: 300 }));
    assert.deepEqual(
      fl.map((x) => [x.to, bytesOf(engine, x)]),
      [[c, toHex(msg({ type: 19, satype: 0, seq: 27, pid: 300 }))]],
    );
  });
}

test('SPD refusals: AH request EOPNOTSUPP, mode ANY EINVAL, tunnel without endpoints EINVAL, USE on an outbound tunnel EINVAL, fwd on kame EINVAL', () => {
  const { engine } = setup();
  const l = engine.connect('linux', 1);
  const k = engine.connect('kame', 2);
  const sel = (d: PfkeyDialect) => [address(d, 5, '10.0.1.0', 255, 24), address(d, 6, '10.0.2.0', 255, 24)];
  const add = (d: PfkeyDialect, c: number, pol: Uint8Array) =>
    engine.receive(c, msg({ type: 14, satype: 0, seq: 1, pid: 1 }, ...sel(d), pol))[0]?.message.header.errno;
  assert.equal(add('linux', l, policy(2, 2, 0, 0, ipsecrequest('linux', 51, 2, 2, 0, [GW, PEER]))), 95);
  assert.equal(add('kame', k, policy(2, 2, 0, 0, ipsecrequest('kame', 51, 2, 2, 0, [GW, PEER]))), 45);
  assert.equal(add('linux', l, policy(2, 2, 0, 0, ipsecrequest('linux', 50, 0, 2, 0))), 22);
  assert.equal(add('linux', l, policy(2, 2, 0, 0, ipsecrequest('linux', 50, 2, 2, 0))), 22);
  assert.equal(add('linux', l, policy(2, 2, 0, 0, ipsecrequest('linux', 50, 2, 1, 0, [GW, PEER]))), 22);
  assert.equal(add('linux', l, policy(4, 2, 0, 0)), 22, 'BYPASS cannot be installed');
  assert.equal(add('kame', k, policy(1, 3, 0, 0)), 22, 'no FWD direction in KAME');
  assert.equal(add('linux', l, policy(1, 3, 0, 0)), 0, 'FWD exists in Linux');
  assert.equal(add('linux', l, policy(0, 1, 0, 0)), 0, 'a discard policy');
  assert.equal(engine.spd.size, 2);
});
