/**
 * The `connections { }` section of a swanctl.conf: a connection, its local/remote
 * authentication rounds and its CHILD sections, each key checked against the keys esprit
 * supports (with strongSwan's defaults) and the strongSwan keys it refuses. Keys and defaults:
 * docs/configuration.md (from swanctl.conf(5) of strongSwan 5.9.8).
 */
import { parseIp, tryParseIp } from '../../util/ip-addr.js';
import { defaultProposals, type IkeVersion, parseProposals } from '../proposal.js';
import { parseTsList } from '../traffic-selector.js';
import type { SettingsSection, SourcePos } from './settings-parser.js';
import type { Walk } from './swanctl-host.js';
import type { AuthRoundConfig, ChildConfig, ConnectionConfig, NattMode, NattVariant } from './swanctl-types.js';
import { parseBool, parseCount, parseEnum, parseInteger, parseList, parseTime } from './swanctl-values.js';

type Err = (pos: SourcePos, path: string, msg: string) => void;
/** loadSwanctl's resolver of certs/cacerts/pubkeys names in a swanctl subdirectory */
type Creds = (sub: string) => (v: string) => string[];

/** strongSwan keys esprit knows and refuses (setting them is an error, not silently ignored). */
const REFUSED_CONN = [
  'dscp',
  'childless',
  'ppk_id',
  'ppk_required',
  'if_id_in',
  'if_id_out',
  'mediation',
  'mediated_by',
  'mediation_peer',
  'mediated',
  'send_fragments',
  'ocsp',
];
const REFUSED_AUTH = ['ca_id'];
const REFUSED_CHILD = [
  'ah_proposals',
  'sha256_96',
  'ipcomp',
  'priority',
  'interface',
  'mark_in',
  'mark_in_sa',
  'mark_out',
  'set_mark_in',
  'set_mark_out',
  'if_id_in',
  'if_id_out',
  'label',
  'label_mode',
  'tfc_padding',
  'hw_offload',
  'copy_df',
  'copy_ecn',
  'copy_dscp',
  'policies_fwd_out',
];

const addrList = (v: string): string[] => {
  const l = parseList(v);
  for (const a of l) {
    const plain = a.replace(/\/\d+$/, '');
    const range = a.split('-');
    if (
      a.startsWith('%any') ||
      tryParseIp(plain) ||
      (range.length === 2 && tryParseIp(range[0] ?? '') && tryParseIp(range[1] ?? ''))
    )
      continue;
    if (/^[A-Za-z0-9.-]+$/.test(a)) continue; // a host name: resolved when connecting
    throw new Error(`'${a}' is not an address, prefix, range, host name or %any`);
  }
  return l;
};

function authRound(sec: SettingsSection, p: string, name: string, walk: Walk, creds: Creds): AuthRoundConfig {
  const r: AuthRoundConfig = {
    round: 0,
    auth: 'pubkey',
    certs: [],
    cacerts: [],
    pubkeys: [],
    revocation: 'relaxed',
  };
  walk<AuthRoundConfig>(
    sec,
    p,
    r,
    {
      round: (v, t) => {
        t.round = parseInteger(v, 0, 100);
      },
      auth: (v, t) => {
        const a = v.trim();
        if (!/^(psk|pubkey|rsa|ecdsa|eap(-[a-z0-9]+)?|xauth(-[a-z0-9]+)?)(-[a-z0-9-]+)?$/.test(a))
          throw new Error(`'${a}' is not an authentication method`);
        t.auth = a;
      },
      id: (v, t) => {
        t.id = v.trim();
      },
      eap_id: (v, t) => {
        t.eapId = v.trim();
      },
      xauth_id: (v, t) => {
        t.xauthId = v.trim();
      },
      revocation: (v, t) => {
        t.revocation = parseEnum(v, ['relaxed', 'ifuri', 'strict'] as const);
      },
      aaa_id: (v, t) => {
        t.aaaId = v.trim();
      },
      certs: (v, t) => {
        t.certs = creds('x509')(v);
      },
      cacerts: (v, t) => {
        t.cacerts = creds('x509ca')(v);
      },
      pubkeys: (v, t) => {
        t.pubkeys = creds('pubkey')(v);
      },
    },
    REFUSED_AUTH,
  );
  if (r.round === 0) r.round = Number(/\d+$/.exec(name)?.[0] ?? 0);
  return r;
}

