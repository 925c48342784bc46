/**
 * The IKEv1 connection the netns scenarios share (swanctl.conf syntax, read by esprit and by
 * strongSwan alike): connection `v1`, Main Mode PSK between the lab client (10.99.1.2, behind
 * the NAT) and the gateway (10.99.2.2), one child `net` from the client's LAN address
 * 10.99.4.1/32 to the gateway's LAN 10.99.3.0/24. `ike` and `child` add lines to the
 * connection and to the child (lifetimes, natt_mode, dpd_delay); `proposals` and `esp`
 * replace the default phase 1 and phase 2 proposals.
 */
export function ikev1Conf(
  side: 'client' | 'gw',
  o: { psk: string; ike?: string; child?: string; proposals?: string; esp?: string },
): string {
  return `connections {
  v1 {
    version = 1
    ${o.ike ?? ''}
    ${side === 'client' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = ${o.proposals ?? 'aes128-sha256-modp2048'}
    local {
      auth = psk
      id = ${side === 'client' ? 'client-v1.lab' : 'gw.lab'}
    }
    remote {
      auth = psk
      id = ${side === 'client' ? 'gw.lab' : 'client-v1.lab'}
    }
    children {
      net {
        local_ts = ${side === 'client' ? '10.99.4.1/32' : '10.99.3.0/24'}
        remote_ts = ${side === 'client' ? '10.99.3.0/24' : '10.99.4.1/32'}
        esp_proposals = ${o.esp ?? 'aes128-sha1'}
        ${o.child ?? ''}
      }
    }
  }
}
secrets {
  ike-v1 {
    id-a = gw.lab
    id-b = client-v1.lab
    secret = "${o.psk}"
  }
}
`;
}
