/**
 * TEST FIXTURE: a minimal key manager for the ACQUIRE scenario (acquire.test.ts), run in a
 * lab namespace beside ipsecd. It does what racoon / strongSwan's kernel-pfkey do with
 * SADB_ACQUIRE (RFC 2367 §3.1.6), minus IKE: the keys are given on the command line.
 *
 *   connect to ipsecd's PF_KEY socket (linux dialect)
 *   SADB_REGISTER (ESP) ─────────────────────────────> stdout "registered"
 *   wait ... SADB_ACQUIRE (pid 0) <──────────────────  stdout "acquire {seq, src, dst, policyId}"
 *   first ACQUIRE: SADB_ADD inbound SA, then SADB_ADD outbound SA (ESP-in-UDP, tunnel mode)
 *                  ──────────────────────────────────> stdout "installed" (or "install-failed ...")
 *   keeps reporting further ACQUIREs until SIGTERM
 *
 * The inbound SA goes in first, so the reply to a released packet finds its SA. Requests are
 * built with the test-only builder (src/pfkey/test-buffers.ts, Linux pfkeyv2.h layouts);
 * replies and ACQUIREs are decoded with src/wire/pfkey.
 *
 *   node acquire-key-manager.js --socket PATH --spec JSON
 *   spec: {local, remote, localPort, remotePort, replay,
 *          out: {spi, key, flags}, in: {spi, key, flags}}   keys: AES-GCM-16 key||salt, hex
 */
import { PfkeyStreamClient } from '../../../src/daemon/pfkey-stream-client.js';
import { address, key, msg, natPort, natType, sa, sa2 } from '../../../src/pfkey/test-buffers.js';
import { formatIp } from '../../../src/util/ip-addr.js';
import type { PfkeyMessage } from '../../../src/wire/pfkey/index.js';

export interface KmDirection {
  readonly spi: number;
  /** AES-128-GCM key || 4-byte salt, 40 hex digits (RFC 4106 §8.1) */
  readonly key: string;
  /** sadb_sa_flags (esprit private NAT bits: 0x00010000 keepalive, 0x00020000 float) */
  readonly flags?: number;
}

export interface KmSpec {
  /** this host's outer address and NAT-T port */
  readonly local: string;
  readonly localPort: number;
  /** the peer's outer address and NAT-T port */
  readonly remote: string;
  readonly remotePort: number;
  readonly replay: number;
  readonly out: KmDirection;
  readonly in: KmDirection;
}

/** One ACQUIRE as the fixture prints it after "acquire ". */
export interface KmAcquire {
  readonly seq: number;
  readonly pid: number;
  readonly src: string;
  readonly dst: string;
  readonly policyId: number;
  readonly extensions: string[];
}

// Linux pfkeyv2.h numbers, as literals (not constants.ts)
const SADB_ADD = 3;
const SADB_ACQUIRE = 6;
const SADB_REGISTER = 7;
const SATYPE_ESP = 3;
const EXT_ADDRESS_SRC = 5;
const EXT_ADDRESS_DST = 6;
const EXT_KEY_ENCRYPT = 9;
const NAT_T_SPORT = 21;
const NAT_T_DPORT = 22;
const IPSEC_MODE_TUNNEL = 2;
const SADB_X_EALG_AES_GCM_ICV16 = 20;
const UDP_ENCAP_ESPINUDP = 2; // RFC 3948 (linux/udp.h)

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`missing ${name}`);
  return v;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describeAcquire(m: PfkeyMessage): KmAcquire {
  let src = '';
  let dst = '';
  let policyId = -1;
  for (const e of m.extensions) {
    if (e.ext === 'ADDRESS_SRC') src = formatIp(e.addr.addr);
    if (e.ext === 'ADDRESS_DST') dst = formatIp(e.addr.addr);
    if (e.ext === 'X_POLICY') policyId = e.id;
  }
  return { seq: m.header.seq, pid: m.header.pid, src, dst, policyId, extensions: m.extensions.map((e) => e.ext) };
}

async function main(): Promise<void> {
  const spec = JSON.parse(arg('--spec')) as KmSpec;
  const client = await PfkeyStreamClient.connect(arg('--socket'), 'linux');
  const pid = process.pid;
  let seq = 0;
  const waiting = new Map<string, (m: PfkeyMessage) => void>();
  let installing = false;

  /** Send builder-made bytes; resolves with the reply of the same type and seq carrying our pid. */
  const ask = (type: number, bytes: Uint8Array, s: number): Promise<PfkeyMessage> =>
    new Promise((resolve) => {
      waiting.set(`${type} ${s}`, resolve);
      client.sendRaw(bytes);
    });

  const addSa = (s: number, src: string, dst: string, sport: number, dport: number, d: KmDirection) =>
    ask(
      SADB_ADD,
      msg(
        { type: SADB_ADD, satype: SATYPE_ESP, seq: s, pid },
        sa(d.spi, spec.replay, 0, 0, SADB_X_EALG_AES_GCM_ICV16, d.flags ?? 0),
        address('linux', EXT_ADDRESS_SRC, src),
        address('linux', EXT_ADDRESS_DST, dst),
        key(EXT_KEY_ENCRYPT, d.key),
        sa2(IPSEC_MODE_TUNNEL, 0),
        natType(UDP_ENCAP_ESPINUDP),
        natPort(NAT_T_SPORT, sport),
        natPort(NAT_T_DPORT, dport),
      ),
      s,
    );

  const install = async (acqSeq: number): Promise<void> => {
    // racoon answers with the ACQUIRE's seq on its GETSPI/UPDATE; our ADDs reuse it too
    const inbound = await addSa(acqSeq, spec.remote, spec.local, spec.remotePort, spec.localPort, spec.in);
    const outbound = await addSa(acqSeq, spec.local, spec.remote, spec.localPort, spec.remotePort, spec.out);
    const errs = [inbound.header.errno, outbound.header.errno];
    say(errs.every((e) => e === 0) ? 'installed' : `install-failed errno in ${errs[0]} out ${errs[1]}`);
  };

  client.onUnsolicited((m) => {
    const h = m.header;
    const k = `${h.type} ${h.seq}`;
    const w = h.pid === pid ? waiting.get(k) : undefined;
    if (w) {
      waiting.delete(k);
      w(m);
      return;
    }
    if (h.type !== SADB_ACQUIRE) return;
    say(`acquire ${JSON.stringify(describeAcquire(m))}`);
    if (installing) return;
    installing = true;
    install(h.seq).catch((e: unknown) => say(`install-failed ${(e as Error).message}`));
  });
  client.onDecodeError = (e) => say(`decode-error ${(e as Error).message}`);

  process.on('SIGTERM', () => {
    client.destroy();
    process.exit(0);
  });

  seq++;
  const reg = await ask(SADB_REGISTER, msg({ type: SADB_REGISTER, satype: SATYPE_ESP, seq, pid }), seq);
  if (reg.header.errno !== 0) throw new Error(`REGISTER failed: errno ${reg.header.errno}`);
  say('registered');
}

main().catch((e: unknown) => {
  process.stderr.write(`acquire-key-manager: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
