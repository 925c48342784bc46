#!/usr/bin/env python3
"""Independent PF_KEY v2 client for `esprit ipsecd`, written from docs/pfkey.md only.

Standard library only (socket AF_UNIX, struct). It is a second implementation of the wire
format: nothing here is derived from esprit's TypeScript. Every layout below cites the
docs/pfkey.md section it comes from.

Gaps in docs/pfkey.md this client exposed (all fixed in the docs since):
  - satype numbers (ESP 3, AH 2) and SA states (LARVAL 0 .. DEAD 3) were not given
    (taken from RFC 2367 §2.3.1 at first);
  - ipsecrequest `proto` did not say it is an IP protocol number (ESP 50);
  - the policy id's low 3 bits use the xfrm direction numbers (out = 1), not IPSEC_DIR;
  - "every reply echoes seq" contradicted DUMP's seq N-1..0; reply type and the echo of
    pid 0 were unstated; error replies' version was unstated;
  - EMSGSIZE for a wrong sadb_msg_len cannot happen over the stream socket (framing uses it);
  - which request fields matter (sadb_sa_state, address proto/prefixlen/port) was unstated;
  - the message table omitted X_SA2 from NEW_MAPPING, optional extensions (X_NAT_T_DPORT in
    GET/DELETE) and which replies carry keys; kame replies carry both OAI and OAR;
  - algorithm numbers and key bits were spread over prose; now one table.

Usage: pfkey_client.py --socket PATH --dialect linux|kame --params JSON
Prints one JSON object describing what the daemon answered (the TypeScript test asserts it).

Scenario (params choose every value):
  watcher connection: REGISTER(ESP) first, so it receives REGISTERED and ALL broadcasts
  main connection:    REGISTER -> GETSPI(SPIRANGE) -> UPDATE(larval, keys, NAT-T, OA)
                      -> ADD(outbound) -> GET -> DUMP -> X_SPDADD(tunnel request)
                      -> X_SPDDUMP -> DELETE(outbound) -> GET(deleted) -> invalid messages
  watcher: a barrier request (GET of a missing SA with a unique seq) whose error reply
  arrives after every broadcast caused by the main connection (one ordered stream).
"""

import argparse
import json
import socket
import struct
import sys

# --- numbers (docs/pfkey.md "Messages", "Extensions"; RFC 2367 §2.3.1/§3.1 for the rest) ---
PF_KEY_V2 = 2
MSG = {
    'GETSPI': 1, 'UPDATE': 2, 'ADD': 3, 'DELETE': 4, 'GET': 5, 'ACQUIRE': 6,
    'REGISTER': 7, 'EXPIRE': 8, 'FLUSH': 9, 'DUMP': 10, 'X_PROMISC': 11,
    'X_SPDADD': 14, 'X_SPDDUMP': 18, 'X_SPDFLUSH': 19,
}
MSG_NAME = {v: k for k, v in MSG.items()}
SATYPE_UNSPEC, SATYPE_AH, SATYPE_ESP = 0, 2, 3  # RFC 2367 §2.3.1 (not in docs/pfkey.md)
EXT = {
    'SA': 1, 'LIFETIME_CURRENT': 2, 'LIFETIME_HARD': 3, 'LIFETIME_SOFT': 4,
    'ADDRESS_SRC': 5, 'ADDRESS_DST': 6, 'KEY_AUTH': 8, 'KEY_ENCRYPT': 9,
    'SUPPORTED_AUTH': 14, 'SUPPORTED_ENCRYPT': 15, 'SPIRANGE': 16, 'X_POLICY': 18,
    'X_SA2': 19, 'X_NAT_T_TYPE': 20, 'X_NAT_T_SPORT': 21, 'X_NAT_T_DPORT': 22,
    'X_NAT_T_OA': 23,  # linux X_NAT_T_OA, kame X_NAT_T_OAI
    'X_NAT_T_OAR': 24,  # kame only (linux 24 = X_SEC_CTX)
}
EXT_NAME = {v: k for k, v in EXT.items()}
SASTATE = {0: 'larval', 1: 'mature', 2: 'dying', 3: 'dead'}  # RFC 2367 §2.3.1
AF_INET = 2
IPPROTO_ESP = 50
ERRNO = {  # docs/pfkey.md "Errors"
    'linux': {'ENOENT': 2, 'ESRCH': 3, 'EEXIST': 17, 'EINVAL': 22, 'EMSGSIZE': 90, 'EOPNOTSUPP': 95},
    'kame': {'ENOENT': 2, 'ESRCH': 3, 'EEXIST': 17, 'EINVAL': 22, 'EMSGSIZE': 40, 'EOPNOTSUPP': 45},
}


