/**
 * The soak's swanctl.conf texts and addresses (bench/README.md "Soak").
 *
 * Client k (0-based) is one `esprit start` in the lab's client or client2 namespace (they
 * alternate), with an outer address of its own on eth0 (10.99.1.20+k, masqueraded by the
 * lab NAT like every other client), its own TUN soak<k+1> and listeners on that address, so
 * several esprit hosts share one namespace without sharing a port or a route. Each client
 * pings its own address on the gateway (10.99.3.10+k on the gw's lo) from its virtual IP:
 * it asks for that /32 as remote_ts and the gateway narrows its 10.99.3.0/24 to it
 * (RFC 7296 §2.9), so every client's route into its own TUN is distinct.
 */
import { LAB, type Role } from '../../test/netns/harness.js';

export const SOAK_PSK = 'esprit soak psk';
/** the gateway's pool; 10.99.100.0/24 gives 253 leases (network and broadcast skipped) */
export const SOAK_POOL = '10.99.100.0/24';
/** at most this many clients: outer 10.99.1.20+k and targets 10.99.3.10+k stay in their /24 */
export const SOAK_MAX_CLIENTS = 200;

export interface SoakTiming {
  /** CHILD SA rekey_time, s */
  readonly childRekey: number;
  /** CHILD SA rand_time, s (the rekey happens between rekey - rand and rekey) */
  readonly childRand: number;
  /** IKE SA rekey_time, s */
  readonly ikeRekey: number;
  /** IKE SA rand_time, s */
  readonly ikeRand: number;
}

/** Rekeys every few seconds, randomised (swanctl.conf rand_time) so the clients drift apart. */
export const SOAK_TIMING: SoakTiming = { childRekey: 6, childRand: 2, ikeRekey: 15, ikeRand: 5 };

export interface SoakClient {
  readonly index: number;
  /** conn name, TUN name and identity prefix: soak1, soak2, ... */
  readonly name: string;
  readonly role: Role;
  /** the client's own outer address in its namespace */
  readonly outer: string;
  /** the address on the gateway's lo this client pings through its tunnel */
  readonly target: string;
}

export function soakClient(k: number, clients: number): SoakClient {
  if (k < 0 || k >= SOAK_MAX_CLIENTS) throw new RangeError(`soak client ${k}: 0..${SOAK_MAX_CLIENTS - 1}`);
  return {
    index: k,
    name: `soak${k + 1}`,
    role: clients > 1 && k % 2 === 1 ? 'client2' : 'client',
    outer: `10.99.1.${20 + k}`,
    target: `10.99.3.${10 + k}`,
  };
}

/** The gateway: PSK, any client identity, virtual IPs from SOAK_POOL; it never starts a rekey itself. */
export function soakGwConf(): string {
  return `
connections {
  rw {
    local_addrs = ${LAB.gw.v4}
    pools = soak4
    local {
      auth = psk
      id = gw.esprit.test
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 10.99.3.0/24
      }
    }
  }
}
pools {
  soak4 {
    addrs = ${SOAK_POOL}
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "${SOAK_PSK}"
  }
}
`;
}

/**
 * Client k: rekeys its CHILD SA and its IKE SA on the timing given; life_time / over_time
 * leave room for a rekey to finish (hard expiry well after the latest rekey point).
 */
export function soakClientConf(c: SoakClient, t: SoakTiming = SOAK_TIMING): string {
  return `
connections {
  ${c.name} {
    local_addrs = ${c.outer}
    remote_addrs = ${LAB.gw.v4}
    vips = 0.0.0.0
    rekey_time = ${t.ikeRekey}s
    rand_time = ${t.ikeRand}s
    over_time = ${t.ikeRekey * 2}s
    local {
      auth = psk
      id = ${c.name}.esprit.test
    }
    remote {
      auth = psk
      id = gw.esprit.test
    }
    children {
      net {
        remote_ts = ${c.target}/32
        rekey_time = ${t.childRekey}s
        rand_time = ${t.childRand}s
        life_time = ${t.childRekey * 3}s
      }
    }
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "${SOAK_PSK}"
  }
}
esprit {
  tun {
    name = ${c.name}
  }
  listen = ${c.outer}:500, ${c.outer}:4500
}
`;
}
