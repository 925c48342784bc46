/**
 * The types of the configuration esprit reads from a swanctl.conf (docs/configuration.md):
 * strongSwan's key names, resolved defaults, certificate and key paths made absolute.
 * Import them from swanctl-model.ts (this file only breaks the model <-> loader cycle).
 */

import type { Proposal } from '../proposal.js';
import type { PoolAttribute } from './pool-attributes.js';
import type { SourcePos } from './settings-parser.js';

export type { SourcePos };

export interface EspritConfig {
  file: string;
  connections: ConnectionConfig[];
  secrets: SecretsConfig;
  pools: PoolConfig[];
  authorities: AuthorityConfig[];
  /** every CA certificate swanctl would load: the files in x509ca/ beside the config */
  caFiles: string[];
  /** every CRL swanctl would load: the files in x509crl/ beside the config */
  crlFiles: string[];
  host: HostSettings;
}

/** IKEv1 NAT-T variants (RFC 3947 and draft-ietf-ipsec-nat-t-ike-00..03). */
export type NattVariant = 'rfc' | 'draft-03' | 'draft-02n' | 'draft-02' | 'draft-01' | 'draft-00';
export type NattMode = 'all' | 'none' | readonly NattVariant[];

export interface ConnectionConfig {
  name: string;
  pos: SourcePos;
  /** 0 = any, 1 = IKEv1, 2 = IKEv2 */
  version: 0 | 1 | 2;
  localAddrs: string[];
  remoteAddrs: string[];
  localPort: number;
  remotePort: number;
  proposals: Proposal[];
  vips: string[];
  pools: string[];
  aggressive: boolean;
  /**
   * IKEv1 NAT-T variants offered and accepted (esprit key `natt_mode`, docs/ikev1.md): all,
   * none, or a list of variants (vpnc --natt-mode, Shrew force-rfc/force-draft)
   */
  nattMode: NattMode;
  /**
   * IKEv1 Cisco "IPsec over UDP" (Mode Config attribute 28677, UNITY_NATT_PORT), esprit key
   * `cisco_udp_port`. Gateway: the port answered to 28677 (default 10000; 0 = not offered).
   * Client: with `natt_mode = none` and this key set, ask for Cisco UDP in Mode Config and
   * send ESP from this port to the port the gateway answers (vpnc's --udp-port).
   */
  ciscoUdpPort: number;
  /** `cisco_udp_port` was written in the config (a client asks for Cisco UDP only then) */
  ciscoUdpPortSet?: boolean;
  /**
   * IKEv1 Mode Config: pull (the client's CFG_REQUEST, the default) or push (`pull = no`: the
   * gateway's CFG_SET, the client's CFG_ACK), strongSwan's `pull`
   */
  pull: boolean;
  encap: boolean;
  mobike: boolean;
  fragmentation: 'yes' | 'accept' | 'force' | 'no';
  sendCertreq: boolean;
  sendCert: 'always' | 'never' | 'ifasked';
  keyingtries: number;
  unique: 'no' | 'never' | 'replace' | 'keep';
  dpdDelay: number;
  dpdTimeout: number;
  reauthTime: number;
  rekeyTime: number;
  overTime: number;
  randTime: number;
  local: AuthRoundConfig[];
  remote: AuthRoundConfig[];
  children: ChildConfig[];
}

export interface AuthRoundConfig {
  round: number;
  auth: string;
  id?: string;
  eapId?: string;
  xauthId?: string;
  aaaId?: string;
  certs: string[];
  cacerts: string[];
  pubkeys: string[];
  /** swanctl.conf `revocation`: relaxed (default), ifuri or strict, checked against x509crl/ */
  revocation: 'relaxed' | 'ifuri' | 'strict';
}

export interface ChildConfig {
  name: string;
  pos: SourcePos;
  localTs: string[];
  remoteTs: string[];
  espProposals: Proposal[];
  mode: 'tunnel' | 'transport' | 'pass' | 'drop';
  startAction: 'none' | 'trap' | 'start' | 'trap|start';
  closeAction: 'none' | 'trap' | 'start';
  dpdAction: 'clear' | 'trap' | 'restart';
  rekeyTime: number;
  lifeTime: number;
  randTime: number;
  rekeyBytes: number;
  lifeBytes: number;
  /** random share subtracted from rekey_bytes (default life_bytes - rekey_bytes) */
  randBytes: number;
  rekeyPackets: number;
  lifePackets: number;
  randPackets: number;
  updown?: string;
  hostaccess: boolean;
  policies: boolean;
  reqid: number;
  inactivity: number;
  replayWindow: number;
}

export interface SecretsConfig {
  ike: SharedSecret[];
  eap: SharedSecret[];
  xauth: SharedSecret[];
  privateKeys: string[];
}

export interface SharedSecret {
  name: string;
  pos: SourcePos;
  ids: string[];
  secret: Uint8Array;
}

export interface PoolConfig {
  name: string;
  pos: SourcePos;
  addrs: string;
  dns: string[];
  nbns: string[];
  /** the other attributes, in config order (pool-attributes.ts) */
  attributes: PoolAttribute[];
}

export interface AuthorityConfig {
  name: string;
  pos: SourcePos;
  cacert?: string;
  crlUris: string[];
}

export interface HostSettings {
  tunName: string;
  tunMtu: number;
  listen: string[];
  keepaliveInterval: number;
  /**
   * `esprit start`: data-plane threads (1, or 2: a sealing worker thread, docs/dataplane.md
   * §10.9); unset: ESPRIT_DATAPLANE_THREADS, else 1
   */
  dataplaneThreads?: number;
  retransmitTimeout: number;
  retransmitBase: number;
  retransmitTries: number;
  cookieThreshold: number;
  halfOpenPerSource: number;
  /** RFC 7383 §2.5.1: largest IP datagram of an IKE fragment (strongSwan's charon.fragment_size) */
  fragmentSize: number;
  /** per-family overrides, 0 = fragmentSize (charon.fragment_size_v4 / _v6) */
  fragmentSizeV4: number;
  fragmentSizeV6: number;
  /** largest reassembled IKE message accepted (charon.max_packet) */
  maxPacket: number;
  saveKeys?: string;
  logLevels: Record<string, string>;
}
