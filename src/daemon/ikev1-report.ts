/**
 * `esprit list-sas` rows for IKEv1 (ISAKMP) SAs, in the IKEv2 report's shape
 * (iked.ts IkeSaReport), so the CLI prints both versions the same way.
 */
import { transformName } from '../config/proposal.js';
import { tsToString } from '../config/traffic-selector.js';
import { formatIdentity } from '../ike/identity.js';
import type { Ikev1Sa } from '../ikev1/ikev1-sa.js';
import { formatIp } from '../util/ip-addr.js';
import type { IkeSaReport } from './ike-sa-report.js';

const hex = (n: bigint): string => n.toString(16).padStart(16, '0');
const spi = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

export function ikev1SaReport(sa: Ikev1Sa): IkeSaReport {
  const s = sa.suite;
  return {
    id: sa.id,
    conn: sa.conn.name,
    // the Main Mode state until it is established (mm1-sent ... mm5-sent, established)
    state: sa.state === 'established' ? 'established' : sa.state,
    initiator: sa.initiator,
    spiI: hex(sa.spiI),
    spiR: hex(sa.spiR),
    local: { address: formatIp(sa.local.address), port: sa.local.port },
    remote: { address: formatIp(sa.remote.address), port: sa.remote.port },
    localId: formatIdentity(sa.localId),
    remoteId: sa.remoteId ? formatIdentity(sa.remoteId) : '',
    localBehindNat: sa.localBehindNat,
    remoteBehindNat: sa.remoteBehindNat,
    natFaked: sa.conn.encap,
    encap: sa.natt !== undefined && (sa.localBehindNat || sa.remoteBehindNat || sa.conn.encap),
    algorithms: s
      ? [
          `${transformName('encr', s.encr)}${s.keyBits ? `-${s.keyBits}` : ''}`,
          transformName('prf', s.prf),
          transformName('dh', s.group),
        ].join('/')
      : '',
    vipsLocal: (sa.vipsLocal ?? []).map(formatIp),
    vipsRemote: sa.vipsRemote.map((v) => formatIp(v)),
    children: sa.children.map((c) => ({
      name: c.name,
      reqid: c.plan.reqid,
      mode: c.plan.mode,
      spiIn: spi(c.spiIn),
      spiOut: spi(c.spiOut),
      encap: c.plan.encap !== undefined,
      ...(c.plan.encap ? { encapPorts: { local: c.plan.encap.localPort, remote: c.plan.encap.remotePort } } : {}),
      algorithms: c.algorithms,
      localTs: c.plan.localTs.map(tsToString),
      remoteTs: c.plan.remoteTs.map(tsToString),
      installedAt: c.installedAt,
    })),
  };
}
