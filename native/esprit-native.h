/*
 * What the files of esprit's native helper (build/native/esprit-native.node) share:
 * esprit-aead.c (one ESP packet's AEAD seal/open), esprit-csum.c (the Internet
 * checksum), esprit-napi.c (the N-API binding Node loads). No system headers: the
 * build uses `cc -shared -nostdlib` (scripts/build-native.mjs).
 */
#ifndef ESPRIT_NATIVE_H
#define ESPRIT_NATIVE_H

typedef __SIZE_TYPE__ size_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef unsigned char u8;

/* The binding's version; src/crypto/native-addon.ts refuses any other (rebuild). */
#define ESPRIT_NATIVE_ABI 2

/*
 * The AEAD job block: a small native area the caller fills before each call (all fields
 * little-endian on the machines we run on; written through an Int32Array).
 *   0 ivOff  4 dataOff  8 dataLen  12 icvLen  16 aadLen  20 flags
 *   24 nonce[16]: salt(4) | explicit IV(8) | unused(4)   (the caller writes the salt; the IV is copied here)
 *   40 aad[16]   56 scratch[32] (the Final call's output, always empty for AEAD)
 */
#define JOB_AAD_MAX 16
typedef struct {
  int iv_off;
  int data_off;
  int data_len;
  int icv_len;
  int aad_len;
  int flags;
  u8 nonce[16];
  u8 aad[JOB_AAD_MAX];
  u8 scratch[32];
} job_t;

int esprit_aead_init(const char *libpath);
int esprit_aead_seal(void *ctx, u8 *pkt, job_t *j);
int esprit_aead_open(void *ctx, u8 *pkt, job_t *j);

unsigned esprit_ones_sum(const u8 *p, int len, unsigned sum);

#endif
