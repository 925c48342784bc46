/** swanctl.conf texts of the IKEv2 system tests (lab addresses, test/netns/harness.ts). */
import { LAB } from '../harness.js';

export const GW_CONF = `
connections {
  rw {
    local_addrs = ${LAB.gw.v4}
    pools = rw4
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
`;

export function clientConf(o: { encap?: boolean; vips?: boolean } = {}): string {
  return `
connections {
  home {
    remote_addrs = ${LAB.gw.v4}
    ${o.vips === false ? '' : 'vips = 0.0.0.0'}
    ${o.encap ? 'encap = yes' : ''}
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
        remote_ts = 10.99.3.0/24
      }
    }
  }
}
secrets {
  ike-gw {
    id = gw.esprit.test
    secret = "esprit lab psk"
  }
}
`;
}
