/**
 * The swanctl.conf text of the IKE benchmark's initiator, shared by the load generator
 * (loadgen.ts, which drives the responders) and the in-process memory measurement (run.ts).
 */
export const BENCH_PROPOSALS = 'aes128gcm16-prfsha256-x25519';
export const BENCH_PSK = 'esprit bench psk';

/** Initiator config: PSK as load.esprit.test towards gw.esprit.test, one CHILD SA. */
export function benchClientConf(remote: string, proposals = BENCH_PROPOSALS): string {
  return `
connections {
  bench {
    remote_addrs = ${remote}
    proposals = ${proposals}
    local {
      auth = psk
      id = load.esprit.test
    }
    remote {
      auth = psk
      id = gw.esprit.test
    }
    children {
      net {
        # an inner address that is not the generator's own (strongSwan refuses a route to
        # its IKE peer: "conflicts with IKE traffic")
        local_ts = 10.99.5.1/32
        remote_ts = 10.99.3.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
}
secrets {
  ike {
    id = gw.esprit.test
    secret = "${BENCH_PSK}"
  }
}
`;
}
