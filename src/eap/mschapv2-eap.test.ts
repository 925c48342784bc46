/**
 * The EAP-MSCHAPv2 authenticator and peer, each against hand-built packets carrying the
 * RFC 2759 §9.2 values (UserName "User", password "clientPass", its AuthenticatorChallenge,
 * PeerChallenge, NT-Response and "S=407A...") and the RFC 3079 §3.5.3 SendStartKey in the
 * MSK; then against each other for the failure paths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Rng } from '../util/rng.js';
import { SeededRng } from '../util/rng.js';
import type { EapStep } from './eap-step.js';
import { MschapV2Authenticator } from './mschapv2-authenticator.js';
import { MschapV2Peer } from './mschapv2-peer.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/[\s|]+/g, ''), 'hex'));
const ascii = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const te = (s: string): Uint8Array => new TextEncoder().encode(s);
const u16 = (n: number): string => n.toString(16).padStart(4, '0');

const AUTH_CHALLENGE = '5B5D7C7D7B3F2F3E3C2C602132262628';
const PEER_CHALLENGE = '21402324255E262A28295F2B3A337C7E';
const NT_RESPONSE = '82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF';
const S = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';
const SEND_START_KEY = '8B7CDC149B993A1BA118CB153F56DCCB';

/** An Rng that hands out the given byte strings in order. */
function scripted(...chunks: string[]): Rng {
  const q = chunks.map(hex);
  return {
    fill(buf: Uint8Array): void {
      const next = q.shift();
      assert.ok(next && next.length === buf.length, `scripted rng: want ${buf.length} octets`);
      buf.set(next);
    },
  };
}

const packetOf = (s: EapStep): Uint8Array => {
  assert.ok(s.kind === 'send', `expected a packet to send, got ${s.kind}: ${'detail' in s ? s.detail : ''}`);
  return s.packet;
};

test('peer: RFC 2759 §9.2 Challenge -> Response with the RFC NT-Response; S= checked; MSK after EAP-Success', () => {
  const peer = new MschapV2Peer({ rng: scripted(PEER_CHALLENGE), identity: 'User', password: te('clientPass') });
  // Request/Identity, Identifier 0x0f
  assert.deepEqual(packetOf(peer.receive(hex('01 0f 0005 01'))), hex(`02 0f 0009 01 ${ascii('User')}`));
  // Request/MSCHAPv2 Challenge: Id 0x10, MS-CHAPv2-ID 0x2a, MS-Length 24, Value-Size 16, Name "srv"
  const challenge = hex(`01 10 001d 1a | 01 2a 0018 10 ${AUTH_CHALLENGE} ${ascii('srv')}`);
  const response = packetOf(peer.receive(challenge));
  // Response: MS-Length 4+1+49+4 = 58, EAP Length 63
  assert.deepEqual(
    response,
    hex(`02 10 003f 1a | 02 2a 003a 31 ${PEER_CHALLENGE} 0000000000000000 ${NT_RESPONSE} 00 ${ascii('User')}`),
  );
  const msg = `${S} M=hello`;
  const success = hex(`01 11 ${u16(9 + msg.length)} 1a | 03 2a ${u16(4 + msg.length)} ${ascii(msg)}`);
  assert.deepEqual(packetOf(peer.receive(success)), hex('02 11 0006 1a 03'));
  const done = peer.receive(hex('03 11 0004'));
  assert.ok(done.kind === 'success');
  assert.equal(done.msk.length, 64);
  // the server's send key (RFC 3079 §3.5.3) is the MSK's second 16 octets
  assert.equal(Buffer.from(done.msk.subarray(16, 32)).toString('hex').toUpperCase(), SEND_START_KEY);
  assert.equal(done.identity, 'User');
});

