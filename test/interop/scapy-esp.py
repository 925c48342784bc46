#!/usr/bin/python3
"""scapy side of the esprit ESP interop tests (test/interop/scapy-esp.test.ts).

One process per batch: a JSON request on stdin, a JSON answer on stdout.
  {"op": "encrypt", "cases": [case...]}  -> {"results": [{"plain": [hex], "outer": [hex]}]}
      scapy builds plaintext IP packets and encrypts them (SecurityAssociation.encrypt)
  {"op": "decrypt", "cases": [case + "outer": [hex]]} -> {"results": [{"plain": [hex|"error: ..."]}]}
      scapy decrypts esprit's outer packets (SecurityAssociation.decrypt)
case = {"spi", "mode", "src", "dst", "innerFamily", "encr", "encrKey", "icv", "auth", "authKey",
        "esn", "seq", "encap": {"type", "sport", "dport"}, "count"}

scapy 2.5.0 has no AES-GMAC (RFC 4543) and gets AES-GCM with 8/12-byte ICVs wrong (it
always emits/expects a 16-byte tag); RefAeadSa below implements those from the RFC text on
the `cryptography` package. scapy 2.5.0 also writes UDP
length 8 for nat_t_header and cannot parse ESP-in-UDP on decrypt, so framing is applied
and removed here (RFC 3948 §2.1, udp-encaps-00 §2.1), around scapy's raw ESP.
"""
import hashlib, hmac, json, struct, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from scapy.all import ICMP, IP, UDP, IPv6, ICMPv6EchoRequest, Raw, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

CRYPT = {'aes-gcm-8': 'AES-GCM', 'aes-gcm-12': 'AES-GCM', 'aes-gcm-16': 'AES-GCM',
         'chacha20-poly1305': 'CHACHA20-POLY1305', 'aes-cbc': 'AES-CBC', '3des-cbc': '3DES', 'null': 'NULL'}
AUTH = {'none': None, 'hmac-md5-96': 'HMAC-MD5-96', 'hmac-sha1-96': 'HMAC-SHA1-96',
        'hmac-sha256-128': 'SHA2-256-128', 'hmac-sha384-192': 'SHA2-384-192', 'hmac-sha512-256': 'SHA2-512-256'}


class RefAeadSa:
    """Reference AES-GCM / AES-GMAC ESP on the `cryptography` package, for what scapy 2.5.0
    cannot do: its AEAD path (ipsec.py CryptAlgo.encrypt/decrypt with the AESGCM class)
    ignores crypt_icv_size and always uses a 16-byte tag, so aes-gcm-8/12 go through here,
    and it has no AES-GMAC at all.
    RFC 4106: nonce = salt(4) | IV(8), AAD = SPI | [seq hi (ESN)] | seq lo (§5), ICV = the
    leftmost 8/12/16 bytes of the GCM tag (§6, NIST SP 800-38D §5.2.1.2).
    RFC 4543: the same with an empty plaintext and AAD = SPI | [seq hi] | seq lo | IV | payload
    (§3.3, §5); the payload travels in the clear, ICV 16."""

    def __init__(self, c):
        k = bytes.fromhex(c['encrKey'])
        self.key, self.salt, self.c = k[:-4], k[-4:], c
        self.gmac = c['encr'] == 'aes-gmac'
        self.icv = c['icv']

    def _aad(self, head, hi):
        return head[:4] + (struct.pack('>I', hi) if self.c['esn'] else b'') + head[4:8]

    def seal(self, nh, payload, seq, iv):
        pad = (-(len(payload) + 2)) % 4
        body = payload + bytes(range(1, pad + 1)) + bytes([pad, nh])
        head = struct.pack('>II', self.c['spi'], seq & 0xffffffff)
        enc = Cipher(algorithms.AES(self.key), modes.GCM(self.salt + iv)).encryptor()
        if self.gmac:
            enc.authenticate_additional_data(self._aad(head, seq >> 32) + iv + body)
            enc.finalize()
            return head + iv + body + enc.tag
        enc.authenticate_additional_data(self._aad(head, seq >> 32))
        ct = enc.update(body) + enc.finalize()
        return head + iv + ct + enc.tag[:self.icv]

    def open(self, esp, hi):
        iv, body, tag = esp[8:16], esp[16:-self.icv], esp[-self.icv:]
        dec = Cipher(algorithms.AES(self.key), modes.GCM(self.salt + iv, tag, min_tag_length=self.icv)).decryptor()
        if self.gmac:
            dec.authenticate_additional_data(self._aad(esp, hi) + iv + body)
            dec.finalize()
            pt = body
        else:
            dec.authenticate_additional_data(self._aad(esp, hi))
            pt = dec.update(body) + dec.finalize()
        padlen, nh = pt[-2], pt[-1]
        return nh, pt[:-2 - padlen]


