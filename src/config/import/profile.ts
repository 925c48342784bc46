/**
 * The connection a vpnc or Shrew Soft profile describes, in the terms esprit's swanctl.conf
 * uses (an IKEv1 road warrior: Aggressive or Main Mode, PSK or certificates, XAUTH, Mode
 * Config, a NAT-T mode), and its rendering as swanctl.conf text. What a profile says that
 * esprit has no counterpart for goes into `notes`, printed as comments at the top.
 */

export type NattChoice =
  /** RFC 3947 and the drafts, NAT detected or not (vpnc natt, Shrew enable) */
  | 'auto'
  /** no NAT-T, raw ESP (vpnc none, Shrew disable) */
  | 'none'
  /**
   * encapsulate even without a NAT (vpnc force-natt: every variant; Shrew force-rfc: RFC 3947,
   * draft-03 and draft-02\n; Shrew force-draft: draft-01 and -00, protocol-facts §1.6)
   */
  | 'force-rfc'
  | 'force-draft'
  | 'force-any'
  /** Cisco's IPsec over UDP (Mode Config attribute 28677), ESP from our UDP port `ciscoUdpPort` */
  | 'cisco-udp';

export interface ImportedProfile {
  name: string;
  gateway: string;
  remotePort?: number;
  localPort?: number;
  aggressive: boolean;
  /** swanctl identity text (`keyid:group`, `user@fqdn`, `10.0.0.1`, a DN) */
  localId?: string;
  remoteId?: string;
  auth: 'psk' | 'pubkey';
  psk?: string;
  xauth?: { user?: string; password?: string };
  ikeProposals: string;
  espProposals: string;
  ikeLifetime?: number;
  espLifetime?: number;
  natt: NattChoice;
  ciscoUdpPort?: number;
  dpdDelay?: number;
  /** ask for a virtual IP and DNS (Mode Config) */
  modeConfig: boolean;
  remoteTs: string[];
  notes: string[];
}

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** swanctl.conf text for the profile (a connection and its secrets). */
export function renderSwanctl(p: ImportedProfile, source: string): string {
  const out: string[] = [`# esprit connection imported from ${source}`];
  for (const n of p.notes) out.push(`# not translated: ${n}`);
  const conn: string[] = ['version = 1', `aggressive = ${p.aggressive ? 'yes' : 'no'}`, `remote_addrs = ${p.gateway}`];
  if (p.remotePort !== undefined && p.remotePort !== 500) conn.push(`remote_port = ${p.remotePort}`);
  if (p.localPort !== undefined && p.localPort !== 500) conn.push(`local_port = ${p.localPort}`);
  conn.push(`proposals = ${p.ikeProposals}`);
  if (p.ikeLifetime) conn.push(`rekey_time = ${p.ikeLifetime}s`);
  if (p.modeConfig) conn.push('vips = 0.0.0.0');
  switch (p.natt) {
    case 'auto':
      break;
    case 'none':
      conn.push('natt_mode = none');
      break;
    case 'force-rfc':
      conn.push('natt_mode = rfc, draft-03, draft-02n', 'encap = yes');
      break;
    case 'force-draft':
      conn.push('natt_mode = draft-01, draft-00', 'encap = yes');
      break;
    case 'force-any':
      conn.push('encap = yes');
      break;
    case 'cisco-udp':
      conn.push('natt_mode = none', `cisco_udp_port = ${p.ciscoUdpPort ?? 10000}`);
      break;
  }
  if (p.dpdDelay) conn.push(`dpd_delay = ${p.dpdDelay}s`);
  const local = [`auth = ${p.auth}`];
  if (p.localId) local.push(`id = ${p.localId}`);
  const remote = [`auth = ${p.auth}`];
  if (p.remoteId) remote.push(`id = ${p.remoteId}`);
  const child = [`remote_ts = ${p.remoteTs.join(', ')}`, `esp_proposals = ${p.espProposals}`];
  if (p.espLifetime) child.push(`rekey_time = ${p.espLifetime}s`);
  const block = (name: string, lines: string[], indent: string): string[] => [
    `${indent}${name} {`,
    ...lines.map((l) => `${indent}  ${l}`),
    `${indent}}`,
  ];
  out.push('connections {', `  ${p.name} {`, ...conn.map((l) => `    ${l}`));
  out.push(...block('local', local, '    '));
  if (p.xauth)
    out.push(
      ...block('local-xauth', ['auth = xauth', ...(p.xauth.user ? [`xauth_id = ${p.xauth.user}`] : [])], '    '),
    );
  out.push(...block('remote', remote, '    '));
  out.push('    children {', ...block(p.name, child, '      '), '    }', '  }', '}');
  const secrets: string[] = [];
  if (p.psk !== undefined) {
    secrets.push(
      ...block(`ike-${p.name}`, [...(p.localId ? [`id = ${p.localId}`] : []), `secret = ${quote(p.psk)}`], '  '),
    );
  }
  if (p.xauth?.password !== undefined) {
    secrets.push(
      ...block(
        `xauth-${p.name}`,
        [...(p.xauth.user ? [`id = ${p.xauth.user}`] : []), `secret = ${quote(p.xauth.password)}`],
        '  ',
      ),
    );
  }
  if (secrets.length > 0) out.push('secrets {', ...secrets, '}');
  return `${out.join('\n')}\n`;
}

/** strongSwan's MODP names for the IKE/Oakley group numbers these clients use. */
export const GROUP_NAME: Readonly<Record<number, string>> = {
  1: 'modp768',
  2: 'modp1024',
  5: 'modp1536',
  14: 'modp2048',
  15: 'modp3072',
  16: 'modp4096',
  17: 'modp6144',
  18: 'modp8192',
};

/** A connection name from a file name: `Office VPN.pcf` -> `office-vpn`. */
export function connectionName(file: string): string {
  const base = file.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  const n = base
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return n.length > 0 ? n : 'imported';
}
