/**
 * vpnc 0.5.3 configuration files (`vpnc --long-help` lists the variables: a line is the
 * variable's name, a space, and the value; `#` starts a comment), translated to an esprit
 * connection. vpnc always authenticates with Aggressive Mode, a group PSK under a KEY_ID
 * identity (`IPSec ID`), then XAUTH, then pulls Mode Config; it proposes AES-256/192/128 and
 * 3DES with SHA-1 and MD5 in phase 1 and 2 (vpnc's `supp_crypt`/`supp_hash` tables), in the
 * configured DH group.
 */
import { ciscoDeobfuscate } from '../../crypto/cisco-obfuscation.js';
import { GROUP_NAME, type ImportedProfile, type NattChoice } from './profile.js';

/** The variables vpnc knows, longest first so that `IPSec obfuscated secret` wins over `IPSec secret`. */
const VARIABLES = [
  'IPSec gateway',
  'IPSec ID',
  'IPSec secret',
  'IPSec obfuscated secret',
  'Xauth username',
  'Xauth password',
  'Xauth obfuscated password',
  'Domain',
  'Xauth interactive',
  'Vendor',
  'NAT Traversal Mode',
  'Script',
  'IKE DH Group',
  'Perfect Forward Secrecy',
  'Enable Single DES',
  'Enable weak encryption',
  'Enable no encryption',
  'Enable weak authentication',
  'Application version',
  'Interface name',
  'Interface mode',
  'Interface MTU',
  'Debug',
  'No Detach',
  'Pidfile',
  'Local Addr',
  'Local Port',
  'Cisco UDP Encapsulation Port',
  'DPD idle timeout (our side)',
  'Noninteractive',
  'IKE Authmode',
  'CA-File',
  'CA-Dir',
  'IPSEC target network',
  'Password helper',
].sort((a, b) => b.length - a.length);

/** Settings of the vpnc process itself that a connection does not carry. */
const LOCAL_ONLY = new Set([
  'Script',
  'Interface name',
  'Interface mode',
  'Interface MTU',
  'Debug',
  'No Detach',
  'Pidfile',
  'Noninteractive',
  'Xauth interactive',
  'Password helper',
  'Application version',
]);

export interface ImportResult {
  profile?: ImportedProfile;
  errors: string[];
}

const DH = /^dh(1|2|5|14|15|16|17|18)$/;

