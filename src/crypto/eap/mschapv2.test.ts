/**
 * MS-CHAPv2 against published vectors:
 * - RFC 2759 §9.2 (every intermediate value of the worked example: UserName "User",
 *   password "clientPass");
 * - RFC 3079 §3.5.3 (MasterKey and the 128-bit SendStartKey of the same exchange);
 * - the MSK layout against hostapd's eapol_test ISK as listed by cryptlib's self-test
 *   (password "pass", NT-Response A6BAEBE7..., 32 octets: the client's send key | receive
 *   key), which strongSwan's eap_mschapv2.c GenerateMSK lays out the same way
 *   (MasterReceiveKey | MasterSendKey | 32 zero octets).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  challengeHash,
  challengeResponse,
  generateAuthenticatorResponse,
  generateNtResponse,
  getAsymmetricStartKey,
  getMasterKey,
  hashNtPasswordHash,
  mschapv2Msk,
  ntPasswordHash,
  userNameForChallenge,
} from './mschapv2.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
const spaced = (s: string): string => s.replace(/\s+/g, '').toUpperCase();

// RFC 2759 §9.2
const userName = hex('55 73 65 72');
const authChallenge = hex('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
const peerChallenge = hex('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');
const challenge = 'D0 2E 43 86 BC E9 12 26';
const passwordHash = '44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE';
const ntResponse = '82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF';
const passwordHashHash = '41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F';
const authenticatorResponse = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';

test('RFC 2759 §9.2: ChallengeHash', () => {
  assert.equal(toHex(challengeHash(peerChallenge, authChallenge, userName)), spaced(challenge));
});

test('RFC 2759 §9.2: NtPasswordHash("clientPass") (UTF-16LE 63 00 6C 00 ...)', () => {
  assert.equal(toHex(ntPasswordHash('clientPass')), spaced(passwordHash));
});

test('RFC 2759 §9.2: ChallengeResponse -> NT-Response', () => {
  assert.equal(toHex(challengeResponse(hex(challenge), hex(passwordHash))), spaced(ntResponse));
  assert.equal(
    toHex(generateNtResponse(authChallenge, peerChallenge, userName, ntPasswordHash('clientPass'))),
    spaced(ntResponse),
  );
});

test('RFC 2759 §9.2: HashNtPasswordHash', () => {
  assert.equal(toHex(hashNtPasswordHash(hex(passwordHash))), spaced(passwordHashHash));
});

test('RFC 2759 §9.2: GenerateAuthenticatorResponse', () => {
  assert.equal(
    generateAuthenticatorResponse(hex(passwordHash), hex(ntResponse), peerChallenge, authChallenge, userName),
    authenticatorResponse,
  );
});

test('RFC 3079 §3.5.3: MasterKey and the 128-bit SendStartKey (server side)', () => {
  const mk = getMasterKey(hex(passwordHashHash), hex(ntResponse));
  assert.equal(toHex(mk), spaced('FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31'));
  assert.equal(
    toHex(getAsymmetricStartKey(mk, 16, true, true)),
    spaced('8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB'),
  );
  // the client's receive key is the server's send key, and the other way round
  assert.deepEqual(getAsymmetricStartKey(mk, 16, false, false), getAsymmetricStartKey(mk, 16, true, true));
  assert.deepEqual(getAsymmetricStartKey(mk, 16, true, false), getAsymmetricStartKey(mk, 16, false, true));
});

test('EAP-MSCHAPv2 MSK: eapol_test ISK (client send | receive key) then 32 zero octets', () => {
  const pwHash = ntPasswordHash('pass');
  const nt = hex('A6BAEBE788E5C0CD705FB3FD3E812A2FF699A34493FB5126');
  const msk = mschapv2Msk(pwHash, nt);
  assert.equal(msk.length, 64);
  assert.equal(toHex(getMasterKey(hashNtPasswordHash(pwHash), nt)).slice(0, 16), 'CF532C21FCD0487F');
  assert.equal(
    toHex(msk.subarray(0, 32)),
    spaced('47 24 09 4C EC AA 4F 8A BD 5B 00 C9 4E 28 AB C2 7F 70 2B 80 09 95 3A 71 1A 63 0D F9 39 19 36 AE'),
  );
  assert.equal(toHex(msk.subarray(32)), '00'.repeat(32));
});

test('RFC 2759 §8.2: the domain prefix is not part of the user name', () => {
  const te = new TextEncoder();
  assert.deepEqual(userNameForChallenge(te.encode('CORP\\User')), te.encode('User'));
  assert.deepEqual(userNameForChallenge(te.encode('User')), te.encode('User'));
  assert.equal(
    toHex(challengeHash(peerChallenge, authChallenge, userNameForChallenge(te.encode('CORP\\User')))),
    spaced(challenge),
  );
});

test('wrong input lengths are CryptoErrors, not garbage', () => {
  assert.throws(() => challengeHash(new Uint8Array(15), authChallenge, userName), { code: 'crypto' });
  assert.throws(() => challengeResponse(new Uint8Array(8), new Uint8Array(15)), { code: 'crypto' });
  assert.throws(() => getMasterKey(new Uint8Array(16), new Uint8Array(23)), { code: 'crypto' });
  assert.throws(() => ntPasswordHash('x'.repeat(257)), { code: 'crypto' });
});
