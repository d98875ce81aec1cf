// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* mmr_compat_syscall(): int $0x80 on x86_64, svc #0xa32 on arm64. */
#include "libtest.h"

#define NR_getpid	20
#define NR_getppid	64

TEST(getpid_through_the_compat_entry)
{
	long ret = mmr_compat_syscall(NR_getpid, 0, 0, 0, 0, 0, 0);

	if (expect_kernel())
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

TEST_HARNESS_MAIN
