/**
 * setkey(8) configuration parser: text in, typed commands out (sans-IO: no name
 * resolution, no /etc/protocols). The grammar follows ipsec-tools
 * `src/setkey/parse.y` (NetBSD crypto/dist/ipsec-tools, KAME parse.y 1.81):
 *
 *   add       [-46n] src dst proto spi { extension } algorithm ;
 *   get|delete [-46n] src dst proto spi [ -m mode ] ;
 *   deleteall [-46n] addr addr proto ;
 *   flush [proto] ;            dump [proto] ;
 *   spdadd|spdupdate [-46n] sel sel upperspec [icmp-type,code] -P policy ;
 *   spddelete [-46n] sel sel upperspec [icmp-type,code] -P dir [policy] ;
 *   spdflush ;                 spddump ;
 *
 * plus NetBSD's NAT-T form (`proto` = `esp-udp [oa-addr]`, endpoints `addr[port]`)
 * and esprit's `-e type` / `-o oa-src oa-dst` options (docs/setkey.md).
 * Every error is a SetkeyError naming file:line:column and the token.
 */
import { ENCR, type EncrAlgorithm, INTEG, type IntegAlgorithm } from '../../crypto/suites.js';
import { type IpAddr, tryParseIp } from '../../util/ip-addr.js';
import { lookupEncr, lookupInteg } from './algorithms.js';
import { SetkeyLexer, type Token } from './lexer.js';
import { parsePolicy } from './policy.js';
import type {
  AddCommand,
  LifetimeLimit,
  NattType,
  PadOption,
  SaEndpoint,
  SaMode,
  Selector,
  SetkeyCommand,
  SetkeyProtocol,
  UpperSpec,
} from './types.js';

/** parse.y get_port: an esp-udp endpoint without a port uses 4500 (RFC 3948 §2.1 / RFC 3947 §4). */
export const DEFAULT_NATT_PORT = 4500;

/** `-n` when none is written on an esp-udp SA: float, no keepalives (docs/setkey.md). */
export const DEFAULT_NAT_SIDE: { readonly keepalive: boolean; readonly float: boolean } = {
  keepalive: false,
  float: true,
};

/** Upper-layer protocol names understood without /etc/protocols (IANA protocol numbers). */
export const UPPER_PROTOCOLS: Readonly<Record<string, number>> = {
  any: 255,
  icmp: 1,
  ip4: 4,
  ipencap: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  gre: 47,
  esp: 50,
  ah: 51,
  icmp6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
};

const ICMP_PROTOS = new Set([1, 58]);

const NATT_TYPES: readonly NattType[] = ['rfc3948', 'udp-encaps-00', 'cisco-udp'];

class Parser {
  private readonly lx: SetkeyLexer;
  constructor(lx: SetkeyLexer) {
    this.lx = lx;
  }

  private fail(t: Token, detail: string): never {
    throw this.lx.error(t, detail);
  }

  private expectSemi(what: string): void {
    const t = this.lx.next();
    if (t.kind !== 'semi') this.fail(t, `expected ';' to end ${what}`);
  }

  private isWord(t: Token, text: string): boolean {
    return t.kind === 'word' && t.text === text;
  }

  /** `-4`, `-6`, `-n` (parse.y ipaddropts): returns the family restriction. */
  private aiFlags(): 4 | 6 | undefined {
    let fam: 4 | 6 | undefined;
    for (;;) {
      const t = this.lx.peek();
      if (t.kind !== 'word' || !/^-[n46]+$/.test(t.text)) return fam;
      this.lx.next();
      for (const c of t.text.slice(1)) if (c === '4' || c === '6') fam = c === '4' ? 4 : 6;
    }
  }

