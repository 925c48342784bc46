/** swanctl.conf texts of the IKEv2 system tests (lab addresses, test/netns/harness.ts; built by test/util/ikev2-swanctl.ts). */
import {
  type CertOptions,
  certGateway,
  certRoadWarrior,
  pskGateway,
  pskRoadWarrior,
} from '../../util/ikev2-swanctl.js';

export interface GwOptions {
  /** the gateway's IKE proposals (default: strongSwan's `default`) */
  proposals?: string;
  /** accept only this client identity */
  remoteId?: string;
  /** esprit.save_keys directory */
  saveKeys?: string;
  /** connections.rw.dpd_delay */
  dpdDelay?: string;
  /** esprit.retransmit_timeout / retransmit_tries */
  retransmit?: { timeout: number; tries: number };
}

export function gwConf(o: GwOptions = {}): string {
  const esprit = [
    ...(o.saveKeys ? [`save_keys = ${o.saveKeys}`] : []),
    ...(o.retransmit
      ? [`retransmit_timeout = ${o.retransmit.timeout}`, `retransmit_tries = ${o.retransmit.tries}`]
      : []),
  ];
  const { saveKeys: _s, retransmit: _r, ...rest } = o;
  return pskGateway({ ...rest, esprit });
}

export const GW_CONF = gwConf();

export interface ClientOptions {
  encap?: boolean;
  vips?: boolean;
  secret?: string;
  localId?: string;
  proposals?: string;
}

export function clientConf(o: ClientOptions = {}): string {
  const { vips, ...rest } = o;
  return pskRoadWarrior({ ...rest, ...(vips === false ? { vips: false } : {}) });
}

export type CertConfOptions = CertOptions;

/** The gateway with certificate authentication: x509/gw.crt, id gw.esprit.test, pool rw4. */
export const certGwConf = (o: CertConfOptions = {}): string => certGateway(o);

/** The road warrior with certificate authentication: x509/client.crt, id client.esprit.test, a virtual IP. */
export const certClientConf = (o: CertConfOptions = {}): string => certRoadWarrior(o);
