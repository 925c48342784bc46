import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './harness.js';

/**
 * A throw-away PKI made at test time with strongSwan's `pki` tool (5.9.8):
 *
 *   pki --gen --type rsa|ecdsa --size N --outform pem            > key.pem
 *   pki --self --ca --in ca.key --dn DN --outform pem            > ca.pem
 *   pki --pub --in key.pem | pki --issue --cacert ca.pem --cakey ca.key \
 *       --dn DN --san SAN [--flag serverAuth] --outform pem      > cert.pem
 */

export type KeySpec = 'rsa2048' | 'rsa3072' | 'ecdsa256' | 'ecdsa384';

export interface PkiEntity {
  readonly key: string;
  readonly cert: string;
  readonly dn: string;
  readonly san?: string;
}

export interface Pki {
  readonly dir: string;
  readonly keySpec: KeySpec;
  readonly ca: PkiEntity;
  readonly gateway: PkiEntity;
  readonly client: PkiEntity;
}

export interface PkiOptions {
  readonly keySpec?: KeySpec;
  readonly dir?: string;
  readonly gatewaySan?: string;
  readonly clientSan?: string;
}

const PKI = 'pki';

function keyArgs(spec: KeySpec): string[] {
  switch (spec) {
    case 'rsa2048':
      return ['--type', 'rsa', '--size', '2048'];
    case 'rsa3072':
      return ['--type', 'rsa', '--size', '3072'];
    case 'ecdsa256':
      return ['--type', 'ecdsa', '--size', '256'];
    case 'ecdsa384':
      return ['--type', 'ecdsa', '--size', '384'];
  }
}

/** Runs `pki` through sh so that pipes work; the output file receives stdout. */
async function pki(script: string): Promise<void> {
  await run(['sh', '-c', `set -e; ${script}`], { timeoutMs: 60_000 });
}

/** Make a CA plus gateway and client certificates (signed by the CA) in a temp directory. */
export async function makePki(opts: PkiOptions = {}): Promise<Pki> {
  const keySpec = opts.keySpec ?? 'ecdsa256';
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'esprit-pki-'));
  const gen = `${PKI} --gen ${keyArgs(keySpec).join(' ')} --outform pem`;
  const ca: PkiEntity = {
    key: join(dir, 'ca.key.pem'),
    cert: join(dir, 'ca.cert.pem'),
    dn: 'C=CH, O=esprit test, CN=esprit test CA',
  };
  await pki(`${gen} > '${ca.key}'`);
  await pki(`${PKI} --self --ca --lifetime 30 --in '${ca.key}' --dn '${ca.dn}' --outform pem > '${ca.cert}'`);
  const issue = async (name: string, cn: string, san: string, flags: string): Promise<PkiEntity> => {
    const e: PkiEntity = {
      key: join(dir, `${name}.key.pem`),
      cert: join(dir, `${name}.cert.pem`),
      dn: `C=CH, O=esprit test, CN=${cn}`,
      san,
    };
    await pki(`${gen} > '${e.key}'`);
    await pki(
      `${PKI} --pub --in '${e.key}' | ${PKI} --issue --lifetime 30 --cacert '${ca.cert}' ` +
        `--cakey '${ca.key}' --dn '${e.dn}' --san '${san}' ${flags} --outform pem > '${e.cert}'`,
    );
    return e;
  };
  const gateway = await issue(
    'gateway',
    'gw.esprit.test',
    opts.gatewaySan ?? 'gw.esprit.test',
    '--flag serverAuth --flag ikeIntermediate',
  );
  const client = await issue('client', 'client.esprit.test', opts.clientSan ?? 'client@esprit.test', '');
  const result: Pki = { dir, keySpec, ca, gateway, client };
  writeFileSync(join(dir, 'pki.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
