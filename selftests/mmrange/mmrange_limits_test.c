// SPDX-License-Identifier: GPL-2.0
/*
 * A full window gives ENOMEM and never a placement outside it, including
 * the top-down allocator's bottom-up retry; alignment requirements (hugetlb
 * page size, THP PMD size, SHMLBA) are kept inside the window.
 */
#include "mmrange_test.h"

#include <sys/ipc.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/shm.h>

#define WIN_START	SZ_16G
/* The smallest window: 16 MiB with 4 KiB pages, more with larger ones. */
#define WIN_END		(SZ_16G + min_window())

/*
 * Map the free space of [start, end) with PROT_NONE pieces, 1 MiB and then
 * page sized, until the kernel says ENOMEM.  Returns the bytes mapped, or
 * -1 when a piece lands outside or mmap fails otherwise.
 */
static long fill_window(unsigned long start, unsigned long end)
{
	const unsigned long chunks[] = { SZ_1M, page_size() };
	unsigned long total = 0;
	size_t i;

	for (i = 0; i < 2; i++) {
		for (;;) {
			void *p = map_anon(0, chunks[i], PROT_NONE, MAP_NORESERVE);

			if (p == MAP_FAILED && errno == ENOMEM)
				break;
			if (p == MAP_FAILED) {
				fprintf(stderr, "# fill: mmap %#lx: %s\n", chunks[i],
					strerror(errno));
				return -1;
			}
			if (!range_inside((unsigned long)p, chunks[i], start, end)) {
				fprintf(stderr, "# fill: [%p, +%#lx) outside [%#lx, %#lx)\n",
					p, chunks[i], start, end);
				return -1;
			}
			total += chunks[i];
		}
	}
	return total;
}

FIXTURE(limits) {
	unsigned long pg;
};

FIXTURE_SETUP(limits)
{
	self->pg = page_size();
}

FIXTURE_TEARDOWN(limits)
{
	mmr_clear();
}

/* One mapping the size of the window fills it; after that, only ENOMEM. */
TEST_F(limits, full_window_enomem)
{
	int vmas, shm;
	char *p;

	ASSERT_SET(WIN_START, WIN_END, 0);
	p = map_anon(0, WIN_END - WIN_START, PROT_NONE, MAP_NORESERVE);
	ASSERT_MAPPED(p);
	ASSERT_EQ(WIN_START, (unsigned long)p);

	vmas = maps_count(0, ~0UL);
	ASSERT_GT(vmas, 0);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, map_anon(0, self->pg, PROT_READ, 0));
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, self->pg, PROT_READ,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0));
	ASSERT_EQ(ENOMEM, errno);
	shm = shmget(IPC_PRIVATE, self->pg, IPC_CREAT | 0600);
	ASSERT_GE(shm, 0);
	errno = 0;
	ASSERT_EQ((void *)-1, shmat(shm, NULL, 0));
	ASSERT_EQ(ENOMEM, errno);
	shmctl(shm, IPC_RMID, NULL);
	/* Nothing was placed anywhere else either. */
	ASSERT_EQ(vmas, maps_count(0, ~0UL));
	munmap(p, WIN_END - WIN_START);
}

/*
 * Thousands of one-page holes: a two-page mapping fits none of them, every
 * one-page mapping lands in one.  Thousands of VMAs take minutes on a
 * KASAN/lockdep kernel under TCG, hence the timeout.
 */
TEST_F_TIMEOUT(limits, full_window_of_page_holes, 900)
{
	unsigned long pg = self->pg, pages = (WIN_END - WIN_START) / pg, i;
	long filled;

	ASSERT_SET(WIN_START, WIN_END, 0);
	filled = fill_window(WIN_START, WIN_END);
	ASSERT_EQ((long)(WIN_END - WIN_START), filled);
	for (i = 0; i < pages; i += 2)
		ASSERT_EQ(0, munmap((void *)(WIN_START + i * pg), pg));

	errno = 0;
	ASSERT_EQ(MAP_FAILED, map_anon(0, 2 * pg, PROT_NONE, 0));
	ASSERT_EQ(ENOMEM, errno);
	for (i = 0; i < pages / 2; i++) {
		unsigned long p = (unsigned long)map_anon(0, pg, PROT_NONE, 0);

		if (p == (unsigned long)MAP_FAILED)
			TH_LOG("hole %lu of %lu: %s", i, pages / 2, strerror(errno));
		ASSERT_NE((unsigned long)MAP_FAILED, p);
		ASSERT_INSIDE(p, pg, WIN_START, WIN_END);
		/* It took a hole: an even page. */
		ASSERT_EQ(0UL, (p - WIN_START) / pg % 2);
	}
	errno = 0;
	ASSERT_EQ(MAP_FAILED, map_anon(0, pg, PROT_NONE, 0));
	ASSERT_EQ(ENOMEM, errno);
	munmap((void *)WIN_START, WIN_END - WIN_START);
}