test('authenticator: RFC 2759 §9.2 Response verified, Success "S=407A..." sent, EAP-Success after the peer\'s Success', () => {
  // rng: Identifier 0x20, MS-CHAPv2-ID 0x07, then the challenge
  const auth = new MschapV2Authenticator({
    rng: scripted('2007', AUTH_CHALLENGE),
    lookup: (n) => (n === 'User' ? te('clientPass') : undefined),
    askIdentity: true,
    serverName: 'gw',
  });
  assert.deepEqual(packetOf(auth.start()), hex('01 21 0005 01'));
  const chal = packetOf(auth.receive(hex(`02 21 0009 01 ${ascii('User')}`)));
  assert.deepEqual(chal, hex(`01 22 001c 1a | 01 07 0017 10 ${AUTH_CHALLENGE} ${ascii('gw')}`));
  const resp = hex(
    `02 22 003f 1a | 02 07 003a 31 ${PEER_CHALLENGE} 0000000000000000 ${NT_RESPONSE} 00 ${ascii('User')}`,
  );
  const succ = packetOf(auth.receive(resp));
  const msg = `${S} M=Welcome to esprit`;
  assert.deepEqual(succ, hex(`01 23 ${u16(9 + msg.length)} 1a | 03 07 ${u16(4 + msg.length)} ${ascii(msg)}`));
  const done = auth.receive(hex('02 23 0006 1a 03'));
  assert.ok(done.kind === 'success');
  assert.deepEqual(done.packet, hex('03 23 0004'));
  assert.equal(Buffer.from(done.msk.subarray(16, 32)).toString('hex').toUpperCase(), SEND_START_KEY);
  assert.equal(done.identity, 'User');
});

/** Run a whole conversation; returns both ends' last steps. */
function converse(auth: MschapV2Authenticator, peer: MschapV2Peer): { server: EapStep; client: EapStep | undefined } {
  let s = auth.start();
  let c: EapStep | undefined;
  for (let i = 0; i < 10 && s.kind === 'send'; i++) {
    c = peer.receive(s.packet);
    if (c.kind !== 'send') return { server: s, client: c };
    s = auth.receive(c.packet);
  }
  if (s.packet) c = peer.receive(s.packet);
  return { server: s, client: c };
}

const users = new Map([
  ['alice', 'alice-secret'],
  ['CORP\\bob', 'bob pässword'],
]);
const lookup = (n: string): Uint8Array | undefined => {
  const p = users.get(n);
  return p === undefined ? undefined : te(p);
};

test('peer and authenticator agree on the MSK (domain-prefixed user, non-ASCII password)', () => {
  const auth = new MschapV2Authenticator({ rng: new SeededRng(5n), lookup, askIdentity: true });
  const peer = new MschapV2Peer({ rng: new SeededRng(6n), identity: 'CORP\\bob', password: te('bob pässword') });
  const { server, client } = converse(auth, peer);
  assert.ok(server.kind === 'success' && client?.kind === 'success');
  assert.deepEqual(server.msk, client.msk);
  assert.equal(server.identity, 'CORP\\bob');
});

test('wrong password: authenticator fails with wrong-password and EAP-Failure; the peer reports rejected', () => {
  const auth = new MschapV2Authenticator({ rng: new SeededRng(1n), lookup, askIdentity: true });
  const peer = new MschapV2Peer({ rng: new SeededRng(2n), identity: 'alice', password: te('guess') });
  const { server, client } = converse(auth, peer);
  assert.ok(server.kind === 'failure');
  assert.equal(server.reason, 'wrong-password');
  assert.equal(server.packet?.[0], 4);
  assert.ok(client?.kind === 'failure');
  assert.equal(client.reason, 'rejected');
});

test('unknown user: unknown-user', () => {
  const auth = new MschapV2Authenticator({ rng: new SeededRng(1n), lookup, askIdentity: false, identity: 'mallory' });
  const peer = new MschapV2Peer({ rng: new SeededRng(2n), identity: 'mallory', password: te('x') });
  const { server } = converse(auth, peer);
  assert.ok(server.kind === 'failure');
  assert.equal(server.reason, 'unknown-user');
});

test('eap_id pattern refuses the identity given in Response/Identity', () => {
  const auth = new MschapV2Authenticator({
    rng: new SeededRng(1n),
    lookup,
    askIdentity: true,
    acceptIdentity: (id) => id === 'alice',
  });
  const peer = new MschapV2Peer({ rng: new SeededRng(2n), identity: 'CORP\\bob', password: te('bob pässword') });
  const { server } = converse(auth, peer);
  assert.ok(server.kind === 'failure' && server.reason === 'unknown-user');
});

