/**
 * The EAP peer (client) side of EAP-MSCHAPv2 (RFC 3748 §4, §5; draft-kamath-pppext-eap-
 * mschapv2-02; RFC 2759): answers Identity with our EAP identity, the Challenge with an
 * NT-Response, checks the authenticator response "S=" before answering Success, and exposes
 * the MSK once EAP-Success arrives. Other methods are answered with a Nak for MSCHAPv2
 * (§5.3.1), Notification with an empty Notification Response (§5.2).
 */

import {
  generateAuthenticatorResponse,
  generateNtResponse,
  mschapv2Msk,
  ntPasswordHash,
  userNameForChallenge,
} from '../crypto/eap/mschapv2.js';
import { CryptoError, WireError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { decodeEapPacket, EapType, encodeEapPacket } from '../wire/eap/eap-packet.js';
import { decodeMschapV2, encodeMschapV2, messageFields } from '../wire/eap/mschapv2-packet.js';
import type { EapFailureReason, EapStep } from './eap-step.js';

export interface MschapV2PeerOptions {
  rng: Rng;
  /** our EAP identity (swanctl `eap_id`, else the IKE identity), also the MSCHAPv2 Name */
  identity: string;
  /** our password (`secrets.eap-*`); undefined fails at the Challenge with 'no-secret' */
  password: Uint8Array | undefined;
}

type State = 'wait-challenge' | 'wait-success' | 'wait-eap-success' | 'done';

export class MschapV2Peer {
  private state: State = 'wait-challenge';
  private expectedS = '';
  private msk: Uint8Array | undefined;

  constructor(private readonly opts: MschapV2PeerOptions) {}

  /** A Request (or Success/Failure) from the authenticator. */
  receive(bytes: Uint8Array): EapStep {
    if (this.state === 'done') return this.fail('unexpected', 'packet after the end of the conversation');
    let p: ReturnType<typeof decodeEapPacket>;
    try {
      p = decodeEapPacket(bytes);
    } catch (e) {
      if (e instanceof WireError) return this.fail('malformed', e.message);
      throw e;
    }
    if (p.code === 'failure') return this.fail('rejected', 'EAP-Failure from the authenticator');
    if (p.code === 'success') {
      // §4.2: Success counts only after the method succeeded (no premature Success).
      if (this.state !== 'wait-eap-success' || !this.msk)
        return this.fail('unexpected', 'EAP-Success before MSCHAPv2 Success');
      this.state = 'done';
      return { kind: 'success', packet: undefined, msk: this.msk, identity: this.opts.identity };
    }
    if (p.code !== 'request') return this.fail('unexpected', 'EAP Response from the authenticator');
    const id = p.identifier;
    if (p.type === EapType.Identity)
      return this.respond(id, EapType.Identity, new TextEncoder().encode(this.opts.identity));
    if (p.type === EapType.Notification) return this.respond(id, EapType.Notification, new Uint8Array(0));
    if (p.type !== EapType.MSCHAPv2) return this.respond(id, EapType.Nak, Uint8Array.of(EapType.MSCHAPv2));
    let m: ReturnType<typeof decodeMschapV2>;
    try {
      m = decodeMschapV2(p.data, true, 'EAP.MSCHAPv2', 5);
    } catch (e) {
      if (e instanceof WireError) return this.fail('malformed', e.message);
      throw e;
    }
    if (m.op === 'failure-request') {
      return this.fail('rejected', `MSCHAPv2 Failure: ${m.message}`, id);
    }
    if (m.op === 'challenge' && this.state === 'wait-challenge') {
      const password = this.opts.password;
      if (!password) return this.fail('no-secret', `no EAP secret for '${this.opts.identity}'`);
      const peerChallenge = new Uint8Array(16);
      this.opts.rng.fill(peerChallenge);
      const name = new TextEncoder().encode(this.opts.identity);
      const user = userNameForChallenge(name);
      let pwHash: Uint8Array;
      try {
        pwHash = ntPasswordHash(password);
      } catch (e) {
        // RFC 2759 §8.3: at most 256 characters
        if (e instanceof CryptoError) return this.fail('no-secret', `unusable EAP secret: ${e.message}`);
        throw e;
      }
      const ntResponse = generateNtResponse(m.challenge, peerChallenge, user, pwHash);
      this.expectedS = generateAuthenticatorResponse(pwHash, ntResponse, peerChallenge, m.challenge, user);
      this.msk = mschapv2Msk(pwHash, ntResponse);
      this.state = 'wait-success';
      const resp = encodeMschapV2({
        op: 'response',
        mschapv2Id: m.mschapv2Id,
        peerChallenge,
        ntResponse,
        flags: 0,
        name,
      });
      return this.respond(id, EapType.MSCHAPv2, resp);
    }
    if (m.op === 'success-request' && this.state === 'wait-success') {
      // RFC 2759 §8.8 CheckAuthenticatorResponse: the server proves it knows our password.
      const s = messageFields(m.message).get('S');
      if (s === undefined || `S=${s.toUpperCase()}` !== this.expectedS) {
        this.msk = undefined;
        return this.fail('authenticator-mismatch', 'authenticator response "S=" does not match');
      }
      this.state = 'wait-eap-success';
      return this.respond(id, EapType.MSCHAPv2, encodeMschapV2({ op: 'success-response' }));
    }
    return this.fail('unexpected', `MSCHAPv2 ${m.op} in state ${this.state}`);
  }

  private respond(identifier: number, type: number, data: Uint8Array): EapStep {
    return { kind: 'send', packet: encodeEapPacket({ code: 'response', identifier, type, data }) };
  }

  /** A failure; with `identifier`, the MSCHAPv2 Failure Response the draft asks for. */
  private fail(reason: EapFailureReason, detail: string, identifier?: number): EapStep {
    this.state = 'done';
    this.msk = undefined;
    const packet =
      identifier === undefined
        ? undefined
        : encodeEapPacket({
            code: 'response',
            identifier,
            type: EapType.MSCHAPv2,
            data: encodeMschapV2({ op: 'failure-response' }),
          });
    return { kind: 'failure', packet, reason, detail };
  }
}