def pad8(b):
    return b + b'\0' * (-len(b) % 8)


# --- sockaddr (docs/pfkey.md "sockaddr per dialect") ---
def sockaddr_in(dialect, addr, port=0):
    a = socket.inet_aton(addr)
    if dialect == 'linux':
        return struct.pack('<H', AF_INET) + struct.pack('>H', port) + a + b'\0' * 8
    return struct.pack('BB', 16, AF_INET) + struct.pack('>H', port) + a + b'\0' * 8


def parse_sockaddr(dialect, b):
    if dialect == 'linux':
        (family,) = struct.unpack_from('<H', b, 0)
    else:
        sa_len, family = struct.unpack_from('BB', b, 0)
        assert sa_len == 16, f'sa_len {sa_len}'
    assert family == AF_INET, f'family {family}'
    (port,) = struct.unpack_from('>H', b, 2)
    return {'addr': socket.inet_ntoa(b[4:8]), 'port': port}


# --- extensions (docs/pfkey.md "Extensions" layouts) ---
def ext(type_, body):
    """sadb_ext: len (u16h, 64-bit words incl. header), type (u16h), body padded to 8."""
    raw = pad8(struct.pack('<HH', 0, type_) + body)
    return struct.pack('<HH', len(raw) // 8, type_) + raw[4:]


def ext_sa(spi, replay=0, state=1, auth=0, encrypt=0, flags=0):
    return ext(EXT['SA'], struct.pack('>I', spi) + struct.pack('<BBBBI', replay, state, auth, encrypt, flags))


def ext_address(name, dialect, addr, prefixlen=32, port=0, proto=0):
    return ext(EXT[name], struct.pack('<BBH', proto, prefixlen, 0) + sockaddr_in(dialect, addr, port))


def ext_key(name, hexkey):
    key = bytes.fromhex(hexkey)
    return ext(EXT[name], struct.pack('<HH', len(key) * 8, 0) + key)


def ext_lifetime(name, allocations=0, bytes_=0, addtime=0, usetime=0):
    return ext(EXT[name], struct.pack('<IQQQ', allocations, bytes_, addtime, usetime))


def ext_sa2(mode, reqid):
    return ext(EXT['X_SA2'], struct.pack('<BBHII', mode, 0, 0, 0, reqid))


def ext_spirange(lo, hi):
    return ext(EXT['SPIRANGE'], struct.pack('<III', lo, hi, 0))


def ext_natt_type(t):
    return ext(EXT['X_NAT_T_TYPE'], struct.pack('<B3x', t))


def ext_natt_port(name, port):
    return ext(EXT[name], struct.pack('>H', port) + b'\0\0')


def ext_policy(dialect, dir_, type_, requests, priority=0, id_=0):
    body = struct.pack('<HBBII', type_, dir_, 0, id_, priority)
    for r in requests:
        ends = sockaddr_in(dialect, r['src']) + sockaddr_in(dialect, r['dst']) if r['mode'] == 2 else b''
        if dialect == 'linux':
            # 16-byte request: len u16h (BYTES), proto u16h, mode, level, reserved1 u16, reqid u32h, reserved2
            length = 16 + len(ends)
            req = struct.pack('<HHBBHII', length, IPPROTO_ESP, r['mode'], r['level'], 0, r['reqid'], 0)
        else:
            # 8-byte request: len u16h (BYTES), proto u16h, mode, level, reqid u16h
            length = 8 + len(ends)
            req = struct.pack('<HHBBH', length, IPPROTO_ESP, r['mode'], r['level'], r['reqid'])
        body += pad8(req + ends)
    return ext(EXT['X_POLICY'], body)


def msg(type_, satype, seq, pid, exts=(), version=PF_KEY_V2, reserved=0):
    """sadb_msg (16 bytes): version, type, errno, satype, len u16h (words), reserved, seq, pid."""
    body = b''.join(exts)
    return struct.pack('<BBBBHHII', version, type_, 0, satype, (16 + len(body)) // 8, reserved, seq, pid) + body


def parse_ext(dialect, type_, b):
    """b = the whole extension including its 4-byte header."""
    name = EXT_NAME.get(type_, f'UNKNOWN_{type_}')
    if name == 'X_NAT_T_OA' and dialect == 'kame':
        name = 'X_NAT_T_OAI'
    if name == 'SA':
        (spi,) = struct.unpack_from('>I', b, 4)
        replay, state, auth, encrypt, flags = struct.unpack_from('<BBBBI', b, 8)
        return name, {'spi': spi, 'replay': replay, 'state': SASTATE.get(state, state), 'auth': auth,
                      'encrypt': encrypt, 'flags': flags}
    if name.startswith('LIFETIME_'):
        allocations, bytes_, addtime, usetime = struct.unpack_from('<IQQQ', b, 4)
        return name, {'allocations': allocations, 'bytes': bytes_, 'addtime': addtime, 'usetime': usetime}
    if name.startswith('ADDRESS_') or name in ('X_NAT_T_OA', 'X_NAT_T_OAI', 'X_NAT_T_OAR'):
        proto, prefixlen = struct.unpack_from('<BB', b, 4)
        return name, {'proto': proto, 'prefixlen': prefixlen, **parse_sockaddr(dialect, b[8:])}
    if name.startswith('KEY_'):
        (bits,) = struct.unpack_from('<H', b, 4)
        assert len(b) == len(pad8(b[:8 + (bits + 7) // 8])), 'key padding (minimal, docs "Strictness")'
        return name, {'bits': bits, 'key': b[8:8 + (bits + 7) // 8].hex()}
    if name.startswith('SUPPORTED_'):
        algs = []
        for off in range(8, len(b), 8):
            id_, ivlen, minbits, maxbits = struct.unpack_from('<BBHH', b, off)
            algs.append({'id': id_, 'ivlen': ivlen, 'minbits': minbits, 'maxbits': maxbits})
        return name, algs
    if name == 'X_SA2':
        mode, _r1, _r2, sequence, reqid = struct.unpack_from('<BBHII', b, 4)
        return name, {'mode': mode, 'reqid': reqid, 'sequence': sequence}
    if name == 'X_NAT_T_TYPE':
        return name, {'type': b[4]}
    if name in ('X_NAT_T_SPORT', 'X_NAT_T_DPORT'):
        return name, {'port': struct.unpack_from('>H', b, 4)[0]}
    if name == 'X_POLICY':
        type_, dir_, _res, id_, priority = struct.unpack_from('<HBBII', b, 4)
        requests = []
        off = 16
        while off < len(b):
            if dialect == 'linux':
                rlen, proto, mode, level, _r1, reqid, _r2 = struct.unpack_from('<HHBBHII', b, off)
                hdr = 16
            else:
                rlen, proto, mode, level, reqid = struct.unpack_from('<HHBBH', b, off)
                hdr = 8
            assert rlen >= hdr and rlen % 8 == 0 and off + rlen <= len(b), f'ipsecrequest len {rlen}'
            req = {'len': rlen, 'proto': proto, 'mode': mode, 'level': level, 'reqid': reqid}
            if rlen >= hdr + 32:
                req['src'] = parse_sockaddr(dialect, b[off + hdr:off + hdr + 16])['addr']
                req['dst'] = parse_sockaddr(dialect, b[off + hdr + 16:off + hdr + 32])['addr']
            requests.append(req)
            off += rlen
        return name, {'type': type_, 'dir': dir_, 'id': id_, 'priority': priority, 'requests': requests}
    return name, {'raw': b[4:].hex()}


def parse_msg(dialect, b):
    version, type_, errno, satype, length, reserved, seq, pid = struct.unpack_from('<BBBBHHII', b, 0)
    assert length * 8 == len(b), 'sadb_msg_len'
    m = {'version': version, 'type': MSG_NAME.get(type_, type_), 'errno': errno, 'satype': satype,
         'len': length, 'seq': seq, 'pid': pid, 'ext': {}, 'order': []}
    off = 16
    while off < len(b):
        elen, etype = struct.unpack_from('<HH', b, off)
        assert elen >= 1 and off + elen * 8 <= len(b), f'ext len {elen} at {off}'
        name, val = parse_ext(dialect, etype, b[off:off + elen * 8])
        assert name not in m['ext'], f'duplicate {name}'
        m['ext'][name] = val
        m['order'].append(name)
        off += elen * 8
    return m


class Conn:
    """One stream connection: messages back to back, delimited by sadb_msg_len ("Framing")."""

    def __init__(self, path, dialect, pid):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.dialect = dialect
        self.pid = pid
        self.seq = 0

    def _read(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError('daemon closed the connection')
            buf += chunk
        return buf

    def recv(self):
        head = self._read(16)
        (length,) = struct.unpack_from('<H', head, 4)
        return parse_msg(self.dialect, head + self._read(length * 8 - 16))

    def send(self, type_, satype, exts=(), seq=None, **kw):
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.s.sendall(msg(type_, satype, seq, self.pid, exts, **kw))
        return seq

    def request(self, type_, satype, exts=(), **kw):
        """Send and return the reply (same type, seq and pid), skipping broadcasts of others."""
        seq = self.send(type_, satype, exts, **kw)
        return self.reply_to(type_, seq)

    def reply_to(self, type_, seq):
        while True:
            m = self.recv()
            if m['type'] == MSG_NAME.get(type_, type_) and m['seq'] == seq and m['pid'] == self.pid:
                return m

    def dump(self, type_, satype):
        """DUMP / X_SPDDUMP: one reply per entry, last one has seq 0 ("Clients and pids")."""
        self.send(type_, satype)
        out = []
        while True:
            m = self.recv()
            if m['type'] != MSG_NAME[type_] or m['pid'] != self.pid:
                continue
            out.append(m)
            if m['seq'] == 0 or m['errno'] != 0:
                return out


def summary(m):
    return {k: m[k] for k in ('type', 'errno', 'satype', 'seq', 'pid', 'ext', 'order')}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--socket', required=True)
    ap.add_argument('--dialect', choices=['linux', 'kame'], required=True)
    ap.add_argument('--params', required=True)
    args = ap.parse_args()
    d = args.dialect
    p = json.loads(args.params)
    out = {'dialect': d}

    watcher = Conn(args.socket, d, p['watcherPid'])
    w_reg = watcher.request(MSG['REGISTER'], SATYPE_ESP)
    out['watcherRegister'] = {'errno': w_reg['errno']}

    c = Conn(args.socket, d, p['pid'])
    inb, outb = p['inbound'], p['outbound']

    # REGISTER: reply carries SUPPORTED_AUTH / SUPPORTED_ENCRYPT
    reg = c.request(MSG['REGISTER'], SATYPE_ESP)
    out['register'] = {'errno': reg['errno'], 'order': reg['order'],
                       'encrypt': reg['ext'].get('SUPPORTED_ENCRYPT'), 'auth': reg['ext'].get('SUPPORTED_AUTH')}

    # GETSPI: larval inbound SA (peer -> us) with an SPI from SPIRANGE
    gs = c.request(MSG['GETSPI'], SATYPE_ESP, [
        ext_sa2(inb['mode'], inb['reqid']),
        ext_address('ADDRESS_SRC', d, inb['src']),
        ext_address('ADDRESS_DST', d, inb['dst']),
        ext_spirange(p['spiRange'][0], p['spiRange'][1]),
    ])
    out['getspi'] = summary(gs)
    spi = gs['ext']['SA']['spi']

    # UPDATE the larval SA to mature: keys, lifetimes, NAT-T TYPE/SPORT/DPORT/OA
    oa = [ext_address('X_NAT_T_OA', d, inb['oa']['src'])]
    if d == 'kame':
        oa.append(ext_address('X_NAT_T_OAR', d, inb['oa']['dst']))
    up = c.request(MSG['UPDATE'], SATYPE_ESP, [
        ext_sa(spi, replay=inb['replay'], auth=inb['auth'], encrypt=inb['encrypt']),
        ext_lifetime('LIFETIME_HARD', addtime=inb['hardAddtime']),
        ext_lifetime('LIFETIME_SOFT', addtime=inb['softAddtime']),
        ext_address('ADDRESS_SRC', d, inb['src']),
        ext_address('ADDRESS_DST', d, inb['dst']),
        ext_key('KEY_ENCRYPT', inb['encKey']),
        ext_sa2(inb['mode'], inb['reqid']),
        ext_natt_type(inb['nattType']),
        ext_natt_port('X_NAT_T_SPORT', inb['sport']),
        ext_natt_port('X_NAT_T_DPORT', inb['dport']),
        *oa,
    ])
    out['update'] = summary(up)

    # ADD the outbound SA (us -> peer)
    add_exts = [
        ext_sa(outb['spi'], replay=outb['replay'], auth=outb['auth'], encrypt=outb['encrypt']),
        ext_address('ADDRESS_SRC', d, outb['src']),
        ext_address('ADDRESS_DST', d, outb['dst']),
        ext_key('KEY_AUTH', outb['authKey']),
        ext_key('KEY_ENCRYPT', outb['encKey']),
        ext_sa2(outb['mode'], outb['reqid']),
        ext_natt_type(outb['nattType']),
        ext_natt_port('X_NAT_T_SPORT', outb['sport']),
        ext_natt_port('X_NAT_T_DPORT', outb['dport']),
    ]
    out['add'] = summary(c.request(MSG['ADD'], SATYPE_ESP, add_exts))
    # the same ADD again: EEXIST
    out['addAgain'] = {'errno': c.request(MSG['ADD'], SATYPE_ESP, add_exts)['errno']}

    # GET: the full SA, with keys
    sa_ref = [ext_sa(outb['spi']), ext_address('ADDRESS_SRC', d, outb['src']),
              ext_address('ADDRESS_DST', d, outb['dst'])]
    out['get'] = summary(c.request(MSG['GET'], SATYPE_ESP, sa_ref))

    # DUMP: one message per SA, seq counting down to 0
    out['dump'] = [{'seq': m['seq'], 'errno': m['errno'], 'spi': m['ext'].get('SA', {}).get('spi'),
                    'state': m['ext'].get('SA', {}).get('state'),
                    'keys': sorted(k for k in m['ext'] if k.startswith('KEY_'))}
                   for m in c.dump(MSG['DUMP'], SATYPE_ESP)]

    # X_SPDADD: outbound policy with a tunnel-mode ipsecrequest
    pol = p['policy']
    spd = c.request(MSG['X_SPDADD'], SATYPE_UNSPEC, [
        ext_address('ADDRESS_SRC', d, pol['src'], pol['srcPrefix'], proto=pol['proto']),
        ext_address('ADDRESS_DST', d, pol['dst'], pol['dstPrefix'], proto=pol['proto']),
        ext_policy(d, pol['dir'], 2, [pol['request']], priority=pol['priority']),
    ])
    out['spdadd'] = summary(spd)

    sd = c.dump(MSG['X_SPDDUMP'], SATYPE_UNSPEC)
    out['spddump'] = [summary(m) for m in sd]

    # DELETE the outbound SA, then GET it again: SA not found
    out['delete'] = summary(c.request(MSG['DELETE'], SATYPE_ESP, sa_ref))
    out['getDeleted'] = {'errno': c.request(MSG['GET'], SATYPE_ESP, sa_ref)['errno']}

    # invalid messages: each answered with the documented errno, header echoed, len 2
    inval = {}
    c.seq += 1
    c.s.sendall(msg(MSG['GET'], SATYPE_ESP, c.seq, c.pid, sa_ref, version=1))
    r = c.reply_to(MSG['GET'], c.seq)
    inval['badVersion'] = {'errno': r['errno'], 'len': r['len']}
    r = c.request(MSG['GET'], SATYPE_ESP, sa_ref, reserved=1)
    inval['badReserved'] = {'errno': r['errno'], 'len': r['len']}
    r = c.request(MSG['GET'], SATYPE_ESP, [ext_sa(outb['spi']), ext_address('ADDRESS_DST', d, outb['dst'])] * 2)
    inval['duplicateExt'] = {'errno': r['errno'], 'len': r['len']}
    r = c.request(MSG['GET'], SATYPE_ESP, [ext_sa(outb['spi'])])
    inval['missingExt'] = {'errno': r['errno'], 'len': r['len']}
    r = c.request(MSG['ADD'], SATYPE_AH, add_exts)
    inval['satypeAh'] = {'errno': r['errno'], 'len': r['len']}
    out['invalid'] = inval
    out['errnoNames'] = ERRNO[d]

    # watcher: barrier, then everything it saw
    barrier_seq = 0x7fff0000
    watcher.send(MSG['GET'], SATYPE_ESP, [ext_sa(1), ext_address('ADDRESS_SRC', d, '192.0.2.250'),
                                          ext_address('ADDRESS_DST', d, '192.0.2.251')], seq=barrier_seq)
    seen = []
    while True:
        m = watcher.recv()
        if m['type'] == 'GET' and m['seq'] == barrier_seq and m['pid'] == watcher.pid:
            out['barrierErrno'] = m['errno']
            break
        seen.append({'type': m['type'], 'errno': m['errno'], 'seq': m['seq'], 'pid': m['pid'],
                     'keys': sorted(k for k in m['ext'] if k.startswith('KEY_')),
                     'spi': m['ext'].get('SA', {}).get('spi'),
                     'state': m['ext'].get('SA', {}).get('state'),
                     'supported': sorted(k for k in m['ext'] if k.startswith('SUPPORTED_'))})
    out['watcher'] = seen
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
