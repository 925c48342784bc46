/**
 * Warnings about a valid configuration: things that load but are weak or not acted on.
 * `esprit config check` prints them; they never make a configuration invalid.
 */
import type { EspritConfig } from './swanctl-types.js';

export interface ConfigWarning {
  /** `file:line:col: key.path` */
  where: string;
  message: string;
}

/**
 * - IKEv1 Aggressive Mode with a pre-shared key: the responder's second message carries
 *   HASH_R, keyed with the PSK, in clear, so anyone who sees it can test PSK guesses offline
 *   (RFC 2409 §5.4; Libreswan and strongSwan warn or refuse the same way).
 * - IKEv1 connections that need what `esprit iked` does not negotiate yet for IKEv1
 *   (authentication other than PSK, XAUTH and RSA signatures): docs/ikev1.md.
 */
/** swanctl's public-key `auth` values: RSA signatures in Main Mode and as Aggressive Mode responder (docs/ikev1.md). */
const isPubkey = (auth: string): boolean => auth === 'pubkey' || auth === 'rsa';

export function configWarnings(config: EspritConfig): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  for (const c of config.connections) {
    if (c.version !== 1) continue;
    const where = `${c.pos.file}:${c.pos.line}:${c.pos.col}: connections.${c.name}`;
    const psk = [...c.local, ...c.remote].some((r) => r.auth === 'psk');
    if (c.aggressive && psk)
      out.push({
        where,
        message:
          'IKEv1 Aggressive Mode with a pre-shared key: the PSK can be cracked offline from one captured exchange, HASH_R is keyed with it and travels in clear (RFC 2409 §5.4); prefer Main Mode or certificates',
      });
    const initiates = c.remoteAddrs.some((a) => !a.startsWith('%') && !a.includes('/'));
    const missing = [
      // aggressive-initiator.ts speaks PSK only; signatures in Aggressive Mode only as responder
      ...(c.aggressive && initiates && c.local.some((r) => isPubkey(r.auth))
        ? ['Aggressive Mode with signatures as initiator']
        : []),
      ...[...c.local, ...c.remote]
        .filter((r) => r.auth !== 'psk' && !r.auth.startsWith('xauth') && !isPubkey(r.auth))
        .map((r) => `auth = ${r.auth}`),
    ];
    if (missing.length > 0)
      out.push({
        where,
        message: `IKEv1 (version = 1): not negotiated by esprit iked yet: ${[...new Set(missing)].join(', ')} (docs/ikev1.md)`,
      });
  }
  return out;
}
