/**
 * IKEv1 Quick Mode (RFC 2409 §5.5) between two in-process esprit engines after Main Mode PSK,
 * through a NAT in front of the initiator unless said otherwise: the messages, the phase 2 SA
 * pairs each side installs (as ChildSaPlans, the IKEv2 engine's shape), the Encapsulation Mode
 * of each NAT-T variant (RFC 3947 §5.1; nat-t-ike-00..03 61443/61444, protocol-facts §1.6),
 * NAT-OA for transport mode (§5.2), retransmissions and forged messages.
 *
 * The KEYMAT of both directions is recomputed by python3 from the RFC text alone (hmac,
 * hashlib and python3-cryptography's AES-CBC): it decrypts QM1 and QM2 from the wire with the
 * ISAKMP key and the phase 2 IV of Appendix B, takes Ni_b and Nr_b from them and applies
 * §5.5's KEYMAT formula with each receiver's SPI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { ChildSaPlan } from '../../src/ike/child-sa-plan.js';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { toHex } from '../../src/util/hex.js';
import { formatIp } from '../../src/util/ip-addr.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { type Datagram, ep, Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

interface Opts {
  natt?: string;
  esp?: string;
  mode?: string;
  localTs?: string;
  remoteTs?: string;
}

const conf = (side: 'i' | 'r', o: Opts = {}) => {
  const cl = o.localTs ?? '10.99.4.0/24';
  const gw = '10.99.3.0/24';
  return configFromText(`connections {
  qm {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = aes256-sha1-modp1024
    ${o.natt ? `natt_mode = ${o.natt}` : ''}
    local {
      auth = psk
      id = ${side === 'i' ? 'client.esprit.test' : 'gw.esprit.test'}
    }
    remote {
      auth = psk
      id = ${side === 'i' ? 'gw.esprit.test' : 'client.esprit.test'}
    }
    children {
      net {
        local_ts = ${side === 'i' ? cl : gw}
        remote_ts = ${side === 'i' ? (o.remoteTs ?? gw) : cl}
        esp_proposals = ${o.esp ?? 'aes128-sha256, 3des-md5'}
        ${o.mode ? `mode = ${o.mode}` : ''}
      }
    }
  }
}
secrets {
  ike-qm {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "quick-mode-secret"
  }
}
`);
};

const only = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa => {
  const l = p.peer(s).engine.list();
  assert.equal(l.length, 1, `${s}: one SA`);
  return l[0] as Ikev1Sa;
};

/** Run Main Mode to the end and deliver the initiator's INITIAL-CONTACT; QM1 is next on the wire. */
function mainMode(p: Ikev1Pair): void {
  p.initiate('qm');
  for (let n = 0; n < 7; n++) p.deliver(p.next());
}

const quickModeLog = (p: Ikev1Pair, s: 'i' | 'r', verb: 'generating' | 'parsed') =>
  p.log(s, verb).filter((l) => l.startsWith('QUICK_MODE'));

/** The Encapsulation Mode attribute (RFC 2407 §4.5 class 4) of every transform QM1 offers. */
function offeredModes(qm1: Uint8Array, sa: Ikev1Sa): number[] {
  const out = pyDecrypt(qm1, sa);
  return out.modes;
}

