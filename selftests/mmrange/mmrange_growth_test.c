// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings that exist when the window is set are left alone, and in-place
 * growth (mremap without a move, brk, stack expansion) never makes a
 * mapping span an edge of the window it did not span before.
 */
#include "mmrange_test.h"

#include <sys/syscall.h>

#define WIN_START	SZ_16G
#define WIN_END		(SZ_16G + SZ_1G)

FIXTURE(growth) {
	unsigned long pg;
};

FIXTURE_SETUP(growth)
{
	self->pg = page_size();
}

FIXTURE_TEARDOWN(growth)
{
	mmr_clear();
}

/* Grow the mapping at @addr to @new without MREMAP_MAYMOVE: it stays put. */
static void assert_grows_in_place(struct __test_metadata *_metadata,
				  unsigned long addr, unsigned long old,
				  unsigned long new)
{
	char *q;

	q = mremap((void *)addr, old, new, 0);
	ASSERT_MAPPED(q);
	ASSERT_EQ(addr, (unsigned long)q);
	munmap(q, new);
}

TEST_F(growth, existing_outside_mappings_untouched)
{
	unsigned long len = 4 * self->pg, i;
	char before[2][512], after[512];
	char *fixed, *chosen;

	fixed = map_fixed(OUTSIDE, len, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(fixed);
	chosen = map_anon(0, len, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(chosen);
	ASSERT_FALSE(range_inside((unsigned long)chosen, len, WIN_START, WIN_END));
	for (i = 0; i < len; i++) {
		fixed[i] = (char)i;
		chosen[i] = (char)i;
	}
	ASSERT_EQ(0, maps_line((unsigned long)fixed, before[0], sizeof(before[0])));
	ASSERT_EQ(0, maps_line((unsigned long)chosen, before[1], sizeof(before[1])));

	ASSERT_SET(WIN_START, WIN_END, 0);

	ASSERT_EQ(0, maps_line((unsigned long)fixed, after, sizeof(after)));
	ASSERT_STREQ(before[0], after);
	ASSERT_EQ(0, maps_line((unsigned long)chosen, after, sizeof(after)));
	ASSERT_STREQ(before[1], after);
	for (i = 0; i < len; i++) {
		ASSERT_EQ((char)i, fixed[i]);
		ASSERT_EQ((char)i, chosen[i]);
	}
	/* They stay usable: written, protected and unmapped as before. */
	fixed[0] = 'w';
	chosen[0] = 'w';
	ASSERT_EQ(0, mprotect(fixed, len, PROT_READ));
	ASSERT_EQ(0, munmap(fixed, len));
	ASSERT_EQ(0, munmap(chosen, len));
}

/* A window over mappings that already exist places around them. */
TEST_F(growth, window_over_existing_mappings_avoids_them)
{
	unsigned long start = WIN_START, end = start + min_window();
	unsigned long busy_lo = start + 4 * SZ_1M, busy_len = 8 * SZ_1M;
	unsigned long pg = self->pg, placed = 0;
	char *busy;

	busy = map_fixed(busy_lo, busy_len, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(busy);
	memset(busy, 0x5a, busy_len);
	ASSERT_SET(start, end, 0);
	for (;;) {
		unsigned long p = (unsigned long)map_anon(0, pg, PROT_NONE, 0);

		if (p == (unsigned long)MAP_FAILED)
			break;
		ASSERT_INSIDE(p, pg, start, end);
		if (p >= busy_lo && p < busy_lo + busy_len)
			TH_LOG("%#lx placed over the existing mapping", p);
		ASSERT_FALSE(p >= busy_lo && p < busy_lo + busy_len);
		placed += pg;
	}
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(end - start - busy_len, placed);
	ASSERT_EQ(0x5a, busy[0]);
	ASSERT_EQ(0x5a, busy[busy_len - 1]);
	munmap((void *)start, end - start);
}

TEST_F(growth, mremap_grow_across_end_in_place_enomem)
{
	unsigned long pg = self->pg, addr = WIN_END - 2 * pg, lo, hi;
	char *p;

	ASSERT_SET(WIN_START, WIN_END, 0);
	p = map_fixed(addr, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mremap((void *)addr, 2 * pg, 4 * pg, 0));
	ASSERT_EQ(ENOMEM, errno);
	/* Unchanged. */
	ASSERT_EQ(0, maps_find(addr, &lo, &hi));
	ASSERT_EQ(addr, lo);
	ASSERT_EQ(WIN_END, hi);
	munmap(p, 2 * pg);
}

TEST_F(growth, mremap_grow_across_end_maymove_moves_inside)
{
	unsigned long pg = self->pg, addr = WIN_END - 2 * pg;
	char *p, *q;

	ASSERT_SET(WIN_START, WIN_END, 0);
	p = map_fixed(addr, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	p[0] = 'a';
	q = mremap((void *)addr, 2 * pg, 4 * pg, MREMAP_MAYMOVE);
	ASSERT_MAPPED(q);
	ASSERT_NE(p, q);
	ASSERT_INSIDE(q, 4 * pg, WIN_START, WIN_END);
	ASSERT_EQ('a', q[0]);
	munmap(q, 4 * pg);
}

TEST_F(growth, mremap_grow_inside_window_in_place)
{
	unsigned long pg = self->pg, addr = WIN_START + SZ_16M;
	char *p;

	ASSERT_SET(WIN_START, WIN_END, 0);
	p = map_fixed(addr, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	assert_grows_in_place(_metadata, addr, 2 * pg, 8 * pg);
}

/* Up to the window end exactly is not across it. */
TEST_F(growth, mremap_grow_up_to_window_end_in_place)
{
	unsigned long pg = self->pg, addr = WIN_END - 4 * pg;
	char *p;

	ASSERT_SET(WIN_START, WIN_END, 0);
	p = map_fixed(addr, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	assert_grows_in_place(_metadata, addr, 2 * pg, 4 * pg);
}

TEST_F(growth, mremap_grow_into_window_from_below_enomem)
{
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_GROW_IN_PLACE_ENOMEM(WIN_START - 2 * self->pg);
}

TEST_F(growth, mremap_grow_into_window_from_below_maymove_moves_inside)
{
	unsigned long pg = self->pg, addr = WIN_START - 2 * pg;
	char *p, *q;

	ASSERT_SET(WIN_START, WIN_END, 0);
	p = map_fixed(addr, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	q = mremap((void *)addr, 2 * pg, 4 * pg, MREMAP_MAYMOVE);
	ASSERT_MAPPED(q);
	ASSERT_INSIDE(q, 4 * pg, WIN_START, WIN_END);
	munmap(q, 4 * pg);
}

/* Outside the window and away from its edges, growth is as before. */
TEST_F(growth, mremap_grow_outside_window_in_place)
{
	unsigned long pg = self->pg;
	char *p;

	ASSERT_SET(WIN_START, WIN_END, 0);
	p = map_fixed(OUTSIDE, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	assert_grows_in_place(_metadata, OUTSIDE, 2 * pg, 8 * pg);
}

/* A mapping that already straddles an edge keeps growing in place. */
TEST_F(growth, mremap_grow_already_across_end_in_place)
{
	unsigned long pg = self->pg, addr = WIN_END - 2 * pg;
	char *p;

	/* Mapped before the window exists, so it already spans the end. */
	p = map_fixed(addr, 4 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	ASSERT_SET(WIN_START, WIN_END, 0);
	assert_grows_in_place(_metadata, addr, 4 * pg, 8 * pg);
}

static unsigned long raw_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

/*
 * A window a little above the current break: [start, start + 64 MiB) with
 * start = the break rounded up to 2 MiB, plus 2 MiB.
 */
static unsigned long brk_window(struct __test_metadata *_metadata,
				unsigned long *cur, unsigned long flags)
{
	unsigned long size = window_size(64 * SZ_1M);
	unsigned long start;

	*cur = raw_brk(0);
	ASSERT_NE(0UL, *cur);
	start = align_up(*cur, SZ_2M) + SZ_2M;
	TH_LOG("break %#lx, window [%#lx, %#lx)", *cur, start, start + size);
	ASSERT_SET(start, start + size, flags);
	return start;
}

TEST_F(growth, brk_grow_below_window_start_works)
{
	unsigned long cur, want;

	brk_window(_metadata, &cur, 0);
	want = cur + 16 * self->pg;
	ASSERT_EQ(want, raw_brk(want));
	ASSERT_EQ(cur, raw_brk(cur));
}

TEST_F(growth, brk_grow_up_to_window_start_works)
{
	unsigned long cur, start;

	start = brk_window(_metadata, &cur, 0);
	ASSERT_EQ(start, raw_brk(start));
	ASSERT_EQ(cur, raw_brk(cur));
}

TEST_F(growth, brk_grow_across_window_start_fails)
{
	unsigned long cur, start;

	start = brk_window(_metadata, &cur, 0);
	/* brk returns the old break when it cannot grow. */
	ASSERT_EQ(cur, raw_brk(start + SZ_1M));
	ASSERT_EQ(cur, raw_brk(start + self->pg));
	ASSERT_EQ(cur, raw_brk(0));
}

/* Control: without a window the stack mapping grows downwards. */
TEST_F(growth, growsdown_grows_without_window)
{
	ASSERT_EQ(0, touch_below_growsdown(WIN_END, 4));
}

TEST_F(growth, growsdown_across_window_end_sigsegv)
{
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_EQ(128 + SIGSEGV, touch_below_growsdown(WIN_END, 4));
}

TEST_F(growth, growsdown_across_window_start_sigsegv)
{
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_EQ(128 + SIGSEGV, touch_below_growsdown(WIN_START, 4));
}

TEST_F(growth, growsdown_inside_window_grows)
{
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_EQ(0, touch_below_growsdown(WIN_START + SZ_16M, 4));
}

/*
 * In-place growth never crosses an edge of a window, whatever its flags and
 * whatever the context: a compat-only window confines placements made in
 * compat syscalls, but a native mremap(), brk() or a page fault (no syscall
 * at all) must not carry a mapping into or out of it either.
 */
TEST_F(growth, mremap_grow_across_compat_window_end_enomem)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT);
	ASSERT_GROW_IN_PLACE_ENOMEM(WIN_END - 2 * self->pg);
}

TEST_F(growth, mremap_grow_into_compat_window_from_below_enomem)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT);
	ASSERT_GROW_IN_PLACE_ENOMEM(WIN_START - 2 * self->pg);
}

TEST_F(growth, brk_grow_across_compat_window_start_fails)
{
	unsigned long cur, start;

	start = brk_window(_metadata, &cur, PR_MMAP_RANGE_COMPAT);
	ASSERT_EQ(cur, raw_brk(start + SZ_1M));
	ASSERT_EQ(cur, raw_brk(0));
}

TEST_F(growth, growsdown_across_compat_window_end_sigsegv)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT);
	ASSERT_EQ(128 + SIGSEGV, touch_below_growsdown(WIN_END, 4));
}

TEST_F(growth, growsdown_across_compat_window_start_sigsegv)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT);
	ASSERT_EQ(128 + SIGSEGV, touch_below_growsdown(WIN_START, 4));
}

/*
 * The kernel has to place at the window start, next to a compatible mapping
 * of the process's own just below it.  The two may merge into one VMA that
 * spans the edge; the pages the kernel chose are still inside.
 */
TEST_F(growth, placement_at_window_start_next_to_own_mapping)
{
	unsigned long pg = self->pg, start = WIN_START, end = start + min_window();
	unsigned long len = 4 * pg, lo, hi;
	char *below, *busy, *p;

	below = map_fixed(start - 2 * pg, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(below);
	below[0] = 'b';
	/* Everything but the lowest @len bytes of the window is taken. */
	busy = map_fixed(start + len, end - start - len, PROT_NONE);
	ASSERT_MAPPED(busy);
	ASSERT_SET(start, end, 0);

	p = map_anon(0, len, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(p);
	ASSERT_EQ(start, (unsigned long)p);
	ASSERT_EQ(0, maps_find(start, &lo, &hi));
	TH_LOG("VMA at the window start: [%#lx, %#lx)", lo, hi);
	ASSERT_TRUE(lo == start || lo == start - 2 * pg);
	ASSERT_EQ(start + len, hi);
	ASSERT_EQ('b', below[0]);
	p[0] = 'p';
	munmap(below, 2 * pg);
	ASSERT_EQ('p', p[0]);
	munmap(p, len);
	munmap(busy, end - start - len);
}

TEST_HARNESS_MAIN