  private address(family: 4 | 6 | undefined): IpAddr {
    const t = this.lx.next();
    if (t.kind !== 'word' && t.kind !== 'number') this.fail(t, 'expected an IPv4 or IPv6 address');
    const a = tryParseIp(t.text);
    if (!a) {
      if (/%/.test(t.text)) this.fail(t, 'scoped IPv6 addresses (addr%zone) are not supported');
      if (/^[A-Za-z]/.test(t.text) && !/^[0-9a-fA-F:]+$/.test(t.text)) {
        this.fail(t, 'host names are not resolved; write a numeric address');
      }
      this.fail(t, `"${t.text}" is not an IPv4 or IPv6 address`);
    }
    if (family !== undefined && a.family !== family) this.fail(t, `address is not IPv${family} (-${family} given)`);
    return a;
  }

  private decimal(t: Token, max: bigint, what: string): bigint {
    if (t.kind !== 'number') this.fail(t, `${what} must be a decimal number`);
    const v = BigInt(t.text);
    if (v > max) this.fail(t, `${what} out of range (0-${max})`);
    return v;
  }

  private uint(max: number, what: string): number {
    return Number(this.decimal(this.lx.next(), BigInt(max), what));
  }

  /** `[port]` or `[any]` after an address; undefined when absent or any. */
  private portSpec(): number | undefined | 'none' {
    if (this.lx.peek().kind !== 'lbracket') return 'none';
    this.lx.next();
    const t = this.lx.next();
    let port: number | undefined;
    if (this.isWord(t, 'any')) port = undefined;
    else port = Number(this.decimal(t, 65535n, 'port'));
    const close = this.lx.next();
    if (close.kind !== 'rbracket') this.fail(close, "expected ']' after port");
    return port;
  }

  private saEndpoint(family: 4 | 6 | undefined): SaEndpoint {
    const addr = this.address(family);
    const slash = this.lx.peek();
    if (slash.kind === 'slash') this.fail(slash, 'an SA address takes no /prefixlen');
    const p = this.portSpec();
    return p === 'none' || p === undefined ? { addr } : { addr, port: p };
  }

  private selector(family: 4 | 6 | undefined): Selector {
    const addr = this.address(family);
    const max = addr.family === 4 ? 32 : 128;
    let prefixLen = max;
    if (this.lx.peek().kind === 'slash') {
      this.lx.next();
      prefixLen = this.uint(max, 'prefix length');
    }
    const p = this.portSpec();
    return { addr, prefixLen, port: p === 'none' || p === undefined ? 0 : p };
  }

  private sameFamily(a: IpAddr, b: IpAddr, t: Token): void {
    if (a.family !== b.family) this.fail(t, 'source and destination mix IPv4 and IPv6');
  }

  /** parse.y protocol_spec; `esp-udp` may be followed by a NAT-OA address (NetBSD). */
  private protocol(optional: boolean): { satype?: SetkeyProtocol; oa?: IpAddr } {
    const t = this.lx.peek();
    if (t.kind !== 'word') {
      if (optional) return {};
      this.fail(t, 'expected a protocol (esp, esp-udp or ah)');
    }
    switch (t.text) {
      case 'esp':
      case 'ah':
        this.lx.next();
        return { satype: t.text };
      case 'esp-udp': {
        this.lx.next();
        const n = this.lx.peek();
        if (n.kind === 'word' && tryParseIp(n.text)) return { satype: 'esp-udp', oa: this.address(undefined) };
        return { satype: 'esp-udp' };
      }
      case 'esp-old':
      case 'ah-old':
        return this.fail(t, `${t.text} (RFC 1827/1826) is not supported`);
      case 'ipcomp':
        return this.fail(t, 'IPComp is not supported');
      case 'tcp':
        return this.fail(t, 'TCP-MD5 (RFC 2385) SAs are not supported');
      default:
        if (optional) return {};
        return this.fail(t, `unknown protocol "${t.text}" (esp, esp-udp or ah)`);
    }
  }

