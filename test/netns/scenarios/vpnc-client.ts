/**
 * vpnc 0.5.3 (Debian's) as a client of an esprit gateway in the lab (issue 9): the gateway's
 * swanctl.conf, vpnc's configuration, a vpnc-script that logs what vpnc hands it, and the
 * process started in the client namespace. Shared by ikev1-vpnc*.test.ts.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../harness.js';
import { pollFor } from './esprit-node.js';

export const GW = `connections {
  vpnc {
    version = 1
    aggressive = yes
    local_addrs = 10.99.2.2
    proposals = aes128-sha256-modp2048, aes128-sha1-modp2048, aes256-sha1-modp1024, aes128-sha1-modp1024, 3des-sha1-modp1024, 3des-md5-modp1024
    pools = pool4
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
      vpnc-net {
        local_ts = 10.99.3.0/24
        esp_proposals = aes256-sha1, aes128-sha1, 3des-sha1, 3des-md5, aes256-md5, aes128-md5
      }
    }
  }
}
pools {
  pool4 {
    addrs = 10.99.100.0/24
    dns = 10.99.3.53
    28672 = "esprit lab gateway"
    28673 = 1
    28674 = lab.example
    28675 = "corp.example,lab.example"
    split_exclude = 10.99.50.0/24
    28679 = 0
  }
}
secrets {
  ike-vpnc {
    id-group = keyid:labgroup
    secret = "labgroup-secret"
  }
  xauth-labuser {
    id = labuser
    secret = "labuser-password"
  }
}
`;

// vpnc's configuration as in ../shared/lab/vpnc/lab.conf
export const vpncConf = (password: string, secret = 'labgroup-secret') => `IPSec gateway 10.99.2.2
IPSec ID labgroup
IPSec secret ${secret}
Xauth username labuser
Xauth password ${password}
IKE DH Group dh2
Perfect Forward Secrecy server
Interface name vpnc0
Interface mode tun
Local Port 500
DPD idle timeout (our side) 0
No Detach
`;

// A vpnc-script that only sets up the TUN and the split-include routes in the client
// namespace and logs what vpnc hands it (the lab's vpnc-script-lab, reduced).
export const SCRIPT = `#!/bin/sh
{ echo "reason=$reason"; env | grep -E '^(CISCO_|INTERNAL_IP|TUNDEV)' | sort; echo "end=$reason"; } >>"$VPNC_TEST_LOG"
if [ "$reason" = connect ]; then
  sysctl -qw "net.ipv6.conf.$TUNDEV.disable_ipv6=1" 2>/dev/null || true
  ip link set dev "$TUNDEV" up mtu 1400
  ip addr add "$INTERNAL_IP4_ADDRESS/32" dev "$TUNDEV"
  i=0
  while [ "$i" -lt "\${CISCO_SPLIT_INC:-0}" ]; do
    eval a=\\\${CISCO_SPLIT_INC_\${i}_ADDR} m=\\\${CISCO_SPLIT_INC_\${i}_MASKLEN}
    ip route replace "$a/$m" dev "$TUNDEV" src "$INTERNAL_IP4_ADDRESS"
    i=$((i + 1))
  done
fi
exit 0
`;

/** vpnc in the client namespace with `--natt-mode MODE`; `log` is the vpnc-script's log. */
export async function startVpnc(l: Lab, dir: string, mode: string, password: string, secret?: string) {
  const conf = join(dir, `vpnc-${mode}.conf`);
  writeFileSync(conf, vpncConf(password, secret));
  const script = join(dir, 'vpnc-script');
  writeFileSync(script, SCRIPT);
  chmodSync(script, 0o755);
  const log = join(dir, `vpnc-script-${mode}.log`);
  writeFileSync(log, '');
  const proc = l.spawn('client', [
    'env',
    `VPNC_TEST_LOG=${log}`,
    'vpnc',
    '--no-detach',
    '--debug',
    '1',
    '--natt-mode',
    mode,
    '--script',
    script,
    '--pid-file',
    join(dir, `vpnc-${mode}.pid`),
    conf,
  ]);
  return { proc, log };
}

/** true once the vpnc-script logged a finished `connect`, undefined after `ms`. */
export function vpncConnected(log: string, ms = 30_000): Promise<true | undefined> {
  return pollFor(
    async () => (existsSync(log) && readFileSync(log, 'utf8').includes('end=connect') ? true : undefined),
    ms,
  );
}

/** vpnc's exit (code and signal) within `ms`, or undefined while it still runs. */
export function vpncFailed(
  proc: { exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> },
  ms = 30_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
  return Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
}