REF = ('aes-gmac', 'aes-gcm-8', 'aes-gcm-12')

# scapy 2.5.0 AuthAlgo.sign/verify leave the ESN high bits out of the ESP ICV (it adds them
# for AH only). RFC 4303 §3.3.2.1 / §3.4.4.1: with ESN the ICV covers the ESP packet followed
# by the high-order 32 bits. These helpers redo the ICV the RFC way around scapy's cipher.
HMAC = {'hmac-md5-96': ('md5', 12), 'hmac-sha1-96': ('sha1', 12), 'hmac-sha256-128': ('sha256', 16),
        'hmac-sha384-192': ('sha384', 24), 'hmac-sha512-256': ('sha512', 32)}


def esn_icv(c, esp_wo_icv, hi):
    name, n = HMAC[c['auth']]
    return hmac.new(bytes.fromhex(c['authKey']), esp_wo_icv + struct.pack('>I', hi), name).digest()[:n]


def addr_family(a):
    return 6 if ':' in a else 4


def scapy_sa(c, seq_lo, hi, nat_t):
    family = addr_family(c['src'])
    tunnel = None
    if c['mode'] == 'tunnel':
        tunnel = IP(src=c['src'], dst=c['dst']) if family == 4 else IPv6(src=c['src'], dst=c['dst'])
    kw = dict(crypt_algo=CRYPT[c['encr']], crypt_key=bytes.fromhex(c['encrKey']) if c['encrKey'] else None,
              auth_algo=AUTH[c['auth']], auth_key=bytes.fromhex(c['authKey']) if c['authKey'] else None,
              tunnel_header=tunnel, esn_en=c['esn'], esn=hi)
    if c['encr'].startswith('aes-gcm'):
        kw['crypt_icv_size'] = c['icv']
    if nat_t:
        kw['nat_t_header'] = UDP(sport=c['encap']['sport'], dport=c['encap']['dport'])
    return SecurityAssociation(ESP, spi=c['spi'], seq_num=seq_lo, **kw)


def plaintext(c, i):
    fam = c['innerFamily'] if c['mode'] == 'tunnel' else addr_family(c['src'])
    if c['mode'] == 'tunnel':
        src, dst = ('10.1.0.1', '10.2.0.1') if fam == 4 else ('2001:db8:1::1', '2001:db8:2::1')
    else:
        src, dst = c['src'], c['dst']
    data = Raw(b'esprit interop %d ' % i + bytes(range(i * 7 % 50)))
    if fam == 4:
        l4 = ICMP(id=0x42, seq=i + 1) if i % 2 == 0 else UDP(sport=40000 + i, dport=7)
        return IP(src=src, dst=dst, id=0x1000 + i, ttl=61) / l4 / data
    l4 = ICMPv6EchoRequest(id=0x42, seq=i + 1) if i % 2 == 0 else UDP(sport=40000 + i, dport=7)
    return IPv6(src=src, dst=dst, hlim=61) / l4 / data


def split_ip(b):
    """-> (family, header bytes, protocol, body) for an IPv4 / IPv6 (no extension headers) packet"""
    if b[0] >> 4 == 4:
        ihl = (b[0] & 15) * 4
        return 4, b[:ihl], b[9], b[ihl:struct.unpack('>H', b[2:4])[0]]
    return 6, b[:40], b[6], b[40:40 + struct.unpack('>H', b[4:6])[0]]


