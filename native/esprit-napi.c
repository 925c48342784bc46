/*
 * The N-API binding of esprit's native helper: what src/crypto/native-addon.ts loads with
 * process.dlopen from build/native/esprit-native.node. N-API is Node's stable C ABI for
 * addons (the same binary works on every Node release since 12); the few declarations
 * below are copied from its documented signatures (js_native_api.h, node_api.h), so
 * neither node-gyp nor Node's headers are needed, and `cc -shared -nostdlib` builds it:
 * the napi_* symbols resolve in the node process that loads it (declarations: napi-abi.h).
 *
 * Why N-API and not koffi for these calls: a call with three numbers costs ~45 ns this way
 * against ~120-140 ns through koffi on the same machine (docs/dataplane.md §10.8), and the
 * data plane makes one per packet for the AEAD and one per TCP segment for the checksum.
 *
 * Exports (every address is a JavaScript number: the platform's pointers fit in 2^53):
 *   abi() -> ESPRIT_NATIVE_ABI
 *   aeadInit(libcrypto path) -> 1 when the EVP functions resolved
 *   aeadSeal(ctx, packet address, job address) / aeadOpen(...) -> esprit-aead.c's result
 *   onesSum(address, length, sum) -> 16-bit one's complement sum (esprit-csum.c), -1 on bad arguments
 *   addressOf(arrayBuffer) -> the address of its bytes, 0 when it is not an ArrayBuffer
 *   pollOpen/pollStart/pollStop/pollClose: fd readiness on Node's own event loop (esprit-uv-poll.c)
 */
#include "napi-abi.h"

#define BAD_ARGS (-100)

napi_value esprit_int32(napi_env env, int v) {
  napi_value r = 0;
  napi_create_int32(env, v, &r);
  return r;
}
#define int32 esprit_int32

/* the first n arguments; 0 when fewer were passed */
int esprit_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  return napi_get_cb_info(env, info, &argc, argv, 0, 0) == 0 && argc >= n;
}
#define args esprit_args

static int address(napi_env env, napi_value v, intptr_t *out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != 0 || d < 0 || d > 9007199254740992.0) return 0;
  *out = (intptr_t)d;
  return 1;
}

static napi_value abi(napi_env env, napi_callback_info info) {
  (void)info;
  return int32(env, ESPRIT_NATIVE_ABI);
}

static napi_value aead_init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[4096];
  size_t len = 0;
  if (!args(env, info, 1, argv) || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != 0 ||
      len + 1 >= sizeof path)
    return int32(env, 0);
  return int32(env, esprit_aead_init(path));
}

static napi_value aead(napi_env env, napi_callback_info info, int enc) {
  napi_value argv[3];
  intptr_t ctx = 0, pkt = 0, job = 0;
  if (!args(env, info, 3, argv) || !address(env, argv[0], &ctx) || !address(env, argv[1], &pkt) ||
      !address(env, argv[2], &job) || ctx == 0 || pkt == 0 || job == 0)
    return int32(env, BAD_ARGS);
  return int32(env, enc ? esprit_aead_seal((void *)ctx, (u8 *)pkt, (job_t *)job)
                        : esprit_aead_open((void *)ctx, (u8 *)pkt, (job_t *)job));
}

static napi_value aead_seal(napi_env env, napi_callback_info info) { return aead(env, info, 1); }
static napi_value aead_open(napi_env env, napi_callback_info info) { return aead(env, info, 0); }

static napi_value ones_sum(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  intptr_t p = 0;
  int len = -1;
  unsigned sum = 0;
  if (!args(env, info, 3, argv) || !address(env, argv[0], &p) || napi_get_value_int32(env, argv[1], &len) != 0 ||
      napi_get_value_uint32(env, argv[2], &sum) != 0 || p == 0 || len < 0 || sum > 0xffff)
    return int32(env, -1);
  return int32(env, (int)esprit_ones_sum((const u8 *)p, len, sum));
}

static napi_value address_of(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data = 0;
  size_t len = 0;
  napi_value r = 0;
  if (!args(env, info, 1, argv) || napi_get_arraybuffer_info(env, argv[0], &data, &len) != 0) data = 0;
  napi_create_double(env, (double)(intptr_t)data, &r);
  return r;
}

void esprit_export(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value f = 0;
  if (napi_create_function(env, name, (size_t)-1, cb, 0, &f) == 0) napi_set_named_property(env, exports, name, f);
}

/* NAPI_MODULE_INIT: Node calls this once per load (node_api.h) */
__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  esprit_export(env, exports, "abi", abi);
  esprit_export(env, exports, "aeadInit", aead_init);
  esprit_export(env, exports, "aeadSeal", aead_seal);
  esprit_export(env, exports, "aeadOpen", aead_open);
  esprit_export(env, exports, "onesSum", ones_sum);
  esprit_export(env, exports, "addressOf", address_of);
  esprit_uv_poll_register(env, exports);
  return exports;
}

/* The N-API version this binding needs (node_api.h NAPI_MODULE_INIT declares it too): 3 for the
   environment cleanup hooks (esprit-uv-poll.c); every other call is N-API 1. */
__attribute__((visibility("default"))) int node_api_module_get_api_version_v1(void) { return 3; }
