/**
 * Certificates for the system tests, made at test time by strongSwan's `pki` (strongswan-pki):
 * a CA, and end-entity certificates with a subjectAltName, RSA or ECDSA; or (createChain) a
 * root CA -> intermediate CA pair that issues the end entities.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../harness.js';

export interface Issued {
  key: string;
  cert: string;
  dn: string;
}

async function pki(args: string[], out: string): Promise<void> {
  const r = await run(['sh', '-c', `pki ${args.map((a) => `'${a}'`).join(' ')} > '${out}'`], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`pki ${args.join(' ')}: ${r.stderr}`);
}

export class TestPki {
  private constructor(
    readonly dir: string,
    /** the CA that issues end entities */
    readonly ca: Issued,
    /** the root above `ca` when it is an intermediate */
    readonly root?: Issued,
  ) {}

  /** A self-signed root CA and an intermediate CA it signs, both RSA of `bits`; issue() uses the intermediate. */
  static async createChain(parent: string, bits: number): Promise<TestPki> {
    const dir = mkdtempSync(join(parent, 'pki-'));
    const rootKey = join(dir, 'root.key');
    const rootCert = join(dir, 'root.crt');
    const rootDn = 'C=CH, O=esprit, CN=esprit test root CA';
    await pki(['--gen', '--type', 'rsa', '--size', String(bits), '--outform', 'pem'], rootKey);
    await pki(['--self', '--ca', '--lifetime', '30', '--in', rootKey, '--dn', rootDn, '--outform', 'pem'], rootCert);
    const key = join(dir, 'intermediate.key');
    const pub = join(dir, 'intermediate.pub');
    const cert = join(dir, 'intermediate.crt');
    const dn = 'C=CH, O=esprit, CN=esprit test intermediate CA';
    await pki(['--gen', '--type', 'rsa', '--size', String(bits), '--outform', 'pem'], key);
    await pki(['--pub', '--in', key, '--outform', 'pem'], pub);
    await pki(
      [
        '--issue',
        '--ca',
        '--lifetime',
        '30',
        '--cacert',
        rootCert,
        '--cakey',
        rootKey,
        '--in',
        pub,
        '--dn',
        dn,
        '--outform',
        'pem',
      ],
      cert,
    );
    return new TestPki(dir, { key, cert, dn }, { key: rootKey, cert: rootCert, dn: rootDn });
  }

  static async create(parent: string): Promise<TestPki> {
    const dir = mkdtempSync(join(parent, 'pki-'));
    const key = join(dir, 'ca.key');
    const cert = join(dir, 'ca.crt');
    const dn = 'C=CH, O=esprit, CN=esprit test CA';
    await pki(['--gen', '--type', 'ecdsa', '--size', '384', '--outform', 'pem'], key);
    await pki(['--self', '--ca', '--lifetime', '30', '--in', key, '--dn', dn, '--outform', 'pem'], cert);
    return new TestPki(dir, { key, cert, dn });
  }

  /** An end-entity certificate for `name` (CN and DNS subjectAltName). */
  async issue(name: string, type: 'rsa' | 'ecdsa', size: number): Promise<Issued> {
    const key = join(this.dir, `${name}.key`);
    const pub = join(this.dir, `${name}.pub`);
    const cert = join(this.dir, `${name}.crt`);
    const dn = `C=CH, O=esprit, CN=${name}`;
    await pki(['--gen', '--type', type, '--size', String(size), '--outform', 'pem'], key);
    await pki(['--pub', '--in', key, '--outform', 'pem'], pub);
    await pki(
      [
        '--issue',
        '--lifetime',
        '30',
        '--cacert',
        this.ca.cert,
        '--cakey',
        this.ca.key,
        '--in',
        pub,
        '--dn',
        dn,
        '--san',
        name,
        '--outform',
        'pem',
      ],
      cert,
    );
    return { key, cert, dn };
  }

  /** A CRL of the issuing CA (`pki --signcrl`) revoking `revoked` (key-compromise), PEM. */
  async crl(revoked: readonly Issued[]): Promise<Uint8Array> {
    const out = join(this.dir, `crl-${revoked.length}-${Date.now()}.crl`);
    const args = ['--signcrl', '--cacert', this.ca.cert, '--cakey', this.ca.key, '--lifetime', '30'];
    for (const r of revoked) args.push('--reason', 'key-compromise', '--cert', r.cert);
    await pki([...args, '--outform', 'pem'], out);
    return readFileSync(out);
  }

  /**
   * The swanctl files of one host: x509/NAME.crt, private/NAME.key, x509ca/ca.crt (and
   * x509ca/root.crt for a chain: the intermediate in x509ca/ is what strongSwan and esprit send).
   */
  files(host: Issued, name: string): Record<string, Uint8Array> {
    return {
      [`x509/${name}.crt`]: readFileSync(host.cert),
      [`private/${name}.key`]: readFileSync(host.key),
      'x509ca/ca.crt': readFileSync(this.ca.cert),
      ...(this.root ? { 'x509ca/root.crt': readFileSync(this.root.cert) } : {}),
    };
  }
}
