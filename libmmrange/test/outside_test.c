// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The FEX-style fallback (MMR_GUEST_RESERVE_OUTSIDE) on any kernel: with
 * everything outside the window reserved, the kernel's own placements land
 * inside although the kernel knows nothing of the window, and so do the
 * translator's (the price of the mode); the main stack still grows.
 */
#include "libtest.h"

#include <pthread.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#define OUTSIDE	(MMR_GUEST_FALLBACK | MMR_GUEST_RESERVE_OUTSIDE)

FIXTURE(outside) {
	struct mmr_guest *g;
	void *high;		/* mapped far above the window before open */
};

FIXTURE_SETUP(outside)
{
	self->high = mmap((void *)HIGH_START, SZ_16M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			  -1, 0);
	ASSERT_EQ((void *)HIGH_START, self->high);
	ASSERT_EQ(0, mmr_guest_open(&self->g, WIN_START, WIN_END, OUTSIDE));
}

FIXTURE_TEARDOWN(outside)
{
	mmr_guest_close(self->g);
}

TEST_F(outside, confines_every_kernel_placement)
{
	ASSERT_EQ((unsigned int)MMR_CONFINES_ALL,
		  mmr_guest_confines(self->g));
}

TEST_F(outside, plain_mmap_lands_inside)
{
	int i;

	for (i = 0; i < 32; i++) {
		size_t len = page() * (1 + i * 7);
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, p);
		ASSERT_INSIDE(p, len, WIN_START, WIN_END);
	}
}

TEST_F(outside, plain_shmat_lands_inside)
{
	void *p;
	int id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);

	if (id < 0)
		SKIP(return, "shmget: %s", strerror(errno));
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_NE((void *)-1, p);
	ASSERT_INSIDE(p, SZ_1M, WIN_START, WIN_END);
	ASSERT_EQ(0, shmdt(p));
}

TEST_F(outside, io_setup_ring_lands_inside)
{
	unsigned long ctx = 0;

	if (syscall(SYS_io_setup, 128, &ctx))
		SKIP(return, "io_setup: %s", strerror(errno));
	ASSERT_INSIDE(ctx, page(), WIN_START, WIN_END);
	ASSERT_EQ(0, syscall(SYS_io_destroy, ctx));
}

/* The cost of the mode: the translator's own memory is inside too. */
TEST_F(outside, translator_malloc_and_stacks_land_inside)
{
	uint64_t stack;
	char *big = malloc(8 * SZ_1M);

	ASSERT_NE(NULL, big);
	ASSERT_INSIDE(big, 8 * SZ_1M, WIN_START, WIN_END);
	free(big);
	stack = a_thread_stack();
	ASSERT_NE(0ULL, stack);
	ASSERT_INSIDE(stack, sizeof(int), WIN_START, WIN_END);
}

/* Touch @depth bytes of stack below this frame. */
static int __attribute__((noinline)) use_stack(size_t depth)
{
	volatile char buf[64 << 10];

	buf[0] = 1;
	buf[sizeof(buf) - 1] = 1;
	if (depth <= sizeof(buf))
		return buf[0];
	return use_stack(depth - sizeof(buf)) + buf[sizeof(buf) - 1];
}

/* FEX's reservation stops the main stack from growing; this one does not. */
TEST_F(outside, main_stack_still_grows)
{
	struct rlimit rl;

	ASSERT_EQ(0, getrlimit(RLIMIT_STACK, &rl));
	ASSERT_GT(rl.rlim_cur, 2 * SZ_1M);
	/* Half the limit: the stack in use, and ASan's frames, need room. */
	ASSERT_GT(use_stack(rl.rlim_cur / 2), 0);
}

/*
 * A gap that opens outside (the translator unmaps something of its own) is
 * where the kernel looks first; a guest mapping still lands inside, and
 * the hole is reserved again.
 */
TEST_F(outside, gap_opened_outside_is_filled)
{
	void *p, *q;

	ASSERT_EQ(0, munmap(self->high, SZ_16M));
	p = mmr_guest_mmap(self->g, NULL, SZ_1M, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_PTR(p);
	ASSERT_INSIDE(p, SZ_1M, WIN_START, WIN_END);
	q = mmap(NULL, SZ_1M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_INSIDE(q, SZ_1M, WIN_START, WIN_END);
	/* And explicitly, after the next one. */
	ASSERT_EQ(0, munmap(q, SZ_1M));
	ASSERT_EQ(0, mmr_guest_refill(self->g));
	q = mmap(NULL, SZ_1M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_INSIDE(q, SZ_1M, WIN_START, WIN_END);
}

/* The start of [stack], from /proc/self/maps. */
static uint64_t stack_start(void)
{
	unsigned long lo = 0, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") &&
		    sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			break;
	if (f)
		fclose(f);
	return lo;
}

/*
 * A guest's hint outside the window is no hint, even one into the stack's
 * growth room, the one free space outside.
 */
TEST_F(outside, guest_hint_outside_window_is_no_hint)
{
	uint64_t hint = stack_start() - 4 * SZ_1M;
	void *p;

	ASSERT_GT(hint, WIN_END);
	p = mmr_guest_mmap(self->g, (void *)hint, SZ_1M, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_PTR(p);
	ASSERT_INSIDE(p, SZ_1M, WIN_START, WIN_END);
}

/* Closing gives the space back: the kernel places outside again. */
TEST_F(outside, close_releases_the_reservation)
{
	void *p;

	mmr_guest_close(self->g);
	self->g = NULL;
	p = mmap(NULL, SZ_16M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_FALSE(inside((uint64_t)(uintptr_t)p, SZ_16M, WIN_START,
			    WIN_END));
}

/*
 * A stack limit raised after execve() widens the stack's room only up to
 * the mapping below the stack: the kernel still places where the old
 * limit put mmap_base, and that space stays reserved.
 */
TEST(stack_limit_raised_later_frees_nothing_more)
{
	struct rlimit rl = { 1ULL << 40, RLIM_INFINITY };
	struct mmr_guest *g;
	void *p;

	ASSERT_EQ(0, getrlimit(RLIMIT_STACK, &rl));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (1ULL << 40))
		SKIP(return, "hard stack limit %llu",
		     (unsigned long long)rl.rlim_max);
	rl.rlim_cur = 1ULL << 40;
	ASSERT_EQ(0, setrlimit(RLIMIT_STACK, &rl));
	ASSERT_EQ(0, mmr_guest_open(&g, WIN_START, WIN_END, OUTSIDE));
	p = mmap(NULL, SZ_1M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_INSIDE(p, SZ_1M, WIN_START, WIN_END);
	mmr_guest_close(g);
}

/* Bottom-up placement starts above the window: the mode cannot work. */
TEST(unlimited_stack_refused)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct mmr_guest *g;

	if (setrlimit(RLIMIT_STACK, &rl))
		SKIP(return, "setrlimit: %s", strerror(errno));
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_open(&g, WIN_START, WIN_END,
					      OUTSIDE));
}

TEST_HARNESS_MAIN
