import koffi from 'koffi';

/**
 * A small binding to Linux glibc through the koffi FFI, for what Node cannot do itself:
 * TUN (`ioctl(TUNSETIFF)`), raw IP sockets, `poll()` readiness on arbitrary fds, and
 * `sendmmsg`/`recvmmsg` batching.
 *
 * Functions are declared once, on first use (`libc()`), never per call. Typed arrays are
 * passed as transient pointers (koffi hands the native side a pointer into the array's
 * backing store, honouring `byteOffset`), so the hot path allocates nothing.
 * Every length passed with a buffer must be checked by the caller: a wrong length here
 * corrupts memory instead of throwing.
 *
 * Constants are the Linux x86-64/arm64 values (asm-generic / x86 uapi headers).
 */

// <fcntl.h> (asm-generic/fcntl.h)
export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

// <errno.h> (asm-generic/errno-base.h, errno.h)
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const EFAULT = 14;
export const EINVAL = 22;
export const EMSGSIZE = 90;
export const ENOBUFS = 105;
export const EBADFD = 77;
export const ECONNREFUSED = 111;
export const EHOSTUNREACH = 113;
export const EADDRINUSE = 98;
export const EOPNOTSUPP = 95;
export const EADDRNOTAVAIL = 99;
export const ENETUNREACH = 101;

// <poll.h>
export const POLLIN = 0x001;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;

// <sys/socket.h>, <netinet/in.h>
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = O_NONBLOCK;
export const SOCK_CLOEXEC = O_CLOEXEC;
export const MSG_DONTWAIT = 0x40;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_REUSEPORT = 15;
/** msg_flags bit: the datagram was longer than the buffer and was cut (recvmsg(2)). */
export const MSG_TRUNC = 0x20;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
/** IP protocol number of ESP (RFC 4303 §2, IANA "Assigned Internet Protocol Numbers"). */
export const IPPROTO_ESP = 50;

// <netinet/udp.h> (linux/udp.h), udp(7)
export const SOL_UDP = 17;
/** cmsg/sockopt: send a run of equal-size datagrams as one GSO message */
export const UDP_SEGMENT = 103;
/** sockopt: receive GRO runs as one buffer; cmsg: their segment size */
export const UDP_GRO = 104;

// <sys/eventfd.h>
export const EFD_NONBLOCK = O_NONBLOCK;
export const EFD_CLOEXEC = O_CLOEXEC;

/** The declared libc functions (raw: they return -1 and leave the cause in `errno()`). */
export interface Libc {
  /** `open(path, flags)`; variadic in C, called without the optional mode. */
  open(path: string, flags: number): number;
  close(fd: number): number;
  read(fd: number, buf: Uint8Array, count: number): number;
  write(fd: number, buf: Uint8Array, count: number): number;
  /** `ioctl(fd, request, void *arg)`; variadic in C, the pointer is typed at the call. */
  ioctlPtr(fd: number, request: number, arg: Uint8Array): number;
  /** `ioctl(fd, request, unsigned long arg)`: an integer argument (TUNSETOFFLOAD). */
  ioctlInt(fd: number, request: number, arg: number): number;
  /** `poll(fds, nfds, timeoutMs)` synchronously (tests, zero timeouts). */
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  /**
   * `poll()` on a libuv pool thread; `fds` must be stable native memory
   * (`koffi.alloc`), since the call outlives the JS frame.
   */
  pollAsync(fds: unknown, nfds: number, timeoutMs: number, cb: (err: unknown, res: number) => void): void;
  eventfd(initval: number, flags: number): number;
  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  bind(fd: number, addr: Uint8Array, addrlen: number): number;
  setsockopt(fd: number, level: number, name: number, val: Int32Array, len: number): number;
  /** `getsockname(fd, addr, &addrlen)`. */
  getsockname(fd: number, addr: Uint8Array, addrlen: Uint32Array): number;
  getsockopt(fd: number, level: number, name: number, val: Int32Array, len: Uint32Array): number;
  recvfrom(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrlen: Uint32Array): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, addrlen: number): number;
  /** `sendmmsg(fd, msgvec, vlen, flags)` on native memory (see mmsg-batch.ts). */
  sendmmsg(fd: number, msgvec: unknown, vlen: number, flags: number): number;
  /** `recvmmsg(fd, msgvec, vlen, flags, NULL)` on native memory (see mmsg-batch.ts). */
  recvmmsg(fd: number, msgvec: unknown, vlen: number, flags: number, timeout: null): number;
  /** `sendmmsg` with the msgvec as a native address (a number: cheaper to convert than a pointer). */
  sendmmsgAt(fd: number, msgvec: number, vlen: number, flags: number): number;
  /** `recvmmsg(fd, msgvec, vlen, flags, NULL)` with the msgvec as a native address. */
  recvmmsgAt(fd: number, msgvec: number, vlen: number, flags: number): number;
  strerror(errnum: number): string;
  /** The calling thread's errno after the last synchronous call. */
  errno(): number;
}

