/** swanctl.conf texts of the IKEv2 system tests (lab addresses, test/netns/harness.ts). */
import { LAB } from '../harness.js';

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
  return `
connections {
  rw {
    local_addrs = ${LAB.gw.v4}
    pools = rw4
    ${o.proposals ? `proposals = ${o.proposals}` : ''}
    ${o.dpdDelay ? `dpd_delay = ${o.dpdDelay}` : ''}
    local {
      auth = psk
      id = gw.esprit.test
    }
    remote {
      auth = psk
      ${o.remoteId ? `id = ${o.remoteId}` : ''}
    }
    children {
      net {
        local_ts = 10.99.3.0/24
      }
    }
  }
}
pools {
  rw4 {
    addrs = 10.99.100.0/28
    dns = 10.99.3.53
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "esprit lab psk"
  }
}
${
  o.saveKeys || o.retransmit
    ? `esprit {
  ${o.saveKeys ? `save_keys = ${o.saveKeys}` : ''}
  ${o.retransmit ? `retransmit_timeout = ${o.retransmit.timeout}\n  retransmit_tries = ${o.retransmit.tries}` : ''}
}`
    : ''
}
`;
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
  return `
connections {
  home {
    remote_addrs = ${LAB.gw.v4}
    ${o.vips === false ? '' : 'vips = 0.0.0.0'}
    ${o.encap ? 'encap = yes' : ''}
    ${o.proposals ? `proposals = ${o.proposals}` : ''}
    local {
      auth = psk
      id = ${o.localId ?? 'client.esprit.test'}
    }
    remote {
      auth = psk
      id = gw.esprit.test
    }
    children {
      net {
        remote_ts = 10.99.3.0/24
      }
    }
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "${o.secret ?? 'esprit lab psk'}"
  }
}
`;
}

export interface CertConfOptions {
  /** strongSwan loads it (`version = 2`; esprit speaks only IKEv2 and takes no version key) */
  strongswan?: boolean;
  /** connections.*.fragmentation (RFC 7383) */
  fragmentation?: 'yes' | 'accept' | 'force' | 'no';
  /** connections.*.send_cert */
  sendCert?: 'always' | 'ifasked' | 'never';
  /** esprit { } lines (esprit only) */
  esprit?: string;
}

const certConnExtras = (o: CertConfOptions): string =>
  [
    o.strongswan ? 'version = 2' : '',
    o.sendCert ? `send_cert = ${o.sendCert}` : '',
    o.fragmentation ? `fragmentation = ${o.fragmentation}` : '',
  ]
    .filter((l) => l !== '')
    .join('\n    ');

/** The gateway with certificate authentication: x509/gw.crt, id gw.esprit.test, pool rw4. */
export function certGwConf(o: CertConfOptions = {}): string {
  return `
connections {
  rw {
    ${certConnExtras(o)}
    local_addrs = ${LAB.gw.v4}
    pools = rw4
    local {
      auth = pubkey
      certs = gw.crt
      id = gw.esprit.test
    }
    remote {
      auth = pubkey
      id = client.esprit.test
    }
    children {
      net {
        local_ts = 10.99.3.0/24
      }
    }
  }
}
pools {
  rw4 {
    addrs = 10.99.100.0/28
  }
}
${o.esprit && !o.strongswan ? `esprit {\n  ${o.esprit}\n}` : ''}
`;
}

/** The road warrior with certificate authentication: x509/client.crt, id client.esprit.test, a virtual IP. */
export function certClientConf(o: CertConfOptions = {}): string {
  return `
connections {
  home {
    ${certConnExtras(o)}
    remote_addrs = ${LAB.gw.v4}
    vips = 0.0.0.0
    local {
      auth = pubkey
      certs = client.crt
      id = client.esprit.test
    }
    remote {
      auth = pubkey
      id = gw.esprit.test
    }
    children {
      net {
        remote_ts = 10.99.3.0/24
      }
    }
  }
}
${o.esprit && !o.strongswan ? `esprit {\n  ${o.esprit}\n}` : ''}
`;
}
