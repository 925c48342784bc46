/**
 * The swanctl.conf texts of the IKEv2 tests, in-process (test/exchange) and in the lab
 * (test/netns): a gateway `rw` at 10.99.2.2 (the lab's gw address) handing out virtual IPs
 * from pool rw4 for 10.99.3.0/24, and its road warrior `home`, with PSK or certificates.
 * test/exchange/exchange-configs.ts and test/netns/scenarios/ikev2-configs.ts give them their
 * defaults. Tests edit the text with String.replace on lines such as `rw {`, `home {`,
 * `pools = rw4`, `vips = 0.0.0.0`, `local_ts = 10.99.3.0/24`: keep them as they are.
 */

/** The gateway's address (LAB.gw.v4 in test/netns/harness.ts). */
export const GW_ADDRESS = '10.99.2.2';

const lines = (...l: (string | false | undefined)[]): string => l.filter((x) => x).join('\n    ');

/** An `esprit { }` section of these lines, or nothing. */
const espritSection = (l: readonly string[]): string => (l.length > 0 ? `esprit {\n  ${l.join('\n  ')}\n}` : '');

/** The second CHILD config of the exchange tests (another subnet, CBC/HMAC with PFS). */
const webChild = (ts: 'local_ts' | 'remote_ts'): string => `
      web {
        ${ts} = 10.99.5.0/24
        esp_proposals = aes256-sha256-modp2048
      }`;

const rekeyLines = (rekey: string | undefined): string =>
  rekey ? `\n        rekey_time = ${rekey}\n        rand_time = 0` : '';

export interface PskGatewayOptions {
  /** IKE proposals (default: none, strongSwan's `default`) */
  proposals?: string;
  /** the `net` CHILD's esp_proposals (default: none) */
  esp?: string;
  /** the `net` CHILD's local_ts (default 10.99.3.0/24) */
  ts?: string;
  /** the `net` CHILD's rekey_time (with rand_time = 0) */
  rekey?: string;
  /** a second CHILD config, `web` (10.99.5.0/24) */
  web?: boolean;
  /** pool rw4's addrs (default 10.99.100.0/28) */
  pool?: string;
  /** accept only this client identity */
  remoteId?: string;
  remoteAddrs?: string;
  mobike?: boolean;
  dpdDelay?: string;
  secret?: string;
  /** lines of the `esprit { }` section */
  esprit?: readonly string[];
}

export function pskGateway(o: PskGatewayOptions = {}): string {
  return `
connections {
  rw {
    ${lines(
      `local_addrs = ${GW_ADDRESS}`,
      o.remoteAddrs && `remote_addrs = ${o.remoteAddrs}`,
      o.mobike === false && 'mobike = no',
      o.proposals && `proposals = ${o.proposals}`,
      'pools = rw4',
      o.dpdDelay && `dpd_delay = ${o.dpdDelay}`,
    )}
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
        local_ts = ${o.ts ?? '10.99.3.0/24'}
        ${o.esp ? `esp_proposals = ${o.esp}` : ''}${rekeyLines(o.rekey)}
      }${o.web ? webChild('local_ts') : ''}
    }
  }
}
pools {
  rw4 {
    addrs = ${o.pool ?? '10.99.100.0/28'}
    dns = 10.99.3.53
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "${o.secret ?? 'esprit lab psk'}"
  }
}
${espritSection(o.esprit ?? [])}
`;
}

export interface PskRoadWarriorOptions {
  proposals?: string;
  esp?: string;
  /** the `net` CHILD's remote_ts (default 10.99.3.0/24) */
  remoteTs?: string;
  rekey?: string;
  web?: boolean;
  /** `vips` (default 0.0.0.0), or none */
  vips?: string | false;
  encap?: boolean;
  mobike?: boolean;
  dpdDelay?: string;
  localId?: string;
  secret?: string;
}

export function pskRoadWarrior(o: PskRoadWarriorOptions = {}): string {
  return `
connections {
  home {
    ${lines(
      `remote_addrs = ${GW_ADDRESS}`,
      o.proposals && `proposals = ${o.proposals}`,
      o.vips !== false && `vips = ${o.vips ?? '0.0.0.0'}`,
      o.encap && 'encap = yes',
      o.mobike === false && 'mobike = no',
      o.dpdDelay && `dpd_delay = ${o.dpdDelay}`,
    )}
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
        remote_ts = ${o.remoteTs ?? '10.99.3.0/24'}
        ${o.esp ? `esp_proposals = ${o.esp}` : ''}${rekeyLines(o.rekey)}
      }${o.web ? webChild('remote_ts') : ''}
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

export interface CertOptions {
  /** strongSwan loads it (`version = 2`; esprit speaks only IKEv2 and takes no version key) */
  strongswan?: boolean;
  /** connections.*.fragmentation (RFC 7383) */
  fragmentation?: 'yes' | 'accept' | 'force' | 'no';
  /** connections.*.send_cert */
  sendCert?: 'always' | 'ifasked' | 'never';
  proposals?: string;
  /** the `net` CHILD's esp_proposals */
  esp?: string;
  /** esprit { } lines (esprit only) */
  esprit?: string;
}

const certConnLines = (o: CertOptions): string =>
  lines(
    o.strongswan && 'version = 2',
    o.sendCert && `send_cert = ${o.sendCert}`,
    o.fragmentation && `fragmentation = ${o.fragmentation}`,
    o.proposals && `proposals = ${o.proposals}`,
  );

const certEsprit = (o: CertOptions): string => (o.esprit && !o.strongswan ? `esprit {\n  ${o.esprit}\n}` : '');

/** The gateway with certificate authentication: x509/gw.crt, id gw.esprit.test, pool rw4. */
export function certGateway(o: CertOptions = {}): string {
  return `
connections {
  rw {
    ${certConnLines(o)}
    local_addrs = ${GW_ADDRESS}
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
        ${o.esp ? `esp_proposals = ${o.esp}` : ''}
      }
    }
  }
}
pools {
  rw4 {
    addrs = 10.99.100.0/28
  }
}
${certEsprit(o)}
`;
}

/** The road warrior with certificate authentication: x509/client.crt, id client.esprit.test, a virtual IP. */
export function certRoadWarrior(o: CertOptions = {}): string {
  return `
connections {
  home {
    ${certConnLines(o)}
    remote_addrs = ${GW_ADDRESS}
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
        ${o.esp ? `esp_proposals = ${o.esp}` : ''}
      }
    }
  }
}
${certEsprit(o)}
`;
}
