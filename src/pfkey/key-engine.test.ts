/**
 * Key engine: the racoon / Shrew install sequences (GETSPI, UPDATE inbound, ADD outbound with
 * NAT-T), GET/DUMP/DELETE/FLUSH/REGISTER/PROMISC, in both dialects. Expected bytes come from
 * test-buffers.ts (field-by-field from the Linux/FreeBSD headers), never from encode.ts; the
 * engine's deliveries are encoded and compared with them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { MemoryLogger } from '../util/logger.js';
import { SeededRng } from '../util/rng.js';
import { decodePfkeyMessage, encodePfkeyMessage, type PfkeyDialect } from '../wire/pfkey/index.js';
import { type Delivery, KeyEngine, type SadChange } from './key-engine.js';
import {
  address,
  ext,
  hex,
  key,
  lifetime,
  msg,
  natFrag,
  natPort,
  natType,
  sa,
  sa2,
  spirange,
  supported,
  toHex,
} from './test-buffers.js';

const T0 = 1_700_000_000_000; // FakeClock ms; LIFETIME_CURRENT addtime = 1700000000 s
const T0S = 1_700_000_000n;
const GW = '192.0.2.1'; // us
const NAT = '198.51.100.7'; // the peer's NAT
const PEER_ORIG = '10.0.0.5'; // the peer's address behind it (NAT-OA)
// RFC 4106 key 32 bytes + 4-byte salt = 288 bits
const GCM_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' + 'cafebabe';
const GCM_KEY2 = '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f' + 'deadbeef';

function setup() {
  const clock = new FakeClock(T0);
  const changes: SadChange[] = [];
  const logger = new MemoryLogger();
  const engine = new KeyEngine({ clock, rng: new SeededRng(11n), logger, onChange: (c) => changes.push(c) });
  return { clock, engine, changes, logger };
}

/** Encoded bytes of each delivery, as the server would write them. */
function wire(engine: KeyEngine, ds: Delivery[]): { to: number; hex: string }[] {
  return ds.map((d) => ({ to: d.to, hex: toHex(encodePfkeyMessage(d.message, engine.dialectOf(d.to))) }));
}

function only(ds: Delivery[], to: number): Delivery {
  const mine = ds.filter((d) => d.to === to);
  assert.equal(mine.length, 1, `exactly one delivery to client ${to}`);
  return mine[0] as Delivery;
}

function state(engine: KeyEngine): string {
  const sas = engine.sad.dump().map((e) => ({ ...e, cfg: e.cfg && { ...e.cfg } }));
  return JSON.stringify({ sas, spd: engine.spd.dump() }, (_k, v) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? toHex(v) : v,
  );
}

const SUPPORTED_AUTH: [number, number, number, number][] = [
  [2, 0, 128, 128], // HMAC-MD5 RFC 2403: 16-byte key
  [3, 0, 160, 160], // HMAC-SHA1 RFC 2404: 20-byte key
  [5, 0, 256, 256], // HMAC-SHA2-256 RFC 4868 §2.1.1: key = hash length
  [6, 0, 384, 384],
  [7, 0, 512, 512],
];
const SUPPORTED_ENCRYPT: [number, number, number, number][] = [
  [18, 8, 160, 288], // AES-GCM ICV8 (RFC 4106): 16-32 byte key + 4-byte salt, 8-byte IV
  [19, 8, 160, 288],
  [20, 8, 160, 288],
  [28, 8, 288, 288], // ChaCha20-Poly1305 (RFC 7634), esprit private number 28: 32 + 4
  [12, 16, 128, 256], // AES-CBC RFC 3602
  [3, 8, 192, 192], // 3DES-CBC RFC 2451
  [23, 8, 160, 288], // AES-GMAC RFC 4543
  [11, 0, 0, 0], // NULL RFC 2410
];

