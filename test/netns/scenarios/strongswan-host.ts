/**
 * strongSwan 5.9.8 (charon with kernel-libipsec: userland ESP on the TUN ipsec0, as esprit)
 * as the other end of the IKEv2 system tests: one charon per lab namespace, started with
 * bench/tunnel/strongswan.ts's CharonInstance from a generated strongswan.conf and the
 * swanctl.conf text a test gives.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CharonInstance, type CharonRole } from '../../../bench/tunnel/strongswan.js';
import { type ExecResult, type Lab, run } from '../harness.js';

const strongswanConf = (
  ikeLevel: number,
  extraPlugins: readonly string[],
  settings: readonly string[],
): string => `charon {
  load_modular = no${settings.map((x) => `\n  ${x}`).join('')}
  # kernel-libipsec before kernel-netlink: the first IPsec backend registered wins
  load = random nonce openssl aes sha1 sha2 md5 hmac gcm pem pkcs1 pkcs8 x509 pubkey curve25519 gmp kdf kernel-libipsec kernel-netlink socket-default vici attr${extraPlugins.map((x) => ` ${x}`).join('')}
  port = 500
  port_nat_t = 4500
  # route negotiated remote subnets into ipsec0 (table 220) and put virtual IPs on it
  install_routes = yes
  install_virtual_ip = yes
  filelog {
    charon {
      path = /run/charon.log
      time_format = %H:%M:%S
      flush_line = yes
      append = no
      default = 1
      ike = ${ikeLevel}
      enc = 1
      cfg = 2
      knl = 1
      chd = ${ikeLevel >= 4 ? 4 : 1}
    }
  }
  plugins {
    vici {
      socket = unix:///run/charon.vici
    }
  }
}
swanctl {
  socket = unix:///run/charon.vici
}
`;

export class StrongSwanHost {
  private constructor(
    readonly charon: CharonInstance,
    readonly swanctlConf: string,
  ) {}

  /**
   * Start charon in `role` (client or gw) and load `swanctl` (swanctl.conf text);
   * `extraPlugins` are loaded after the default list (e.g. eap-identity eap-mschapv2 gcrypt);
   * `settings` are more `key = value` lines of the charon section.
   */
  static async start(
    lab: Lab,
    role: CharonRole,
    swanctl: string,
    files: Record<string, string | Uint8Array> = {},
    ikeLevel = 2,
    extraPlugins: readonly string[] = [],
    settings: readonly string[] = [],
  ): Promise<StrongSwanHost> {
    const dir = mkdtempSync(join(lab.tmp, `sswan-${role}-`));
    mkdirSync(join(dir, role));
    writeFileSync(join(dir, role, 'strongswan.conf'), strongswanConf(ikeLevel, extraPlugins, settings));
    const conf = join(dir, role, 'swanctl.conf');
    writeFileSync(conf, swanctl);
    for (const [name, data] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, role, name)), { recursive: true });
      writeFileSync(join(dir, role, name), data);
    }
    const charon = await CharonInstance.start(lab, role, dir);
    const h = new StrongSwanHost(charon, conf);
    // SWANCTL_DIR: x509/, x509ca/, private/ are looked up beside this swanctl.conf
    const r = await run(
      [
        'env',
        `STRONGSWAN_CONF=${charon.conf}`,
        `SWANCTL_DIR=${join(dir, role)}`,
        'swanctl',
        '--load-all',
        '--file',
        conf,
        '--uri',
        charon.uri,
      ],
      { allowFail: true },
    );
    if (r.code !== 0) throw new Error(`swanctl --load-all: ${r.stderr}${r.stdout}`);
    return h;
  }

  /** `swanctl --initiate --child CHILD` (waits for the result, like `esprit up`). */
  initiate(child: string, ike?: string): Promise<ExecResult> {
    return this.charon
      .swanctl('--initiate', ['--child', child, ...(ike ? ['--ike', ike] : []), '--timeout', '30'], 40_000)
      .catch((e: unknown) => ({ code: 1, stdout: '', stderr: String(e) }));
  }

  async listSas(): Promise<string> {
    return (await this.charon.swanctl('--list-sas')).stdout;
  }

  /**
   * A secret charon logged at `ike = 4` (keymat_v2.c, DBG4 "Sk_ei secret %B"): the hex dump
   * lines after "NAME secret =>", as lower-case hex; undefined when not logged.
   */
  loggedSecret(name: string): string | undefined {
    const lines = this.charon.logTail(100_000).split('\n');
    const at = lines.findIndex((l) => l.includes(`${name} secret =>`));
    if (at < 0) return undefined;
    let out = '';
    for (const l of lines.slice(at + 1)) {
      const m = /\[IKE\]\s+\d+: ((?:[0-9A-F]{2} )+)/.exec(l);
      if (!m) break;
      out += (m[1] ?? '').replace(/ /g, '').toLowerCase();
    }
    return out;
  }

  /**
   * A chunk charon logged with `%B` at level 4 (keymat_v1.c "SKEYID %B", "encryption key Ka %B",
   * iv_manager.c "initial IV %B", "encryption initiator key %B" under [CHD]): the hex dump
   * lines after "LABEL =>", as lower-case hex; undefined when not logged.
   */
  loggedChunk(label: string): string | undefined {
    const lines = this.charon.logTail(100_000).split('\n');
    const at = lines.findIndex((l) => l.includes(`] ${label} =>`));
    if (at < 0) return undefined;
    let out = '';
    for (const l of lines.slice(at + 1)) {
      const m = /\[(?:IKE|CHD)\]\s+\d+: ((?:[0-9A-F]{2} )+)/.exec(l);
      if (!m) break;
      out += (m[1] ?? '').replace(/ /g, '').toLowerCase();
    }
    return out;
  }

  log(lines = 60): string {
    return this.charon.logTail(lines);
  }

  stop(): Promise<void> {
    return this.charon.stop();
  }

  /** SIGKILL charon: it vanishes without a Delete (for DPD). */
  kill(): Promise<void> {
    return this.charon.kill();
  }
}
