// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The high region: reserve, alloc, free, resize, guards, errors. */
#include "libtest.h"

/* 16384 pages: 64 MiB with 4 KiB pages, enough for 2000 allocations on any */
#define REGION	(16384 * page())

FIXTURE(high) {
	struct mmr_high *h;
};

FIXTURE_VARIANT(high) {
	bool window;	/* a kernel window below: no placeholder */
};

FIXTURE_VARIANT_ADD(high, placeholder) { .window = false };
FIXTURE_VARIANT_ADD(high, under_window) { .window = true };

FIXTURE_SETUP(high)
{
	if (variant->window) {
		if (!have_kernel_window()) {
			ASSERT_FALSE(expect_kernel());
			SKIP(return, "no PR_SET_MMAP_RANGE in this kernel");
		}
		ASSERT_EQ(0, mmr_window_set(WIN_START, WIN_END, 0));
	}
	ASSERT_EQ(0, mmr_high_reserve(&self->h, HIGH_START, REGION));
}

FIXTURE_TEARDOWN(high)
{
	mmr_high_release(self->h);
}

TEST_F(high, alloc_inside_and_usable)
{
	char prot[5];
	char *p = mmr_high_alloc(self->h, 10000, PROT_READ | PROT_WRITE, 0);

	ASSERT_PTR(p);
	ASSERT_INSIDE(p, 3 * page(), HIGH_START, HIGH_START + REGION);
	memset(p, 0x5a, 10000);
	ASSERT_EQ((size_t)((10000 + page() - 1) & ~(page() - 1)), mmr_high_size(self->h, p));
	ASSERT_EQ(0, maps_prot((uint64_t)p, prot));
	ASSERT_STREQ("rw-p", prot);
	ASSERT_EQ(0, mmr_high_free(self->h, p));
	ASSERT_EQ(0UL, mmr_high_size(self->h, p));
}

/* Without a window a placeholder holds the region; with one, nothing. */
TEST_F(high, region_held_as_documented)
{
	char prot[5];
	int ret = maps_prot(HIGH_START + REGION / 2, prot);

	if (variant->window) {
		ASSERT_EQ(-1, ret);
	} else {
		ASSERT_EQ(0, ret);
		ASSERT_STREQ("---p", prot);
	}
}

TEST_F(high, guard_pages_are_prot_none)
{
	char prot[5];
	char *p = mmr_high_alloc(self->h, page(), PROT_READ | PROT_WRITE,
				 MMR_HIGH_GUARD);

	ASSERT_PTR(p);
	ASSERT_EQ(0, maps_prot((uint64_t)p - 1, prot));
	ASSERT_STREQ("---p", prot);
	ASSERT_EQ(0, maps_prot((uint64_t)p + page(), prot));
	ASSERT_STREQ("---p", prot);
	ASSERT_EQ(0, maps_prot((uint64_t)p, prot));
	ASSERT_STREQ("rw-p", prot);
}

/* 2000 allocations: minutes on a KASAN/lockdep kernel under TCG. */
TEST_F_TIMEOUT(high, allocations_never_overlap, 900)
{
	static char *p[2000];
	size_t sz[2000];
	int i;

	for (i = 0; i < 2000; i++) {
		sz[i] = page() * (1 + i % 7);
		p[i] = mmr_high_alloc(self->h, sz[i], PROT_READ | PROT_WRITE,
				      i % 3 ? 0 : MMR_HIGH_GUARD);
		ASSERT_PTR(p[i]);
		memset(p[i], i & 0xff, sz[i]);
	}
	for (i = 0; i < 2000; i += 2)
		ASSERT_EQ(0, mmr_high_free(self->h, p[i]));
	for (i = 1; i < 2000; i += 2) {
		ASSERT_EQ((char)(i & 0xff), p[i][0]);
		ASSERT_EQ((char)(i & 0xff), p[i][sz[i] - 1]);
	}
}

