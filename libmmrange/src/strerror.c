// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Error strings in the library's terms. */
#include <errno.h>
#include <string.h>

#include "internal.h"

MMR_EXPORT const char *mmr_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument (unaligned, empty or too small window, "
		       "outside the address space, unknown flags, or no kernel "
		       "support for PR_SET_MMAP_RANGE)";
	case EPERM:
		return "the window is locked until execve";
	case ENOMEM:
		return "no room left in the window or region";
	case EEXIST:
		return "something is already mapped in that range";
	case ENOSYS:
		return "the kernel has no compat syscall entry";
	}
	/* glibc's strerrordesc_np() is thread-safe and never localised. */
	s = strerrordesc_np(err);
	return s ? s : "unknown error";
}
