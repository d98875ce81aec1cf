/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * arm64: "svc #0xa32" runs the AArch32 syscall numbered by w7 with the
 * arguments in w0-w5.  x8 = -1 makes kernels without the entry return
 * -ENOSYS instead of running some AArch64 syscall.
 */
#ifndef MMR_ARCH_COMPAT_H
#define MMR_ARCH_COMPAT_H

/* The ARM EABI numbers of the System V calls differ from i386. */
#define MMR_NR_shmat	305

#include <linux/mmrange.h>	/* __ARM64_SVC_COMPAT_IMM */

#define MMR_STR_(x)	#x
#define MMR_STR(x)	MMR_STR_(x)

static inline long arch_compat_syscall(long nr, long a0, long a1, long a2,
				       long a3, long a4, long a5)
{
	register long x0 __asm__("x0") = a0;
	register long x1 __asm__("x1") = a1;
	register long x2 __asm__("x2") = a2;
	register long x3 __asm__("x3") = a3;
	register long x4 __asm__("x4") = a4;
	register long x5 __asm__("x5") = a5;
	register long x7 __asm__("x7") = nr;
	register long x8 __asm__("x8") = -1;

	/* The kernel clears the upper halves of x0-x5 and x7. */
	__asm__ volatile("svc #" MMR_STR(__ARM64_SVC_COMPAT_IMM)
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4),
			   "+r"(x5), "+r"(x7)
			 : "r"(x8)
			 : "memory", "cc");
	return x0;
}

#endif /* MMR_ARCH_COMPAT_H */