TEST_F(high, resize_grow_in_place_shrink_and_move)
{
	char *p = mmr_high_alloc(self->h, page(), PROT_READ | PROT_WRITE,
				 MMR_HIGH_GUARD);
	char *q, *r, *blocker;

	ASSERT_PTR(p);
	memset(p, 7, page());
	/* Nothing behind it yet: grows in place. */
	q = mmr_high_resize(self->h, p, 4 * page());
	ASSERT_EQ(p, q);
	ASSERT_EQ(7, q[page() - 1]);
	q[4 * page() - 1] = 8;
	/* Shrink in place. */
	q = mmr_high_resize(self->h, q, 2 * page());
	ASSERT_EQ(p, q);
	ASSERT_EQ(2 * page(), mmr_high_size(self->h, q));
	/* Block the space behind it: growing moves, keeping the data. */
	blocker = mmr_high_alloc(self->h, page(), PROT_READ, 0);
	ASSERT_PTR(blocker);
	ASSERT_EQ((uint64_t)q + 3 * page(), (uint64_t)blocker);
	r = mmr_high_resize(self->h, q, 16 * page());
	ASSERT_PTR(r);
	ASSERT_NE(q, r);
	ASSERT_EQ(7, r[0]);
	ASSERT_EQ(7, r[page() - 1]);
	r[16 * page() - 1] = 9;
	ASSERT_EQ(0UL, mmr_high_size(self->h, q));
	ASSERT_EQ(16 * page(), mmr_high_size(self->h, r));
}

TEST_F(high, full_region_enomem)
{
	void *p = mmr_high_alloc(self->h, REGION, PROT_READ, 0);

	ASSERT_PTR(p);
	errno = 0;
	ASSERT_EQ(NULL, mmr_high_alloc(self->h, page(), PROT_READ, 0));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, mmr_high_free(self->h, p));
	p = mmr_high_alloc(self->h, REGION, PROT_READ, 0);
	ASSERT_PTR(p);
	/* Resizing beyond the region fails and keeps the allocation. */
	errno = 0;
	ASSERT_EQ(NULL, mmr_high_resize(self->h, p, REGION + page()));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(REGION, mmr_high_size(self->h, p));
}

/*
 * A sealed allocation: a guest's MAP_FIXED, munmap() and mprotect() over it
 * fail, and so do mmr_high_free() and mmr_high_resize(); releasing the
 * region leaves it, and unmaps the rest.  Without mseal() the allocation
 * is refused rather than made unsealed.
 */
TEST_F(high, seal_refuses_fixed_munmap_and_free)
{
	char prot[5], *p, *q;

	p = mmr_high_alloc(self->h, 2 * page(), PROT_READ | PROT_WRITE,
			   MMR_HIGH_SEAL | MMR_HIGH_GUARD);
	if (!(mmr_features() & MMR_FEAT_SEAL)) {
		ASSERT_FALSE(expect_kernel());
		ASSERT_EQ(NULL, p);
		ASSERT_EQ(EOPNOTSUPP, errno);
		return;
	}
	ASSERT_PTR(p);
	q = mmr_high_alloc(self->h, page(), PROT_READ | PROT_WRITE, 0);
	ASSERT_PTR(q);
	p[0] = 7;
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(p, page(), PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				   -1, 0));
	ASSERT_EQ(EPERM, errno);
	/* Its guard pages too. */
	ASSERT_EQ(MAP_FAILED, mmap(p - page(), page(), PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				   -1, 0));
	ASSERT_EQ(-1, munmap(p, page()));
	ASSERT_EQ(-1, mprotect(p, page(), PROT_READ | PROT_EXEC));
	ASSERT_EQ(-EPERM, mmr_high_free(self->h, p));
	errno = 0;
	ASSERT_EQ(NULL, mmr_high_resize(self->h, p, 4 * page()));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(7, p[0]);
	/* Unsealed ones are still free to go. */
	ASSERT_EQ(0, mmr_high_free(self->h, q));
	mmr_high_release(self->h);
	self->h = NULL;
	ASSERT_EQ(0, maps_prot((uint64_t)p, prot));
	ASSERT_STREQ("rw-p", prot);
	ASSERT_EQ(-1, maps_prot((uint64_t)q, prot));
	ASSERT_EQ(-1, maps_prot(HIGH_START + REGION - page(), prot));
}

