import { type Issued, TestPki } from './pki.js';

export interface BigCertChain {
  readonly p: TestPki;
  readonly gw: Issued;
  readonly client: Issued;
}

const made = new Map<string, Promise<BigCertChain>>();

/**
 * A 4096-bit RSA chain (root, intermediate) with gw.esprit.test and client.esprit.test
 * certificates: large enough that IKE messages carrying it need fragmentation (the
 * fragmentation scenarios). Made once per directory, since 4096-bit keys take seconds.
 */
export function bigCertChain(dir: string): Promise<BigCertChain> {
  let c = made.get(dir);
  if (!c) {
    c = (async () => {
      const p = await TestPki.createChain(dir, 4096);
      const gw = await p.issue('gw.esprit.test', 'rsa', 4096);
      const client = await p.issue('client.esprit.test', 'rsa', 4096);
      return { p, gw, client };
    })();
    made.set(dir, c);
  }
  return c;
}
