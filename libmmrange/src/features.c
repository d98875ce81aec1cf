// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* What this kernel offers: probed, never assumed from a version number. */
#include <errno.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mmrange.h>

#include "internal.h"
#include "compat.h"

/* Any valid window will do for the probe: the smallest, at 1 GiB. */
#define PROBE_START	(1ULL << 30)

/*
 * Whether a window with @flags is accepted, asked in a child so that the
 * caller's window never changes.  The child is a raw clone() without an
 * exit signal: it makes no C library calls, and no SIGCHLD handler of the
 * caller's sees it.
 */
static int window_flags_accepted(const struct mmr_window *cur,
				 unsigned long flags)
{
	/* The child makes no C library calls: its window end comes from here. */
	unsigned long end = PROBE_START + MMR_WINDOW_MIN_PAGES *
			    (unsigned long)sysconf(_SC_PAGESIZE);
	int status;
	long pid;

	if ((cur->flags & flags) == flags)
		return 1;
	if (cur->flags & MMR_WINDOW_LOCK)
		return 0;	/* the child could not set anything either */
	pid = syscall(SYS_clone, 0UL, 0UL, 0UL, 0UL, 0UL);
	if (pid < 0)
		return 0;
	if (pid == 0) {
		long ret = syscall(SYS_prctl, PR_SET_MMAP_RANGE, PROBE_START,
				   end, flags, 0UL);

		syscall(SYS_exit_group, ret == 0 ? 0 : 1);
	}
	while (waitpid((pid_t)pid, &status, __WALL) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

MMR_EXPORT unsigned int mmr_features(void)
{
	struct mmr_window cur;
	unsigned int f = 0;

	if (mmr_window_get(&cur) == 0) {
		f |= MMR_FEAT_WINDOW;
		if (window_flags_accepted(&cur, PR_MMAP_RANGE_COMPAT))
			f |= MMR_FEAT_COMPAT_WINDOW;
		if (window_flags_accepted(&cur, PR_MMAP_RANGE_COMPAT |
					  PR_MMAP_RANGE_EXCLUSIVE))
			f |= MMR_FEAT_EXCLUSIVE_WINDOW;
	}
	if (mmr_compat_works())
		f |= MMR_FEAT_COMPAT_SYSCALL;
	/* An empty range: sealing nothing succeeds where mseal() exists. */
	if (!mmr_seal(0, 0))
		f |= MMR_FEAT_SEAL;
	return f;
}
