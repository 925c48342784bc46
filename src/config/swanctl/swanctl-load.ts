/**
 * swanctl.conf -> EspritConfig: every key is checked against the keys esprit supports (with
 * strongSwan's defaults) and the strongSwan keys it refuses; an unknown or refused key is an
 * error naming file, line, column and key path, e.g.
 *   swanctl.conf:12:7: connections.home.children.net.esp_propsals: unknown key (did you mean esp_proposals?)
 * All errors are collected. Keys and defaults: docs/configuration.md (from swanctl.conf(5) of
 * strongSwan 5.9.8). The `connections { }` section is read in swanctl-connection.ts, the
 * `esprit { }` section in swanctl-host.ts.
 */
import { ConfigError } from '../../util/errors.js';
import { parseIp, tryParseIp } from '../../util/ip-addr.js';
import { isPoolAttributeKey, parsePoolAttribute } from './pool-attributes.js';
import {
  parseSettings,
  type SettingsFs,
  type SettingsSection,
  SettingsSyntaxError,
  type SourcePos,
} from './settings-parser.js';
import { connectionSection } from './swanctl-connection.js';
import { defaultHost, hostSection, type Setter } from './swanctl-host.js';
import type { EspritConfig, PoolConfig, SharedSecret } from './swanctl-types.js';
import { didYouMean, parseList, parseSecret } from './swanctl-values.js';

export interface ConfigFs extends SettingsFs {
  exists(path: string): boolean;
  listDir(path: string): string[];
}

export class ConfigKeyError extends ConfigError {
  constructor(
    readonly pos: SourcePos,
    readonly keyPath: string,
    detail: string,
  ) {
    super(`${pos.file}:${pos.line}:${pos.col}: ${keyPath}`, detail);
  }
}

/** strongSwan pool keys esprit knows and refuses (the connection ones: swanctl-connection.ts). */
const REFUSED_POOL = ['server', 'p_cscf'];