test('REGISTER (linux): SUPPORTED_AUTH/ENCRYPT to the sender and the registered sockets; twice is EEXIST', () => {
  const { engine } = setup();
  const racoon = engine.connect('linux', 1234);
  const other = engine.connect('linux', 77);
  // sadb_msg: version 2, type 7 REGISTER, errno 0, satype 3 ESP, len 2, seq 1, pid 1234
  const req = hex('02 07 00 03 0200 0000 01000000 d2040000');
  const out = engine.receive(racoon, req);
  const expected = msg(
    { type: 7, satype: 3, seq: 1, pid: 1234 },
    supported(14, SUPPORTED_AUTH),
    supported(15, SUPPORTED_ENCRYPT),
  );
  assert.deepEqual(wire(engine, out), [{ to: racoon, hex: toHex(expected) }], 'unregistered sockets get nothing');
  // a second socket registering: both registered sockets get its SUPPORTED
  const out2 = engine.receive(other, msg({ type: 7, satype: 3, seq: 5, pid: 77 }));
  assert.deepEqual(
    out2.map((d) => d.to),
    [racoon, other],
  );
  const again = engine.receive(racoon, req);
  assert.deepEqual(wire(engine, again), [
    { to: racoon, hex: toHex(msg({ type: 7, satype: 3, seq: 1, pid: 1234, errno: 17 })) },
  ]);
});

test('REGISTER for AH is EOPNOTSUPP (linux 95, kame 45); an invalid satype is EINVAL', () => {
  const { engine } = setup();
  const l = engine.connect('linux');
  const k = engine.connect('kame');
  const ah = (c: number) =>
    toHex(
      encodePfkeyMessage(
        only(engine.receive(c, msg({ type: 7, satype: 2, seq: 3, pid: 9 })), c).message,
        engine.dialectOf(c),
      ),
    );
  assert.equal(ah(l), toHex(msg({ type: 7, satype: 2, seq: 3, pid: 9, errno: 95 })));
  assert.equal(ah(k), toHex(msg({ type: 7, satype: 2, seq: 3, pid: 9, errno: 45 })));
  const bad = only(engine.receive(l, msg({ type: 7, satype: 200, seq: 4, pid: 9 })), l);
  assert.equal(bad.message.header.errno, 22);
});

/**
 * racoon on Linux after Quick Mode with NAT-T (protocol-facts §4.6): GETSPI for the inbound
 * SA, UPDATE it with keys and NAT-T (sport = the peer's mapped port, dport = 4500, OA = the
 * peer's original address), ADD the outbound SA (sport 4500, dport = the peer's port).
 */
