/**
 * What a responder keeps of an IKE SA between the IKE_AUTH exchanges of an EAP
 * authentication (RFC 7296 §2.16): the connection chosen, the first request (its CP, SA and
 * TS are answered in the last response), the EAP authenticator and, once it succeeded, the MSK.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import type { MschapV2Authenticator } from '../eap/mschapv2-authenticator.js';
import type { IkeId } from '../ike/identity.js';
import type { IkePayload } from '../wire/ike/ike-types.js';

export interface EapResponderState {
  conn: ConnectionConfig;
  /** the payloads of the first IKE_AUTH request */
  request: IkePayload[];
  /** the initiator's IDi (its AUTH is computed over it, §2.15) */
  remoteId: IkeId;
  ownId: IkeId;
  server: MschapV2Authenticator;
  /** set when the EAP method succeeded: the shared key of the final AUTH payloads */
  msk: Uint8Array | undefined;
  identity: string;
}