def with_body(fam, hdr, proto, body):
    """The same IP header with another protocol and body (lengths and IPv4 checksum redone)."""
    h = bytearray(hdr)
    if fam == 4:
        h[9] = proto
        struct.pack_into('>H', h, 2, len(h) + len(body))
        struct.pack_into('>H', h, 10, 0)
        s = sum(struct.unpack('>%dH' % (len(h) // 2), bytes(h)))
        while s > 0xffff:
            s = (s & 0xffff) + (s >> 16)
        struct.pack_into('>H', h, 10, ~s & 0xffff)
    else:
        h[6] = proto
        struct.pack_into('>H', h, 4, len(body))
    return bytes(h) + body


def frame(c, esp_only_pkt):
    """raw-ESP packet -> framed per c['encap'] (UDP checksum 0 over IPv4, RFC 3948 §2.1)."""
    e = c['encap']
    if e['type'] == 'none':
        return esp_only_pkt
    fam, hdr, proto, body = split_ip(esp_only_pkt)
    assert proto == 50
    marker = bytes(8) if e['type'] == 'udp-encaps-00' else b''
    udp = UDP(sport=e['sport'], dport=e['dport']) / Raw(marker + body)
    if fam == 4:
        udp.chksum = 0
        seg = raw(udp)
    else:
        seg = raw(IPv6(src=c['src'], dst=c['dst']) / udp)[40:]
    return with_body(fam, hdr, 17, seg)


def encrypt(c):
    hi, lo = c['seq'] >> 32, c['seq'] & 0xffffffff
    plain, outer = [], []
    nat_t = c['encap']['type'] in ('rfc3948', 'cisco-udp') and c['encr'] not in REF
    sa = None if c['encr'] in REF else scapy_sa(c, lo, hi, nat_t)
    for i in range(c['count']):
        p = plaintext(c, i)
        plain.append(raw(p).hex())
        seq = c['seq'] + i
        if sa is None:
            g = RefAeadSa(c)
            iv = struct.pack('>Q', seq)
            if c['mode'] == 'tunnel':
                esp = g.seal(4 if p.version == 4 else 41, raw(p), seq, iv)
                fam = addr_family(c['src'])
                o = raw((IP(src=c['src'], dst=c['dst'], proto=50) if fam == 4 else IPv6(src=c['src'], dst=c['dst'], nh=50)) / Raw(esp))
            else:
                fam, hdr, proto, body = split_ip(raw(p))
                o = with_body(fam, hdr, 50, g.seal(proto, body, seq, iv))
            outer.append(frame(c, o).hex())
            continue
        iv = None
        if c['encr'] in ('aes-cbc',):
            iv = bytes([i + 1]) * 16
        elif c['encr'] == '3des-cbc':
            iv = bytes([i + 1]) * 8
        elif c['encr'] != 'null':
            iv = struct.pack('>Q', seq)
        e = sa.encrypt(p, seq_num=seq & 0xffffffff, iv=iv, esn_en=c['esn'], esn=seq >> 32)
        b = bytearray(raw(e))
        if c['esn'] and c['auth'] in HMAC:
            n = HMAC[c['auth']][1]
            hl = len(split_ip(bytes(b))[1]) + (8 if nat_t else 0)
            b[-n:] = esn_icv(c, bytes(b[hl:-n]), seq >> 32)
        if nat_t:
            # scapy 2.5.0 leaves the nat_t_header UDP length at 8: set it (RFC 768)
            fam, hdr, _, _ = split_ip(bytes(b))
            struct.pack_into('>H', b, len(hdr) + 4, len(b) - len(hdr))
            outer.append(bytes(b).hex())
        else:
            outer.append(frame(c, bytes(b)).hex())
    return {'plain': plain, 'outer': outer}


def unframe(c, b):
    fam, hdr, proto, body = split_ip(b)
    if proto == 17:
        skip = 8 + (8 if c['encap']['type'] == 'udp-encaps-00' else 0)
        return with_body(fam, hdr, 50, body[skip:])
    return b


def decrypt(c):
    out = []
    for i, h in enumerate(c['outer']):
        try:
            b = unframe(c, bytes.fromhex(h))
            fam, hdr, proto, esp = split_ip(b)
            seq = c['seq'] + i
            if c['encr'] in REF:
                nh, payload = RefAeadSa(c).open(esp, seq >> 32)
                out.append((payload if c['mode'] == 'tunnel' else with_body(fam, hdr, nh, payload)).hex())
                continue
            if c['esn'] and c['auth'] in HMAC:
                n = HMAC[c['auth']][1]
                if not hmac.compare_digest(esp[-n:], esn_icv(c, esp[:-n], seq >> 32)):
                    raise ValueError('ESN ICV mismatch')
                b = with_body(fam, hdr, 50, esp[:-n])
                sa = scapy_sa(dict(c, auth='none', authKey=''), 0, seq >> 32, False)
            else:
                sa = scapy_sa(c, 0, seq >> 32, False)
            pkt = IP(b) if fam == 4 else IPv6(b)
            out.append(raw(sa.decrypt(pkt)).hex())
        except Exception as ex:  # reported, then asserted on by the TypeScript side
            out.append('error: %s: %s' % (type(ex).__name__, ex))
    return {'plain': out}


def main():
    req = json.load(sys.stdin)
    fn = encrypt if req['op'] == 'encrypt' else decrypt
    json.dump({'results': [fn(c) for c in req['cases']]}, sys.stdout)


if __name__ == '__main__':
    main()