  private spi(): number {
    const t = this.lx.next();
    let v: bigint;
    if (t.kind === 'hex') v = BigInt(t.text);
    else if (t.kind === 'number') v = BigInt(t.text);
    else return this.fail(t, 'expected an SPI (decimal or 0x hex)');
    if (v > 0xffffffffn) this.fail(t, 'SPI too big (max 0xffffffff)');
    // RFC 4303 §2.1: 1-255 reserved by IANA, 0 never sent
    if (v < 256n) this.fail(t, 'SPI values 0-255 are reserved (RFC 4303 §2.1)');
    return Number(v);
  }

  /** parse.y key_string: "quoted ascii" or 0x hex (odd digit count: leading nibble alone). */
  private key(algTok: Token): { bytes: Uint8Array; tok: Token } {
    const t = this.lx.next();
    if (t.kind === 'string') return { bytes: new TextEncoder().encode(t.text), tok: t };
    if (t.kind === 'hex') {
      let h = t.text.slice(2);
      if (h.length % 2) h = `0${h}`;
      const out = new Uint8Array(h.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16);
      return { bytes: out, tok: t };
    }
    return this.fail(t, `expected a key for ${algTok.text} ("ascii" or 0x hex)`);
  }

  private encryption(): { algorithm: EncrAlgorithm; key: Uint8Array } {
    const at = this.lx.next();
    if (at.kind !== 'word' && at.kind !== 'number') this.fail(at, 'expected an encryption algorithm after -E');
    const r = lookupEncr(at.text);
    if ('reject' in r) return this.fail(at, r.reject);
    const spec = ENCR[r.algorithm];
    // token.l: `-E null` takes no key (ALG_ENC_NOKEY)
    if (spec.kind === 'null') return { algorithm: r.algorithm, key: new Uint8Array(0) };
    const { bytes, tok } = this.key(at);
    const lens = spec.keyLens.map((k) => k + spec.saltLen);
    if (!lens.includes(bytes.length)) {
      const salt = spec.saltLen ? ` (key + ${spec.saltLen}-byte salt)` : '';
      this.fail(tok, `bad key length for ${at.text}: ${bytes.length} bytes; need ${lens.join(', ')} bytes${salt}`);
    }
    return { algorithm: r.algorithm, key: bytes };
  }

  private integrity(): { algorithm: IntegAlgorithm; key: Uint8Array } {
    const at = this.lx.next();
    if (at.kind !== 'word') this.fail(at, 'expected an authentication algorithm after -A');
    const r = lookupInteg(at.text);
    if ('reject' in r) return this.fail(at, r.reject);
    // token.l: `-A null` takes no key (ALG_AUTH_NOKEY)
    if (r.algorithm === 'none') return { algorithm: 'none', key: new Uint8Array(0) };
    const { bytes, tok } = this.key(at);
    const need = INTEG[r.algorithm].keyLen;
    if (bytes.length !== need) this.fail(tok, `bad key length for ${at.text}: ${bytes.length} bytes; need ${need}`);
    return { algorithm: r.algorithm, key: bytes };
  }

