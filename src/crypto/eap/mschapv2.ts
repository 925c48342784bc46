/**
 * The computations of MS-CHAP-V2 (RFC 2759 §8) and its MPPE key derivation (RFC 3079 §3),
 * and the 64-octet MSK that EAP-MSCHAPv2 exports to IKEv2 (RFC 7296 §2.16).
 *
 * Byte strings, not text: `userName` is the octets the peer sent in the Response's Name
 * field (domain stripped by `userNameForChallenge`); passwords are UTF-16LE ("unicode" in
 * RFC 2759) made by `ntPasswordHash`.
 */
import { createHash } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import { desEncryptBlock, expandDesKey } from './des-ecb.js';
import { md4 } from './md4.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// RFC 2759 §8.7 GenerateAuthenticatorResponse constants.
const AUTH_MAGIC1 = ascii('Magic server to client signing constant');
const AUTH_MAGIC2 = ascii('Pad to make it do more than one iteration');
// RFC 3079 §3.4 GetMasterKey / GetAsymmetricStartKey constants.
const MPPE_MAGIC1 = ascii('This is the MPPE Master Key');
const MPPE_MAGIC2 = ascii('On the client side, this is the send key; on the server side, it is the receive key.');
const MPPE_MAGIC3 = ascii('On the client side, this is the receive key; on the server side, it is the send key.');
const SHS_PAD1 = new Uint8Array(40);
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);

function sha1(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function need(v: Uint8Array, len: number, what: string): void {
  if (v.length !== len) throw new CryptoError(`${what} must be ${len} octets, got ${v.length}`);
}

/** RFC 2759 §8.3: MD4 of the password in UTF-16LE (at most 256 characters). */
export function ntPasswordHash(password: string | Uint8Array): Uint8Array {
  const text = typeof password === 'string' ? password : new TextDecoder().decode(password);
  if (text.length > 256) throw new CryptoError(`MS-CHAPv2 password longer than 256 characters (${text.length})`);
  const u = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    u[2 * i] = c & 0xff;
    u[2 * i + 1] = c >> 8;
  }
  return md4(u);
}

/** RFC 2759 §8.4: MD4 of the password hash. */
export function hashNtPasswordHash(passwordHash: Uint8Array): Uint8Array {
  need(passwordHash, 16, 'PasswordHash');
  return md4(passwordHash);
}

/**
 * RFC 2759 §8.2: "Only the user name (as presented by the peer and excluding any prepended
 * domain name)" enters ChallengeHash: what follows the first backslash, if any.
 */
export function userNameForChallenge(name: Uint8Array): Uint8Array {
  const bs = name.indexOf(0x5c);
  return bs >= 0 ? name.subarray(bs + 1) : name;
}

/** RFC 2759 §8.2: the first 8 octets of SHA1(PeerChallenge | AuthenticatorChallenge | UserName). */
export function challengeHash(peerChallenge: Uint8Array, authChallenge: Uint8Array, userName: Uint8Array): Uint8Array {
  need(peerChallenge, 16, 'PeerChallenge');
  need(authChallenge, 16, 'AuthenticatorChallenge');
  return sha1(peerChallenge, authChallenge, userName).slice(0, 8);
}

/** RFC 2759 §8.5: the hash zero-padded to 21 octets, three DES keys of 7, each encrypting the challenge. */
export function challengeResponse(challenge: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  need(challenge, 8, 'Challenge');
  need(passwordHash, 16, 'PasswordHash');
  const z = new Uint8Array(21);
  z.set(passwordHash);
  const out = new Uint8Array(24);
  for (let i = 0; i < 3; i++) out.set(desEncryptBlock(expandDesKey(z.subarray(7 * i, 7 * i + 7)), challenge), 8 * i);
  return out;
}

/** RFC 2759 §8.1 GenerateNTResponse, from the password hash (what a server may store). */
export function generateNtResponse(
  authChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: Uint8Array,
  passwordHash: Uint8Array,
): Uint8Array {
  return challengeResponse(challengeHash(peerChallenge, authChallenge, userName), passwordHash);
}

/**
 * RFC 2759 §8.7 GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits of
 * SHA1(SHA1(PasswordHashHash | NT-Response | Magic1) | Challenge | Magic2).
 */
export function generateAuthenticatorResponse(
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authChallenge: Uint8Array,
  userName: Uint8Array,
): string {
  need(ntResponse, 24, 'NT-Response');
  const digest = sha1(hashNtPasswordHash(passwordHash), ntResponse, AUTH_MAGIC1);
  const final = sha1(digest, challengeHash(peerChallenge, authChallenge, userName), AUTH_MAGIC2);
  return `S=${Buffer.from(final).toString('hex').toUpperCase()}`;
}

/** RFC 3079 §3.4 GetMasterKey: SHA1(PasswordHashHash | NT-Response | Magic1), first 16 octets. */
export function getMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  need(passwordHashHash, 16, 'PasswordHashHash');
  need(ntResponse, 24, 'NT-Response');
  return sha1(passwordHashHash, ntResponse, MPPE_MAGIC1).slice(0, 16);
}

/**
 * RFC 3079 §3.4 GetAsymmetricStartKey: the client's send key is the server's receive key
 * (Magic2), the client's receive key the server's send key (Magic3).
 */
export function getAsymmetricStartKey(
  masterKey: Uint8Array,
  keyLength: number,
  isSend: boolean,
  isServer: boolean,
): Uint8Array {
  need(masterKey, 16, 'MasterKey');
  if (keyLength < 1 || keyLength > 20) throw new CryptoError(`session key length ${keyLength} not in 1..20`);
  const magic = isSend === isServer ? MPPE_MAGIC3 : MPPE_MAGIC2;
  return sha1(masterKey, SHS_PAD1, magic, SHS_PAD2).slice(0, keyLength);
}

/**
 * The EAP-MSCHAPv2 MSK as Windows, strongSwan and hostapd derive it: the server's
 * MasterReceiveKey | MasterSendKey (16 octets each; from the client's side: its send key |
 * its receive key), followed by 32 zero octets, 64 in all (RFC 3748 §7.10 wants at least 64).
 */
export function mschapv2Msk(passwordHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  const mk = getMasterKey(hashNtPasswordHash(passwordHash), ntResponse);
  const msk = new Uint8Array(64);
  msk.set(getAsymmetricStartKey(mk, 16, false, true), 0);
  msk.set(getAsymmetricStartKey(mk, 16, true, true), 16);
  return msk;
}