test('racoon/linux NAT-T install: GETSPI -> larval reply to sender; UPDATE -> mature, broadcast without keys; ADD outbound', () => {
  const { engine, changes } = setup();
  const racoon = engine.connect('linux', 4242);
  const watcher = engine.connect('linux', 1);
  // GETSPI: X_SA2 (tunnel, reqid 7), ADDRESS_SRC peer's NAT, ADDRESS_DST us, SPIRANGE 0x1000-0x1fff
  const getspi = msg(
    { type: 1, satype: 3, seq: 10, pid: 4242 },
    sa2(2, 7),
    address('linux', 5, NAT),
    address('linux', 6, GW),
    spirange(0x1000, 0x1fff),
  );
  const out = engine.receive(racoon, getspi);
  const reply = only(out, racoon);
  assert.equal(out.length, 1, 'GETSPI answers the sender only');
  const saExt = reply.message.extensions[0];
  assert.ok(saExt?.ext === 'SA');
  const spi = saExt.spi;
  assert.ok(spi >= 0x1000 && spi <= 0x1fff, 'SPIRANGE honoured');
  // Linux pfkey_xfrm_state2msg layout: SA (larval) | HARD | SOFT | CURRENT | SRC | DST | SA2
  const zero = (t: number) => lifetime(t, 0, 0n, 0n, 0n);
  const larval = msg(
    { type: 1, satype: 3, seq: 10, pid: 4242 },
    sa(spi, 0, 0, 0, 0),
    zero(3),
    zero(4),
    lifetime(2, 0, 0n, T0S, 0n),
    address('linux', 5, NAT),
    address('linux', 6, GW),
    sa2(2, 7),
  );
  assert.equal(toHex(encodePfkeyMessage(reply.message, 'linux')), toHex(larval));
  assert.equal(engine.sad.lookupInbound(hex('c0000201'), spi), undefined, 'larval SAs carry no traffic');

  // UPDATE inbound (racoon pk_sendupdate): SA mature, replay 32, auth 0, encrypt 20 (AES-GCM-16)
  const update = msg(
    { type: 2, satype: 3, seq: 11, pid: 4242 },
    sa(spi, 32, 1, 0, 20),
    lifetime(3, 0, 0n, 28800n, 0n),
    lifetime(4, 0, 0n, 23040n, 0n),
    address('linux', 5, NAT),
    address('linux', 6, GW),
    key(9, GCM_KEY),
    sa2(2, 7),
    natType(2),
    natPort(21, 61000),
    natPort(22, 4500),
    address('linux', 23, PEER_ORIG),
  );
  const up = engine.receive(racoon, update);
  const mature = msg(
    { type: 2, satype: 3, seq: 11, pid: 4242 },
    sa(spi, 32, 1, 0, 20),
    lifetime(3, 0, 0n, 28800n, 0n),
    lifetime(4, 0, 0n, 23040n, 0n),
    lifetime(2, 0, 0n, T0S, 0n),
    address('linux', 5, NAT),
    address('linux', 6, GW),
    sa2(2, 7),
    natType(2),
    natPort(21, 61000),
    natPort(22, 4500),
    address('linux', 23, PEER_ORIG),
  );
  assert.deepEqual(wire(engine, up), [
    { to: racoon, hex: toHex(mature) },
    { to: watcher, hex: toHex(mature) },
  ]);
  const inbound = engine.sad.lookupInbound(hex('c0000201'), spi);
  assert.ok(inbound?.cfg);
  assert.equal(inbound.cfg.encryption.algorithm, 'aes-gcm-16');
  assert.equal(toHex(inbound.cfg.encryption.key), GCM_KEY);
  assert.deepEqual(inbound.cfg.encapsulation, { type: 'rfc3948', sport: 61000, dport: 4500 });
  assert.equal(inbound.cfg.natOa?.src?.text, PEER_ORIG);
  assert.equal(inbound.cfg.mode, 'tunnel');
  assert.equal(inbound.cfg.replayWindow, 32);
  assert.equal(inbound.lifetime.hard.addtime, 28800);
  assert.equal(changes[0]?.kind, 'sa-added');

  // ADD outbound (racoon pk_sendadd): sport 4500 (ours), dport 61000 (the peer's mapping)
  const add = msg(
    { type: 3, satype: 3, seq: 12, pid: 4242 },
    sa(0xc0ffee01, 32, 1, 0, 20),
    lifetime(3, 0, 0n, 28800n, 0n),
    lifetime(4, 0, 0n, 23040n, 0n),
    address('linux', 5, GW),
    address('linux', 6, NAT),
    key(9, GCM_KEY2),
    sa2(2, 8),
    natType(2),
    natPort(21, 4500),
    natPort(22, 61000),
  );
  const added = engine.receive(racoon, add);
  assert.equal(added.length, 2, 'ADD is broadcast to all');
  const outSa = engine.sad.lookupOutbound({ src: hex('c0000201'), dst: hex('c6336407') });
  assert.equal(outSa?.spi, 0xc0ffee01);
  assert.equal(outSa?.reqid, 8);
  assert.deepEqual(outSa?.encap, { type: 'rfc3948', sport: 4500, dport: 61000 });

  // GET: the full SA with keys, to the sender only
  const get = engine.receive(
    racoon,
    msg(
      { type: 5, satype: 3, seq: 13, pid: 4242 },
      sa(0xc0ffee01, 0, 0, 0, 0),
      address('linux', 5, GW),
      address('linux', 6, NAT),
    ),
  );
  const full = msg(
    { type: 5, satype: 3, seq: 13, pid: 4242 },
    sa(0xc0ffee01, 32, 1, 0, 20),
    lifetime(3, 0, 0n, 28800n, 0n),
    lifetime(4, 0, 0n, 23040n, 0n),
    lifetime(2, 0, 0n, T0S, 0n),
    address('linux', 5, GW),
    address('linux', 6, NAT),
    key(9, GCM_KEY2),
    sa2(2, 8),
    natType(2),
    natPort(21, 4500),
    natPort(22, 61000),
  );
  assert.deepEqual(wire(engine, get), [{ to: racoon, hex: toHex(full) }]);

  // DUMP: one message per SA to the sender, seq counting down to 0, pid of the request
  const dump = engine.receive(watcher, msg({ type: 10, satype: 0, seq: 99, pid: 1 }));
  assert.deepEqual(
    dump.map((d) => [d.to, d.message.header.type, d.message.header.seq, d.message.header.pid]),
    [
      [watcher, 10, 1, 1],
      [watcher, 10, 0, 1],
    ],
  );
  assert.ok(
    dump.every((d) => d.message.extensions.some((e) => e.ext === 'KEY_ENCRYPT')),
    'DUMP carries keys',
  );

  // DELETE the outbound SA: broadcast, state DEAD, onChange sa-removed
  const del = engine.receive(
    racoon,
    msg(
      { type: 4, satype: 3, seq: 14, pid: 4242 },
      sa(0xc0ffee01, 0, 0, 0, 0),
      address('linux', 5, GW),
      address('linux', 6, NAT),
    ),
  );
  assert.equal(del.length, 2);
  const delSa = del[0]?.message.extensions[0];
  assert.ok(delSa?.ext === 'SA' && delSa.state === 3);
  assert.equal(changes.at(-1)?.kind, 'sa-removed');
  assert.equal(engine.sad.size, 1);

  // FLUSH ESP: header broadcast to all
  const fl = engine.receive(racoon, msg({ type: 9, satype: 3, seq: 15, pid: 4242 }));
  assert.deepEqual(wire(engine, fl), [
    { to: racoon, hex: toHex(msg({ type: 9, satype: 3, seq: 15, pid: 4242 })) },
    { to: watcher, hex: toHex(msg({ type: 9, satype: 3, seq: 15, pid: 4242 })) },
  ]);
  assert.equal(engine.sad.size, 0);
  // DUMP of an empty SAD: ENOENT (Linux, KAME)
  const empty = engine.receive(racoon, msg({ type: 10, satype: 3, seq: 16, pid: 4242 }));
  assert.deepEqual(wire(engine, empty), [
    { to: racoon, hex: toHex(msg({ type: 10, satype: 3, seq: 16, pid: 4242, errno: 2 })) },
  ]);
});

