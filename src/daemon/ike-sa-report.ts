/**
 * What `esprit list-sas --json` reports per IKE SA (IKEv2 and IKEv1 alike) and per CHILD SA;
 * the daemon builds them (iked.ts, ikev1-report.ts), the CLI prints them (cli/commands/ikectl.ts).
 */
export interface ChildSaReport {
  name: string;
  reqid: number;
  mode: string;
  spiIn: string;
  spiOut: string;
  encap: boolean;
  encapPorts?: { local: number; remote: number };
  algorithms: string;
  localTs: string[];
  remoteTs: string[];
  installedAt: number;
}

export interface IkeSaReport {
  id: number;
  conn: string;
  state: string;
  initiator: boolean;
  spiI: string;
  spiR: string;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  localId: string;
  remoteId: string;
  /** the peer's EAP identity when it authenticated with EAP (RFC 7296 §2.16) */
  remoteEapId?: string;
  localBehindNat: boolean;
  remoteBehindNat: boolean;
  natFaked: boolean;
  encap: boolean;
  algorithms: string;
  vipsLocal: string[];
  vipsRemote: string[];
  children: ChildSaReport[];
}
