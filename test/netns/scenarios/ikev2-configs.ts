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
