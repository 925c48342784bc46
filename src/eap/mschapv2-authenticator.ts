/**
 * The EAP authenticator (server) for EAP-MSCHAPv2 (RFC 3748 §4, draft-kamath-pppext-eap-
 * mschapv2-02, RFC 2759):
 *
 *   Request/Identity              -->                       (only when the identity is asked)
 *                                 <--  Response/Identity
 *   Request/MSCHAPv2 Challenge    -->
 *                                 <--  Response/MSCHAPv2 Response (Name, Peer-Challenge, NT-Response)
 *   Request/MSCHAPv2 Success "S=" -->
 *                                 <--  Response/MSCHAPv2 Success
 *   EAP-Success                   -->   MSK (RFC 3079) available
 *
 * An unknown user or a wrong password ends with EAP-Failure at once (RFC 3748 §4.2 allows it
 * after a failed authentication); no MSCHAPv2 retry round, as Windows and strongSwan peers
 * do not answer a retryable Failure reliably (strongSwan's eap_mschapv2.c notes the same).
 */

import {
  generateAuthenticatorResponse,
  generateNtResponse,
  mschapv2Msk,
  ntPasswordHash,
  userNameForChallenge,
} from '../crypto/eap/mschapv2.js';
import { CryptoError, WireError } from '../util/errors.js';
import { bytesEqual } from '../util/hex.js';
import type { Rng } from '../util/rng.js';
import { decodeEapPacket, EapType, eapTypeName, encodeEapPacket, identityText } from '../wire/eap/eap-packet.js';
import { decodeMschapV2, encodeMschapV2 } from '../wire/eap/mschapv2-packet.js';
import type { EapFailureReason, EapStep } from './eap-step.js';

export interface MschapV2AuthenticatorOptions {
  rng: Rng;
  /** the password of a user (MSCHAPv2 Name, domain kept), or undefined when unknown */
  lookup(userName: string): Uint8Array | undefined;
  /** ask the identity with EAP Request/Identity first (swanctl `eap_id = %any` or a value) */
  askIdentity: boolean;
  /** the identity when not asked (strongSwan: the IKE identity) */
  identity?: string;
  /** accept or refuse an identity given in Response/Identity (the `eap_id` pattern) */
  acceptIdentity?(identity: string): boolean;
  /** Name in our Challenge (default "esprit") */
  serverName?: string;
}

type State = 'start' | 'identity' | 'challenge' | 'success-sent' | 'done';

export class MschapV2Authenticator {
  private state: State = 'start';
  private identifier: number;
  private readonly mschapv2Id: number;
  private challenge = new Uint8Array(16);
  private identity: string;
  private pending: { msk: Uint8Array } | undefined;

  constructor(private readonly opts: MschapV2AuthenticatorOptions) {
    const b = new Uint8Array(2);
    opts.rng.fill(b);
    this.identifier = b[0] as number;
    this.mschapv2Id = b[1] as number;
    this.identity = opts.identity ?? '';
  }

  /** The first Request: Identity, or the MSCHAPv2 Challenge when the identity is known. */
  start(): EapStep {
    if (this.state !== 'start') return this.fail('unexpected', 'start() called twice', false);
    if (this.opts.askIdentity) {
      this.state = 'identity';
      return this.request(EapType.Identity, new Uint8Array(0));
    }
    return this.sendChallenge();
  }

