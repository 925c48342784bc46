/**
 * Shared-key authentication data (RFC 7296 §2.15, §2.16):
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI,
 *   MACedIDForI = prf(SK_pi, RestOfInitIDPayload)  (ID type, 3 reserved octets, data)
 *   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 * and the same with the EAP MSK in place of the shared secret (§2.16).
 */
import { prf } from './prf.js';

const KEY_PAD = new TextEncoder().encode('Key Pad for IKEv2');

export function signedOctets(
  prfId: number,
  realMessage: Uint8Array,
  peerNonce: Uint8Array,
  skP: Uint8Array,
  idPayloadBody: Uint8Array,
): Uint8Array {
  const maced = prf(prfId, skP, idPayloadBody);
  const out = new Uint8Array(realMessage.length + peerNonce.length + maced.length);
  out.set(realMessage);
  out.set(peerNonce, realMessage.length);
  out.set(maced, realMessage.length + peerNonce.length);
  return out;
}

export function pskAuthData(prfId: number, secret: Uint8Array, octets: Uint8Array): Uint8Array {
  return prf(prfId, prf(prfId, secret, KEY_PAD), octets);
}

export function eapMskAuthData(prfId: number, msk: Uint8Array, octets: Uint8Array): Uint8Array {
  return pskAuthData(prfId, msk, octets);
}