const PY = `
import hashlib, hmac, json, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
a = json.load(sys.stdin)
h = getattr(hashlib, a['hash'])
def plain(msg, prev=None):
    msg = bytes.fromhex(msg)
    mid = msg[20:24]
    # Appendix B: the first message of the exchange starts from hash(last phase 1 block | M-ID),
    # the next one from the last ciphertext block of the message before it
    iv = bytes.fromhex(prev)[-16:] if prev else h(bytes.fromhex(a['lastBlock']) + mid).digest()[:16]
    d = Cipher(algorithms.AES(bytes.fromhex(a['encKey'])), modes.CBC(iv)).decryptor()
    return d.update(msg[28:]) + d.finalize(), msg[16]
def payloads(msg, prev=None):
    body, nxt = plain(msg, prev)
    o, out = 0, []
    while nxt != 0:
        ln = int.from_bytes(body[o+2:o+4], 'big')
        out.append((nxt, body[o+4:o+ln]))
        nxt = body[o]
        o += ln
    return out
def nonce(msg, prev=None):
    return [b for t, b in payloads(msg, prev) if t == 10][0]
def modes_of(msg):
    sa = [b for t, b in payloads(msg) if t == 1][0]
    out = []
    # SA: DOI(4) situation(4), then proposals: hdr 4 + num, proto, spisize, ntrans + spi
    o = 8
    ln = int.from_bytes(sa[o+2:o+4], 'big')
    prop = sa[o:o+ln]
    spisz = prop[6]
    t = 8 + spisz
    while t < len(prop):
        tl = int.from_bytes(prop[t+2:t+4], 'big')
        attrs = prop[t+8:t+tl]
        k = 0
        while k < len(attrs):
            typ = int.from_bytes(attrs[k:k+2], 'big')
            if typ & 0x8000:
                if typ & 0x7fff == 4: out.append(int.from_bytes(attrs[k+2:k+4], 'big'))
                k += 4
            else:
                k += 4 + int.from_bytes(attrs[k+2:k+4], 'big')
        t += tl
    return out
res = {}
if 'qm1' in a: res['modes'] = modes_of(a['qm1'])
if 'qm2' in a:
    ni, nr = nonce(a['qm1']), nonce(a['qm2'], a['qm1'])
    def keymat(spi, n):
        seed = bytes([3]) + int(spi).to_bytes(4, 'big') + ni + nr
        k, out = b'', b''
        while len(out) < n:
            k = hmac.new(bytes.fromhex(a['skeyidD']), k + seed, h).digest()
            out += k
        return out[:n].hex()
    res['keymat'] = {str(s): keymat(s, a['length']) for s in a['spis']}
json.dump(res, sys.stdout)
`;

function python(input: object): { modes: number[]; keymat?: Record<string, string> } {
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: JSON.stringify(input) }).toString());
}

function pyInput(sa: Ikev1Sa) {
  assert.ok(sa.encKey && sa.phase1LastBlock && sa.keys);
  return {
    hash: 'sha1',
    encKey: toHex(sa.encKey),
    lastBlock: toHex(sa.phase1LastBlock),
    skeyidD: toHex(sa.keys.skeyidD),
  };
}

function pyDecrypt(qm1: Uint8Array, sa: Ikev1Sa) {
  return python({ ...pyInput(sa), qm1: toHex(qm1) });
}

const keyHex = (k: { encrKey: Uint8Array; integKey?: Uint8Array }): string =>
  toHex(k.encrKey) + (k.integKey ? toHex(k.integKey) : '');

function installedPair(p: Ikev1Pair): [ChildSaPlan, ChildSaPlan] {
  assert.equal(p.i.installed.length, 1, 'initiator installed one CHILD SA');
  assert.equal(p.r.installed.length, 1, 'responder installed one CHILD SA');
  return [p.i.installed[0] as ChildSaPlan, p.r.installed[0] as ChildSaPlan];
}

