/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User-space view of PR_SET_MMAP_RANGE / PR_GET_MMAP_RANGE.
 *
 * The same definitions live in <linux/prctl.h> of a kernel carrying the
 * mmrange series; this header lets user space build before distribution
 * headers have them.  Every definition is guarded so that both headers can
 * be included together.
 */
#ifndef _UAPI_LINUX_MMRANGE_H
#define _UAPI_LINUX_MMRANGE_H

#include <linux/types.h>

/*
 * Confine every kernel-chosen address of this process to [start, end).
 * Option numbers spell "MMRS"/"MMRG" so that they never collide with the
 * small sequential numbers mainline hands out.
 */
#ifndef PR_SET_MMAP_RANGE
#define PR_SET_MMAP_RANGE		0x4d4d5253
#endif
#ifndef PR_GET_MMAP_RANGE
#define PR_GET_MMAP_RANGE		0x4d4d5247
#endif

/* Confine only placements made inside a compat (32-bit) system call. */
#ifndef PR_MMAP_RANGE_COMPAT
# define PR_MMAP_RANGE_COMPAT		(1UL << 0)
#endif
/* The window cannot be changed or cleared again until execve(). */
#ifndef PR_MMAP_RANGE_LOCK
# define PR_MMAP_RANGE_LOCK		(1UL << 1)
#endif
/*
 * With PR_MMAP_RANGE_COMPAT: the window is the compat syscalls' alone, so
 * nothing else the kernel places lands inside it.
 */
#ifndef PR_MMAP_RANGE_EXCLUSIVE
# define PR_MMAP_RANGE_EXCLUSIVE	(1UL << 2)
#endif

/*
 * The smallest window PR_SET_MMAP_RANGE accepts, in pages: 16 MiB with
 * 4 KiB pages, 64 MiB with 16 KiB, 256 MiB with 64 KiB.
 */
#ifndef PR_MMAP_RANGE_MIN_PAGES
# define PR_MMAP_RANGE_MIN_PAGES	4096
#endif

/*
 * arm64 (from <asm/unistd.h> of the series): "svc #__ARM64_SVC_COMPAT_IMM"
 * makes an AArch32 system call from an AArch64 task, number in w7 and
 * arguments in w0-w5.  Set x8 to -1: kernels without the entry then return
 * -ENOSYS.
 */
#if defined(__aarch64__) && !defined(__ARM64_SVC_COMPAT_IMM)
# define __ARM64_SVC_COMPAT_IMM		0xa32
#endif

#ifndef PR_MMAP_RANGE_SIZE_VER0
/* Argument of PR_GET_MMAP_RANGE; may grow at the end, sized by arg3. */
struct prctl_mmap_range {
	__u64 start;
	__u64 end;
	__u64 flags;
};
# define PR_MMAP_RANGE_SIZE_VER0	24
#endif

#endif /* _UAPI_LINUX_MMRANGE_H */
