/*
 * Fd readiness on Node's own event loop (libuv's uv_poll_t, epoll on Linux) for the fds
 * libuv does not know: the TUN device and the FFI-made UDP and raw sockets
 * (src/io/uv-poller.ts). Without it, src/io/fd-poller.ts runs poll() on a libuv pool
 * thread, which costs two thread switches, a futex wake and an eventfd round trip each time
 * a reader runs dry (docs/dataplane.md §10.8).
 *
 * One watcher per fd. pollStart arms it once; when the fd is ready the watcher disarms
 * itself (so a level-triggered fd that the reader has not drained yet does not call back
 * again on every loop turn) and calls the JavaScript callback with the events through
 * napi_make_callback, so promises resolved there run before control returns to libuv.
 *
 *   pollOpen(fd, callback(events)) -> id >= 0, or a negative libuv error
 *   pollStart(id) -> 0 or a negative libuv error;  pollStop(id) -> 0
 *   pollClose(id) -> 0: stops and frees the watcher (asynchronously, after libuv's close)
 *   callback events: UV_READABLE 1, UV_DISCONNECT 4; -1 when libuv reported an error
 *
 * Threads: the addon may be loaded in several threads (a data-plane worker, docs/dataplane.md
 * §10.9). The table is process-wide: a slot is claimed and released atomically, and a watcher
 * answers only to the thread (napi_env) that opened it, on that thread's own event loop.
 * A watcher still open when its environment is torn down (a worker that exits) is closed by
 * an environment cleanup hook: Node refuses to close an event loop with a live handle.
 */
#include "napi-abi.h"

#define MAX_WATCHERS 256

typedef struct {
  void *handle; /* uv_poll_t, uv_handle_size(UV_POLL) bytes; its first field (data) points back here */
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd;
  int active;
} watcher_t;

static watcher_t *watchers[MAX_WATCHERS];

static watcher_t *lookup(napi_env env, napi_value v) {
  int id = -1;
  if (napi_get_value_int32(env, v, &id) != 0 || id < 0 || id >= MAX_WATCHERS) return 0;
  watcher_t *w = __atomic_load_n(&watchers[id], __ATOMIC_ACQUIRE);
  return w != 0 && w->env == env ? w : 0;
}

/* a free slot for w, claimed atomically (another thread may be opening one too), or -1 */
static int claim(watcher_t *w) {
  for (int id = 0; id < MAX_WATCHERS; id++) {
    watcher_t *expected = 0;
    if (__atomic_compare_exchange_n(&watchers[id], &expected, w, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return id;
  }
  return -1;
}

static void on_ready(uv_poll_t *h, int status, int events) {
  watcher_t *w = *(watcher_t **)h;
  uv_poll_stop(h);
  w->active = 0;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != 0) return;
  /* napi_make_callback converts its receiver to an object: the global one, not undefined */
  napi_value cb = 0, recv = 0, argv[1], result = 0;
  if (napi_get_reference_value(env, w->callback, &cb) == 0 && cb != 0 && napi_get_global(env, &recv) == 0) {
    argv[0] = esprit_int32(env, status < 0 ? -1 : events);
    if (napi_make_callback(env, w->async, recv, cb, 1, argv, &result) != 0) {
      /* an exception from the callback goes where an uncaught one would */
      _Bool pending = 0;
      napi_value err = 0;
      if (napi_is_exception_pending(env, &pending) == 0 && pending &&
          napi_get_and_clear_last_exception(env, &err) == 0)
        napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* uv_close callback: the watcher goes with its handle */
static void on_closed(void *h) {
  watcher_t *w = *(watcher_t **)h;
  free(h);
  free(w);
}

/* stop and free a watcher whose slot was already released */
static void shut(napi_env env, watcher_t *w) {
  if (w->active) uv_poll_stop((uv_poll_t *)w->handle);
  w->active = 0;
  napi_delete_reference(env, w->callback);
  napi_async_destroy(env, w->async);
  uv_close(w->handle, on_closed);
}

/* environment teardown with the watcher still open */
static void on_env_cleanup(void *arg) {
  watcher_t *w = (watcher_t *)arg;
  for (int id = 0; id < MAX_WATCHERS; id++) {
    watcher_t *expected = w;
    if (__atomic_compare_exchange_n(&watchers[id], &expected, (watcher_t *)0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      break;
  }
  shut(w->env, w);
}

static napi_value poll_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd = -1;
  if (!esprit_args(env, info, 2, argv) || napi_get_value_int32(env, argv[0], &fd) != 0 || fd < 0)
    return esprit_int32(env, -22); /* UV_EINVAL */
  uv_loop_t *loop = 0;
  if (napi_get_uv_event_loop(env, &loop) != 0 || loop == 0) return esprit_int32(env, -22);
  watcher_t *w = (watcher_t *)malloc(sizeof(watcher_t));
  void *h = malloc(uv_handle_size(UV_POLL));
  if (w == 0 || h == 0) {
    free(w);
    free(h);
    return esprit_int32(env, -12); /* UV_ENOMEM */
  }
  w->handle = h;
  w->env = env;
  w->fd = fd;
  w->active = 0;
  napi_value name = 0;
  int rc = uv_poll_init(loop, (uv_poll_t *)h, fd);
  if (rc != 0) {
    free(w);
    free(h);
    return esprit_int32(env, rc);
  }
  *(watcher_t **)h = w; /* uv_handle_t.data */
  napi_create_string_utf8(env, "esprit.fdReady", (size_t)-1, &name);
  if (napi_create_reference(env, argv[1], 1, &w->callback) != 0 || napi_async_init(env, 0, name, &w->async) != 0) {
    uv_close(h, free); /* w is not referenced by anything yet */
    free(w);
    return esprit_int32(env, -22);
  }
  int id = claim(w);
  if (id < 0) {
    shut(env, w);
    return esprit_int32(env, -24); /* UV_EMFILE */
  }
  napi_add_env_cleanup_hook(env, on_env_cleanup, w);
  return esprit_int32(env, id);
}

static napi_value poll_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watcher_t *w = esprit_args(env, info, 1, argv) ? lookup(env, argv[0]) : 0;
  if (w == 0) return esprit_int32(env, -22);
  if (w->active) return esprit_int32(env, 0);
  int rc = uv_poll_start((uv_poll_t *)w->handle, UV_READABLE | UV_DISCONNECT, on_ready);
  if (rc == 0) w->active = 1;
  return esprit_int32(env, rc);
}

static napi_value poll_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watcher_t *w = esprit_args(env, info, 1, argv) ? lookup(env, argv[0]) : 0;
  if (w == 0) return esprit_int32(env, -22);
  if (w->active) uv_poll_stop((uv_poll_t *)w->handle);
  w->active = 0;
  return esprit_int32(env, 0);
}

static napi_value poll_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int id = -1;
  watcher_t *w = esprit_args(env, info, 1, argv) ? lookup(env, argv[0]) : 0;
  if (w == 0 || napi_get_value_int32(env, argv[0], &id) != 0) return esprit_int32(env, -22);
  __atomic_store_n(&watchers[id], (watcher_t *)0, __ATOMIC_RELEASE);
  napi_remove_env_cleanup_hook(env, on_env_cleanup, w);
  shut(env, w);
  return esprit_int32(env, 0);
}

void esprit_uv_poll_register(napi_env env, napi_value exports) {
  esprit_export(env, exports, "pollOpen", poll_open);
  esprit_export(env, exports, "pollStart", poll_start);
  esprit_export(env, exports, "pollStop", poll_stop);
  esprit_export(env, exports, "pollClose", poll_close);
}