test('Quick Mode without PFS through the NAT (RFC 3947): UDP-encapsulated tunnel, KEYMAT per receiver SPI as python derives it', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  mainMode(p);
  // HDR*, HASH(1), SA, Ni, IDci, IDcr -->
  const qm1 = p.next();
  assert.equal(ep(qm1.local), '10.99.1.2:4500');
  const mid = decodeIsakmpMessage(qm1.bytes).header.messageId;
  assert.notEqual(mid, 0);
  p.deliver(qm1);
  // <-- HDR*, HASH(2), SA, Nr, IDci, IDcr
  const qm2 = p.next();
  assert.equal(decodeIsakmpMessage(qm2.bytes).header.messageId, mid);
  p.deliver(qm2);
  // HDR*, HASH(3) -->
  const qm3 = p.next();
  p.deliver(qm3);
  assert.equal(p.wire.length, 0);
  assert.deepEqual(quickModeLog(p, 'i', 'generating'), [
    `QUICK_MODE request ${mid} [ HASH SA No ID ID ]`,
    `QUICK_MODE request ${mid} [ HASH ]`,
  ]);
  assert.deepEqual(quickModeLog(p, 'r', 'generating'), [`QUICK_MODE response ${mid} [ HASH SA No ID ID ]`]);
  assert.deepEqual(quickModeLog(p, 'r', 'parsed'), [
    `QUICK_MODE request ${mid} [ HASH SA No ID ID ]`,
    `QUICK_MODE request ${mid} [ HASH ]`,
  ]);

  const [ip, rp] = installedPair(p);
  // the first offered transform: AES-CBC-128 with HMAC-SHA2-256 (RFC 4868: 32-octet key)
  assert.deepEqual([ip.encr, ip.integ, ip.mode], [{ id: 12, keyBits: 128 }, 12, 'tunnel']);
  assert.deepEqual([rp.encr, rp.integ, rp.mode], [{ id: 12, keyBits: 128 }, 12, 'tunnel']);
  assert.equal(ip.inbound.spi, rp.outbound.spi);
  assert.equal(ip.outbound.spi, rp.inbound.spi);
  assert.equal(keyHex(ip.inbound), keyHex(rp.outbound));
  assert.equal(keyHex(ip.outbound), keyHex(rp.inbound));
  assert.notEqual(keyHex(ip.inbound), keyHex(ip.outbound));
  // RFC 3948 on the floated ports; the initiator (behind the NAT) keeps the mapping alive
  assert.deepEqual(ip.encap, { localPort: 4500, remotePort: 4500, framing: 'rfc3948' });
  assert.deepEqual(rp.encap, { localPort: 4500, remotePort: 30001, framing: 'rfc3948' });
  assert.deepEqual([ip.keepalive, ip.float, rp.keepalive, rp.float], [true, false, false, true]);
  assert.deepEqual(
    ip.localTs.map((t) => t.startAddr.join('.')),
    ['10.99.4.0'],
  );
  assert.deepEqual(
    rp.remoteTs.map((t) => t.endAddr.join('.')),
    ['10.99.4.255'],
  );
  assert.equal(ip.lifetime.hardSeconds, rp.lifetime.hardSeconds);
  assert.ok(ip.lifetime.hardSeconds > 0);

  const isa = only(p, 'i');
  const py = python({
    ...pyInput(isa),
    qm1: toHex(qm1.bytes),
    qm2: toHex(qm2.bytes),
    spis: [ip.inbound.spi, ip.outbound.spi],
    length: 16 + 32,
  });
  // RFC 3947 §5.1: UDP-Encapsulated-Tunnel = 3 in both offered transforms
  assert.deepEqual(py.modes, [3, 3]);
  assert.equal(keyHex(ip.inbound), py.keymat?.[String(ip.inbound.spi)]);
  assert.equal(keyHex(ip.outbound), py.keymat?.[String(ip.outbound.spi)]);
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  assert.ok(p.i.events.some((e) => e.kind === 'child-up' && e.child === 'net'));
  assert.ok(p.r.events.some((e) => e.kind === 'child-up' && e.child === 'net'));
  assert.equal(only(p, 'i').children.length, 1);
});