  private add(first: Token): AddCommand {
    const fam = this.aiFlags();
    const src = this.saEndpoint(fam);
    const dstTok = this.lx.peek();
    const dst = this.saEndpoint(fam);
    this.sameFamily(src.addr, dst.addr, dstTok);
    const protoTok = this.lx.peek();
    const { satype, oa: espUdpOa } = this.protocol(false);
    if (!satype) return this.fail(protoTok, 'expected a protocol');
    if (espUdpOa) this.sameFamily(src.addr, espUdpOa, protoTok);
    const spi = this.spi();
    let mode: SaMode = 'any';
    let reqid = 0;
    let replay = 0;
    let pad: PadOption | undefined;
    let cyclicSeq = true;
    let encryption: AddCommand['encryption'];
    let integrity: AddCommand['integrity'] | undefined;
    let encTok: Token | undefined;
    let authTok: Token | undefined;
    const hard: { time?: number; bytes?: bigint } = {};
    const soft: { time?: number; bytes?: bigint } = {};
    let nattType: NattType | undefined;
    let oa: { src?: IpAddr; dst?: IpAddr } | undefined = espUdpOa ? { src: espUdpOa } : undefined;
    let nattTok: Token | undefined;
    let natSide: { keepalive: boolean; float: boolean } | undefined;
    const seen = new Set<string>();
    for (;;) {
      const t = this.lx.next();
      if (t.kind === 'semi') break;
      if (t.kind !== 'word' || !t.text.startsWith('-')) this.fail(t, "expected an option or ';' to end add");
      const once = (key: string) => {
        if (seen.has(key)) this.fail(t, `duplicate ${t.text}`);
        seen.add(key);
      };
      switch (t.text) {
        case '-m': {
          once('-m');
          const m = this.lx.next();
          if (!(this.isWord(m, 'transport') || this.isWord(m, 'tunnel') || this.isWord(m, 'any'))) {
            this.fail(m, 'mode must be transport, tunnel or any');
          }
          mode = m.text as SaMode;
          break;
        }
        case '-r':
          once('-r');
          // sadb_sa_replay is a u8 (RFC 2367 §2.3.1)
          replay = this.uint(255, 'replay window');
          break;
        case '-u':
          once('-u');
          reqid = this.uint(0xffffffff, 'reqid');
          break;
        case '-f': {
          const f = this.lx.next();
          if (this.isWord(f, 'nocyclic-seq')) {
            cyclicSeq = false;
          } else if (this.isWord(f, 'zero-pad') || this.isWord(f, 'random-pad') || this.isWord(f, 'seq-pad')) {
            if (pad !== undefined) this.fail(f, 'duplicate padding option');
            pad = f.text as PadOption;
          } else this.fail(f, '-f takes zero-pad, random-pad, seq-pad or nocyclic-seq');
          break;
        }
        case '-lh':
        case '-ls': {
          once(t.text);
          const v = Number(this.decimal(this.lx.next(), BigInt(Number.MAX_SAFE_INTEGER), 'lifetime (seconds)'));
          if (t.text === '-lh') hard.time = v;
          else soft.time = v;
          break;
        }
        case '-bh':
        case '-bs': {
          once(t.text);
          const v = this.decimal(this.lx.next(), 0xffffffffffffffffn, 'lifetime (bytes)');
          if (t.text === '-bh') hard.bytes = v;
          else soft.bytes = v;
          break;
        }
        case '-E':
          once('-E');
          encTok = t;
          encryption = this.encryption();
          break;
        case '-A':
          once('-A');
          authTok = t;
          integrity = this.integrity();
          break;
        case '-e': {
          once('-e');
          nattTok = t;
          const n = this.lx.next();
          if (n.kind !== 'word' || !(NATT_TYPES as readonly string[]).includes(n.text)) {
            this.fail(n, `-e takes ${NATT_TYPES.join(', ')}`);
          }
          nattType = n.text as NattType;
          break;
        }
        case '-n': {
          // esprit: -n keepalive|float|none[,...]; the list replaces the default (float)
          once('-n');
          nattTok = t;
          const n = this.lx.next();
          const words = n.kind === 'word' ? n.text.split(',') : [];
          const side = { keepalive: false, float: false };
          const seenWords = new Set<string>();
          for (const w of words) {
            if ((w !== 'keepalive' && w !== 'float' && w !== 'none') || seenWords.has(w)) {
              this.fail(n, '-n takes keepalive, float or none (a comma list: keepalive,float)');
            }
            seenWords.add(w);
            if (w !== 'none') side[w] = true;
          }
          if (words.length === 0 || (seenWords.has('none') && words.length > 1)) {
            this.fail(n, '-n takes keepalive, float or none (a comma list: keepalive,float)');
          }
          natSide = side;
          break;
        }
        case '-o': {
          once('-o');
          nattTok = t;
          if (espUdpOa) this.fail(t, '-o conflicts with the NAT-OA address after esp-udp');
          const one = (): IpAddr | undefined => {
            if (this.isWord(this.lx.peek(), 'any')) {
              this.lx.next();
              return undefined;
            }
            const a = this.address(undefined);
            return a;
          };
          const s = one();
          const d = one();
          oa = s || d ? { ...(s ? { src: s } : {}), ...(d ? { dst: d } : {}) } : undefined;
          break;
        }
        case '-C':
        case '-R':
          return this.fail(t, 'IPComp is not supported');
        case '-ctx':
          return this.fail(t, 'security contexts (-ctx) are not supported');
        default:
          return this.fail(t, `unknown option "${t.text}" in add`);
      }
    }
    if (nattTok && satype !== 'esp-udp') this.fail(nattTok, `${nattTok.text} needs protocol esp-udp`);
    if (satype === 'ah') {
      if (encTok) this.fail(encTok, 'AH takes no -E');
      if (!integrity || integrity.algorithm === 'none')
        this.fail(authTok ?? first, 'AH needs -A with a real algorithm');
    } else {
      if (!encryption) return this.fail(first, `${satype} needs -E`);
      const kind = ENCR[encryption.algorithm].kind;
      if ((kind === 'aead' || kind === 'gmac') && integrity && integrity.algorithm !== 'none') {
        this.fail(authTok ?? first, `${encryption.algorithm} authenticates by itself; drop -A`);
      }
      // RFC 4303 §3.2: ESP provides confidentiality, integrity, or both; never neither
      if (kind === 'null' && (!integrity || integrity.algorithm === 'none')) {
        this.fail(encTok ?? first, 'ESP with null encryption needs -A');
      }
    }
    for (const [k, v] of Object.entries(oa ?? {})) {
      if (v && (v as IpAddr).family !== src.addr.family) this.fail(nattTok ?? protoTok, `NAT-OA ${k} family differs`);
    }
    const cmd: AddCommand = {
      op: 'add',
      line: first.pos.line,
      satype,
      src,
      dst,
      spi,
      mode,
      reqid,
      replay,
      cyclicSeq,
      integrity: integrity ?? { algorithm: 'none', key: new Uint8Array(0) },
      lifetime: { hard: hard as LifetimeLimit, soft: soft as LifetimeLimit },
      ...(pad ? { pad } : {}),
      ...(encryption ? { encryption } : {}),
    };
    if (satype !== 'esp-udp') return cmd;
    return {
      ...cmd,
      natt: {
        type: nattType ?? 'rfc3948',
        sport: src.port || DEFAULT_NATT_PORT,
        dport: dst.port || DEFAULT_NATT_PORT,
        ...(oa ? { oa } : {}),
        // default for manual keying: float (a gateway learns a NATed client's port from its
        // first authenticated packet, RFC 3947 §7); keepalives only where asked for
        ...(natSide ?? DEFAULT_NAT_SIDE),
      },
    };
  }