export function loadSwanctl(file: string, fs: ConfigFs): { config?: EspritConfig; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  let root: SettingsSection;
  try {
    root = parseSettings(file, fs);
  } catch (e) {
    return { errors: [e instanceof ConfigError ? e : new ConfigError(file, String(e))] };
  }
  const dir = fs.dirname(file);
  const err = (pos: SourcePos, path: string, msg: string): void => {
    errors.push(new ConfigKeyError(pos, path, msg));
  };

  /** Walk `sec`'s keys with `setters`; sub-sections go to `sections` by name (or prefix match). */
  function walk<T>(
    sec: SettingsSection,
    path: string,
    target: T,
    setters: Record<string, Setter<T>>,
    refused: readonly string[],
    sections: (name: string, s: SettingsSection, p: string) => boolean = () => false,
    sectionNames: readonly string[] = [],
  ): void {
    for (const [name, node] of sec.children) {
      const p = path ? `${path}.${name}` : name;
      if (node.kind === 'section') {
        if (!sections(name, node, p)) {
          const hint = didYouMean(name, [...sectionNames, ...Object.keys(setters)]);
          err(
            node.pos,
            p,
            refused.includes(name)
              ? 'not supported by esprit'
              : `unknown section${hint ? ` (did you mean ${hint}?)` : ''}`,
          );
        }
        continue;
      }
      const set = setters[name];
      if (!set) {
        if (refused.includes(name)) err(node.pos, p, 'not supported by esprit');
        else {
          const hint = didYouMean(name, Object.keys(setters));
          err(node.pos, p, `unknown key${hint ? ` (did you mean ${hint}?)` : ''}`);
        }
        continue;
      }
      try {
        set(node.value, target, node);
      } catch (e) {
        err(node.pos, p, valueErrorText(e));
      }
    }
  }

  /** certs/cacerts/pubkeys: relative names resolve in the swanctl directories (swanctl's load-creds). */
  const creds =
    (sub: string) =>
    (v: string): string[] =>
      parseList(v).map((f) => {
        const abs = f.startsWith('/') ? f : fs.resolve(fs.resolve(dir, sub), f);
        if (!fs.exists(abs)) throw new Error(`${abs}: no such file`);
        return abs;
      });

  const config: EspritConfig = {
    file,
    connections: [],
    secrets: { ike: [], eap: [], xauth: [], privateKeys: [] },
    caFiles: [],
    crlFiles: [],
    pools: [],
    authorities: [],
    host: defaultHost(),
  };

  function secretSection(s: SettingsSection, p: string): SharedSecret {
    const out: SharedSecret = { name: s.name, pos: s.pos, ids: [], secret: new Uint8Array(0) };
    let hasSecret = false;
    for (const [k, node] of s.children) {
      const kp = `${p}.${k}`;
      if (node.kind === 'section') {
        err(node.pos, kp, 'unknown section');
      } else if (k === 'secret') {
        try {
          out.secret = parseSecret(node.value);
          hasSecret = true;
        } catch (e) {
          err(node.pos, kp, (e as Error).message);
        }
      } else if (/^id/.test(k)) out.ids.push(node.value.trim());
      else
        err(
          node.pos,
          kp,
          `unknown key${didYouMean(k, ['secret', 'id']) ? ` (did you mean ${didYouMean(k, ['secret', 'id'])}?)` : ''}`,
        );
    }
    if (!hasSecret) err(s.pos, p, 'secret missing');
    return out;
  }

  for (const [name, node] of root.children) {
    if (node.kind === 'key') {
      err(node.pos, name, 'unknown top-level key');
      continue;
    }
    if (name === 'connections') {
      for (const [cn, cs] of node.children) {
        if (cs.kind === 'section')
          config.connections.push(connectionSection(cs, `connections.${cn}`, walk, err, creds));
        else err(cs.pos, `connections.${cn}`, 'expected a connection section');
      }
    } else if (name === 'secrets') {
      for (const [sn, ss] of node.children) {
        const p = `secrets.${sn}`;
        if (ss.kind !== 'section') {
          err(ss.pos, p, 'expected a section');
          continue;
        }
        if (/^ike/.test(sn)) config.secrets.ike.push(secretSection(ss, p));
        else if (/^eap/.test(sn)) config.secrets.eap.push(secretSection(ss, p));
        else if (/^xauth/.test(sn)) config.secrets.xauth.push(secretSection(ss, p));
        else if (/^(private|rsa|ecdsa|pkcs8)/.test(sn)) {
          const f = ss.children.get('file');
          if (f?.kind === 'key') {
            const sub = /^rsa/.test(sn) ? 'rsa' : /^ecdsa/.test(sn) ? 'ecdsa' : /^pkcs8/.test(sn) ? 'pkcs8' : 'private';
            const abs = f.value.startsWith('/') ? f.value : fs.resolve(fs.resolve(dir, sub), f.value.trim());
            if (fs.exists(abs)) config.secrets.privateKeys.push(abs);
            else err(f.pos, `${p}.file`, `${abs}: no such file`);
          }
          for (const [k, n] of ss.children) if (k !== 'file' && k !== 'secret') err(n.pos, `${p}.${k}`, 'unknown key');
        } else
          err(ss.pos, p, `${/^(pkcs12|token|ntlm|ppk)/.test(sn) ? 'not supported by esprit' : 'unknown secret type'}`);
      }
    } else if (name === 'pools') {
      for (const [pn, ps] of node.children) {
        if (ps.kind !== 'section') {
          err(ps.pos, `pools.${pn}`, 'expected a pool section');
          continue;
        }
        const pool: PoolConfig = { name: pn, pos: ps.pos, addrs: '', dns: [], nbns: [], attributes: [] };
        // strongSwan's named and numbered attributes (pool-attributes.ts)
        const attrSetters: Record<string, Setter<PoolConfig>> = {};
        for (const k of ps.children.keys())
          if (isPoolAttributeKey(k)) attrSetters[k] = (v, t) => void t.attributes.push(parsePoolAttribute(k, v));
        walk<PoolConfig>(
          ps,
          `pools.${pn}`,
          pool,
          {
            addrs: (v, t) => {
              const a = v.trim();
              if (!/^[0-9a-fA-F.:]+(\/\d+|-[0-9a-fA-F.:]+)$/.test(a) && !tryParseIp(a))
                throw new Error(`'${a}' is not a prefix or a from-to range`);
              t.addrs = a;
            },
            dns: (v, t) => {
              t.dns = parseList(v);
              for (const d of t.dns) parseIp(d, 'dns');
            },
            nbns: (v, t) => {
              t.nbns = parseList(v);
            },
            ...attrSetters,
          },
          REFUSED_POOL,
        );
        if (!pool.addrs) err(ps.pos, `pools.${pn}.addrs`, 'missing');
        config.pools.push(pool);
      }
    } else if (name === 'authorities') {
      for (const [an, as] of node.children) {
        if (as.kind !== 'section') {
          err(as.pos, `authorities.${an}`, 'expected an authority section');
          continue;
        }
        const a = { name: an, pos: as.pos, crlUris: [] as string[] } as EspritConfig['authorities'][number];
        walk(
          as,
          `authorities.${an}`,
          a,
          {
            cacert: (v, t) => {
              t.cacert = creds('x509ca')(v)[0];
            },
            crl_uris: (v, t) => {
              t.crlUris = parseList(v);
            },
          },
          ['file', 'handle', 'slot', 'module', 'cert_uri_base', 'ocsp_uris'],
        );
        config.authorities.push(a);
      }
    } else if (name === 'esprit') {
      hostSection(node, config.host, walk, err);
    } else {
      const hint = didYouMean(name, ['connections', 'secrets', 'pools', 'authorities', 'esprit']);
      err(node.pos, name, `unknown section${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
  }
  // swanctl --load-creds loads every file in private/, rsa/, ecdsa/ and pkcs8/ beside the config.
  for (const sub of ['private', 'rsa', 'ecdsa', 'pkcs8']) {
    const d = fs.resolve(dir, sub);
    for (const f of fs.listDir(d)) {
      const abs = fs.resolve(d, f);
      if (!config.secrets.privateKeys.includes(abs)) config.secrets.privateKeys.push(abs);
    }
  }
  // ... and every CA certificate in x509ca/ (trust anchors for certificate authentication).
  for (const f of fs.listDir(fs.resolve(dir, 'x509ca'))) config.caFiles.push(fs.resolve(fs.resolve(dir, 'x509ca'), f));
  // ... and every CRL in x509crl/ (strongSwan's revocation plugin checks them).
  for (const f of fs.listDir(fs.resolve(dir, 'x509crl')))
    config.crlFiles.push(fs.resolve(fs.resolve(dir, 'x509crl'), f));
  // Cross references: pools named by connections exist.
  for (const c of config.connections) {
    for (const p of c.pools)
      if (!config.pools.some((x) => x.name === p)) err(c.pos, `connections.${c.name}.pools`, `no pool named '${p}'`);
  }
  if (errors.length > 0) return { errors };
  return { config, errors };
}

/**
 * strongSwan algorithm keywords (proposal_keywords_static.txt) that esprit does not implement:
 * refused as "not supported by esprit" rather than "unknown".
 */
const STRONGSWAN_ONLY_ALGS =
  /^(3des|des|desiv32|blowfish\d*|cast128|camellia\d*(ccm\d+|gcm\d+|ctr|xcbc)?|aes\d*(ccm\d+|ctr|ccm\d+_\d+)|aes\d*gmac|serpent\d*|twofish\d*|md5(_128)?|sha1_160|sha256_96|sha2_256_96|aescmac|camelliaxcbc|prfmd5|prfaesxcbc|prfaescmac|prfcamelliaxcbc|modp768|modp1024|modp1536|modp6144|modp8192|modp1024s160|modp2048s224|modp2048s256|ecp192|ecp224|ecp224bp|ecp256bp|ecp384bp|ecp512bp|ntru\d+|newhope\d*|kyber\d|mlkem\d+|idea\d*|rc5\d*|null_ctr)$/;

function valueErrorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const text = e instanceof ConfigError && e.path ? e.message.slice(e.path.length + 2) : e.message;
  const alg = /^unknown algorithm '([^']+)' in proposal '([^']+)'/.exec(text);
  if (alg && STRONGSWAN_ONLY_ALGS.test(alg[1] ?? ''))
    return `algorithm '${alg[1]}' in proposal '${alg[2]}': not supported by esprit`;
  return text;
}

export { defaultHost, SettingsSyntaxError };