test('Quick Mode with PFS (modp2048): KE in QM1 and QM2, the same keys on both sides, unlike the keys without PFS', () => {
  const p = new Ikev1Pair(conf('i', { esp: 'aes256-sha1-modp2048' }), conf('r', { esp: 'aes256-sha1-modp2048' }));
  mainMode(p);
  p.flush();
  const [ip, rp] = installedPair(p);
  assert.deepEqual(
    quickModeLog(p, 'i', 'generating')[0]?.replace(/\d+/, 'M'),
    'QUICK_MODE request M [ HASH SA No KE ID ID ]',
  );
  assert.deepEqual(
    quickModeLog(p, 'r', 'generating')[0]?.replace(/\d+/, 'M'),
    'QUICK_MODE response M [ HASH SA No KE ID ID ]',
  );
  assert.equal(keyHex(ip.inbound), keyHex(rp.outbound));
  assert.equal(keyHex(ip.outbound), keyHex(rp.inbound));
  assert.equal(ip.inbound.encrKey.length, 32);
  assert.equal(ip.inbound.integKey?.length, 20);
  assert.equal(ip.integ, 2);
  // the same exchange without PFS gives other keys (g(qm)^xy is part of KEYMAT, §5.5)
  const q = new Ikev1Pair(conf('i', { esp: 'aes256-sha1' }), conf('r', { esp: 'aes256-sha1' }));
  mainMode(q);
  q.flush();
  const [iq] = installedPair(q);
  assert.equal(iq.inbound.spi, ip.inbound.spi);
  assert.notEqual(keyHex(iq.inbound), keyHex(ip.inbound));
  assert.deepEqual(
    quickModeLog(q, 'i', 'generating')[0]?.replace(/\d+/, 'M'),
    'QUICK_MODE request M [ HASH SA No ID ID ]',
  );
});

test('NAT-T variants decide the Encapsulation Mode and framing: drafts 02/03 61443 on 4500, drafts 00/01 61443 on 500 with the non-IKE marker, no NAT plain tunnel', () => {
  const cases: [string, boolean, number, string | undefined, number][] = [
    ['draft-02n', true, 61443, 'rfc3948', 4500],
    ['draft-03', true, 61443, 'rfc3948', 4500],
    ['draft-00', true, 61443, 'udp-encaps-00', 500],
    ['draft-01', true, 61443, 'udp-encaps-00', 500],
    ['rfc', false, 1, undefined, 0],
  ];
  for (const [natt, nat, mode, framing, port] of cases) {
    const p = new Ikev1Pair(conf('i', { natt }), conf('r'), { nat });
    mainMode(p);
    const qm1 = p.next();
    const isa = only(p, 'i');
    assert.deepEqual(offeredModes(qm1.bytes, isa), [mode, mode], natt);
    p.deliver(qm1);
    p.flush();
    const [ip, rp] = installedPair(p);
    assert.equal(ip.encap?.framing, framing, natt);
    assert.equal(rp.encap?.framing, framing, natt);
    if (port) assert.equal(ip.encap?.localPort, port, natt);
    assert.equal(keyHex(ip.inbound), keyHex(rp.outbound), natt);
  }
});

test('transport mode through the NAT: UDP-Encapsulated-Transport (4) with NAT-OAi and NAT-OAr in QM1 and QM2 (RFC 3947 §5.2)', () => {
  const o = { mode: 'transport', localTs: 'dynamic', remoteTs: 'dynamic' };
  // the gateway names the client's own (private) address, as IDci carries it
  const gw = configFromText(`connections {
  qm {
    version = 1
    local_addrs = 10.99.2.2
    proposals = aes256-sha1-modp1024
    local {
      auth = psk
      id = gw.esprit.test
    }
    remote {
      auth = psk
      id = client.esprit.test
    }
    children {
      host {
        local_ts = dynamic
        remote_ts = 10.99.1.2
        mode = transport
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-qm {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "quick-mode-secret"
  }
}
`);
  const p = new Ikev1Pair(conf('i', { ...o, esp: 'aes128-sha1' }), gw);
  mainMode(p);
  const qm1 = p.next();
  assert.deepEqual(offeredModes(qm1.bytes, only(p, 'i')), [4]);
  p.deliver(qm1);
  p.flush();
  assert.match(quickModeLog(p, 'i', 'generating')[0] ?? '', /\[ HASH SA No ID ID NAT-OA NAT-OA \]$/);
  assert.match(quickModeLog(p, 'r', 'generating')[0] ?? '', /\[ HASH SA No ID ID NAT-OA NAT-OA \]$/);
  const [ip, rp] = installedPair(p);
  assert.deepEqual([ip.mode, rp.mode], ['transport', 'transport']);
  assert.equal(rp.child, 'host');
  // NAT-OA to PF_KEY (RFC 3948 §3.1.2 fix-up of inbound packets): the addresses the peer's
  // checksums were computed over. The client 10.99.1.2 appears as 10.99.2.1 behind the NAT;
  // the gateway is 10.99.2.2 for both.
  const oa = (x: ChildSaPlan) => [
    formatIp(x.encap?.oa?.src ?? new Uint8Array()),
    formatIp(x.encap?.oa?.dst ?? new Uint8Array()),
  ];
  assert.deepEqual(oa(rp), ['10.99.1.2', '10.99.2.2'], 'gateway: from the client (its own address) to us');
  assert.deepEqual(oa(ip), ['10.99.2.2', '10.99.2.1'], 'client: from the gateway to us as the gateway sees us');
});