/**
 * racoon built for FreeBSD (KAME dialect): sa_len sockaddrs, OAI/OAR, X_NAT_T_FRAG,
 * sadb_sa_replay in bytes (4 bytes = 32 packets), ESN flag 0x400.
 */
test('racoon/kame NAT-T install: OAI/OAR -> natOa src/dst, FRAG ignored, replay bytes x 8, ESN flag', () => {
  const { engine } = setup();
  const racoon = engine.connect('kame', 900);
  const getspi = msg(
    { type: 1, satype: 3, seq: 1, pid: 900 },
    sa2(2, 0),
    address('kame', 5, NAT),
    address('kame', 6, GW),
  );
  const r = only(engine.receive(racoon, getspi), racoon);
  const s = r.message.extensions[0];
  assert.ok(s?.ext === 'SA');
  assert.ok(s.spi >= 0x100 && s.spi <= 0x0fffffff, 'default range [0x100, 0x0fffffff]');
  const update = msg(
    { type: 2, satype: 3, seq: 2, pid: 900 },
    sa(s.spi, 4, 1, 0, 20, 0x400),
    lifetime(3, 0, 0n, 3600n, 0n),
    lifetime(4, 0, 0n, 2880n, 0n),
    address('kame', 5, NAT),
    address('kame', 6, GW),
    key(9, GCM_KEY),
    sa2(2, 0),
    natType(2),
    natPort(21, 61000),
    natPort(22, 4500),
    address('kame', 23, PEER_ORIG), // OAI: original address of the SA source (the peer)
    address('kame', 24, GW), // OAR: of its destination (us)
    natFrag(1400),
  );
  const out = engine.receive(racoon, update);
  const e = engine.sad.lookupInbound(hex('c0000201'), s.spi);
  assert.ok(e?.cfg);
  assert.equal(e.cfg.replayWindow, 32);
  assert.equal(e.cfg.esn, true);
  assert.equal(e.cfg.natOa?.src?.text, PEER_ORIG);
  assert.equal(e.cfg.natOa?.dst?.text, GW);
  const expected = msg(
    { type: 2, satype: 3, seq: 2, pid: 900 },
    sa(s.spi, 4, 1, 0, 20, 0x400),
    lifetime(3, 0, 0n, 3600n, 0n),
    lifetime(4, 0, 0n, 2880n, 0n),
    lifetime(2, 0, 0n, T0S, 0n),
    address('kame', 5, NAT),
    address('kame', 6, GW),
    sa2(2, 0),
    natType(2),
    natPort(21, 61000),
    natPort(22, 4500),
    address('kame', 23, PEER_ORIG),
    address('kame', 24, GW),
  );
  assert.deepEqual(wire(engine, out), [{ to: racoon, hex: toHex(expected) }]);
});

