// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* mmr_compat_syscall(): int $0x80 on x86_64, svc #0xa32 on arm64. */
#include "libtest.h"

#include <stddef.h>
#include <sys/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define NR_getpid	20
#define NR_getppid	64

TEST(getpid_through_the_compat_entry)
{
	long ret = mmr_compat_syscall(NR_getpid, 0, 0, 0, 0, 0, 0);

	if (expect_kernel() && !expect_compat_off())
		ASSERT_EQ(getpid(), ret);
	if (mmr_features() & MMR_FEAT_COMPAT_SYSCALL) {
		ASSERT_EQ(getpid(), ret);
		ASSERT_EQ(getppid(), mmr_compat_syscall(NR_getppid, 0, 0, 0, 0,
							0, 0));
	} else {
		ASSERT_EQ(-ENOSYS, ret);
	}
}

/* Unknown numbers are -ENOSYS, and errno is left alone. */
TEST(unknown_number_enosys_errno_untouched)
{
	if (!(mmr_features() & MMR_FEAT_COMPAT_SYSCALL))
		SKIP(return, "no compat syscall entry here");
	errno = 1234;
	ASSERT_EQ(-ENOSYS, mmr_compat_syscall(5000, 0, 0, 0, 0, 0, 0));
	ASSERT_EQ(1234, errno);
}

/* Arguments are 32 bits wide: the upper halves never reach the kernel. */
TEST(arguments_truncated_to_32_bits)
{
	int p[2];

	if (!(mmr_features() & MMR_FEAT_COMPAT_SYSCALL))
		SKIP(return, "no compat syscall entry here");
	ASSERT_EQ(0, pipe(p));
	/* write(fd | junk, ...): with the junk the fd would be invalid. */
	ASSERT_EQ(-EFAULT, mmr_compat_syscall(4, p[1] | (0x7fLL << 32),
					      (long)0xfffff000, 3, 0, 0, 0));
	close(p[0]);
	close(p[1]);
}

#if defined(__x86_64__)
#define NATIVE_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH	AUDIT_ARCH_AARCH64
#endif

/*
 * What each entry point says where compat syscalls cannot be made: each
 * returns, none raises a signal.  0 if all of them said "not available",
 * else which one did not.
 */
static int reports_unavailable(void)
{
	struct mmr_guest *g = NULL;

	if (mmr_compat_syscall(NR_getpid, 0, 0, 0, 0, 0, 0) != -ENOSYS)
		return 10;
	if (mmr_features() & MMR_FEAT_COMPAT_SYSCALL)
		return 11;
	/* without the kernel window, the guest is a fallback one */
	if (have_kernel_window()) {
		if (mmr_guest_open(&g, WIN_START, WIN_END, MMR_GUEST_COMPAT) !=
		    -ENOSYS)
			return 12;
	} else if (mmr_guest_open(&g, WIN_START, WIN_END,
				  MMR_GUEST_COMPAT) == 0) {
		mmr_guest_close(g);
	}
	if (mmr_compat_syscall(NR_getpid, 0, 0, 0, 0, 0, 0) != -ENOSYS)
		return 13;
	return 0;
}

#ifdef NATIVE_ARCH
/*
 * Under a seccomp filter that kills the process for any syscall of another
 * architecture (as container runtimes install), the library finds out in a
 * child and reports "not available"; the process lives on.  (The filter
 * ends with this test's process, which the harness forked.)
 */
TEST(native_only_seccomp_filter_reported_unavailable)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	ASSERT_EQ(0, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	ASSERT_EQ(0, prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog));
	ASSERT_EQ(0, reports_unavailable());
}
#endif

/*
 * On a kernel booted without the entry (x86_64 ia32_emulation=false: int
 * $0x80 raises SIGSEGV; arm64 aarch32_svc=0: -ENOSYS) the same.  Only
 * those guest boots set MMRANGE_EXPECT_COMPAT=0.
 */
TEST(entry_turned_off_reported_unavailable)
{
	if (!expect_compat_off())
		SKIP(return, "the compat entry is on (MMRANGE_EXPECT_COMPAT)");
	ASSERT_EQ(0, reports_unavailable());
}

TEST_HARNESS_MAIN
