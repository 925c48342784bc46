/**
 * Certificates and private keys for public-key authentication (IKEv1 RFC 2409 §5.1 with
 * RFC 4945; IKEv2 RFC 7296 §2.15, §3.6-§3.8), loaded by the daemon from the swanctl
 * directories and handed to the engines: the engines themselves read no files.
 */
import type { PrivateKey } from '../crypto/ike/signature-auth.js';
import type { Cert } from '../crypto/ike/x509-chain.js';
import type { Crl } from '../crypto/ike/x509-crl.js';

export interface IkeCredentials {
  /** trust anchors: x509ca/, cacerts, authorities */
  cas: Cert[];
  /** certificates named by `certs` (and their chains), by absolute path */
  certs: Map<string, Cert>;
  /** private keys from private/, rsa/, ecdsa/, pkcs8/ */
  keys: PrivateKey[];
  /** certificate revocation lists from x509crl/ (checked when signed by a chain's CA) */
  crls?: Crl[];
}

export const NO_CREDENTIALS: IkeCredentials = { cas: [], certs: new Map(), keys: [] };
