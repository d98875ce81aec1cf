// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Threads allocating, resizing and freeing in the high region while others
 * map and unmap guest memory: every block keeps its own contents, every
 * high block stays in the region and every guest mapping in the window.
 */
#include "libtest.h"

#include <pthread.h>

#define REGION		(256ULL << 20)
#define HIGH_THREADS	4
#define GUEST_THREADS	2
#define ROUNDS		3000
#define SLOTS		32

struct shared {
	struct mmr_high *h;
	struct mmr_guest *g;
	int failures;		/* atomically incremented */
};

static void fail(struct shared *s, const char *what, void *p)
{
	fprintf(stderr, "# %s: %p (%s)\n", what, p, mmr_strerror(errno));
	__atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
}

/* Each slot's block is filled with the slot's own byte. */
static bool intact(const unsigned char *p, size_t len, unsigned char v)
{
	size_t i;

	for (i = 0; i < len; i += 512)
		if (p[i] != v)
			return false;
	return p[len - 1] == v;
}

static void *high_worker(void *arg)
{
	struct shared *s = arg;
	unsigned char *blk[SLOTS] = { 0 };
	size_t len[SLOTS] = { 0 };
	unsigned int seed = (unsigned int)(uintptr_t)&blk;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		int k = rand_r(&seed) % SLOTS;
		unsigned char v = (unsigned char)(k + 1);

		if (!blk[k]) {
			len[k] = page() * (1 + rand_r(&seed) % 8);
			blk[k] = mmr_high_alloc(s->h, len[k],
						PROT_READ | PROT_WRITE,
						k % 2 ? MMR_HIGH_GUARD : 0);
			if (!blk[k]) {
				fail(s, "alloc", NULL);
				continue;
			}
			if (!inside((uint64_t)blk[k], len[k], HIGH_START,
				    HIGH_START + REGION))
				fail(s, "outside the region", blk[k]);
			memset(blk[k], v, len[k]);
		} else if (!intact(blk[k], len[k], v)) {
			fail(s, "block overwritten", blk[k]);
		} else if (rand_r(&seed) % 3 == 0) {
			size_t nl = page() * (1 + rand_r(&seed) % 16);
			unsigned char *n = mmr_high_resize(s->h, blk[k], nl);

			if (!n) {
				fail(s, "resize", blk[k]);
				continue;
			}
			if (nl > len[k])
				memset(n + len[k], v, nl - len[k]);
			blk[k] = n;
			len[k] = nl;
			if (!intact(n, nl, v))
				fail(s, "resize lost data", n);
		} else {
			if (mmr_high_free(s->h, blk[k]))
				fail(s, "free", blk[k]);
			blk[k] = NULL;
		}
	}
	for (i = 0; i < SLOTS; i++)
		if (blk[i] && mmr_high_free(s->h, blk[i]))
			fail(s, "final free", blk[i]);
	return NULL;
}

static void *guest_worker(void *arg)
{
	struct shared *s = arg;
	unsigned char *m[SLOTS] = { 0 };
	unsigned int seed = (unsigned int)(uintptr_t)&m;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		int k = rand_r(&seed) % SLOTS;

		if (!m[k]) {
			m[k] = mmr_guest_mmap(s->g, NULL, 2 * page(),
					      PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (!m[k]) {
				fail(s, "guest mmap", NULL);
				continue;
			}
			if (!inside((uint64_t)m[k], 2 * page(), WIN_START,
				    WIN_END))
				fail(s, "guest mapping outside", m[k]);
			memset(m[k], k + 1, 2 * page());
		} else {
			if (!intact(m[k], 2 * page(), (unsigned char)(k + 1)))
				fail(s, "guest mapping overwritten", m[k]);
			if (mmr_guest_munmap(s->g, m[k], 2 * page()))
				fail(s, "guest munmap", m[k]);
			m[k] = NULL;
		}
	}
	return NULL;
}

FIXTURE(mixed) {
	struct shared s;
};

FIXTURE_VARIANT(mixed) {
	unsigned int guest_flags;
	bool needs_kernel;
};

FIXTURE_VARIANT_ADD(mixed, fallback) { .guest_flags = MMR_GUEST_FALLBACK };
FIXTURE_VARIANT_ADD(mixed, kernel) { .needs_kernel = true };

FIXTURE_SETUP(mixed)
{
	if (variant->needs_kernel && !have_kernel_window()) {
		ASSERT_FALSE(expect_kernel());
		SKIP(return, "no PR_SET_MMAP_RANGE in this kernel");
	}
	ASSERT_EQ(0, mmr_guest_open(&self->s.g, WIN_START, WIN_END,
				    variant->guest_flags));
	ASSERT_EQ(0, mmr_high_reserve(&self->s.h, HIGH_START, REGION));
}

FIXTURE_TEARDOWN(mixed)
{
	mmr_high_release(self->s.h);
	mmr_guest_close(self->s.g);
}

/* Six threads, 3000 rounds each: minutes on a debug kernel under TCG. */
TEST_F_TIMEOUT(mixed, high_and_guest_threads, 900)
{
	pthread_t t[HIGH_THREADS + GUEST_THREADS];
	int i;

	for (i = 0; i < HIGH_THREADS + GUEST_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL,
					    i < HIGH_THREADS ? high_worker :
					    guest_worker, &self->s));
	for (i = 0; i < HIGH_THREADS + GUEST_THREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	ASSERT_EQ(0, self->s.failures);
}

TEST_HARNESS_MAIN