/** Shrew iked (protocol-facts §4.8): NON_IKE type 1 for draft NAT-T, no OA; and the esprit Cisco UDP types. */
test('Shrew-style ADD with NAT_T_TYPE 1 -> udp-encaps-00; private 0xf0/0xf1 -> cisco-udp with its keepalive', () => {
  const { engine } = setup();
  const iked = engine.connect('linux', 55);
  const add = (spi: number, t: number, sport: number, dport: number) =>
    msg(
      { type: 3, satype: 3, seq: spi, pid: 55 },
      sa(spi, 0, 1, 3, 12), // HMAC-SHA1 + AES-CBC-128
      address('linux', 5, GW),
      address('linux', 6, NAT),
      key(8, '0102030405060708090a0b0c0d0e0f1011121314'),
      key(9, '000102030405060708090a0b0c0d0e0f'),
      sa2(2, 1),
      natType(t),
      natPort(21, sport),
      natPort(22, dport),
    );
  for (const [spi, t, sport, dport, want] of [
    [0x2001, 1, 500, 500, { type: 'udp-encaps-00', sport: 500, dport: 500 }],
    [0x2002, 0xf0, 10000, 10000, { type: 'cisco-udp', sport: 10000, dport: 10000, keepalive: 'ff' }],
    [0x2003, 0xf1, 10001, 10000, { type: 'cisco-udp', sport: 10001, dport: 10000, keepalive: '00000000ff' }],
  ] as const) {
    const out = engine.receive(iked, add(spi, t, sport, dport));
    assert.equal(out[0]?.message.header.errno, 0);
    const e = engine.sad.dump().find((x) => x.spi === spi);
    assert.deepEqual(e?.encap, want);
    const nt = out[0]?.message.extensions.find((x) => x.ext === 'X_NAT_T_TYPE');
    assert.ok(nt?.ext === 'X_NAT_T_TYPE' && nt.natType === t, 'the reply names the same type');
  }
  const bad = engine.receive(iked, add(0x2004, 7, 1, 1));
  assert.equal(bad[0]?.message.header.errno, 22, 'an unknown X_NAT_T_TYPE is EINVAL');
});

interface ErrCase {
  readonly name: string;
  readonly bytes: (d: PfkeyDialect) => Uint8Array;
  readonly errno: { linux: number; kame: number };
}

const hdr = (type: number, satype = 3) => ({ type, satype, seq: 42, pid: 7 });
const okAdd = (d: PfkeyDialect, ...extra: Uint8Array[]) =>
  msg(hdr(3), sa(0x3000, 0, 1, 0, 20), address(d, 5, GW), address(d, 6, NAT), key(9, GCM_KEY), ...extra);