test('a lost HASH(3): the responder resends QM2, the initiator answers the duplicate with the same HASH(3), then both have the SA', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  mainMode(p);
  p.deliver(p.next()); // QM1 -->
  p.deliver(p.next()); // <-- QM2
  const lost: Datagram = p.next(); // HASH(3), lost
  assert.equal(p.i.installed.length, 1);
  assert.equal(p.r.installed.length, 0);
  p.advance(4000);
  const again = p.next(); // <-- QM2 again
  assert.ok(p.r.events.some((e) => e.kind === 'retransmit' && e.exchange === 'QUICK_MODE'));
  p.deliver(again);
  const qm3 = p.next();
  assert.deepEqual(qm3.bytes, lost.bytes);
  p.deliver(qm3);
  installedPair(p);
  assert.equal(p.i.installed.length, 1, 'the duplicate installs nothing twice');
});

test('forged and replayed Quick Mode messages change nothing: a flipped bit fails HASH(1), a repeated QM1 gets the cached QM2', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  mainMode(p);
  const qm1 = p.next();
  const forged = { ...qm1, bytes: qm1.bytes.slice() };
  const last = forged.bytes.length - 1;
  forged.bytes[last] = (forged.bytes[last] ?? 0) ^ 1;
  p.deliver(forged);
  assert.equal(p.wire.length, 0, 'no answer to a forged QM1');
  assert.equal(p.r.engine.drops.get('undecryptable'), 1);
  assert.equal(p.r.spiRequests.length + p.r.installed.length, 0);
  p.deliver(qm1);
  const qm2 = p.next();
  p.deliver({ ...qm1, bytes: qm1.bytes.slice() });
  assert.deepEqual(p.next().bytes, qm2.bytes);
  p.deliver(qm2);
  p.flush();
  installedPair(p);
});

test('the responder refuses what it has no child for (other selectors, no common ESP transform) with an encrypted NO-PROPOSAL-CHOSEN naming the proposed SPI; the initiator fails at once', () => {
  for (const o of [{ remoteTs: '10.99.5.0/24' }, { esp: 'aes256gcm16' }] as Opts[]) {
    const p = new Ikev1Pair(conf('i', o), conf('r'));
    mainMode(p);
    // HDR*, HASH(1), SA, Ni, IDci, IDcr -->
    p.deliver(p.next());
    // <-- HDR*, HASH(1), N(NO-PROPOSAL-CHOSEN, ESP, SPIi) (RFC 2409 §5.7, RFC 2408 §3.14.1: 14)
    assert.equal(p.wire.length, 1, JSON.stringify(o));
    const n = p.next();
    const h = decodeIsakmpMessage(n.bytes).header;
    assert.deepEqual([h.exchangeType, h.flags & 1], [5, 1], 'an encrypted Informational');
    assert.equal(p.r.installed.length, 0);
    assert.ok(p.r.logger.lines.some((l) => /Quick Mode request refused: NO-PROPOSAL-CHOSEN/.test(l)));
    p.deliver(n);
    assert.match(p.log('i', 'parsed').at(-1) ?? '', /^INFORMATIONAL_V1 request \d+ \[ HASH N\(NO_PROP\) \]$/);
    // no retransmission timeouts: the result and the event are there before any time passes
    assert.equal(p.i.installed.length, 0);
    assert.equal(p.i.results.length, 1);
    assert.equal(p.i.results[0]?.ok, false);
    assert.match(p.i.results[0]?.reason ?? '', /^NO-PROPOSAL-CHOSEN: refused by the peer$/);
    const ev = p.i.events.find((e) => e.kind === 'auth-failed');
    assert.ok(ev?.kind === 'auth-failed');
    assert.deepEqual([ev.notify, ev.detail], ['NO-PROPOSAL-CHOSEN', 'Quick Mode for net refused by the peer']);
    for (let n = 0; n < 8; n++) p.advance(60_000);
    assert.equal(p.wire.filter((d) => d.from === 'i').length, 0, 'QM1 not retransmitted');
    assert.equal(p.i.results.length, 1);
    assert.equal(p.i.engine.list()[0]?.state, 'established', 'the ISAKMP SA stays');
  }
});

