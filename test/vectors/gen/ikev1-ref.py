#!/usr/bin/python3
# Generates test/vectors/ikev1-ref.json: IKEv1 key derivation, IVs, HASHes, KEYMAT and ISAKMP
# body encryption computed from the RFC text with Python's hmac/hashlib, python3-cryptography's
# AES and TripleDES, and pow() over the MODP primes copied from RFC 2409 §6.2 (group 2) and
# RFC 3526 §2 (group 5) -- an implementation independent of esprit's src/crypto/ikev1/.
# Run: /usr/bin/python3 test/vectors/gen/ikev1-ref.py
#   SKEYID = prf(PSK, Ni_b | Nr_b) or prf(Ni_b | Nr_b, g^xy); SKEYID_d/a/e (RFC 2409 §5);
#   HASH_I/HASH_R (§5); Ka expansion, phase 1 IV = hash(g^xi | g^xr), phase 2 IV =
#   hash(last phase 1 block | M-ID), zero padding, CBC chaining (Appendix B); Quick Mode
#   HASH(1)/(2)/(3) and KEYMAT with and without PFS (§5.5).
import hashlib, hmac, json, random, struct, warnings
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
warnings.filterwarnings('ignore')
try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES

rng = random.Random(20261204)
def rb(n): return bytes(rng.getrandbits(8) for _ in range(n))

P2 = int(''.join('''FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
         29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
         EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
         E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
         EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381
         FFFFFFFF FFFFFFFF'''.split()), 16)
P5 = int(''.join('''FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
      29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
      EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
      E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
      EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
      C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
      83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
      670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF'''.split()), 16)
PRIMES = {2: P2, 5: P5}
HASH = {1: hashlib.md5, 2: hashlib.sha1, 5: hashlib.sha256, 6: hashlib.sha384, 7: hashlib.sha512}

def prf(p, k, d): return hmac.new(k, d, HASH[p]).digest()
def h(p, d): return HASH[p](d).digest()
def u32(v): return struct.pack('>I', v)
def payload(nxt, body): return struct.pack('>BBH', nxt, 0, 4 + len(body)) + body

def cbc(encr, key, iv, data, enc=True):
    alg = TripleDES(key) if encr == 3 else algorithms.AES(key)
    c = Cipher(alg, modes.CBC(iv))
    o = c.encryptor() if enc else c.decryptor()
    return o.update(data) + o.finalize()

