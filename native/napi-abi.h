/*
 * The N-API (Node-API) and libuv declarations the native helper uses, copied from their
 * documented, ABI-stable signatures (Node's js_native_api.h and node_api.h; libuv's uv.h,
 * stable across 1.x) so that neither node-gyp nor Node's headers are needed. Every symbol
 * resolves in the node binary that loads the addon (Node exports N-API and libuv for
 * addons).
 */
#ifndef ESPRIT_NAPI_ABI_H
#define ESPRIT_NAPI_ABI_H

#include "esprit-native.h"

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_ref__ *napi_ref;
typedef struct napi_handle_scope__ *napi_handle_scope;
typedef struct napi_callback_info__ *napi_callback_info;
typedef struct napi_async_context__ *napi_async_context;
typedef int napi_status; /* napi_ok = 0 */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);

extern napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                                    napi_value *this_arg, void **data);
extern napi_status napi_get_value_double(napi_env env, napi_value value, double *result);
extern napi_status napi_get_value_int32(napi_env env, napi_value value, int *result);
extern napi_status napi_get_value_uint32(napi_env env, napi_value value, unsigned *result);
extern napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buf, size_t bufsize,
                                              size_t *result);
extern napi_status napi_get_arraybuffer_info(napi_env env, napi_value arraybuffer, void **data, size_t *byte_length);
extern napi_status napi_create_int32(napi_env env, int value, napi_value *result);
extern napi_status napi_create_double(napi_env env, double value, napi_value *result);
extern napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
extern napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb,
                                        void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
extern napi_status napi_get_undefined(napi_env env, napi_value *result);
extern napi_status napi_get_global(napi_env env, napi_value *result);
extern napi_status napi_create_reference(napi_env env, napi_value value, unsigned initial_refcount, napi_ref *result);
extern napi_status napi_delete_reference(napi_env env, napi_ref ref);
extern napi_status napi_get_reference_value(napi_env env, napi_ref ref, napi_value *result);
extern napi_status napi_open_handle_scope(napi_env env, napi_handle_scope *result);
extern napi_status napi_close_handle_scope(napi_env env, napi_handle_scope scope);
extern napi_status napi_async_init(napi_env env, napi_value async_resource, napi_value async_resource_name,
                                   napi_async_context *result);
extern napi_status napi_async_destroy(napi_env env, napi_async_context async_context);
extern napi_status napi_make_callback(napi_env env, napi_async_context async_context, napi_value recv,
                                      napi_value func, size_t argc, const napi_value *argv, napi_value *result);
extern napi_status napi_get_and_clear_last_exception(napi_env env, napi_value *result);
extern napi_status napi_fatal_exception(napi_env env, napi_value err);
extern napi_status napi_is_exception_pending(napi_env env, _Bool *result);
/* N-API 3: run `fun(arg)` when the environment (the main thread's or a worker's) is torn down */
extern napi_status napi_add_env_cleanup_hook(napi_env env, void (*fun)(void *arg), void *arg);
extern napi_status napi_remove_env_cleanup_hook(napi_env env, void (*fun)(void *arg), void *arg);

/* libuv (uv.h) */
typedef struct uv_loop_s uv_loop_t;
typedef struct uv_poll_s uv_poll_t; /* opaque here: allocated with uv_handle_size(UV_POLL) */
typedef void (*uv_poll_cb)(uv_poll_t *handle, int status, int events);
typedef void (*uv_close_cb)(void *handle);
extern napi_status napi_get_uv_event_loop(napi_env env, uv_loop_t **loop);
extern size_t uv_handle_size(int type);
extern int uv_poll_init(uv_loop_t *loop, uv_poll_t *handle, int fd);
extern int uv_poll_start(uv_poll_t *handle, int events, uv_poll_cb cb);
extern int uv_poll_stop(uv_poll_t *handle);
extern void uv_close(void *handle, uv_close_cb close_cb);
#define UV_POLL 8     /* uv_handle_type: UV_UNKNOWN_HANDLE 0, ASYNC, CHECK, FS_EVENT, FS_POLL, HANDLE, IDLE, NAMED_PIPE, POLL */
#define UV_READABLE 1 /* enum uv_poll_event */
#define UV_DISCONNECT 4

extern void *malloc(size_t size);
extern void free(void *p);

/* helpers shared by the binding's files (esprit-napi.c) */
napi_value esprit_int32(napi_env env, int v);
int esprit_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);
void esprit_export(napi_env env, napi_value exports, const char *name, napi_callback cb);
void esprit_uv_poll_register(napi_env env, napi_value exports);

#endif