TEST_F(high, bad_arguments)
{
	char *p;

	errno = 0;
	ASSERT_EQ(NULL, mmr_high_alloc(self->h, 0, PROT_READ, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(NULL, mmr_high_alloc(self->h, page(), PROT_READ, 1U << 5));
	ASSERT_EQ(NULL, mmr_high_alloc(NULL, page(), PROT_READ, 0));
	p = mmr_high_alloc(self->h, 2 * page(), PROT_READ, 0);
	ASSERT_PTR(p);
	ASSERT_EQ(-EINVAL, mmr_high_free(self->h, p + page()));
	ASSERT_EQ(-EINVAL, mmr_high_free(self->h, (void *)0x1000));
	ASSERT_EQ(-EINVAL, mmr_high_free(NULL, p));
	errno = 0;
	ASSERT_EQ(NULL, mmr_high_resize(self->h, p + 1, page()));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(NULL, mmr_high_resize(self->h, p, 0));
	/* A length that wraps when rounded to pages is no shrink to 0. */
	errno = 0;
	ASSERT_EQ(NULL, mmr_high_resize(self->h, p, SIZE_MAX));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(2 * page(), mmr_high_size(self->h, p));
	ASSERT_EQ(0, mmr_high_free(self->h, p));
	ASSERT_EQ(-EINVAL, mmr_high_free(self->h, p));	/* twice */
}

/* Under a window nothing holds the region: a foreign MAP_FIXED there makes
 * the allocation fail rather than be replaced. */
TEST(foreign_mapping_not_replaced_under_window)
{
	struct mmr_high *h;
	char *f, *p;

	if (!have_kernel_window()) {
		ASSERT_FALSE(expect_kernel());
		SKIP(return, "no PR_SET_MMAP_RANGE in this kernel");
	}
	ASSERT_EQ(0, mmr_window_set(WIN_START, WIN_END, 0));
	ASSERT_EQ(0, mmr_high_reserve(&h, HIGH_START, REGION));
	f = mmap((void *)HIGH_START, page(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)HIGH_START, f);
	f[0] = 42;
	errno = 0;
	p = mmr_high_alloc(h, page(), PROT_READ | PROT_WRITE, 0);
	ASSERT_EQ(NULL, p);
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(42, f[0]);
	mmr_high_release(h);
}

TEST(reserve_bad_arguments)
{
	struct mmr_high *h;
	void *busy;

	ASSERT_EQ(-EINVAL, mmr_high_reserve(NULL, HIGH_START, page()));
	ASSERT_EQ(-EINVAL, mmr_high_reserve(&h, HIGH_START + 1, page()));
	ASSERT_EQ(-EINVAL, mmr_high_reserve(&h, HIGH_START, page() + 1));
	ASSERT_EQ(-EINVAL, mmr_high_reserve(&h, HIGH_START, 0));
	ASSERT_EQ(-EINVAL, mmr_high_reserve(&h, -page(), 2 * page()));
	busy = mmap((void *)HIGH_START, page(), PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)HIGH_START, busy);
	ASSERT_EQ(-EEXIST, mmr_high_reserve(&h, HIGH_START, 4 * page()));
}

/* Start 0: the library picks a free place above the window / 4 GiB. */
TEST(reserve_default_start)
{
	struct mmr_high *h;
	void *p;

	ASSERT_EQ(0, mmr_high_reserve(&h, 0, SZ_16M));
	p = mmr_high_alloc(h, page(), PROT_READ | PROT_WRITE, 0);
	ASSERT_PTR(p);
	ASSERT_TRUE((uint64_t)p >= (4ULL << 30));
	ASSERT_EQ(0ULL, ((uint64_t)p - 0) % page());
	mmr_high_release(h);
}

TEST_HARNESS_MAIN
