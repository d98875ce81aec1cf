// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The window itself: PR_SET_MMAP_RANGE and PR_GET_MMAP_RANGE. */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include <linux/mmrange.h>

#include "internal.h"

_Static_assert(MMR_WINDOW_COMPAT == PR_MMAP_RANGE_COMPAT, "flag values");
_Static_assert(MMR_WINDOW_LOCK == PR_MMAP_RANGE_LOCK, "flag values");
_Static_assert(MMR_WINDOW_EXCLUSIVE == PR_MMAP_RANGE_EXCLUSIVE, "flag values");
_Static_assert(MMR_WINDOW_MIN_PAGES == PR_MMAP_RANGE_MIN_PAGES, "min pages");
_Static_assert(sizeof(struct mmr_window) == sizeof(struct prctl_mmap_range),
	       "struct layout");

MMR_EXPORT int mmr_window_set(uint64_t start, uint64_t end, unsigned int flags)
{
	if (prctl(PR_SET_MMAP_RANGE, (unsigned long)start, (unsigned long)end,
		  (unsigned long)flags, 0UL))
		return mmr_neg_errno(errno);
	return 0;
}

MMR_EXPORT int mmr_window_get(struct mmr_window *window)
{
	struct prctl_mmap_range r;

	if (!window)
		return -EINVAL;
	if (prctl(PR_GET_MMAP_RANGE, (unsigned long)&r, (unsigned long)sizeof(r),
		  0UL, 0UL))
		return mmr_neg_errno(errno);
	window->start = r.start;
	window->end = r.end;
	window->flags = r.flags;
	return 0;
}

MMR_EXPORT int mmr_window_clear(void)
{
	return mmr_window_set(0, 0, 0);
}
