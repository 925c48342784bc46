/*
 * esprit's native AEAD helper: one ESP packet's AES-GCM (RFC 4106) or
 * ChaCha20-Poly1305 (RFC 7634) seal or open in ONE call from JavaScript (through the
 * N-API binding in esprit-napi.c), instead of the four or five koffi calls the EVP
 * backend makes otherwise (each ~50-100 ns, docs/dataplane.md §10.5). It calls the same
 * OpenSSL 3 EVP functions on the same EVP_CIPHER_CTX objects the TypeScript backend made
 * (src/crypto/evp-backend.ts); it keys nothing and owns nothing.
 *
 * Built at install time by scripts/build-native.mjs with `cc -shared -nostdlib`:
 * no OpenSSL headers and no link-time libcrypto are needed. libcrypto.so.3 is
 * resolved at run time with dlopen/dlsym on the path the backend loaded, so both use
 * the same library object. The few OpenSSL 3 declarations below are its stable
 * public ABI (openssl/core.h, openssl/evp.h).
 *
 * Safety: C trusts every offset. The TypeScript caller checks them before each call
 * (checks.ts checkAeadPacket: ivOff + 8 <= dataOff, dataOff + dataLen + icvLen <=
 * packet length; aadLen <= JOB_AAD_MAX; icvLen <= 16).
 */

#include "esprit-native.h"

extern void *dlopen(const char *file, int mode);
extern void *dlsym(void *handle, const char *name);
#define RTLD_NOW 2

/* openssl/core.h: struct ossl_param_st */
typedef struct {
  const char *key;
  unsigned int data_type;
  void *data;
  size_t data_size;
  size_t return_size;
} OSSL_PARAM;
#define OSSL_PARAM_OCTET_STRING 5
#define OSSL_PARAM_UNMODIFIED ((size_t)-1)

typedef int (*update_fn)(void *ctx, u8 *out, int *outl, const u8 *in, int inl);
typedef int (*final_fn)(void *ctx, u8 *out, int *outl);
typedef int (*params_fn)(void *ctx, OSSL_PARAM *params);
typedef int (*init_ex_fn)(void *ctx, const void *cipher, void *engine, const u8 *key, const u8 *iv, int enc);
typedef int (*init_ex2_fn)(void *ctx, const void *cipher, const u8 *key, const u8 *iv, int enc, const OSSL_PARAM *params);

static update_fn p_update;
static final_fn p_final;
static params_fn p_set_params;
static params_fn p_get_params;
static init_ex_fn p_init_ex;
static init_ex2_fn p_init_ex2;

/* The job block (job_t) is declared in esprit-native.h. */

/* flags: AES-GCM's one-call IV reset through "tlsivfixed" (see evp-arena.ts prepareParams) */
#define FLAG_IVFIXED 1

/* results: bit 0 = done (seal) / ICV verified (open); bit 1 = libcrypto refused tlsivfixed
 * (the caller turns that path off); negative = an EVP call failed (its number) */
#define R_OK 1
#define R_IVFIXED_REFUSED 2

/** Resolves the EVP functions in `libpath` (the library the backend loaded). 1 = ready. */
int esprit_aead_init(const char *libpath) {
  void *h = dlopen(libpath, RTLD_NOW);
  if (h == 0) return 0;
  p_update = (update_fn)dlsym(h, "EVP_CipherUpdate");
  p_final = (final_fn)dlsym(h, "EVP_CipherFinal_ex");
  p_set_params = (params_fn)dlsym(h, "EVP_CIPHER_CTX_set_params");
  p_get_params = (params_fn)dlsym(h, "EVP_CIPHER_CTX_get_params");
  p_init_ex = (init_ex_fn)dlsym(h, "EVP_CipherInit_ex");
  p_init_ex2 = (init_ex2_fn)dlsym(h, "EVP_CipherInit_ex2");
  return p_update && p_final && p_set_params && p_get_params && p_init_ex && p_init_ex2 ? 1 : 0;
}

static void octet(OSSL_PARAM *p, const char *key, void *data, size_t size) {
  p->key = key;
  p->data_type = OSSL_PARAM_OCTET_STRING;
  p->data = data;
  p->data_size = size;
  p->return_size = OSSL_PARAM_UNMODIFIED;
}

/*
 * New IV (and, on open, the expected tag): AES-GCM one set_params {tlsivfixed = the
 * whole 12-byte nonce (size (size_t)-1)[, tag]}; if refused, or for ChaCha20-Poly1305,
 * EVP_CipherInit_ex (seal) / EVP_CipherInit_ex2 with {tag} (open). Returns 0 on failure.
 */
static int restart(void *ctx, job_t *j, int enc, u8 *tag, int *res) {
  OSSL_PARAM p[3];
  if (j->flags & FLAG_IVFIXED) {
    octet(&p[0], "tlsivfixed", j->nonce, (size_t)-1);
    int n = 1;
    if (!enc) octet(&p[n++], "tag", tag, (size_t)j->icv_len);
    p[n].key = 0;
    if (p_set_params(ctx, p) == 1) return 1;
    *res |= R_IVFIXED_REFUSED;
  }
  if (enc) return p_init_ex(ctx, 0, 0, 0, j->nonce, 1) == 1;
  octet(&p[0], "tag", tag, (size_t)j->icv_len);
  p[1].key = 0;
  return p_init_ex2(ctx, 0, 0, j->nonce, 0, p) == 1;
}

static void take_iv(job_t *j, const u8 *pkt) {
  const u8 *iv = pkt + j->iv_off;
  for (int i = 0; i < 8; i++) j->nonce[4 + i] = iv[i];
}

/** RFC 4106 §3 / RFC 7634 §3: encrypt pkt[dataOff, +dataLen) in place, ICV right after it. */
int esprit_aead_seal(void *ctx, u8 *pkt, job_t *j) {
  int res = R_OK;
  int n = 0;
  u8 *data = pkt + j->data_off;
  take_iv(j, pkt);
  if (!restart(ctx, j, 1, 0, &res)) return -1;
  if (j->aad_len > 0 && p_update(ctx, 0, &n, j->aad, j->aad_len) != 1) return -2;
  if (j->data_len > 0 && (p_update(ctx, data, &n, data, j->data_len) != 1 || n != j->data_len)) return -3;
  if (p_final(ctx, j->scratch, &n) != 1) return -4;
  /* RFC 4106 §6: a truncated ICV is the leading icvLen bytes of the tag */
  OSSL_PARAM p[2];
  octet(&p[0], "tag", data + j->data_len, (size_t)j->icv_len);
  p[1].key = 0;
  if (p_get_params(ctx, p) != 1) return -5;
  return res;
}

/** Verify the ICV after pkt[dataOff, +dataLen) and decrypt in place; bit 0 clear on a mismatch. */
int esprit_aead_open(void *ctx, u8 *pkt, job_t *j) {
  int res = R_OK;
  int n = 0;
  u8 *data = pkt + j->data_off;
  take_iv(j, pkt);
  if (!restart(ctx, j, 0, data + j->data_len, &res)) return -1;
  if (j->aad_len > 0 && p_update(ctx, 0, &n, j->aad, j->aad_len) != 1) return -2;
  if (j->data_len > 0 && (p_update(ctx, data, &n, data, j->data_len) != 1 || n != j->data_len)) return -3;
  if (p_final(ctx, j->scratch, &n) != 1) res &= ~R_OK; /* ICV mismatch (RFC 4303 §3.4.4) */
  return res;
}