test('a GETSPI that fails ends the exchange with the reason; nothing is sent', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  p.holdSpis = true;
  mainMode(p);
  const req = p.i.spiRequests.splice(0);
  assert.equal(req.length, 1);
  p.i.engine.spiAllocated(req[0]?.token ?? 0, undefined);
  p.run('i');
  assert.equal(p.wire.length, 0);
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: false, reason: 'GETSPI failed' }]);
});

test('rekey: the initiator SA carries rekey_time as its soft lifetime; a soft EXPIRE runs a new Quick Mode, then a Delete retires the old SA on both sides', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  mainMode(p);
  p.flush();
  const [oldI, oldR] = installedPair(p);
  // strongSwan's defaults: rekey_time 1 h, life_time 1.1 × rekey_time; the responder's soft
  // lifetime is half-way from the initiator's rekey point to the hard one (phase2-lifetime.ts)
  assert.deepEqual([oldI.lifetime.softSeconds, oldI.lifetime.hardSeconds], [3600, 3960]);
  assert.deepEqual([oldR.lifetime.softSeconds, oldR.lifetime.hardSeconds], [3780, 3960]);
  p.i.engine.childExpired(oldI.inbound.spi, false);
  p.run('i');
  p.flush();
  assert.equal(p.i.installed.length, 2, 'the old pair stays 2 s (REKEYED_DELETE_MS) after the new one is in');
  // the initiator's new outbound SA goes in 1 s after HASH(3), when the responder has had time
  // to install its inbound SA (deferOutbound, as IKEv2's rekey of a peer's CHILD SA)
  const fresh = p.i.installed[1];
  assert.equal(fresh?.deferOutbound, true);
  assert.equal(p.r.installed[1]?.deferOutbound, undefined, 'the responder uses its new outbound SA at once');
  p.advance(999);
  assert.deepEqual(p.i.activated, []);
  p.advance(1);
  assert.deepEqual(p.i.activated, [fresh]);
  assert.equal(fresh?.deferOutbound, false);
  p.advance(999);
  assert.equal(p.wire.length, 0);
  p.advance(1);
  p.flush();
  assert.equal(p.i.installed.length, 1, 'only the new CHILD SA is left on the initiator');
  assert.equal(p.r.installed.length, 1, 'the Delete removed the old one on the responder');
  const [newI, newR] = installedPair(p);
  assert.notEqual(newI.inbound.spi, oldI.inbound.spi);
  assert.equal(newI.outbound.spi, newR.inbound.spi);
  assert.equal(keyHex(newI.inbound), keyHex(newR.outbound));
  assert.notEqual(keyHex(newI.inbound), keyHex(oldI.inbound));
  assert.equal(newI.reqid, oldI.reqid, 'the same reqid: the policies stay (make-before-break)');
  assert.ok(
    p.r.events.some((e) => e.kind === 'child-down' && e.reason === 'deleted by peer' && e.spiOut === oldI.inbound.spi),
  );
  // a hard EXPIRE (ipsecd deleted the SA) removes the CHILD SA record
  p.i.engine.childExpired(newI.inbound.spi, true);
  p.run('i');
  assert.equal(p.i.installed.length, 0);
  assert.equal(p.i.engine.list()[0]?.children.length, 0);
});