export function importVpnc(text: string, name: string): ImportResult {
  const values = new Map<string, string>();
  const errors: string[] = [];
  const notes: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const v = VARIABLES.find((k) => line === k || line.startsWith(`${k} `));
    if (!v) {
      errors.push(`line ${i + 1}: unknown vpnc setting '${line.slice(0, 40)}'`);
      return;
    }
    values.set(v, line.slice(v.length).trim());
  });
  const get = (k: string): string | undefined => values.get(k);
  const gateway = get('IPSec gateway');
  if (!gateway) errors.push("no 'IPSec gateway'");
  let psk = get('IPSec secret');
  const obf = get('IPSec obfuscated secret');
  if (obf !== undefined) {
    const r = ciscoDeobfuscate(obf);
    if (r.ok) psk = r.text;
    else errors.push(`'IPSec obfuscated secret': ${r.reason}`);
  }
  let password = get('Xauth password');
  const obfPw = get('Xauth obfuscated password');
  if (obfPw !== undefined) {
    const r = ciscoDeobfuscate(obfPw);
    if (r.ok) password = r.text;
    else errors.push(`'Xauth obfuscated password': ${r.reason}`);
  }
  const group = get('IPSec ID');
  const authMode = get('IKE Authmode') ?? 'psk';
  if (authMode === 'hybrid') notes.push('IKE Authmode hybrid (hybrid authentication is not implemented)');
  if (authMode === 'cert') notes.push('IKE Authmode cert: install the certificates in x509/, x509ca/ and private/');
  const dhText = get('IKE DH Group') ?? 'dh2';
  const dh = DH.exec(dhText);
  if (!dh) errors.push(`'IKE DH Group ${dhText}' is not one of dh1/dh2/dh5/dh14..dh18`);
  const groupName = GROUP_NAME[Number(dh?.[1] ?? 2)] ?? 'modp1024';
  const ciphers = ['aes256', 'aes192', 'aes128', '3des'];
  if (values.has('Enable Single DES')) notes.push('Enable Single DES (esprit does not offer single DES)');
  if (values.has('Enable no encryption'))
    notes.push('Enable no encryption (esprit never offers ESP without encryption)');
  if (values.has('Enable weak encryption') || values.has('Enable weak authentication'))
    notes.push('Enable weak encryption/authentication');
  const suite = `${ciphers.join('-')}-sha1-md5`;
  const pfs = get('Perfect Forward Secrecy') ?? 'server';
  let espProposals = suite;
  if (pfs === 'server') {
    // vpnc follows the PFS group the gateway announces in Mode Config (Unity PFS attribute);
    // esprit offers both, the phase 1 group first.
    espProposals = `${suite}-${groupName}, ${suite}`;
    notes.push('Perfect Forward Secrecy server: both with the phase 1 group and without are offered');
  } else if (pfs !== 'nopfs') {
    const m = DH.exec(pfs);
    if (m) espProposals = `${suite}-${GROUP_NAME[Number(m[1])]}`;
    else errors.push(`'Perfect Forward Secrecy ${pfs}' is not nopfs, server or a dh group`);
  }
  const mode = get('NAT Traversal Mode') ?? 'natt';
  const NATT: Record<string, NattChoice> = {
    natt: 'auto',
    none: 'none',
    'force-natt': 'force-any',
    'cisco-udp': 'cisco-udp',
  };
  const natt = NATT[mode];
  if (!natt) errors.push(`'NAT Traversal Mode ${mode}' is not natt, none, force-natt or cisco-udp`);
  const port = (k: string): number | undefined => {
    const t = get(k);
    if (t === undefined) return undefined;
    const n = Number(t);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      errors.push(`'${k} ${t}' is not a port`);
      return undefined;
    }
    return n;
  };
  const localPort = port('Local Port');
  if (localPort === 0) notes.push('Local Port 0 (a random port): esprit uses 500');
  const ciscoPort = port('Cisco UDP Encapsulation Port');
  const dpdText = get('DPD idle timeout (our side)');
  const dpd = dpdText === undefined ? 600 : Number(dpdText);
  if (!Number.isInteger(dpd) || dpd < 0) errors.push(`'DPD idle timeout (our side) ${dpdText}' is not a number`);
  const target = get('IPSEC target network');
  let remoteTs = ['0.0.0.0/0'];
  if (target) {
    // vpnc: "target network/netmask", the mask dotted or a length
    const [net = '', mask = '32'] = target.split('/');
    const len = mask.includes('.')
      ? mask.split('.').reduce((n, o) => n + (Number(o) >>> 0).toString(2).split('1').length - 1, 0)
      : Number(mask);
    remoteTs = [`${net}/${len}`];
  }
  const domain = get('Domain');
  if (domain) notes.push(`Domain ${domain} (the Mode Config default domain comes from the gateway)`);
  const vendor = get('Vendor');
  if (vendor && vendor !== 'cisco') notes.push(`Vendor ${vendor} (esprit speaks to Cisco-style gateways)`);
  const addr = get('Local Addr');
  for (const k of values.keys()) if (LOCAL_ONLY.has(k)) notes.push(`${k} (a setting of the vpnc process)`);
  if (errors.length > 0 || !gateway || !natt) return { errors };
  const profile: ImportedProfile = {
    name,
    gateway,
    ...(localPort ? { localPort } : {}),
    aggressive: true,
    ...(group ? { localId: `keyid:${group}` } : {}),
    auth: authMode === 'cert' ? 'pubkey' : 'psk',
    ...(psk !== undefined ? { psk } : {}),
    ...(get('Xauth username') !== undefined || password !== undefined
      ? {
          xauth: {
            ...(get('Xauth username') ? { user: get('Xauth username') } : {}),
            ...(password !== undefined ? { password } : {}),
          },
        }
      : { xauth: {} }),
    ikeProposals: `${suite}-${groupName}`,
    espProposals,
    natt,
    ...(natt === 'cisco-udp' ? { ciscoUdpPort: ciscoPort ?? 10000 } : {}),
    ...(dpd > 0 ? { dpdDelay: dpd } : {}),
    modeConfig: true,
    remoteTs,
    notes,
  };
  if (addr) notes.push(`Local Addr ${addr}: set local_addrs by hand if the host has several addresses`);
  return { profile, errors: [] };
}
