/**
 * What the IKE daemon asks of the data plane's key engine, over PF_KEY v2 exactly as an IKE
 * daemon drives a kernel (docs/pfkey.md, "How the IKE daemon uses PF_KEY"):
 *
 *   SADB_REGISTER (ESP)                 so ACQUIRE and X_NAT_T_NEW_MAPPING reach us
 *   SADB_GETSPI  peer -> us             a larval inbound SA and its SPI (before IKE_AUTH /
 *                                       CREATE_CHILD_SA is answered or sent)
 *   SADB_UPDATE  inbound, SADB_ADD outbound, with X_SA2 (tunnel, reqid), lifetimes and, when
 *                UDP-encapsulated, X_NAT_T_TYPE 2 / SPORT / DPORT and esprit's NAT
 *                keepalive / float flags
 *   SADB_X_SPDUPDATE out and in         level unique with the CHILD SA's reqid, so two peers
 *                                       behind one NAT keep their own SAs
 *   SADB_X_SPDDELETE, SADB_DELETE       on teardown
 * Messages are built with the setkey encoder (config/setkey/to-pfkey.ts), so `esprit setkey`
 * and the IKE daemon speak the same PF_KEY.
 */

import { addMessage, bareMessage, saIdMessage, spdMessage } from '../config/setkey/to-pfkey.js';
import type { AddCommand, Policy, Selector, UpperSpec } from '../config/setkey/types.js';
import type { ChildConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { parseTsList, rangeToCidrs, type TrafficSelector, tsToString } from '../config/traffic-selector.js';
import type { EncrAlgorithm, IntegAlgorithm } from '../crypto/suites.js';
import type { ChildSaPlan } from '../ike/child-sa-plan.js';
import { SADB_X_SAFLAGS_ESN } from '../pfkey/private-values.js';
import { type IpAddr, ipFromBytes, parsePrefix, tryParseIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import { type PfkeyExtOf, type PfkeyMessage, SADB_MSG, SADB_SATYPE, type SadbExtName } from '../wire/pfkey/index.js';
import { PfkeyStreamClient } from './pfkey-stream-client.js';

export type IkedKernelEvent =
  | { kind: 'acquire'; reqid: number }
  | { kind: 'new-mapping'; spi: number; newAddr: Uint8Array; newPort: number }
  | { kind: 'expire'; spi: number; hard: boolean };

export interface IkedKernel {
  getSpi(src: Uint8Array, dst: Uint8Array, reqid: number): Promise<number>;
  install(plan: ChildSaPlan): Promise<void>;
  update(plan: ChildSaPlan): Promise<void>;
  /** the deferred outbound SA of a CHILD SA the peer rekeyed */
  activate(plan: ChildSaPlan): Promise<void>;
  remove(plan: ChildSaPlan): Promise<void>;
  installTrap(conn: ConnectionConfig, child: ChildConfig, reqid: number): Promise<void>;
  /** remove every SA and policy with a reqid of the IKE daemon (IKED_REQID_BASE and up) */
  flushOwn(): Promise<void>;
  onEvent(cb: (e: IkedKernelEvent) => void): void;
  /** packets received so far on the installed inbound SA `spiIn` (GET: LIFETIME_CURRENT), undefined if unknown */
  inboundPackets(spiIn: number): Promise<number | undefined>;
  close(): void;
}

/** The IKE daemon's reqids: 0x2000..0x3fff (Linux keeps a unique reqid only up to 0x3fff). */
export const IKED_REQID_BASE = 0x2000;
export const IKED_REQID_MAX = 0x3fff;

const ENCR_NAME: Readonly<Record<number, EncrAlgorithm>> = {
  3: '3des-cbc',
  12: 'aes-cbc',
  18: 'aes-gcm-8',
  19: 'aes-gcm-12',
  20: 'aes-gcm-16',
  28: 'chacha20-poly1305',
};
const INTEG_NAME: Readonly<Record<number, IntegAlgorithm>> = {
  1: 'hmac-md5-96',
  2: 'hmac-sha1-96',
  12: 'hmac-sha256-128',
  13: 'hmac-sha384-192',
  14: 'hmac-sha512-256',
};

function tsSelectors(list: TrafficSelector[]): { sel: Selector; upper: UpperSpec }[] {
  const out: { sel: Selector; upper: UpperSpec }[] = [];
  for (const t of list) {
    for (const cidr of rangeToCidrs(t.startAddr, t.endAddr)) {
      const p = parsePrefix(cidr);
      // A port range is not expressible in PF_KEY selectors: one port or any (0).
      const port = t.startPort === t.endPort ? t.startPort : 0;
      out.push({
        sel: { addr: p.addr, prefixLen: p.len, port },
        upper: { proto: t.protocol === 0 ? 255 : t.protocol },
      });
    }
  }
  return out;
}

export async function connectIkedKernel(path: string, logger: Logger): Promise<IkedKernel> {
  const client = await PfkeyStreamClient.connect(path, 'linux');
  let seq = 1;
  const ids = (): { seq: number; pid: number } => ({ seq: seq++, pid: process.pid });
  let listener: ((e: IkedKernelEvent) => void) | undefined;
  /** policy id of a trap policy -> reqid (ACQUIRE names the policy, Linux layout) */
  const traps = new Map<number, number>();
  /**
   * The SA addresses each installed CHILD SA (by inbound SPI) was installed with: the engine
   * moves its plan when the peer moves, DELETE needs the old ones. Keys are not copied.
   */
  interface Installed {
    outSrc: Uint8Array;
    outDst: Uint8Array;
    inSrc: Uint8Array;
    inDst: Uint8Array;
    encap: boolean;
    /** the outbound SA was re-created at new addresses: the sequence number it started after */
    seqBase: number;
  }
  const installed = new Map<number, Installed>();
  /**
   * Policies are shared by the CHILD SAs of one (reqid, selectors): during a rekey the old and
   * the new CHILD SA both use them, so they go only with the last one (make-before-break).
   */
  const policyUsers = new Map<string, Set<number>>();
  const policyKey = (plan: ChildSaPlan): string =>
    `${plan.reqid}|${plan.localTs.map(tsToString).join(',')}|${plan.remoteTs.map(tsToString).join(',')}`;
  const remember = (plan: ChildSaPlan): void => {
    const k = policyKey(plan);
    const users = policyUsers.get(k) ?? new Set<number>();
    users.add(plan.inbound.spi);
    policyUsers.set(k, users);
    installed.set(plan.inbound.spi, {
      outSrc: plan.outbound.src.slice(),
      outDst: plan.outbound.dst.slice(),
      inSrc: plan.inbound.src.slice(),
      inDst: plan.inbound.dst.slice(),
      encap: plan.encap !== undefined,
      seqBase: 0,
    });
  };

  client.onUnsolicited((m) => {
    const ext = <K extends SadbExtName>(name: K): PfkeyExtOf<K> | undefined =>
      m.extensions.find((e) => e.ext === name) as PfkeyExtOf<K> | undefined;
    if (m.header.type === SADB_MSG.ACQUIRE) {
      const pol = ext('X_POLICY');
      const sa2 = ext('X_SA2');
      const reqid = (pol && traps.get(pol.id)) ?? sa2?.reqid;
      if (reqid !== undefined) listener?.({ kind: 'acquire', reqid });
    } else if (m.header.type === SADB_MSG.X_NAT_T_NEW_MAPPING) {
      const sa = ext('SA');
      const dst = ext('ADDRESS_DST');
      const dport = ext('X_NAT_T_DPORT');
      if (sa && dst && dport)
        listener?.({ kind: 'new-mapping', spi: sa.spi, newAddr: dst.addr.addr, newPort: dport.port });
    } else if (m.header.type === SADB_MSG.EXPIRE) {
      const sa = ext('SA');
      if (sa) listener?.({ kind: 'expire', spi: sa.spi, hard: m.extensions.some((e) => e.ext === 'LIFETIME_HARD') });
    }
  });
  client.onDecodeError = (e) =>
    logger.log('warn', 'pfkey', `undecodable PF_KEY message: ${e instanceof Error ? e.message : String(e)}`);
  await client.request(bareMessage('REGISTER', SADB_SATYPE.ESP, ids()));

  function saCommand(plan: ChildSaPlan, dir: 'in' | 'out'): AddCommand {
    const k = dir === 'in' ? plan.inbound : plan.outbound;
    const encr = ENCR_NAME[plan.encr.id];
    if (!encr) throw new Error(`ENCR ${plan.encr.id} has no PF_KEY algorithm`);
    const integ: IntegAlgorithm = plan.integ === undefined ? 'none' : (INTEG_NAME[plan.integ] ?? 'none');
    const encap = plan.encap;
    const lt = plan.lifetime;
    return {
      op: 'add',
      line: 0,
      satype: encap ? 'esp-udp' : 'esp',
      src: { addr: ipFromBytes(k.src) },
      dst: { addr: ipFromBytes(k.dst) },
      spi: k.spi,
      mode: plan.mode,
      reqid: plan.reqid,
      replay: plan.replayWindow,
      cyclicSeq: true,
      encryption: { algorithm: encr, key: k.encrKey },
      integrity: { algorithm: integ, key: k.integKey ?? new Uint8Array(0) },
      lifetime: {
        hard: {
          ...(lt.hardSeconds ? { time: lt.hardSeconds } : {}),
          ...(lt.hardBytes ? { bytes: BigInt(lt.hardBytes) } : {}),
          ...(lt.hardPackets ? { packets: lt.hardPackets } : {}),
        },
        // The soft limits are the rekey points (rekey_time/bytes/packets less their random
        // share): ipsecd's soft EXPIRE starts the rekey. RFC 2367 §2.3.3 sends hard and soft
        // together, so a limit without a rekey point gets soft = hard.
        soft: {
          ...(lt.softSeconds || lt.hardSeconds ? { time: lt.softSeconds || lt.hardSeconds } : {}),
          ...(lt.softBytes || lt.hardBytes ? { bytes: BigInt(lt.softBytes || lt.hardBytes) } : {}),
          ...(lt.softPackets || lt.hardPackets ? { packets: lt.softPackets || lt.hardPackets } : {}),
        },
      },
      ...(encap
        ? {
            natt: {
              type: encap.framing ?? ('rfc3948' as const),
              // X_NAT_T_SPORT/DPORT: the outer ports of the packets this SA carries.
              sport: dir === 'in' ? encap.remotePort : encap.localPort,
              dport: dir === 'in' ? encap.localPort : encap.remotePort,
              keepalive: dir === 'out' && plan.keepalive,
              float: dir === 'in' && plan.float,
              ...(encap.oa ? { oa: natOa(encap.oa) } : {}),
            },
          }
        : {}),
    };
  }

  function withEsn(m: PfkeyMessage, esn: boolean, type?: number): PfkeyMessage {
    return {
      header: type === undefined ? m.header : { ...m.header, type },
      extensions: m.extensions.map((e) => (e.ext === 'SA' && esn ? { ...e, flags: e.flags | SADB_X_SAFLAGS_ESN } : e)),
    };
  }

  function policyMessages(plan: ChildSaPlan, type: 'X_SPDUPDATE' | 'X_SPDDELETE'): PfkeyMessage[] {
    const out: PfkeyMessage[] = [];
    const us = ipFromBytes(plan.outbound.src);
    const peer = ipFromBytes(plan.outbound.dst);
    const req = (src: typeof us, dst: typeof us): Policy['requests'][number] => ({
      proto: 'esp',
      mode: plan.mode,
      level: 'unique',
      reqid: plan.reqid,
      ...(plan.mode === 'tunnel' ? { tunnel: { src: { addr: src }, dst: { addr: dst } } } : {}),
    });
    for (const l of tsSelectors(plan.localTs)) {
      for (const r of tsSelectors(plan.remoteTs)) {
        if (l.sel.addr.family !== r.sel.addr.family) continue;
        const upper = l.upper.proto !== 255 ? l.upper : r.upper;
        const outPol: Policy = { dir: 'out', action: 'ipsec', requests: [req(us, peer)] };
        const inPol: Policy = { dir: 'in', action: 'ipsec', requests: [req(peer, us)] };
        out.push(spdMessage(type, l.sel, r.sel, upper, 'out', type === 'X_SPDDELETE' ? undefined : outPol, ids()));
        out.push(spdMessage(type, r.sel, l.sel, upper, 'in', type === 'X_SPDDELETE' ? undefined : inPol, ids()));
      }
    }
    return out;
  }

  /** Packets sent on an outbound SA so far (GET: LIFETIME_CURRENT allocations, as Linux counts them), 0 if unknown. */
  async function packetsSent(src: Uint8Array, dst: Uint8Array, spi: number): Promise<number> {
    try {
      const r = await client.request(
        saIdMessage('GET', 'esp', { addr: ipFromBytes(src) }, { addr: ipFromBytes(dst) }, spi, ids()),
      );
      const cur = r.extensions.find((e) => e.ext === 'LIFETIME_CURRENT');
      return cur?.ext === 'LIFETIME_CURRENT' ? cur.allocations : 0;
    } catch {
      return 0;
    }
  }

  /** An installed inbound SA's packet count (LIFETIME_CURRENT allocations: ipsecd counts authenticated packets). */
  async function inboundPackets(spiIn: number): Promise<number | undefined> {
    const rec = installed.get(spiIn);
    if (!rec) return undefined;
    try {
      const r = await client.request(
        saIdMessage('GET', 'esp', { addr: ipFromBytes(rec.inSrc) }, { addr: ipFromBytes(rec.inDst) }, spiIn, ids()),
      );
      const cur = r.extensions.find((e) => e.ext === 'LIFETIME_CURRENT');
      return cur?.ext === 'LIFETIME_CURRENT' ? cur.allocations : undefined;
    } catch {
      return undefined;
    }
  }

  async function deleteSa(src: Uint8Array, dst: Uint8Array, spi: number): Promise<void> {
    try {
      await client.request(
        saIdMessage('DELETE', 'esp', { addr: ipFromBytes(src) }, { addr: ipFromBytes(dst) }, spi, ids()),
      );
    } catch {
      // already gone (hard expiry, flush)
    }
  }

  return {
    async getSpi(src, dst, reqid) {
      const m: PfkeyMessage = {
        header: { version: 2, type: SADB_MSG.GETSPI, errno: 0, satype: SADB_SATYPE.ESP, seq: seq++, pid: process.pid },
        extensions: [
          { ext: 'X_SA2', mode: 2, sequence: 0, reqid },
          { ext: 'ADDRESS_SRC', proto: 255, prefixlen: src.length * 8, addr: sockOf(src) },
          { ext: 'ADDRESS_DST', proto: 255, prefixlen: dst.length * 8, addr: sockOf(dst) },
          { ext: 'SPIRANGE', min: 0xc0000000, max: 0xcfffffff },
        ],
      };
      const r = await client.request(m);
      const sa = r.extensions.find((e) => e.ext === 'SA');
      if (!sa || sa.ext !== 'SA') throw new Error('GETSPI reply without an SA extension');
      return sa.spi;
    },
    async install(plan) {
      // Inbound first (UPDATE of the larval SA from GETSPI), so held packets meet both SAs.
      await client.request(withEsn(addMessage(saCommand(plan, 'in'), 'linux', ids()), plan.esn, SADB_MSG.UPDATE));
      if (!plan.deferOutbound)
        await client.request(withEsn(addMessage(saCommand(plan, 'out'), 'linux', ids()), plan.esn));
      const pols = policyMessages(plan, 'X_SPDUPDATE');
      for (const p of pols) await client.request(p);
      remember(plan);
    },
    async activate(plan) {
      await client.request(withEsn(addMessage(saCommand(plan, 'out'), 'linux', ids()), plan.esn));
    },
    async update(plan) {
      const old = installed.get(plan.inbound.spi);
      if (!old) return;
      let seqBase = old.seqBase;
      const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
      const sameAddresses =
        same(old.outDst, plan.outbound.dst) &&
        same(old.inSrc, plan.inbound.src) &&
        same(old.outSrc, plan.outbound.src) &&
        same(old.inDst, plan.inbound.dst);
      if (sameAddresses && old.encap === (plan.encap !== undefined)) {
        // Only the NAT mapping's port moved: UPDATE of the mature SAs with the new NAT-T
        // ports (docs/pfkey.md: an UPDATE of a mature SA takes encapsulation and lifetimes).
        for (const dir of ['in', 'out'] as const) {
          const m = addMessage(saCommand(plan, dir), 'linux', ids());
          await client.request({
            header: { ...m.header, type: SADB_MSG.UPDATE },
            extensions: m.extensions
              .filter((e) => e.ext !== 'KEY_AUTH' && e.ext !== 'KEY_ENCRYPT')
              .map((e) => (e.ext === 'SA' ? { ...e, auth: 0, encrypt: 0 } : e)),
          });
        }
      } else {
        // An address changed (the peer's, or ours with MOBIKE) or UDP encapsulation came or
        // went: replace both SAs and the policies' tunnel endpoints. The new outbound SA goes
        // on after the old one's last sequence number (X_SA2 sequence, docs/pfkey.md), so the
        // peer's replay window (RFC 4303 §3.4.3) does not drop what follows.
        seqBase = (old.seqBase + (await packetsSent(old.outSrc, old.outDst, plan.outbound.spi))) >>> 0;
        await deleteSa(old.outSrc, old.outDst, plan.outbound.spi);
        const add = withEsn(addMessage(saCommand(plan, 'out'), 'linux', ids()), plan.esn);
        await client.request({
          header: add.header,
          extensions: add.extensions.map((e) => (e.ext === 'X_SA2' ? { ...e, sequence: seqBase } : e)),
        });
        await deleteSa(old.inSrc, old.inDst, plan.inbound.spi);
        await client.request(withEsn(addMessage(saCommand(plan, 'in'), 'linux', ids()), plan.esn));
        for (const p of policyMessages(plan, 'X_SPDUPDATE')) await client.request(p);
      }
      remember(plan);
      const rec = installed.get(plan.inbound.spi);
      if (rec) rec.seqBase = seqBase;
    },
    async remove(plan) {
      const old = installed.get(plan.inbound.spi);
      installed.delete(plan.inbound.spi);
      const users = policyUsers.get(policyKey(plan));
      users?.delete(plan.inbound.spi);
      if (users && users.size > 0) {
        // another CHILD SA (the rekeyed one) still uses the policies: only the SAs go
        await deleteSa(old?.outSrc ?? plan.outbound.src, old?.outDst ?? plan.outbound.dst, plan.outbound.spi);
        await deleteSa(old?.inSrc ?? plan.inbound.src, old?.inDst ?? plan.inbound.dst, plan.inbound.spi);
        return;
      }
      policyUsers.delete(policyKey(plan));
      // SPDDELETE matches on the selectors, which do not move with the peer.
      for (const p of policyMessages(plan, 'X_SPDDELETE')) {
        try {
          await client.request(p);
        } catch {
          // shared with another CHILD SA of the same selectors, or already removed
        }
      }
      await deleteSa(old?.outSrc ?? plan.outbound.src, old?.outDst ?? plan.outbound.dst, plan.outbound.spi);
      await deleteSa(old?.inSrc ?? plan.inbound.src, old?.inDst ?? plan.inbound.dst, plan.inbound.spi);
    },
    async installTrap(conn, child, reqid) {
      const remote = conn.remoteAddrs.map((a) => tryParseIp(a)).find((a) => a !== undefined);
      const local = conn.localAddrs.map((a) => tryParseIp(a)).find((a) => a !== undefined);
      if (!remote || !local) {
        logger.log(
          'warn',
          'ike',
          `${conn.name}/${child.name}: start_action = trap needs literal local_addrs and remote_addrs`,
        );
        return;
      }
      const lts = parseTsList(child.localTs, [local]);
      const rts = parseTsList(child.remoteTs, [remote]);
      for (const l of tsSelectors(lts)) {
        for (const r of tsSelectors(rts)) {
          if (l.sel.addr.family !== r.sel.addr.family) continue;
          const pol: Policy = {
            dir: 'out',
            action: 'ipsec',
            requests: [
              {
                proto: 'esp',
                mode: 'tunnel',
                level: 'unique',
                reqid,
                tunnel: { src: { addr: local }, dst: { addr: remote } },
              },
            ],
          };
          const reply = await client.request(spdMessage('X_SPDUPDATE', l.sel, r.sel, l.upper, 'out', pol, ids()));
          const x = reply.extensions.find((e) => e.ext === 'X_POLICY');
          if (x && x.ext === 'X_POLICY') traps.set(x.id, reqid);
        }
      }
    },
    async flushOwn() {
      const own = (reqid: number): boolean => reqid >= IKED_REQID_BASE && reqid <= IKED_REQID_MAX;
      let sas: PfkeyMessage[] = [];
      try {
        sas = await client.dump(bareMessage('DUMP', SADB_SATYPE.ESP, ids()));
      } catch {
        sas = [];
      }
      for (const m of sas) {
        const sa = m.extensions.find((e) => e.ext === 'SA');
        const sa2 = m.extensions.find((e) => e.ext === 'X_SA2');
        const src = m.extensions.find((e) => e.ext === 'ADDRESS_SRC');
        const dst = m.extensions.find((e) => e.ext === 'ADDRESS_DST');
        if (sa?.ext !== 'SA' || sa2?.ext !== 'X_SA2' || src?.ext !== 'ADDRESS_SRC' || dst?.ext !== 'ADDRESS_DST')
          continue;
        if (own(sa2.reqid)) await deleteSa(src.addr.addr, dst.addr.addr, sa.spi);
      }
      let pols: PfkeyMessage[] = [];
      try {
        pols = await client.dump(bareMessage('X_SPDDUMP', SADB_SATYPE.UNSPEC, ids()));
      } catch {
        pols = [];
      }
      for (const m of pols) {
        const x = m.extensions.find((e) => e.ext === 'X_POLICY');
        if (x?.ext !== 'X_POLICY' || !x.requests.some((r) => own(r.reqid))) continue;
        try {
          await client.request({
            header: { version: 2, type: SADB_MSG.X_SPDDELETE2, errno: 0, satype: 0, seq: seq++, pid: process.pid },
            extensions: [{ ...x, requests: [] }],
          });
        } catch {
          // gone meanwhile
        }
      }
      traps.clear();
      installed.clear();
      policyUsers.clear();
    },
    onEvent(cb) {
      listener = cb;
    },
    inboundPackets,
    close() {
      void client.close();
    },
  };
}

/** RFC 3947 §5.2 NAT-OA as the setkey model carries it (X_NAT_T_OAI / OAR). */
function natOa(oa: { src?: Uint8Array; dst?: Uint8Array }): { src?: IpAddr; dst?: IpAddr } {
  return { ...(oa.src ? { src: ipFromBytes(oa.src) } : {}), ...(oa.dst ? { dst: ipFromBytes(oa.dst) } : {}) };
}

function sockOf(
  b: Uint8Array,
):
  | { family: 4; addr: Uint8Array; port: number }
  | { family: 6; addr: Uint8Array; port: number; flowinfo: number; scopeId: number } {
  return b.length === 4 ? { family: 4, addr: b, port: 0 } : { family: 6, addr: b, port: 0, flowinfo: 0, scopeId: 0 };
}