const ERR_CASES: readonly ErrCase[] = [
  {
    name: 'UPDATE without SA',
    bytes: (d) => msg(hdr(2), address(d, 5, GW), address(d, 6, NAT)),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'ADD for AH',
    bytes: (d) => msg(hdr(3, 2), sa(0x3000, 0, 1, 2, 0), address(d, 5, GW), address(d, 6, NAT)),
    errno: { linux: 95, kame: 45 },
  },
  {
    name: 'ADD for IPCOMP',
    bytes: (d) => msg(hdr(3, 9), sa(0x3000, 0, 1, 0, 2), address(d, 5, GW), address(d, 6, NAT)),
    errno: { linux: 95, kame: 45 },
  },
  {
    name: 'ADD with satype 1',
    bytes: (d) => msg(hdr(3, 1), sa(0x3000, 0, 1, 0, 20), address(d, 5, GW), address(d, 6, NAT)),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'duplicate SA extension',
    bytes: (d) =>
      msg(
        hdr(3),
        sa(0x3000, 0, 1, 0, 20),
        sa(0x3000, 0, 1, 0, 20),
        address(d, 5, GW),
        address(d, 6, NAT),
        key(9, GCM_KEY),
      ),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'unknown encryption algorithm 250',
    bytes: (d) => msg(hdr(3), sa(0x3000, 0, 1, 0, 250), address(d, 5, GW), address(d, 6, NAT), key(9, GCM_KEY)),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'GCM key without the salt (256 bits)',
    bytes: (d) =>
      msg(hdr(3), sa(0x3000, 0, 1, 0, 20), address(d, 5, GW), address(d, 6, NAT), key(9, GCM_KEY.slice(0, 64))),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'GCM with an HMAC',
    bytes: (d) =>
      msg(
        hdr(3),
        sa(0x3000, 0, 1, 3, 20),
        address(d, 5, GW),
        address(d, 6, NAT),
        key(8, '0102030405060708090a0b0c0d0e0f1011121314'),
        key(9, GCM_KEY),
      ),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'SPI 255 (RFC 4303 §2.1 reserved)',
    bytes: (d) => msg(hdr(3), sa(255, 0, 1, 0, 20), address(d, 5, GW), address(d, 6, NAT), key(9, GCM_KEY)),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'ADDRESS_SRC v6, ADDRESS_DST v4',
    bytes: (d) =>
      msg(hdr(3), sa(0x3000, 0, 1, 0, 20), address(d, 5, '2001:db8::1'), address(d, 6, NAT), key(9, GCM_KEY)),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'LIFETIME_HARD without LIFETIME_SOFT',
    bytes: (d) => okAdd(d, lifetime(3, 0, 0n, 60n, 0n)),
    errno: { linux: 22, kame: 22 },
  },
  {
    name: 'ADD of an existing SA',
    bytes: (d) => msg(hdr(3), sa(0x1111, 0, 1, 0, 20), address(d, 5, GW), address(d, 6, NAT), key(9, GCM_KEY)),
    errno: { linux: 17, kame: 17 },
  },
  {
    name: 'DELETE of a missing SA',
    bytes: (d) => msg(hdr(4), sa(0x9999, 0, 0, 0, 0), address(d, 5, GW), address(d, 6, NAT)),
    errno: { linux: 3, kame: 3 },
  },
  {
    name: 'GET without ADDRESS_SRC',
    bytes: (d) => msg(hdr(5), sa(0x1111, 0, 0, 0, 0), address(d, 6, NAT)),
    errno: { linux: 22, kame: 22 },
  },
  { name: 'EXPIRE from a client', bytes: () => msg(hdr(8)), errno: { linux: 95, kame: 45 } },
  {
    name: 'ACQUIRE from a client with extensions',
    bytes: (d) => msg(hdr(6), address(d, 5, GW)),
    errno: { linux: 95, kame: 45 },
  },
  { name: 'message type 0', bytes: () => msg(hdr(0)), errno: { linux: 22, kame: 22 } },
  { name: 'message type 200', bytes: () => msg(hdr(200)), errno: { linux: 22, kame: 22 } },
  { name: 'X_PROMISC satype 2', bytes: () => msg(hdr(11, 2)), errno: { linux: 22, kame: 22 } },
  {
    name: 'SPDDELETE of a missing policy',
    bytes: (d) =>
      msg(
        hdr(15, 0),
        address(d, 5, '10.1.0.0', 255, 16),
        address(d, 6, '10.2.0.0', 255, 16),
        ext(18, hex('0200 02 00 00000000 00000000')),
      ),
    errno: { linux: 2, kame: 2 },
  },
  {
    name: 'SPDGET with an id of no direction (7)',
    bytes: () => msg(hdr(16, 0), ext(18, hex('0200 02 00 07000000 00000000'))),
    errno: { linux: 22, kame: 22 },
  },
  { name: 'SPDDUMP of an empty SPD', bytes: () => msg(hdr(18, 0)), errno: { linux: 2, kame: 2 } },
  { name: 'version 3', bytes: () => msg({ ...hdr(10), version: 3 }), errno: { linux: 22, kame: 22 } },
  {
    name: 'sadb_msg_len larger than the buffer',
    bytes: () => hex('02 0a 00 03 0400 0000 2a000000 07000000'),
    errno: { linux: 90, kame: 40 },
  },
  {
    name: 'sadb_msg_len 1 (shorter than sadb_msg)',
    bytes: () => hex('02 0a 00 03 0100 0000 2a000000 07000000'),
    errno: { linux: 90, kame: 40 },
  },
  {
    name: 'extension running past the message',
    bytes: () => hex('02 03 00 03 0300 0000 2a000000 07000000 0900 0100 00000000'),
    errno: { linux: 22, kame: 22 },
  },
];

