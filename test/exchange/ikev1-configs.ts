/**
 * An IKEv1 client/gateway pair of configurations for the two-engine exchange tests: Main Mode
 * PSK from 10.99.1.2 (behind the pair's NAT) to 10.99.2.2, one child `net` 10.99.4.0/24 <->
 * 10.99.3.0/24 (aes128-sha256 unless `esp` says otherwise). `ike` and `child` add lines to the
 * connection and to the child.
 */
import type { EspritConfig } from '../../src/config/swanctl/swanctl-model.js';
import { configFromText } from './test-config.js';

export interface V1ConfOpts {
  /** connection name */
  name: string;
  ike?: string;
  child?: string;
  esp?: string;
}

export function v1Conf(side: 'i' | 'r', o: V1ConfOpts): EspritConfig {
  return configFromText(`connections {
  ${o.name} {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = aes128-sha1-modp2048
    ${o.ike ?? ''}
    local {
      auth = psk
      id = ${side === 'i' ? 'client.esprit.test' : 'gw.esprit.test'}
    }
    remote {
      auth = psk
      id = ${side === 'i' ? 'gw.esprit.test' : 'client.esprit.test'}
    }
    children {
      net {
        local_ts = ${side === 'i' ? '10.99.4.0/24' : '10.99.3.0/24'}
        remote_ts = ${side === 'i' ? '10.99.3.0/24' : '10.99.4.0/24'}
        esp_proposals = ${o.esp ?? 'aes128-sha256'}
        ${o.child ?? ''}
      }
    }
  }
}
secrets {
  ike-${o.name} {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "${o.name}-secret"
  }
}
`);
}
