/**
 * Shrew Soft VPN client site files (`.vpn`, written by libike's file_vpn_save): one value a
 * line, `s:key:text`, `n:key:number` or `b:key:base64`; a string key holding a list separates
 * its items with commas. Keys and meanings as libike's client.cpp reads them.
 */
import { GROUP_NAME, type ImportedProfile, type NattChoice } from './profile.js';
import type { ImportResult } from './vpnc-conf.js';

interface ShrewValues {
  s: Map<string, string>;
  n: Map<string, number>;
  b: Map<string, Uint8Array>;
}

function parse(text: string, errors: string[]): ShrewValues {
  const v: ShrewValues = { s: new Map(), n: new Map(), b: new Map() };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^ +/, '');
    if (line === '') return;
    const m = /^([snb]):([^:]+):(.*)$/.exec(line);
    if (!m) {
      errors.push(`line ${i + 1}: not 's:key:value', 'n:key:value' or 'b:key:value'`);
      return;
    }
    const [, type, key = '', value = ''] = m;
    if (type === 's') v.s.set(key, value);
    else if (type === 'n') v.n.set(key, Number.parseInt(value, 10) || 0);
    else v.b.set(key, new Uint8Array(Buffer.from(value, 'base64')));
  });
  return v;
}

const IDENT_PREFIX: Record<string, string> = { keyid: 'keyid:', fqdn: '', ufqdn: '', address: '', asn1dn: '' };

