/**
 * What an EAP state machine returns for each packet it is given (sans-IO, STYLE.md §3.6):
 * a packet to send and wait, or the end of the conversation, with the MSK on success and a
 * typed reason on failure. The IKEv2 layer carries the packets in EAP payloads (RFC 7296 §2.16).
 */

/** Why an EAP conversation failed, for the daemon's events and logs. */
export type EapFailureReason =
  /** authenticator: no `secrets.eap-*` entry for the user name the peer gave */
  | 'unknown-user'
  /** authenticator: the NT-Response does not match the stored password */
  | 'wrong-password'
  /** the peer answered our method with a Nak (it does not do MSCHAPv2) */
  | 'nak'
  /** a packet that does not parse (its WireError is in `detail`) */
  | 'malformed'
  /** a well-formed packet that does not fit the conversation (wrong Identifier, type, OpCode) */
  | 'unexpected'
  /** authenticator: the peer rejected our authenticator response */
  | 'peer-rejected'
  /** peer: the authenticator response "S=" is wrong: the server does not know our password */
  | 'authenticator-mismatch'
  /** peer: the authenticator sent MSCHAPv2 Failure or EAP-Failure */
  | 'rejected'
  /** peer: no secret configured for our EAP identity */
  | 'no-secret';

export type EapStep =
  /** send `packet` (an EAP Request or Response) and hand the answer to `receive` */
  | { kind: 'send'; packet: Uint8Array }
  /**
   * authenticated: `packet` (authenticator: the EAP-Success) is to be sent, `msk` keys the
   * IKEv2 AUTH payloads, `identity` is the peer's EAP identity
   */
  | { kind: 'success'; packet: Uint8Array | undefined; msk: Uint8Array; identity: string }
  /** the conversation is over without authentication; `packet` (EAP-Failure) is to be sent if set */
  | { kind: 'failure'; packet: Uint8Array | undefined; reason: EapFailureReason; detail: string };