let bound: Libc | undefined;

/** The libc binding, declared on first use. Throws when glibc cannot be loaded (not Linux). */
export function libc(): Libc {
  if (bound) return bound;
  const lib = koffi.load('libc.so.6');
  const open = lib.func('int open(const char *path, int flags, ...)');
  const close = lib.func('int close(int fd)');
  const read = lib.func('intptr_t read(int fd, void *buf, size_t count)');
  const write = lib.func('intptr_t write(int fd, const void *buf, size_t count)');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  const poll = lib.func('int poll(void *fds, uint64_t nfds, int timeout)');
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const socketpair = lib.func('int socketpair(int domain, int type, int protocol, void *sv)');
  const bind = lib.func('int bind(int fd, const void *addr, uint32_t addrlen)');
  const setsockopt = lib.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
  const getsockopt = lib.func('int getsockopt(int fd, int level, int name, void *val, void *len)');
  const recvfrom = lib.func('intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *addrlen)');
  const sendto = lib.func(
    'intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)',
  );
  const sendmmsg = lib.func('int sendmmsg(int fd, void *msgvec, unsigned int vlen, int flags)');
  const recvmmsg = lib.func('int recvmmsg(int fd, void *msgvec, unsigned int vlen, int flags, void *timeout)');
  const sendmmsgAt = lib.func('int sendmmsg(int fd, intptr_t msgvec, unsigned int vlen, int flags)');
  const recvmmsgAt = lib.func('int recvmmsg(int fd, intptr_t msgvec, unsigned int vlen, int flags, intptr_t timeout)');
  const getsockname = lib.func('int getsockname(int fd, void *addr, void *addrlen)');
  const strerror = lib.func('const char *strerror(int errnum)');
  bound = {
    open: (path, flags) => open(path, flags),
    close: (fd) => close(fd),
    read: (fd, buf, count) => read(fd, buf, count),
    write: (fd, buf, count) => write(fd, buf, count),
    ioctlPtr: (fd, request, arg) => ioctl(fd, request, 'void *', arg),
    ioctlInt: (fd, request, arg) => ioctl(fd, request, 'unsigned long', arg),
    poll: (fds, nfds, timeoutMs) => poll(fds, nfds, timeoutMs),
    pollAsync: (fds, nfds, timeoutMs, cb) => {
      poll.async(fds, nfds, timeoutMs, cb);
    },
    eventfd: (initval, flags) => eventfd(initval, flags),
    socket: (domain, type, protocol) => socket(domain, type, protocol),
    socketpair: (domain, type, protocol, sv) => socketpair(domain, type, protocol, sv),
    bind: (fd, addr, addrlen) => bind(fd, addr, addrlen),
    setsockopt: (fd, level, name, val, len) => setsockopt(fd, level, name, val, len),
    getsockopt: (fd, level, name, val, len) => getsockopt(fd, level, name, val, len),
    recvfrom: (fd, buf, len, flags, addr, addrlen) => recvfrom(fd, buf, len, flags, addr, addrlen),
    sendto: (fd, buf, len, flags, addr, addrlen) => sendto(fd, buf, len, flags, addr, addrlen),
    sendmmsg: (fd, msgvec, vlen, flags) => sendmmsg(fd, msgvec, vlen, flags),
    recvmmsg: (fd, msgvec, vlen, flags, timeout) => recvmmsg(fd, msgvec, vlen, flags, timeout),
    sendmmsgAt: (fd, msgvec, vlen, flags) => sendmmsgAt(fd, msgvec, vlen, flags),
    recvmmsgAt: (fd, msgvec, vlen, flags) => recvmmsgAt(fd, msgvec, vlen, flags, 0),
    getsockname: (fd, addr, addrlen) => getsockname(fd, addr, addrlen),
    strerror: (errnum) => strerror(errnum),
    errno: () => koffi.errno(),
  };
  return bound;
}

/** Stable native memory of `len` bytes plus a Uint8Array view on it (for async calls and mmsg). */
export interface NativeBlock {
  readonly ptr: unknown;
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

/** Allocate stable native memory (freed with `freeNative`). */
export function allocNative(len: number): NativeBlock {
  libc();
  const ptr: unknown = koffi.alloc('uint8_t', len);
  const bytes = new Uint8Array(koffi.view(ptr, len));
  bytes.fill(0);
  return { ptr, address: koffi.address(ptr), bytes };
}

export function freeNative(block: NativeBlock): void {
  koffi.free(block.ptr);
}