export function importShrew(text: string, name: string): ImportResult {
  const errors: string[] = [];
  const notes: string[] = [];
  const v = parse(text, errors);
  const s = (k: string): string | undefined => v.s.get(k);
  const n = (k: string): number | undefined => v.n.get(k);
  const host = s('network-host');
  if (!host) errors.push("no 's:network-host'");
  const auth = s('auth-method') ?? 'mutual-psk-xauth';
  const AUTH: Record<string, { auth: 'psk' | 'pubkey'; xauth: boolean }> = {
    'mutual-psk': { auth: 'psk', xauth: false },
    'mutual-psk-xauth': { auth: 'psk', xauth: true },
    'mutual-rsa': { auth: 'pubkey', xauth: false },
    'mutual-rsa-xauth': { auth: 'pubkey', xauth: true },
  };
  const a = AUTH[auth];
  if (!a) {
    notes.push(`auth-method ${auth} (hybrid authentication is not implemented): imported as mutual-psk-xauth`);
  }
  const method = a ?? { auth: 'psk' as const, xauth: true };
  const ident = (type: string | undefined, data: string | undefined): string | undefined => {
    if (!type || type === 'none' || type === 'any' || !data) return undefined;
    const prefix = IDENT_PREFIX[type];
    if (prefix === undefined) {
      notes.push(`identity type ${type}`);
      return undefined;
    }
    return type === 'asn1dn' ? `"${data}"` : `${prefix}${data}`;
  };
  const localId = ident(s('ident-client-type'), s('ident-client-data'));
  const remoteId = ident(s('ident-server-type'), s('ident-server-data'));
  const exchange = s('phase1-exchange') ?? 'main';
  if (exchange !== 'main' && exchange !== 'aggressive')
    errors.push(`phase1-exchange ${exchange} is not main or aggressive`);
  // Phase 1: "auto" lets the client offer its defaults (AES 256/192/128, Blowfish, 3DES; MD5/SHA1).
  const cipher = (c: string | undefined, keylen: number | undefined, where: string): string[] => {
    if (!c || c === 'auto') return ['aes256', 'aes192', 'aes128', '3des'];
    if (c === 'aes' || c === 'esp-aes') return [`aes${keylen && keylen > 0 ? keylen : 256}`];
    if (c === '3des' || c === 'esp-3des') return ['3des'];
    notes.push(`${where} ${c} (not offered by esprit): AES and 3DES offered instead`);
    return ['aes256', 'aes128', '3des'];
  };
  const hash = (h: string | undefined): string[] => {
    if (!h || h === 'auto') return ['sha1', 'md5'];
    const H: Record<string, string> = {
      md5: 'md5',
      sha1: 'sha1',
      'sha2-256': 'sha256',
      'sha2-384': 'sha384',
      'sha2-512': 'sha512',
    };
    return [H[h] ?? 'sha1'];
  };
  const group = n('phase1-dhgroup') ?? 2;
  const g1 = GROUP_NAME[group];
  if (!g1) errors.push(`phase1-dhgroup ${group} is not a MODP group 1, 2, 5, 14-18`);
  const ike = [
    ...cipher(s('phase1-cipher'), n('phase1-keylen'), 'phase1-cipher'),
    ...hash(s('phase1-hash')),
    g1 ?? 'modp1024',
  ];
  const esp = [...cipher(s('phase2-transform'), n('phase2-keylen'), 'phase2-transform'), ...hash(s('phase2-hmac'))];
  const pfs = n('phase2-pfsgroup');
  // client.cpp: a pfsgroup of 0 (or absent) is no PFS; -1 is "auto" in the GUI
  if (pfs !== undefined && pfs > 0) {
    const g = GROUP_NAME[pfs];
    if (g) esp.push(g);
    else errors.push(`phase2-pfsgroup ${pfs} is not a MODP group`);
  } else if (pfs === -1) {
    notes.push('phase2-pfsgroup auto: esprit offers no PFS group');
  }
  const mode = s('network-natt-mode') ?? 'disable';
  const NATT: Record<string, NattChoice> = {
    disable: 'none',
    enable: 'auto',
    force: 'force-rfc',
    'force-rfc': 'force-rfc',
    'force-draft': 'force-draft',
    'force-cisco-udp': 'cisco-udp',
  };
  const natt = NATT[mode];
  if (!natt)
    errors.push(`network-natt-mode ${mode} is not disable, enable, force, force-draft, force-rfc or force-cisco-udp`);
  if (mode === 'enable')
    notes.push(
      'network-natt-mode enable also asks the gateway for Cisco UDP as a fallback; esprit uses IKE NAT-T only',
    );
  const nattPort = n('network-natt-port');
  if (natt !== 'cisco-udp' && nattPort !== undefined && nattPort !== 4500)
    notes.push(`network-natt-port ${nattPort} (esprit floats to 4500)`);
  // force-cisco-udp: Shrew sends ESP from its NAT-T socket (4500) to the port the gateway
  // answers in Mode Config (28677); network-natt-port (default 10000) is only its fallback.
  if (natt === 'cisco-udp')
    notes.push(`network-natt-port ${nattPort ?? 10000}: the gateway's port comes from Mode Config (attribute 28677)`);
  const rate = n('network-natt-rate');
  if (rate !== undefined && rate !== 20)
    notes.push(`network-natt-rate ${rate} (set esprit { keepalive_interval = ${rate}s } for the host)`);
  const frag = s('network-frag-mode');
  if (frag && frag !== 'disable') notes.push(`network-frag-mode ${frag} (IKEv1 fragmentation is not implemented yet)`);
  const ikePort = n('network-ike-port');
  const psk = v.b.get('auth-mutual-psk');
  if (method.auth === 'psk' && !psk) errors.push("no 'b:auth-mutual-psk' for a PSK method");
  if (method.auth === 'pubkey') notes.push('certificates (auth-*-cert-*): install them in x509/, x509ca/ and private/');
  const autoMode = s('client-auto-mode') ?? 'pull';
  if (autoMode === 'push') notes.push('client-auto-mode push (esprit pulls Mode Config)');
  if (autoMode === 'dhcp') notes.push('client-auto-mode dhcp (DHCP over IPsec is not implemented)');
  let remoteTs = ['0.0.0.0/0'];
  const include = s('policy-list-include');
  if ((n('policy-list-auto') ?? 1) === 0 && include) {
    remoteTs = include.split(',').map((item) => {
      const [addr = '', mask = '255.255.255.255'] = item.split('/').map((x) => x.trim());
      const len = mask.split('.').reduce((acc, o) => acc + ((Number(o) >>> 0).toString(2).match(/1/g)?.length ?? 0), 0);
      return `${addr}/${len}`;
    });
  }
  if (s('policy-list-exclude')) notes.push('policy-list-exclude (split exclude from the profile)');
  if (s('client-saved-username')) notes.push('client-saved-username: the XAUTH user name is set as xauth_id');
  if (errors.length > 0 || !host || !natt) return { errors };
  const profile: ImportedProfile = {
    name,
    gateway: host,
    ...(ikePort !== undefined ? { remotePort: ikePort } : {}),
    aggressive: exchange === 'aggressive',
    ...(localId ? { localId } : {}),
    ...(remoteId ? { remoteId } : {}),
    auth: method.auth,
    ...(psk ? { psk: Buffer.from(psk).toString('latin1') } : {}),
    ...(method.xauth
      ? { xauth: s('client-saved-username') ? { user: s('client-saved-username') as string } : {} }
      : {}),
    ikeProposals: ike.join('-'),
    espProposals: esp.join('-'),
    ...(n('phase1-life-secs') ? { ikeLifetime: n('phase1-life-secs') as number } : {}),
    ...(n('phase2-life-secs') ? { espLifetime: n('phase2-life-secs') as number } : {}),
    natt,
    ...(natt === 'cisco-udp' ? { ciscoUdpPort: 4500 } : {}),
    ...((n('network-dpd-enable') ?? 0) === 1 ? { dpdDelay: 15 } : {}),
    modeConfig: autoMode !== 'disabled',
    remoteTs,
    notes,
  };
  return { profile, errors: [] };
}