test('refusals: the errno of each dialect, a reply to the sender only, the request header echoed, state unchanged', () => {
  for (const d of ['linux', 'kame'] as const) {
    const { engine, logger } = setup();
    const c = engine.connect(d, 7);
    const bystander = engine.connect(d, 8);
    engine.receive(bystander, msg({ type: 7, satype: 3, seq: 1, pid: 8 })); // registered: must still get nothing
    const seed = engine.receive(
      c,
      msg(hdr(3), sa(0x1111, 0, 1, 0, 20), address(d, 5, GW), address(d, 6, NAT), key(9, GCM_KEY)),
    );
    assert.equal(seed.find((x) => x.to === c)?.message.header.errno, 0);
    for (const k of ERR_CASES) {
      const before = state(engine);
      const lines = logger.lines.length;
      const bytes = k.bytes(d);
      const out = engine.receive(c, bytes);
      assert.equal(out.length, 1, `${d} ${k.name}: one reply`);
      const r = out[0] as Delivery;
      assert.equal(r.to, c, `${d} ${k.name}: to the sender`);
      assert.equal(r.message.header.errno, k.errno[d], `${d} ${k.name}: errno`);
      assert.equal(r.message.extensions.length, 0);
      assert.equal(r.message.header.seq, 42, `${d} ${k.name}: seq echoed`);
      assert.equal(r.message.header.pid, 7, `${d} ${k.name}: pid echoed`);
      assert.equal(state(engine), before, `${d} ${k.name}: state unchanged`);
      assert.ok(
        logger.lines.length > lines && /warn \[pfkey\]/.test(logger.lines.at(-1) ?? ''),
        `${d} ${k.name}: logged`,
      );
    }
  }
});

test('a buffer shorter than sadb_msg: EMSGSIZE with what header fields exist', () => {
  const { engine } = setup();
  const c = engine.connect('kame', 7);
  const out = engine.receive(c, hex('02 03 00 03 0200 0000 2a00'));
  assert.deepEqual(
    out.map((d) => [d.to, d.message.header.type, d.message.header.errno, d.message.header.satype]),
    [[c, 3, 40, 3]],
  );
});

test('error log line names the extension and field', () => {
  const { engine, logger } = setup();
  const c = engine.connect('linux', 7);
  engine.receive(
    c,
    msg(
      hdr(3),
      sa(0x3000, 0, 1, 0, 20),
      address('linux', 5, GW),
      address('linux', 6, NAT),
      key(9, GCM_KEY.slice(0, 64)),
    ),
  );
  assert.match(logger.lines.at(-1) ?? '', /ADD seq 42: EINVAL: KEY_ENCRYPT\.bits 256/);
});

test('UPDATE of a larval SA by another socket is EINVAL (KAME pid check); the owner succeeds', () => {
  const { engine } = setup();
  const a = engine.connect('linux', 1);
  const b = engine.connect('linux', 2);
  const r = only(
    engine.receive(a, msg({ type: 1, satype: 3, seq: 1, pid: 1 }, address('linux', 5, NAT), address('linux', 6, GW))),
    a,
  );
  const s = r.message.extensions[0];
  assert.ok(s?.ext === 'SA');
  const upd = (pid: number) =>
    msg(
      { type: 2, satype: 3, seq: 2, pid },
      sa(s.spi, 0, 1, 0, 20),
      address('linux', 5, NAT),
      address('linux', 6, GW),
      key(9, GCM_KEY),
    );
  const before = state(engine);
  assert.equal(only(engine.receive(b, upd(2)), b).message.header.errno, 22);
  assert.equal(state(engine), before);
  const ok = engine.receive(a, upd(1));
  assert.equal(ok[0]?.message.header.errno, 0);
  assert.equal(engine.sad.dump()[0]?.state, 'mature');
});

