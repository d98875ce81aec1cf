// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Compat (32-bit ABI) syscalls from this 64-bit process. */
#include <errno.h>

#include "internal.h"
#include "compat.h"

MMR_EXPORT long mmr_compat_syscall(long nr, long a0, long a1, long a2, long a3,
				   long a4, long a5)
{
#ifdef MMR_HAVE_COMPAT
	/* The 32-bit ABI has 32-bit registers. */
	return arch_compat_syscall(nr, (uint32_t)a0, (uint32_t)a1,
				   (uint32_t)a2, (uint32_t)a3, (uint32_t)a4,
				   (uint32_t)a5);
#else
	(void)nr, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return -ENOSYS;
#endif
}