test('peer: a wrong "S=" is authenticator-mismatch and yields no MSK; a premature EAP-Success is unexpected', () => {
  const peer = new MschapV2Peer({ rng: scripted(PEER_CHALLENGE), identity: 'User', password: te('clientPass') });
  packetOf(peer.receive(hex(`01 10 001d 1a 01 2a 0018 10 ${AUTH_CHALLENGE} ${ascii('srv')}`)));
  const bad = `S=${'0'.repeat(40)}`;
  const r = peer.receive(hex(`01 11 ${u16(9 + bad.length)} 1a 03 2a ${u16(4 + bad.length)} ${ascii(bad)}`));
  assert.ok(r.kind === 'failure' && r.reason === 'authenticator-mismatch');
  const early = new MschapV2Peer({ rng: new SeededRng(1n), identity: 'User', password: te('clientPass') });
  const e = early.receive(hex('03 01 0004'));
  assert.ok(e.kind === 'failure' && e.reason === 'unexpected');
});

test('peer: other methods get a Nak for MSCHAPv2 (type 26); Notification an empty Notification response', () => {
  const peer = new MschapV2Peer({ rng: new SeededRng(1n), identity: 'User', password: te('clientPass') });
  // Request type 4 (MD5-Challenge)
  assert.deepEqual(packetOf(peer.receive(hex('01 05 000a 04 04 01020304'))), hex('02 05 0006 03 1a'));
  assert.deepEqual(packetOf(peer.receive(hex(`01 06 0008 02 ${ascii('hi!')}`))), hex('02 06 0005 02'));
  // an MSCHAPv2 Failure request ends it, with the Failure Response the draft asks for
  const msg = 'E=691 R=0 V=3';
  const f = peer.receive(hex(`01 07 ${u16(9 + msg.length)} 1a 04 01 ${u16(4 + msg.length)} ${ascii(msg)}`));
  assert.ok(f.kind === 'failure' && f.reason === 'rejected');
  assert.deepEqual(f.packet, hex('02 07 0006 1a 04'));
});

test('authenticator: Nak, wrong Identifier and malformed packets end the conversation with typed reasons', () => {
  const mk = (): MschapV2Authenticator =>
    new MschapV2Authenticator({ rng: scripted('2007', AUTH_CHALLENGE), lookup, askIdentity: false, identity: 'x' });
  let a = mk();
  packetOf(a.start()); // Challenge with Identifier 0x21
  let r = a.receive(hex('02 21 0006 03 04'));
  assert.ok(r.kind === 'failure' && r.reason === 'nak');
  assert.deepEqual(r.packet, hex('04 21 0004'));
  a = mk();
  packetOf(a.start());
  r = a.receive(hex('02 99 0006 03 04'));
  assert.ok(r.kind === 'failure' && r.reason === 'unexpected');
  a = mk();
  packetOf(a.start());
  r = a.receive(hex('02 21 0010 1a 02'));
  assert.ok(r.kind === 'failure' && r.reason === 'malformed');
  assert.match(r.detail, /EAP\.length/);
  a = mk();
  packetOf(a.start());
  // an MSCHAPv2 Response whose MS-Length lies
  r = a.receive(
    hex(`02 21 003f 1a 02 07 0039 31 ${PEER_CHALLENGE} 0000000000000000 ${NT_RESPONSE} 00 ${ascii('User')}`),
  );
  assert.ok(r.kind === 'failure' && r.reason === 'malformed');
  assert.match(r.detail, /ms_length/);
});

test('peer: no secret, or a password over 256 characters (RFC 2759 §8.3), is no-secret, not an exception', () => {
  const challenge = hex(`01 10 001d 1a 01 2a 0018 10 ${AUTH_CHALLENGE} ${ascii('srv')}`);
  const none = new MschapV2Peer({ rng: new SeededRng(1n), identity: 'User', password: undefined });
  const a = none.receive(challenge);
  assert.ok(a.kind === 'failure' && a.reason === 'no-secret');
  const long = new MschapV2Peer({ rng: new SeededRng(1n), identity: 'User', password: te('x'.repeat(257)) });
  const b = long.receive(challenge);
  assert.ok(b.kind === 'failure' && b.reason === 'no-secret');
  assert.match(b.detail, /256/);
});

test('authenticator: a stored password over 256 characters fails the login instead of throwing', () => {
  const auth = new MschapV2Authenticator({
    rng: new SeededRng(3n),
    lookup: () => te('y'.repeat(300)),
    askIdentity: false,
    identity: 'User',
  });
  const peer = new MschapV2Peer({ rng: new SeededRng(4n), identity: 'User', password: te('short') });
  const { server } = converse(auth, peer);
  assert.ok(server.kind === 'failure' && server.reason === 'wrong-password');
});