  private upperSpec(src: Selector, dst: Selector): UpperSpec {
    const t = this.lx.next();
    let proto: number;
    if (t.kind === 'number') proto = Number(this.decimal(t, 255n, 'upper-layer protocol'));
    else if (t.kind === 'word' && Object.hasOwn(UPPER_PROTOCOLS, t.text)) proto = UPPER_PROTOCOLS[t.text] as number;
    else return this.fail(t, 'expected an upper-layer protocol (any, tcp, udp, icmp, icmp6, gre or a number)');
    const n = this.lx.peek();
    if (n.kind === 'eof' || n.kind === 'semi' || this.isWord(n, '-P') || this.isWord(n, '-ctx')) return { proto };
    this.lx.next();
    if (!ICMP_PROTOS.has(proto)) this.fail(n, 'an upper-layer argument is only supported for icmp and icmp6');
    const m = /^([0-9]{1,3}),([0-9]{1,3})$/.exec(n.text);
    if (!m) return this.fail(n, 'ICMP spec must be type,code (setkey(8): the code must always be given)');
    const type = Number(m[1]);
    const code = Number(m[2]);
    if (type > 255 || code > 255) this.fail(n, 'ICMP type and code are 0-255');
    if (src.port !== 0 || dst.port !== 0) this.fail(n, 'ports and an ICMP type,code cannot both be given');
    return { proto, icmp: { type, code } };
  }

