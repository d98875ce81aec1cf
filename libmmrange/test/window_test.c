// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* mmr_window_*, mmr_features, mmr_strerror. */
#include "libtest.h"

TEST(features_match_expectation)
{
	unsigned int f = mmr_features();

	if (expect_kernel()) {
		ASSERT_TRUE(f & MMR_FEAT_WINDOW);
		ASSERT_TRUE(f & MMR_FEAT_COMPAT_WINDOW);
		ASSERT_TRUE(f & MMR_FEAT_COMPAT_SYSCALL);
		ASSERT_TRUE(f & MMR_FEAT_EXCLUSIVE_WINDOW);
		ASSERT_TRUE(f & MMR_FEAT_SEAL);	/* 6.10+, 64-bit */
	}
	/* A compat-only window needs the window itself, an exclusive one both. */
	if (f & MMR_FEAT_COMPAT_WINDOW)
		ASSERT_TRUE(f & MMR_FEAT_WINDOW);
	if (f & MMR_FEAT_EXCLUSIVE_WINDOW)
		ASSERT_TRUE(f & MMR_FEAT_COMPAT_WINDOW);
	ASSERT_EQ(0U, f & ~(MMR_FEAT_WINDOW | MMR_FEAT_COMPAT_WINDOW |
			    MMR_FEAT_COMPAT_SYSCALL |
			    MMR_FEAT_EXCLUSIVE_WINDOW | MMR_FEAT_SEAL));
}

TEST(set_get_clear)
{
	struct mmr_window w;

	if (!have_kernel_window()) {
		ASSERT_EQ(-EINVAL, mmr_window_set(WIN_START, WIN_END, 0));
		ASSERT_EQ(-EINVAL, mmr_window_get(&w));
		return;
	}
	ASSERT_EQ(0, mmr_window_set(WIN_START, WIN_END, MMR_WINDOW_COMPAT));
	ASSERT_EQ(0, mmr_window_get(&w));
	ASSERT_EQ(WIN_START, w.start);
	ASSERT_EQ(WIN_END, w.end);
	ASSERT_EQ((uint64_t)MMR_WINDOW_COMPAT, w.flags);
	ASSERT_EQ(0, mmr_window_clear());
	ASSERT_EQ(0, mmr_window_get(&w));
	ASSERT_EQ(0ULL, w.end);
}

/* The probe for MMR_WINDOW_COMPAT runs in a child: the window stays. */
TEST(features_probe_leaves_window_alone)
{
	struct mmr_window w;

	if (!have_kernel_window())
		SKIP(return, "no PR_SET_MMAP_RANGE in this kernel");
	ASSERT_EQ(0, mmr_window_set(WIN_START, WIN_END, 0));
	ASSERT_TRUE(mmr_features() & MMR_FEAT_WINDOW);
	ASSERT_EQ(0, mmr_window_get(&w));
	ASSERT_EQ(WIN_START, w.start);
	ASSERT_EQ(0ULL, w.flags);
}

TEST(bad_arguments)
{
	ASSERT_EQ(-EINVAL, mmr_window_get(NULL));
	ASSERT_EQ(-EINVAL, mmr_window_set(WIN_START + 1, WIN_END, 0));
	ASSERT_EQ(-EINVAL, mmr_window_set(WIN_END, WIN_START, 0));
	ASSERT_EQ(-EINVAL, mmr_window_set(WIN_START, WIN_START + page(), 0));
	ASSERT_EQ(-EINVAL, mmr_window_set(WIN_START, WIN_END, 1U << 7));
}

TEST(locked_window_eperm)
{
	if (!have_kernel_window())
		SKIP(return, "no PR_SET_MMAP_RANGE in this kernel");
	ASSERT_EQ(0, mmr_window_set(WIN_START, WIN_END, MMR_WINDOW_LOCK));
	ASSERT_EQ(-EPERM, mmr_window_clear());
	ASSERT_STREQ("the window is locked until execve", mmr_strerror(-EPERM));
}

TEST(strerror_never_null)
{
	int e;

	for (e = -200; e <= 200; e++)
		ASSERT_NE(NULL, mmr_strerror(e));
	ASSERT_STREQ(mmr_strerror(EINVAL), mmr_strerror(-EINVAL));
	ASSERT_STREQ("success", mmr_strerror(0));
	ASSERT_STREQ("unknown error", mmr_strerror(100000));
}

TEST_HARNESS_MAIN
