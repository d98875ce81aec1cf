// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Compat (32-bit ABI) syscalls from this 64-bit process. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "internal.h"
#include "compat.h"

#ifdef MMR_HAVE_COMPAT
/*
 * Where the compat entry is unavailable, calling it can be a signal rather
 * than an error: x86_64's int $0x80 raises SIGSEGV on a kernel booted with
 * ia32_emulation=false, and a seccomp filter that allows only the native
 * architecture kills the process or raises SIGSYS.  (arm64's svc #0xa32
 * gives -ENOSYS when the entry is off or missing.)  So the entry is first
 * tried in a child.  The child is a raw clone() without an exit signal, as
 * in features.c; it puts the signals the probe may raise back to their
 * default action, so that none of the caller's handlers runs, and is not
 * dumpable, so that it leaves no core file.
 */
static bool compat_works_in_child(void)
{
	static const int sigs[] = { SIGSEGV, SIGSYS, SIGILL, SIGBUS };
	int status;
	long pid;

	pid = syscall(SYS_clone, 0UL, 0UL, 0UL, 0UL, 0UL);
	if (pid < 0)
		return false;
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		size_t i;
		long ret;

		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &dfl, NULL);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		ret = arch_compat_syscall(MMR_NR_getpid, 0, 0, 0, 0, 0, 0);
		syscall(SYS_exit_group, ret == syscall(SYS_getpid) ? 0 : 1);
	}
	while (waitpid((pid_t)pid, &status, __WALL) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The last answer of compat_works_in_child(): 0 not asked yet, 1 works,
 * -1 does not.  Global because mmr_compat_syscall() takes no handle and
 * must not fork on every call.  A "no" never goes stale (the entry cannot
 * appear, and seccomp filters can only be added); a "yes" can, if the
 * process installs such a filter later, so mmr_features() and
 * mmr_guest_open() ask again.
 */
static atomic_int compat_state;

bool mmr_compat_works(void)
{
	bool ok = compat_works_in_child();

	atomic_store(&compat_state, ok ? 1 : -1);
	return ok;
}

static bool compat_known_to_work(void)
{
	int state = atomic_load(&compat_state);

	return state ? state > 0 : mmr_compat_works();
}
#else
bool mmr_compat_works(void)
{
	return false;
}
#endif

MMR_EXPORT long mmr_compat_syscall(long nr, long a0, long a1, long a2, long a3,
				   long a4, long a5)
{
#ifdef MMR_HAVE_COMPAT
	if (!compat_known_to_work())
		return -ENOSYS;
	/* The 32-bit ABI has 32-bit registers. */
	return arch_compat_syscall(nr, (uint32_t)a0, (uint32_t)a1,
				   (uint32_t)a2, (uint32_t)a3, (uint32_t)a4,
				   (uint32_t)a5);
#else
	(void)nr, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	return -ENOSYS;
#endif
}