test('a mature UPDATE without keys changes only lifetimes and NAT-T ports (Linux xfrm_state_update)', () => {
  const { engine } = setup();
  const c = engine.connect('linux', 1);
  const base = [address('linux', 5, NAT), address('linux', 6, GW)];
  engine.receive(
    c,
    msg(
      { type: 3, satype: 3, seq: 1, pid: 1 },
      sa(0x4000, 0, 1, 0, 20),
      ...base,
      key(9, GCM_KEY),
      natType(2),
      natPort(21, 61000),
      natPort(22, 4500),
    ),
  );
  const out = engine.receive(
    c,
    msg(
      { type: 2, satype: 3, seq: 2, pid: 1 },
      sa(0x4000, 0, 1, 0, 0),
      lifetime(3, 0, 0n, 100n, 0n),
      lifetime(4, 0, 0n, 90n, 0n),
      ...base,
      natType(2),
      natPort(21, 62000),
      natPort(22, 4500),
    ),
  );
  assert.equal(out[0]?.message.header.errno, 0);
  const e = engine.sad.dump()[0];
  assert.deepEqual(e?.encap, { type: 'rfc3948', sport: 62000, dport: 4500 });
  assert.equal(e?.lifetime.hard.addtime, 100);
  assert.equal(toHex(e?.cfg?.encryption.key ?? new Uint8Array()), GCM_KEY, 'keys kept');
});

test('X_PROMISC: a promiscuous socket gets copies of requests and of every reply; KAME copies are wrapped in X_PROMISC', () => {
  const { engine } = setup();
  const spy = engine.connect('linux', 1);
  const kspy = engine.connect('kame', 2);
  const c = engine.connect('linux', 3);
  // turn on: the X_PROMISC header itself is broadcast to all (Linux pfkey_promisc); the now
  // promiscuous sender gets it twice, as Linux pfkey_broadcast says ("you receive it twice")
  const on = engine.receive(spy, msg({ type: 11, satype: 1, seq: 1, pid: 1 }));
  assert.deepEqual(
    on.map((d) => d.to),
    [spy, spy, kspy, c],
  );
  engine.receive(kspy, msg({ type: 11, satype: 1, seq: 1, pid: 2 }));
  const get = msg(
    { type: 5, satype: 3, seq: 9, pid: 3 },
    sa(0x5000, 0, 0, 0, 0),
    address('linux', 5, GW),
    address('linux', 6, NAT),
  );
  const out = engine.receive(c, get);
  // request copies (spy, kspy), then the ESRCH reply: promiscuous copies, then the sender
  assert.deepEqual(
    out.map((d) => [d.to, d.message.header.type]),
    [
      [spy, 5],
      [kspy, 11],
      [spy, 5],
      [kspy, 11],
      [c, 5],
    ],
  );
  assert.equal(
    toHex(encodePfkeyMessage((out[0] as Delivery).message, 'linux')),
    toHex(get),
    'the Linux copy is the request as sent',
  );
  const wrapped = out[1]?.message;
  assert.ok(wrapped?.embedded);
  // KAME key_sendup0: version 2, type X_PROMISC, seq/pid 0, then the request in KAME form
  assert.equal(
    toHex(encodePfkeyMessage(wrapped, 'kame')),
    toHex(
      msg(
        { type: 11, satype: 0, seq: 0, pid: 0 },
        msg(
          { type: 5, satype: 3, seq: 9, pid: 3 },
          sa(0x5000, 0, 0, 0, 0),
          address('kame', 5, GW),
          address('kame', 6, NAT),
        ),
      ),
    ),
  );
  assert.equal(decodePfkeyMessage(wrapped.embedded, 'kame').header.seq, 9);
  // off again
  engine.receive(spy, msg({ type: 11, satype: 0, seq: 2, pid: 1 }));
  engine.receive(kspy, msg({ type: 11, satype: 0, seq: 2, pid: 2 }));
  assert.deepEqual(
    engine.receive(c, get).map((d) => d.to),
    [c],
  );
});

test('disconnect forgets REGISTER and PROMISC state', () => {
  const { engine } = setup();
  const a = engine.connect('linux', 1);
  engine.receive(a, msg({ type: 7, satype: 3, seq: 1, pid: 1 }));
  engine.receive(a, msg({ type: 11, satype: 1, seq: 2, pid: 1 }));
  engine.disconnect(a);
  const b = engine.connect('linux', 2);
  const out = engine.receive(b, msg({ type: 9, satype: 3, seq: 3, pid: 2 }));
  assert.deepEqual(
    out.map((d) => d.to),
    [b],
  );
  assert.deepEqual(
    engine.receive(a, msg({ type: 9, satype: 3, seq: 3, pid: 2 })),
    [],
    'an unknown client gets nothing',
  );
});
