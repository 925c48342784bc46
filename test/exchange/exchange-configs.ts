/**
 * The swanctl.conf texts of the in-process exchange tests (ikev2-exchanges.test.ts,
 * ikev2-mobike.test.ts): a gateway with a pool and two CHILD configs, and its road warrior.
 */
/** The gateway (10.99.2.2): PSK, pool rw4, CHILD configs net (10.99.3.0/24) and web (10.99.5.0/24). */
export const GW = (
  o: {
    proposals?: string;
    esp?: string;
    pool?: string;
    remoteId?: string;
    ts?: string;
    secret?: string;
    mobike?: boolean;
    remoteAddrs?: string;
    rekey?: string;
  } = {},
) => `
connections {
  rw {
    local_addrs = 10.99.2.2
    ${o.remoteAddrs ? `remote_addrs = ${o.remoteAddrs}` : ''}
    ${o.mobike === false ? 'mobike = no' : ''}
    ${o.proposals ? `proposals = ${o.proposals}` : 'proposals = aes128-sha256-modp2048'}
    pools = rw4
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
        esp_proposals = ${o.esp ?? 'aes128gcm16'}
        ${o.rekey ? `rekey_time = ${o.rekey}\n        rand_time = 0` : ''}
      }
      web {
        local_ts = 10.99.5.0/24
        esp_proposals = aes256-sha256-modp2048
      }
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
  ike-1 {
    id = gw.esprit.test
    secret = "${o.secret ?? 'a pre-shared key'}"
  }
}
`;

/** The road warrior: to 10.99.2.2, asks for a virtual IPv4 address, CHILD configs net and web. */
export const CLIENT = (
  o: {
    proposals?: string;
    esp?: string;
    encap?: boolean;
    remoteTs?: string;
    vips?: string;
    rekey?: string;
    mobike?: boolean;
    dpd?: string;
  } = {},
) => `
connections {
  home {
    remote_addrs = 10.99.2.2
    proposals = ${o.proposals ?? 'aes128-sha256-modp2048'}
    vips = ${o.vips ?? '0.0.0.0'}
    ${o.encap ? 'encap = yes' : ''}
    ${o.mobike === false ? 'mobike = no' : ''}
    ${o.dpd ? `dpd_delay = ${o.dpd}` : ''}
    local {
      auth = psk
      id = client.esprit.test
    }
    remote {
      auth = psk
      id = gw.esprit.test
    }
    children {
      net {
        remote_ts = ${o.remoteTs ?? '10.99.3.0/24'}
        esp_proposals = ${o.esp ?? 'aes128gcm16'}
        ${o.rekey ? `rekey_time = ${o.rekey}\n        rand_time = 0` : ''}
      }
      web {
        remote_ts = 10.99.5.0/24
        esp_proposals = aes256-sha256-modp2048
      }
    }
  }
}
secrets {
  ike-1 {
    id = gw.esprit.test
    secret = "a pre-shared key"
  }
}
`;
