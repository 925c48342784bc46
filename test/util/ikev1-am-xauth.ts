/**
 * The swanctl.conf texts of the IKEv1 Aggressive Mode + XAUTH + Mode Config tests, in-process
 * (test/exchange) and in the lab (test/netns): a Cisco-style gateway `vpnc` at 10.99.2.2
 * (group PSK keyid:labgroup, XAUTH user labuser, pool 10.99.100.0/24, split include
 * 10.99.3.0/24 and 192.168.7.0/25) and its client `office`, which pulls a virtual IP and
 * tunnels 0.0.0.0/0.
 */

export interface AmXauthClientOptions {
  /** local_addrs / remote_addrs (default 10.99.1.2 and 10.99.2.2, the lab's client and gw) */
  readonly local?: string;
  readonly remote?: string;
  /** the XAUTH password the client answers with (default the gateway's, labuser-password) */
  readonly password?: string;
  readonly xauthId?: string;
  /** more lines in the connection (rekey_time = ..., natt_mode = ...) */
  readonly extra?: string;
}

/** The client `office`. */
export function amXauthClientConf(o: AmXauthClientOptions = {}): string {
  return `connections {
  office {
    version = 1
    aggressive = yes
    local_addrs = ${o.local ?? '10.99.1.2'}
    remote_addrs = ${o.remote ?? '10.99.2.2'}
    proposals = aes128-sha1-modp1024
    vips = 0.0.0.0
    ${o.extra ?? ''}
    local {
      auth = psk
      id = keyid:labgroup
    }
    local-xauth {
      auth = xauth
      xauth_id = ${o.xauthId ?? 'labuser'}
    }
    remote {
      auth = psk
      id = gw.lab
    }
    children {
      office {
        remote_ts = 0.0.0.0/0
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-office {
    id = keyid:labgroup
    secret = "labgroup-secret"
  }
  xauth-office {
    id = labuser
    secret = "${o.password ?? 'labuser-password'}"
  }
}
`;
}

export interface AmXauthGatewayOptions {
  /** the pool's addrs (default 10.99.100.0/24); pools: false leaves the connection without one */
  readonly pool?: string;
  readonly pools?: boolean;
  /** a DNS server handed out with the pool */
  readonly dns?: string;
  /** more lines in the connection (cisco_udp_port = ..., rekey_time = ...) */
  readonly extra?: string;
}

/** The esprit gateway `vpnc`. */
export function amXauthGatewayConf(o: AmXauthGatewayOptions = {}): string {
  return `connections {
  vpnc {
    version = 1
    aggressive = yes
    local_addrs = 10.99.2.2
    proposals = aes128-sha1-modp1024
    ${o.pools === false ? '' : 'pools = pool4'}
    ${o.extra ?? ''}
    local {
      auth = psk
      id = gw.lab
    }
    remote {
      auth = psk
      id = keyid:labgroup
    }
    remote-xauth {
      auth = xauth
      xauth_id = labuser
    }
    children {
      net {
        local_ts = 10.99.3.0/24, 192.168.7.0/25
        esp_proposals = aes128-sha1
      }
    }
  }
}
pools {
  pool4 {
    addrs = ${o.pool ?? '10.99.100.0/24'}
    ${o.dns ? `dns = ${o.dns}` : ''}
  }
}
secrets {
  ike-vpnc {
    id = keyid:labgroup
    secret = "labgroup-secret"
  }
  xauth-labuser {
    id = labuser
    secret = "labuser-password"
  }
}
`;
}
