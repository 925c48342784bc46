/**
 * The typed events the IKE daemons report, streamed by `esprit monitor` one per line (text or
 * JSON). The cores return them as actions; only the daemon writes them out (STYLE.md §3.8).
 * Field names are stable: `esprit monitor --json` is an interface scripts rely on.
 */
export interface EndpointText {
  readonly address: string;
  readonly port: number;
}

interface Base {
  /** wall-clock time of the event, ISO 8601, filled in by the daemon */
  readonly time?: string;
  /** connection name from the config */
  readonly conn: string;
  /** IKE SA unique id (`#7`) */
  readonly ikeId: number;
}

export type IkeEvent =
  | (Base & {
      readonly kind: 'ike-up';
      readonly local: EndpointText;
      readonly remote: EndpointText;
      readonly remoteId: string;
    })
  | (Base & { readonly kind: 'ike-down'; readonly reason: string })
  | (Base & {
      readonly kind: 'child-up';
      readonly child: string;
      readonly spiIn: number;
      readonly spiOut: number;
      readonly localTs: readonly string[];
      readonly remoteTs: readonly string[];
    })
  | (Base & {
      readonly kind: 'child-down';
      readonly child: string;
      readonly spiIn: number;
      readonly spiOut: number;
      readonly reason: string;
    })
  | (Base & {
      readonly kind: 'nat-detected';
      readonly local: boolean;
      readonly remote: boolean;
      readonly faked: boolean;
    })
  | (Base & {
      readonly kind: 'mapping-changed';
      readonly from: EndpointText;
      readonly to: EndpointText;
      readonly cause: 'ike' | 'esp';
    })
  | (Base & {
      readonly kind: 'retransmit';
      readonly exchange: string;
      readonly messageId: number;
      readonly attempt: number;
    })
  /**
   * RFC 4555 §3.5: the IKE SA and its CHILD SAs moved to new addresses. `role` says which end
   * of the UPDATE_SA_ADDRESSES exchange we were; `result` what became of it.
   */
  | (Base & {
      readonly kind: 'address-update';
      readonly role: 'initiator' | 'responder';
      readonly result: 'sent' | 'done' | 'refused' | 'unacceptable' | 'cookie2-mismatch';
      readonly local: EndpointText;
      readonly remote: EndpointText;
    })
  | (Base & {
      readonly kind: 'auth-failed';
      readonly notify: string;
      readonly peer: string;
      readonly detail: string;
      /**
       * set when EAP failed (RFC 7296 §2.16): unknown-user, wrong-password, nak, malformed,
       * unexpected, peer-rejected, authenticator-mismatch, rejected, no-secret (src/eap/eap-step.ts)
       */
      readonly eap?: string;
    });

export type IkeEventKind = IkeEvent['kind'];

const ep = (e: EndpointText): string =>
  e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
const spi = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** One human-readable line, e.g. `ike-up home[#3] 10.99.1.2:4500 <-> 10.99.2.2:4500 id gw.example`. */
export function formatEvent(e: IkeEvent): string {
  const head = `${e.time ? `${e.time} ` : ''}${e.kind} ${e.conn}[#${e.ikeId}]`;
  switch (e.kind) {
    case 'ike-up':
      return `${head} ${ep(e.local)} <-> ${ep(e.remote)} remote id ${e.remoteId}`;
    case 'ike-down':
      return `${head} ${e.reason}`;
    case 'child-up':
      return `${head} ${e.child} spi in ${spi(e.spiIn)} out ${spi(e.spiOut)} ${e.localTs.join(',')} === ${e.remoteTs.join(',')}`;
    case 'child-down':
      return `${head} ${e.child} spi in ${spi(e.spiIn)} out ${spi(e.spiOut)} ${e.reason}`;
    case 'nat-detected': {
      const sides = [e.local ? 'local host behind NAT' : '', e.remote ? 'remote host behind NAT' : ''].filter(Boolean);
      return `${head} ${sides.join(', ') || 'no NAT'}${e.faked ? ' (faked: encap = yes)' : ''}`;
    }
    case 'mapping-changed':
      return `${head} ${ep(e.from)} -> ${ep(e.to)} (${e.cause === 'esp' ? 'ESP, X_NAT_T_NEW_MAPPING' : 'authenticated IKE message'})`;
    case 'address-update':
      return `${head} ${e.role} ${e.result} ${ep(e.local)} <-> ${ep(e.remote)}`;
    case 'retransmit':
      return `${head} ${e.exchange} request ${e.messageId} retransmit ${e.attempt}`;
    case 'auth-failed':
      return `${head} ${e.notify} from ${e.peer}: ${e.detail}`;
  }
}

/** One JSON line (no trailing newline): the event's fields as they are. */
export function eventJson(e: IkeEvent): string {
  return JSON.stringify(e);
}