function child(sec: SettingsSection, p: string, version: IkeVersion, walk: Walk): ChildConfig {
  const c: ChildConfig = {
    name: sec.name,
    pos: sec.pos,
    localTs: ['dynamic'],
    remoteTs: ['dynamic'],
    espProposals: defaultProposals('esp'),
    mode: 'tunnel',
    startAction: 'none',
    closeAction: 'none',
    dpdAction: 'clear',
    rekeyTime: 3600,
    lifeTime: -1,
    randTime: -1,
    rekeyBytes: 0,
    lifeBytes: -1,
    rekeyPackets: 0,
    lifePackets: -1,
    randBytes: -1,
    randPackets: -1,
    hostaccess: false,
    policies: true,
    reqid: 0,
    inactivity: 0,
    replayWindow: 32,
  };
  const ts = (v: string): string[] => {
    const l = parseList(v);
    parseTsList(l, [parseIp('192.0.2.1'), parseIp('2001:db8::1')]);
    return l;
  };
  walk<ChildConfig>(
    sec,
    p,
    c,
    {
      local_ts: (v, t) => {
        t.localTs = ts(v);
      },
      remote_ts: (v, t) => {
        t.remoteTs = ts(v);
      },
      esp_proposals: (v, t) => {
        t.espProposals = parseProposals('esp', v, 'esp_proposals', version);
      },
      mode: (v, t) => {
        t.mode = parseEnum(v, ['tunnel', 'transport', 'pass', 'drop'] as const);
      },
      start_action: (v, t) => {
        t.startAction = parseEnum(v.replace(/\s/g, ''), ['none', 'trap', 'start', 'trap|start'] as const);
      },
      close_action: (v, t) => {
        t.closeAction = parseEnum(v, ['none', 'trap', 'start'] as const);
      },
      dpd_action: (v, t) => {
        t.dpdAction = parseEnum(v, ['clear', 'trap', 'restart'] as const);
      },
      rekey_time: (v, t) => {
        t.rekeyTime = parseTime(v);
      },
      life_time: (v, t) => {
        t.lifeTime = parseTime(v);
      },
      rand_time: (v, t) => {
        t.randTime = parseTime(v);
      },
      rekey_bytes: (v, t) => {
        t.rekeyBytes = parseCount(v);
      },
      life_bytes: (v, t) => {
        t.lifeBytes = parseCount(v);
      },
      rekey_packets: (v, t) => {
        t.rekeyPackets = parseCount(v);
      },
      life_packets: (v, t) => {
        t.lifePackets = parseCount(v);
      },
      rand_bytes: (v, t) => {
        t.randBytes = parseCount(v);
      },
      rand_packets: (v, t) => {
        t.randPackets = parseCount(v);
      },
      updown: (v, t) => {
        t.updown = v.trim();
      },
      hostaccess: (v, t) => {
        t.hostaccess = parseBool(v);
      },
      policies: (v, t) => {
        t.policies = parseBool(v);
      },
      reqid: (v, t) => {
        t.reqid = parseInteger(v, 0, 0xffffffff);
      },
      inactivity: (v, t) => {
        t.inactivity = parseTime(v);
      },
      replay_window: (v, t) => {
        t.replayWindow = parseInteger(v, 0, 1 << 20);
      },
    },
    REFUSED_CHILD,
  );
  // swanctl.conf(5): life_time defaults to rekey_time + 10 %, rand_time to life - rekey. At
  // least one unit more than the rekey point: with a rekey_time of a few seconds, 10 % rounds
  // to nothing, and a hard expiry at the rekey moment would race the rekey (esprit's choice).
  const lifeOf = (rekey: number): number => (rekey > 0 ? Math.max(rekey + 1, Math.round(rekey * 1.1)) : 0);
  if (c.lifeTime < 0) c.lifeTime = lifeOf(c.rekeyTime);
  if (c.randTime < 0) c.randTime = c.lifeTime - c.rekeyTime;
  if (c.lifeBytes < 0) c.lifeBytes = lifeOf(c.rekeyBytes);
  if (c.lifePackets < 0) c.lifePackets = lifeOf(c.rekeyPackets);
  // swanctl.conf(5): rand_bytes/rand_packets default to life - rekey, as rand_time.
  if (c.randBytes < 0) c.randBytes = c.lifeBytes - c.rekeyBytes;
  if (c.randPackets < 0) c.randPackets = c.lifePackets - c.rekeyPackets;
  return c;
}

/**
 * One `connections.<conn>` section at key path `p`, with strongSwan's defaults filled in: keys go
 * through loadSwanctl's `walk`, errors to `err`, and certificate names resolve through `creds`.
 */