/* Only part of the window left: every placement goes there, then ENOMEM. */
TEST_F(limits, partly_full_window_places_in_rest)
{
	unsigned long rest = 4 * SZ_1M;
	char *busy;
	long filled;

	/* The top three quarters, where top-down placement starts, is taken. */
	busy = map_fixed(WIN_START + rest, WIN_END - WIN_START - rest, PROT_NONE);
	ASSERT_MAPPED(busy);
	ASSERT_SET(WIN_START, WIN_END, 0);
	filled = fill_window(WIN_START, WIN_START + rest);
	ASSERT_EQ((long)rest, filled);
	munmap((void *)WIN_START, WIN_END - WIN_START);
}

static void big_stack_rlimit(void)
{
	struct rlimit rl;

	/* mmap_base sits RLIMIT_STACK below the stack: leave 1 GiB free. */
	if (!getrlimit(RLIMIT_STACK, &rl)) {
		rl.rlim_cur = rl.rlim_max < SZ_1G ? rl.rlim_max : SZ_1G;
		setrlimit(RLIMIT_STACK, &rl);
	}
}

/*
 * Run in a fresh process with a 1 GiB stack rlimit: put the window between
 * mmap_base and the stack, where the top-down search (below mmap_base) finds
 * nothing and the allocator falls back to its bottom-up search.
 */
static int above_mmap_base_main(void)
{
	unsigned long pg = page_size(), lo, hi, stack_lo = 0, top = 0;
	unsigned long start, end;
	char line[512];
	long filled;
	FILE *f;
	void *p;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			stack_lo = lo;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi < stack_lo &&
		    hi > top)
			top = hi;
	fclose(f);

	/* top is mmap_base: the first top-down mapping ends there. */
	start = align_up(top, SZ_2M) + 64 * SZ_1M;
	end = start + min_window();
	child_log("mmap area top %#lx, stack at %#lx, window [%#lx, %#lx)",
		  top, stack_lo, start, end);
	if (!stack_lo || end + 64 * SZ_1M > stack_lo) {
		child_log("no room between mmap_base and the stack");
		return 2;
	}
	if (mmr_set(start, end, 0)) {
		child_log("PR_SET_MMAP_RANGE: %s", strerror(errno));
		return 3;
	}
	p = map_anon(0, pg, PROT_READ, 0);
	if (p == MAP_FAILED || !range_inside((unsigned long)p, pg, start, end)) {
		child_log("mmap: %p (%s)", p, p == MAP_FAILED ? strerror(errno) : "outside");
		return 4;
	}
	filled = fill_window(start, end);
	if (filled != (long)(end - start - pg)) {
		child_log("filled %#lx of %#lx free bytes", filled, end - start - pg);
		return 5;
	}
	return 0;
}

TEST(topdown_fallback_confined_above_mmap_base)
{
	static const char *const args[] = { "above-mmap-base", NULL };
	char out[64];

	ASSERT_EQ(0, run_self(args, big_stack_rlimit, out, sizeof(out)));
}

/* Huge pages keep their alignment in a window that does not start on one. */
TEST_F(limits, hugetlb_aligned_in_unaligned_window)
{
	unsigned long hps = hugetlb_page_size();
	unsigned long start = WIN_START + SZ_64K, end = start + min_window();
	char *p;

	ASSERT_NE(0UL, hps);
	ASSERT_HUGEPAGES_RESERVED();
	ASSERT_SET(start, end, 0);
	p = map_anon(0, hps, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, hps, start, end);
	ASSERT_ALIGNED(p, hps);
	p[0] = 1;
	munmap(p, hps);
}

TEST_F(limits, thp_aligned_in_unaligned_window)
{
	unsigned long pmd = thp_pmd_size();
	unsigned long start = WIN_START + SZ_64K, end = start + window_size(4 * pmd);
	char *p;

	if (!pmd)
		TH_LOG(NO_THP_MSG);
	ASSERT_NE(0UL, pmd);
	ASSERT_SET(start, end, 0);
	/* NORESERVE: with 64 KiB pages 2 PMDs are 1 GiB, more than guest RAM. */
	p = map_anon(0, 2 * pmd, PROT_READ | PROT_WRITE, MAP_NORESERVE);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, 2 * pmd, start, end);
	ASSERT_ALIGNED(p, pmd);
	munmap(p, 2 * pmd);
}

TEST_F(limits, shmat_aligned_in_unaligned_window)
{
	unsigned long start = WIN_START + self->pg, end = start + min_window();
	int id = shmget(IPC_PRIVATE, 4 * self->pg, IPC_CREAT | 0600);
	char *p;

	ASSERT_GE(id, 0);
	ASSERT_SET(start, end, 0);
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_MAPPED((void *)p);
	ASSERT_INSIDE(p, 4 * self->pg, start, end);
	ASSERT_ALIGNED(p, (unsigned long)SHMLBA);
	shmdt(p);
}