def pad(encr, data):
    bs = 8 if encr == 3 else 16
    n = max(1, -(-len(data) // bs)) * bs
    return data + b'\x00' * (n - len(data))

def dh(group):
    plen = (PRIMES[group].bit_length() + 7) // 8
    privs = []
    for _ in range(2):
        x = bytearray(rb(plen)); x[0] &= 0x7f; privs.append(bytes(x))
    xi, xr = (int.from_bytes(x, 'big') for x in privs)
    gxi = pow(2, xi, PRIMES[group]).to_bytes(plen, 'big')
    gxr = pow(2, xr, PRIMES[group]).to_bytes(plen, 'big')
    gxy = pow(int.from_bytes(gxr, 'big'), xi, PRIMES[group]).to_bytes(plen, 'big')
    return privs, gxi, gxr, gxy

def case(name, prf_id, encr, key_bits, auth, group):
    bs = 8 if encr == 3 else 16
    key_len = 24 if encr == 3 else key_bits // 8
    if group in PRIMES:
        privs, gxi, gxr, gxy = dh(group)
    else:
        privs, gxi, gxr, gxy = [], rb(256), rb(256), rb(256)
    psk = b'labgroup-secret' if auth == 'psk' else b''
    ni, nr = rb(20), rb(32)
    spi_i, spi_r = rb(8), rb(8)
    nonces = ni + nr
    skeyid = prf(prf_id, psk, nonces) if auth == 'psk' else prf(prf_id, nonces, gxy)
    cky = spi_i + spi_r
    d = prf(prf_id, skeyid, gxy + cky + b'\x00')
    a = prf(prf_id, skeyid, d + gxy + cky + b'\x01')
    e = prf(prf_id, skeyid, a + gxy + cky + b'\x02')
    if len(e) >= key_len:
        ka = e[:key_len]
    else:
        k, ka = prf(prf_id, e, b'\x00'), b''
        while True:
            ka += k
            if len(ka) >= key_len: break
            k = prf(prf_id, e, k)
        ka = ka[:key_len]
    # SA body: DOI 1, situation 1, proposal 1 ISAKMP with one KEY_IKE transform (RFC 2409 App. A)
    attrs = struct.pack('>HHHHHHHH', 0x8001, 7 if encr == 12 else 5, 0x8002, {1: 1, 2: 2, 5: 4, 6: 5, 7: 6}[prf_id],
                        0x8003, 1 if auth == 'psk' else 3, 0x8004, group)
    trans = struct.pack('>BBHBBH', 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    prop = struct.pack('>BBHBBBB', 0, 0, 8 + len(trans), 1, 1, 0, 1) + trans
    sai_b = struct.pack('>II', 1, 1) + prop
    idii_b = struct.pack('>BBH', 1, 17, 500) + bytes([10, 99, 1, 2])          # ID_IPV4_ADDR 10.99.1.2
    idir_b = struct.pack('>BBH', 2, 0, 0) + b'gw.lab'                          # ID_FQDN gw.lab
    hash_i = prf(prf_id, skeyid, gxi + gxr + spi_i + spi_r + sai_b + idii_b)
    hash_r = prf(prf_id, skeyid, gxr + gxi + spi_r + spi_i + sai_b + idir_b)
    iv1 = h(prf_id, gxi + gxr)[:bs]
    # MM5: ID (5) then HASH (8), encrypted with the phase 1 IV; MM6 chains from MM5's last block
    mm5_plain = payload(8, idii_b) + payload(0, hash_i)
    mm5 = cbc(encr, ka, iv1, pad(encr, mm5_plain))
    mm6_plain = payload(8, idir_b) + payload(0, hash_r)
    mm6 = cbc(encr, ka, mm5[-bs:], pad(encr, mm6_plain))
    last1 = mm6[-bs:]
    # Quick Mode, message ID m: HASH(1) over the payloads after HASH (here SA | Ni | KE | IDci | IDcr)
    mid = rng.getrandbits(32)
    qm_iv = h(prf_id, last1 + u32(mid))[:bs]
    nqi, nqr = rb(16), rb(24)
    qm_rest1 = payload(10, b'\x00' * 12) + payload(4, nqi) + payload(5, rb(32)) + payload(5, b'\x04\x00\x00\x00' + rb(8)) + payload(0, b'\x04\x00\x00\x00' + rb(8))
    qm_rest2 = payload(10, b'\x00' * 12) + payload(0, nqr)
    h1 = prf(prf_id, a, u32(mid) + qm_rest1)
    h2 = prf(prf_id, a, u32(mid) + nqi + qm_rest2)
    h3 = prf(prf_id, a, b'\x00' + u32(mid) + nqi + nqr)
    qm1_plain = payload(1, h1) + qm_rest1
    qm1 = cbc(encr, ka, qm_iv, pad(encr, qm1_plain))
    spi = rb(4)
    qm_gxy = rb(128)
    def keymat(n, g=b''):
        seed, out, k = g + bytes([3]) + spi + nqi + nqr, b'', b''
        while len(out) < n:
            k = prf(prf_id, d, k + seed); out += k
        return out[:n]
    hx = lambda b: b.hex()
    return {'name': name, 'prf': prf_id, 'encr': encr, 'keyBits': key_bits, 'auth': auth, 'group': group,
            'privI': hx(privs[0]) if privs else '', 'privR': hx(privs[1]) if privs else '',
            'psk': hx(psk), 'ni': hx(ni), 'nr': hx(nr), 'spiI': hx(spi_i), 'spiR': hx(spi_r),
            'gxi': hx(gxi), 'gxr': hx(gxr), 'gxy': hx(gxy),
            'skeyid': hx(skeyid), 'skeyidD': hx(d), 'skeyidA': hx(a), 'skeyidE': hx(e), 'ka': hx(ka),
            'saiB': hx(sai_b), 'idiiB': hx(idii_b), 'idirB': hx(idir_b), 'hashI': hx(hash_i), 'hashR': hx(hash_r),
            'iv1': hx(iv1), 'mm5Plain': hx(mm5_plain), 'mm5': hx(mm5), 'mm6Plain': hx(mm6_plain), 'mm6': hx(mm6),
            'mid': mid, 'qmIv': hx(qm_iv), 'nqi': hx(nqi), 'nqr': hx(nqr), 'qmRest1': hx(qm_rest1),
            'qmRest2': hx(qm_rest2), 'hash1': hx(h1), 'hash2': hx(h2), 'hash3': hx(h3),
            'qm1Plain': hx(qm1_plain), 'qm1': hx(qm1), 'spi': hx(spi), 'qmGxy': hx(qm_gxy),
            'keymat52': hx(keymat(52)), 'keymat36Pfs': hx(keymat(36, qm_gxy))}

cases = [
    case('psk sha1 aes256 modp1024 (vpnc)', 2, 12, 256, 'psk', 2),
    case('psk md5 3des modp1536', 1, 3, 0, 'psk', 5),
    case('signature sha256 aes128 modp2048', 5, 12, 128, 'signature', 14),
    case('psk sha512 aes192', 7, 12, 192, 'psk', 14),
]
out = {'source': 'test/vectors/gen/ikev1-ref.py (python3 hmac/hashlib + python3-cryptography, RFC 2409 primes)',
       'cases': cases}
with open(__file__.replace('gen/ikev1-ref.py', 'ikev1-ref.json'), 'w') as f:
    json.dump(out, f, indent=1)
print(len(cases), 'cases')