export function connectionSection(
  sec: SettingsSection,
  p: string,
  walk: Walk,
  err: Err,
  creds: Creds,
): ConnectionConfig {
  // Proposals depend on the IKE version, which may come after them in the section.
  const vnode = sec.children.get('version');
  const version: IkeVersion = vnode?.kind === 'key' && vnode.value.trim() === '1' ? 1 : 2;
  const c: ConnectionConfig = {
    name: sec.name,
    pos: sec.pos,
    version: 0,
    localAddrs: ['%any'],
    remoteAddrs: ['%any'],
    localPort: 500,
    remotePort: 500,
    proposals: defaultProposals('ike', version),
    vips: [],
    pools: [],
    aggressive: false,
    nattMode: 'all',
    ciscoUdpPort: 10000,
    pull: true,
    encap: false,
    mobike: true,
    fragmentation: 'yes',
    sendCertreq: true,
    sendCert: 'ifasked',
    keyingtries: 1,
    unique: 'no',
    dpdDelay: 0,
    dpdTimeout: 0,
    reauthTime: 0,
    rekeyTime: 14400,
    overTime: -1,
    randTime: -1,
    local: [],
    remote: [],
    children: [],
  };
  walk<ConnectionConfig>(
    sec,
    p,
    c,
    {
      version: (v, t) => {
        const n = parseEnum(v.trim(), ['0', '1', '2'] as const);
        t.version = n === '0' ? 0 : n === '1' ? 1 : 2;
      },
      local_addrs: (v, t) => {
        t.localAddrs = addrList(v);
      },
      remote_addrs: (v, t) => {
        t.remoteAddrs = addrList(v);
      },
      local_port: (v, t) => {
        t.localPort = parseInteger(v, 1, 65535);
      },
      remote_port: (v, t) => {
        t.remotePort = parseInteger(v, 1, 65535);
      },
      proposals: (v, t) => {
        t.proposals = parseProposals('ike', v, 'proposals', version);
      },
      vips: (v, t) => {
        t.vips = parseList(v);
        for (const x of t.vips) parseIp(x, 'vips');
      },
      pools: (v, t) => {
        t.pools = parseList(v);
      },
      aggressive: (v, t) => {
        t.aggressive = parseBool(v);
      },
      encap: (v, t) => {
        t.encap = parseBool(v);
      },
      natt_mode: (v, t) => {
        t.nattMode = parseNattMode(v);
      },
      cisco_udp_port: (v, t) => {
        t.ciscoUdpPort = parseInteger(v, 0, 65535);
        t.ciscoUdpPortSet = true;
      },
      pull: (v, t) => {
        t.pull = parseBool(v);
      },
      mobike: (v, t) => {
        t.mobike = parseBool(v);
      },
      fragmentation: (v, t) => {
        t.fragmentation = parseEnum(v, ['yes', 'accept', 'force', 'no'] as const);
      },
      send_certreq: (v, t) => {
        t.sendCertreq = parseBool(v);
      },
      send_cert: (v, t) => {
        t.sendCert = parseEnum(v, ['always', 'never', 'ifasked'] as const);
      },
      keyingtries: (v, t) => {
        t.keyingtries = parseInteger(v, 0, 1000);
      },
      unique: (v, t) => {
        t.unique = parseEnum(v, ['no', 'never', 'replace', 'keep'] as const);
      },
      dpd_delay: (v, t) => {
        t.dpdDelay = parseTime(v);
      },
      dpd_timeout: (v, t) => {
        t.dpdTimeout = parseTime(v);
      },
      reauth_time: (v, t) => {
        t.reauthTime = parseTime(v);
      },
      rekey_time: (v, t) => {
        t.rekeyTime = parseTime(v);
      },
      over_time: (v, t) => {
        t.overTime = parseTime(v);
      },
      rand_time: (v, t) => {
        t.randTime = parseTime(v);
      },
    },
    REFUSED_CONN,
    (name, s, sp) => {
      if (/^local/.test(name)) c.local.push(authRound(s, sp, name, walk, creds));
      else if (/^remote/.test(name)) c.remote.push(authRound(s, sp, name, walk, creds));
      else if (name === 'children') {
        for (const [cn, cs] of s.children) {
          if (cs.kind === 'section') c.children.push(child(cs, `${sp}.${cn}`, version, walk));
          else err(cs.pos, `${sp}.${cn}`, 'expected a CHILD section');
        }
      } else return false;
      return true;
    },
    ['children', 'local', 'remote'],
  );
  // swanctl.conf(5): over_time defaults to 10 % of rekey_time/reauth_time, rand_time to over_time.
  if (c.overTime < 0) c.overTime = Math.round(Math.max(c.rekeyTime, c.reauthTime) * 0.1);
  if (c.randTime < 0) c.randTime = c.overTime;
  // Rounds in order of their `round` value (strongSwan sorts them the same way).
  c.local.sort((a, b) => a.round - b.round);
  c.remote.sort((a, b) => a.round - b.round);
  if (c.local.length === 0)
    c.local.push({ round: 0, auth: 'pubkey', certs: [], cacerts: [], pubkeys: [], revocation: 'relaxed' });
  if (c.remote.length === 0)
    c.remote.push({ round: 0, auth: 'pubkey', certs: [], cacerts: [], pubkeys: [], revocation: 'relaxed' });
  return c;
}

const NATT_VARIANTS = ['rfc', 'draft-03', 'draft-02n', 'draft-02', 'draft-01', 'draft-00'] as const;

/**
 * `natt_mode` (esprit, IKEv1): `all` (default), `none`, `rfc`, `drafts` (00 to 03), or a list
 * of variants (`rfc, draft-02n`).
 */
function parseNattMode(v: string): NattMode {
  const words = parseList(v).map((w) => w.toLowerCase());
  if (words.length === 1 && (words[0] === 'all' || words[0] === 'none')) return words[0];
  const out: NattVariant[] = [];
  for (const w of words) {
    const add = w === 'drafts' ? NATT_VARIANTS.filter((x) => x !== 'rfc') : NATT_VARIANTS.filter((x) => x === w);
    if (add.length === 0) throw new Error(`'${w}' is not all, none, drafts or one of ${NATT_VARIANTS.join(', ')}`);
    for (const a of add) if (!out.includes(a)) out.push(a);
  }
  return out;
}