#ifdef __x86_64__
/*
 * The window intersects the caller's own bounds, it does not replace them:
 * MAP_ABOVE4G (also what shadow stacks use) never goes below 4 GiB and
 * MAP_32BIT keeps its [1 GiB, 2 GiB) range; where the intersection is
 * empty the answer is ENOMEM.
 */
#ifndef MAP_ABOVE4G
#define MAP_ABOVE4G	0x80
#endif

TEST_F(limits, map_above4g_window_below_4g_enomem)
{
	unsigned long start;

	ASSERT_EQ(0, low_window_start(&start));
	ASSERT_SET(start, SZ_4G, 0);
	ASSERT_EQ(MAP_FAILED, map_anon(0, self->pg, PROT_READ, MAP_ABOVE4G));
	ASSERT_EQ(ENOMEM, errno);
}

TEST_F(limits, map_above4g_lands_above_4g_in_window_across_4g)
{
	char *p;

	ASSERT_SET(2 * SZ_1G, SZ_4G + SZ_16M, 0);
	p = map_anon(0, self->pg, PROT_READ, MAP_ABOVE4G);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, self->pg, SZ_4G, SZ_4G + SZ_16M);
	munmap(p, self->pg);
}

TEST_F(limits, map_above4g_part_above_4g_full_enomem)
{
	char *fill;

	fill = map_fixed(SZ_4G, SZ_16M, PROT_NONE);
	ASSERT_MAPPED(fill);
	ASSERT_SET(2 * SZ_1G, SZ_4G + SZ_16M, 0);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, map_anon(0, self->pg, PROT_READ, MAP_ABOVE4G));
	ASSERT_EQ(ENOMEM, errno);
	munmap(fill, SZ_16M);
}

/*
 * The legacy (bottom-up) layout: the search starts at the legacy base, far
 * above the window, which under a window is only a start; MAP_ABOVE4G's
 * 4 GiB floor must survive that, and so must its room above 4 GiB.
 */
static int above4g_legacy_main(void)
{
	unsigned long pg = page_size();
	char *p;

	if (!(personality(0xffffffff) & ADDR_COMPAT_LAYOUT)) {
		child_log("not running with ADDR_COMPAT_LAYOUT");
		return 2;
	}
	if (mmr_set(2 * SZ_1G, SZ_4G + SZ_16M, 0)) {
		child_log("PR_SET_MMAP_RANGE: %s", strerror(errno));
		return 3;
	}
	p = map_anon(0, pg, PROT_READ, MAP_ABOVE4G);
	if (p == MAP_FAILED || !range_inside((unsigned long)p, pg, SZ_4G, SZ_4G + SZ_16M)) {
		child_log("MAP_ABOVE4G: %p (%s), want [4 GiB, 4 GiB + 16 MiB)", p,
			  p == MAP_FAILED ? strerror(errno) : "outside");
		return 4;
	}
	p = map_anon(0, pg, PROT_READ, 0);
	if (p == MAP_FAILED || !range_inside((unsigned long)p, pg, 2 * SZ_1G, SZ_4G + SZ_16M)) {
		child_log("mmap: %p (%s)", p, p == MAP_FAILED ? strerror(errno) : "outside");
		return 5;
	}
	return 0;
}

static void legacy_layout(void)
{
	personality(ADDR_COMPAT_LAYOUT);
}

TEST(map_above4g_legacy_layout_lands_above_4g)
{
	static const char *const args[] = { "above4g-legacy", NULL };
	char out[64];

	ASSERT_EQ(0, run_self(args, legacy_layout, out, sizeof(out)));
}

TEST_F(limits, map_32bit_keeps_1g_floor)
{
	unsigned long start;
	char *p;

	ASSERT_EQ(0, low_window_start(&start));
	ASSERT_SET(start, SZ_4G, 0);
	p = map_anon(0, self->pg, PROT_READ, MAP_32BIT);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, self->pg, SZ_1G, 2 * SZ_1G);
	munmap(p, self->pg);
}

TEST_F(limits, map_32bit_window_below_1g_enomem)
{
	unsigned long start;

	ASSERT_EQ(0, low_window_start(&start));
	ASSERT_SET(start, SZ_1G / 2, 0);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, map_anon(0, self->pg, PROT_READ, MAP_32BIT));
	ASSERT_EQ(ENOMEM, errno);
}
#endif /* __x86_64__ */

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "above-mmap-base"))
		return above_mmap_base_main();
#ifdef __x86_64__
	if (argc > 1 && !strcmp(argv[1], "above4g-legacy"))
		return above4g_legacy_main();
#endif
	return test_harness_run(argc, argv);
}