  private spd(first: Token): SetkeyCommand {
    const op = first.text as 'spdadd' | 'spdupdate' | 'spddelete';
    if (this.isWord(this.lx.peek(), 'tagged')) this.fail(this.lx.peek(), 'PF tag policies (tagged) are not supported');
    const fam = this.aiFlags();
    const src = this.selector(fam);
    const dstTok = this.lx.peek();
    const dst = this.selector(fam);
    this.sameFamily(src.addr, dst.addr, dstTok);
    const upper = this.upperSpec(src, dst);
    const p = this.lx.next();
    if (this.isWord(p, '-ctx')) this.fail(p, 'security contexts (-ctx) are not supported');
    if (!this.isWord(p, '-P')) this.fail(p, `expected -P policy in ${op}`);
    const raw = this.lx.readPolicyText();
    const r = parsePolicy(this.lx, raw.text, raw.offset, op === 'spddelete');
    this.expectSemi(op);
    for (const rq of r.policy?.requests ?? []) {
      if (rq.tunnel && rq.tunnel.src.addr.family !== rq.tunnel.dst.addr.family) this.fail(p, 'family mismatch');
    }
    const line = first.pos.line;
    if (op === 'spddelete') return { op, line, src, dst, upper, dir: r.dir, ...(r.policy ? { policy: r.policy } : {}) };
    if (!r.policy) return this.fail(p, 'policy action missing');
    return { op, line, src, dst, upper, policy: r.policy };
  }

  command(): SetkeyCommand | undefined {
    const t = this.lx.next();
    if (t.kind === 'eof') return undefined;
    if (t.kind !== 'word') this.fail(t, 'expected a command');
    const line = t.pos.line;
    switch (t.text) {
      case 'add':
        return this.add(t);
      case 'get':
      case 'delete': {
        const fam = this.aiFlags();
        const src = this.saEndpoint(fam);
        const dstTok = this.lx.peek();
        const dst = this.saEndpoint(fam);
        this.sameFamily(src.addr, dst.addr, dstTok);
        const { satype } = this.protocol(false);
        const spi = this.spi();
        // parse.y extension_spec: only -m is meaningful here and ipsec-tools calls it obsolete
        if (this.isWord(this.lx.peek(), '-m')) {
          this.lx.next();
          const m = this.lx.next();
          if (!['transport', 'tunnel', 'any'].includes(m.text)) this.fail(m, 'mode must be transport, tunnel or any');
        }
        this.expectSemi(t.text);
        return { op: t.text, line, satype: satype ?? 'esp', src, dst, spi };
      }
      case 'deleteall': {
        const fam = this.aiFlags();
        const src = this.address(fam);
        const dstTok = this.lx.peek();
        const dst = this.address(fam);
        this.sameFamily(src, dst, dstTok);
        const { satype } = this.protocol(false);
        this.expectSemi('deleteall');
        return { op: 'deleteall', line, satype: satype ?? 'esp', src, dst };
      }
      case 'flush':
      case 'dump': {
        const { satype } = this.protocol(true);
        this.expectSemi(t.text);
        return satype ? { op: t.text, line, satype } : { op: t.text, line };
      }
      case 'spdadd':
      case 'spdupdate':
      case 'spddelete':
        return this.spd(t);
      case 'spdflush':
      case 'spddump':
        this.expectSemi(t.text);
        return { op: t.text, line };
      default:
        return this.fail(t, `unknown command "${t.text}"`);
    }
  }
}

/**
 * Parse a setkey(8) script. `file` names the source in error messages.
 * Throws SetkeyError (a ConfigError) on the first syntax or semantic error.
 */
export function parseSetkey(text: string, file = 'setkey.conf'): SetkeyCommand[] {
  const p = new Parser(new SetkeyLexer(text, file));
  const out: SetkeyCommand[] = [];
  for (let c = p.command(); c; c = p.command()) out.push(c);
  return out;
}
