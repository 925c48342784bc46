/**
 * The errno values the SAD/SPD put in PfkeyError.errno (and the key engine copies into
 * sadb_msg_errno). Linux numbering (include/uapi/asm-generic/errno-base.h, errno.h):
 * the daemon emulates Linux af_key, so replies carry what Linux would send.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EEXIST: 17,
  EINVAL: 22,
  ENOBUFS: 105,
} as const;

export type ErrnoName = keyof typeof Errno;