  /** A Response from the peer (the bytes of the EAP payload). */
  receive(bytes: Uint8Array): EapStep {
    if (this.state === 'start' || this.state === 'done')
      return this.fail('unexpected', `packet in state ${this.state}`);
    let p: ReturnType<typeof decodeEapPacket>;
    try {
      p = decodeEapPacket(bytes);
    } catch (e) {
      if (e instanceof WireError) return this.fail('malformed', e.message);
      throw e;
    }
    // §4.1: a Response answers the outstanding Request, with its Identifier.
    if (p.code !== 'response') return this.fail('unexpected', `EAP ${p.code} from the peer`);
    if (p.identifier !== this.identifier) {
      return this.fail('unexpected', `Identifier ${p.identifier}, expected ${this.identifier}`);
    }
    if (p.type === EapType.Nak) return this.fail('nak', 'the peer does not do EAP-MSCHAPv2 (Nak)');
    if (this.state === 'identity') {
      if (p.type !== EapType.Identity) return this.fail('unexpected', `${eapTypeName(p.type)} for Identity`);
      this.identity = identityText(p.data);
      if (this.opts.acceptIdentity && !this.opts.acceptIdentity(this.identity)) {
        return this.fail('unknown-user', `EAP identity '${this.identity}' does not match eap_id`);
      }
      return this.sendChallenge();
    }
    if (p.type !== EapType.MSCHAPv2) return this.fail('unexpected', `${eapTypeName(p.type)} for MSCHAPv2`);
    let m: ReturnType<typeof decodeMschapV2>;
    try {
      m = decodeMschapV2(p.data, false, 'EAP.MSCHAPv2', 5);
    } catch (e) {
      if (e instanceof WireError) return this.fail('malformed', e.message);
      throw e;
    }
    if (this.state === 'challenge') {
      if (m.op !== 'response') return this.fail('unexpected', `MSCHAPv2 ${m.op} for the Challenge`);
      if (m.mschapv2Id !== this.mschapv2Id) return this.fail('unexpected', `MS-CHAPv2-ID ${m.mschapv2Id}`);
      return this.verify(m.name, m.peerChallenge, m.ntResponse);
    }
    // success-sent: the peer checked our "S=" (draft §2: Success Response, or Failure Response)
    if (m.op === 'success-response' && this.pending) {
      this.state = 'done';
      return {
        kind: 'success',
        packet: encodeEapPacket({ code: 'success', identifier: this.identifier }),
        msk: this.pending.msk,
        identity: this.identity,
      };
    }
    return this.fail('peer-rejected', `MSCHAPv2 ${m.op} after our Success`);
  }

  private verify(nameBytes: Uint8Array, peerChallenge: Uint8Array, ntResponse: Uint8Array): EapStep {
    const name = new TextDecoder().decode(nameBytes);
    if (!this.identity) this.identity = name;
    const password = this.opts.lookup(name);
    if (!password) return this.fail('unknown-user', `no EAP secret for '${name}'`);
    let pwHash: Uint8Array;
    try {
      pwHash = ntPasswordHash(password);
    } catch (e) {
      if (e instanceof CryptoError) return this.fail('wrong-password', e.message);
      throw e;
    }
    const user = userNameForChallenge(nameBytes);
    const expected = generateNtResponse(this.challenge, peerChallenge, user, pwHash);
    if (!bytesEqual(expected, ntResponse))
      return this.fail('wrong-password', `NT-Response of '${name}' does not match`);
    const s = generateAuthenticatorResponse(pwHash, ntResponse, peerChallenge, this.challenge, user);
    this.pending = { msk: mschapv2Msk(pwHash, ntResponse) };
    this.state = 'success-sent';
    return this.request(
      EapType.MSCHAPv2,
      encodeMschapV2({ op: 'success-request', mschapv2Id: this.mschapv2Id, message: `${s} M=Welcome to esprit` }),
    );
  }

  private sendChallenge(): EapStep {
    this.opts.rng.fill(this.challenge);
    this.state = 'challenge';
    const name = new TextEncoder().encode(this.opts.serverName ?? 'esprit');
    return this.request(
      EapType.MSCHAPv2,
      encodeMschapV2({ op: 'challenge', mschapv2Id: this.mschapv2Id, challenge: this.challenge, name }),
    );
  }

  /** §4.1: each new Request gets a new Identifier. */
  private request(type: number, data: Uint8Array): EapStep {
    this.identifier = (this.identifier + 1) & 0xff;
    return { kind: 'send', packet: encodeEapPacket({ code: 'request', identifier: this.identifier, type, data }) };
  }

  /** §4.2: Success/Failure carry the Identifier of the Response they answer. */
  private fail(reason: EapFailureReason, detail: string, withPacket = true): EapStep {
    this.state = 'done';
    this.pending = undefined;
    const packet = withPacket ? encodeEapPacket({ code: 'failure', identifier: this.identifier }) : undefined;
    return { kind: 'failure', packet, reason, detail };
  }
}
