// SPDX-License-Identifier: GPL-2.0
/*
 * Address hints under a window: a hint is honoured only when all of
 * [hint, hint + len) lies inside the window and is free, any other hint is
 * no hint; MAP_FIXED, MAP_FIXED_NOREPLACE and MREMAP_FIXED go anywhere.
 */
#include "mmrange_test.h"

#include <dirent.h>

#define WIN_START	SZ_16G
#define WIN_END		(SZ_16G + SZ_1G)
/* Free addresses well below and above the window. */
#define BELOW		(SZ_16G - SZ_4G)
#define ABOVE		(SZ_16G + SZ_16G)

FIXTURE(hint) {
	unsigned long pg, len;
};

FIXTURE_SETUP(hint)
{
	self->pg = page_size();
	self->len = 4 * self->pg;
	ASSERT_SET(WIN_START, WIN_END, 0);
}

FIXTURE_TEARDOWN(hint)
{
	mmr_clear();
}

/* mmap(@hint) without MAP_FIXED; the caller checks where it went. */
static char *map_hint(unsigned long hint, unsigned long len)
{
	char *p = map_anon(hint, len, PROT_READ | PROT_WRITE, 0);

	fprintf(stderr, "# hint %#lx -> %p\n", hint, p);
	return p;
}

TEST_F(hint, hint_below_window_ignored)
{
	char *p = map_hint(BELOW, self->len);

	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, self->len, WIN_START, WIN_END);
	munmap(p, self->len);
}

TEST_F(hint, hint_above_window_ignored)
{
	char *p = map_hint(ABOVE, self->len);

	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, self->len, WIN_START, WIN_END);
	munmap(p, self->len);
}

TEST_F(hint, hint_inside_free_honoured)
{
	unsigned long hint = WIN_START + SZ_16M;
	char *p = map_hint(hint, self->len);

	ASSERT_MAPPED(p);
	ASSERT_EQ(hint, (unsigned long)p);
	munmap(p, self->len);
}

/* The last pages of the window are a fitting hint too. */
TEST_F(hint, hint_at_window_top_honoured)
{
	unsigned long hint = WIN_END - self->len;
	char *p = map_hint(hint, self->len);

	ASSERT_MAPPED(p);
	ASSERT_EQ(hint, (unsigned long)p);
	munmap(p, self->len);
}

TEST_F(hint, hint_at_window_start_honoured)
{
	char *p = map_hint(WIN_START, self->len);

	ASSERT_MAPPED(p);
	ASSERT_EQ(WIN_START, (unsigned long)p);
	munmap(p, self->len);
}

TEST_F(hint, hint_crossing_window_end_not_used)
{
	unsigned long hint = WIN_END - self->pg;
	char *p = map_hint(hint, self->len);

	ASSERT_MAPPED(p);
	ASSERT_NE(hint, (unsigned long)p);
	ASSERT_INSIDE(p, self->len, WIN_START, WIN_END);
	munmap(p, self->len);
}

TEST_F(hint, hint_crossing_window_start_not_used)
{
	unsigned long hint = WIN_START - self->pg;
	char *p = map_hint(hint, self->len);

	ASSERT_MAPPED(p);
	ASSERT_NE(hint, (unsigned long)p);
	ASSERT_INSIDE(p, self->len, WIN_START, WIN_END);
	munmap(p, self->len);
}

/* A hint inside on an occupied range: placed elsewhere, still inside. */
TEST_F(hint, hint_inside_occupied_placed_inside)
{
	unsigned long hint = WIN_START + SZ_16M;
	char *busy, *p;

	busy = map_fixed(hint, self->len, PROT_READ);
	ASSERT_MAPPED(busy);
	p = map_hint(hint, self->len);
	ASSERT_MAPPED(p);
	ASSERT_NE(hint, (unsigned long)p);
	ASSERT_INSIDE(p, self->len, WIN_START, WIN_END);
	munmap(p, self->len);
	munmap(busy, self->len);
}

/* An unaligned hint is judged by the pages it would cover. */
TEST_F(hint, unaligned_hint_crossing_window_end_not_used)
{
	unsigned long hint = WIN_END - self->len + 1;
	char *p = map_hint(hint, self->len);

	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, self->len, WIN_START, WIN_END);
	munmap(p, self->len);
}

/*
 * hugetlb hints are rounded to the huge page by the arch or the generic
 * code (x86 rounds down, the generic code and arm64 round up) after the
 * window's hint check.  A hint that fits the window must still never give
 * ENOMEM when the rounding takes it outside: it is treated as no hint.
 * Every hugetlb size up to 32 MiB is tried (arm64 has contiguous-PTE and
 * contiguous-PMD sizes besides PMD_SIZE); pages are reserved for those the
 * boot command line did not reserve, and a size that cannot get them
 * fails the test.
 */
#define HUGE_BASE	(SZ_16G + SZ_4G)
#define HUGE_MAX	(32UL << 20)

static int hugetlb_sizes(unsigned long *sizes, int max)
{
	char path[320];
	unsigned long kb, nr;
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir("/sys/kernel/mm/hugepages");
	if (!dir)
		return 0;
	while (n < max && (d = readdir(dir))) {
		if (sscanf(d->d_name, "hugepages-%lukB", &kb) != 1 ||
		    (kb << 10) > HUGE_MAX)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/%s/nr_hugepages", d->d_name);
		/* A size that cannot get two pages fails the test, unskipped. */
		if (read_ulong(path, &nr) || (nr < 2 && write_ulong(path, 2)) ||
		    read_ulong(path, &nr) || nr < 2) {
			fprintf(stderr, "# %lu KiB: could not reserve 2 pages: %s\n",
				kb, strerror(errno));
			n = -1;
			break;
		}
		sizes[n++] = kb << 10;
	}
	closedir(dir);
	return n;
}

static int huge_flags(unsigned long size)
{
	return MAP_HUGETLB | (__builtin_ctzl(size) << MAP_HUGE_SHIFT);
}

/* mmap(@hint) of one @hps huge page under the window [@start, @end). */
static void assert_huge_hint_fits(struct __test_metadata *_metadata,
				  unsigned long hps, unsigned long start,
				  unsigned long end, unsigned long hint)
{
	char *p;

	ASSERT_TRUE(range_inside(hint, hps, start, end));
	ASSERT_SET(start, end, 0);
	p = map_anon(hint, hps, PROT_READ | PROT_WRITE, huge_flags(hps));
	fprintf(stderr, "# %lu KiB pages, window [%#lx, %#lx), hint %#lx -> %p%s%s\n",
		hps >> 10, start, end, hint, p, p == MAP_FAILED ? " " : "",
		p == MAP_FAILED ? strerror(errno) : "");
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, hps, start, end);
	ASSERT_ALIGNED(p, hps);
	p[0] = 1;
	munmap(p, hps);
	mmr_clear();
}

/*
 * For each hugetlb size: a window that starts half a huge page in, with a
 * hint just inside its start, which rounding down takes below it (@below);
 * or one that ends half a huge page past one, with a hint just fitting at
 * its end, which rounding up takes above it.
 */
static void assert_rounded_hints_fit(struct __test_metadata *_metadata,
				     bool below)
{
	unsigned long sizes[8], hps, size, start, end, pg = page_size();
	int i, n = hugetlb_sizes(sizes, 8);

	ASSERT_HUGEPAGES_RESERVED();
	ASSERT_GT(n, 0);
	mmr_clear();
	for (i = 0; i < n; i++) {
		hps = sizes[i];
		size = window_size(4 * hps);
		start = below ? HUGE_BASE + hps / 2 : HUGE_BASE;
		end = below ? start + size : start + size + hps / 2;
		assert_huge_hint_fits(_metadata, hps, start, end,
				      below ? start + pg : end - hps - pg);
	}
}

TEST_F(hint, hugetlb_hint_rounded_below_window_placed_inside)
{
	assert_rounded_hints_fit(_metadata, true);
}

TEST_F(hint, hugetlb_hint_rounded_above_window_placed_inside)
{
	assert_rounded_hints_fit(_metadata, false);
}

/* MREMAP_FIXED moves a mapping out of the window, below or above it. */
static void mremap_fixed_to(struct __test_metadata *_metadata,
			    unsigned long addr)
{
	unsigned long len = 2 * SZ_64K;
	char *p, *q;

	p = map_anon(0, len, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, WIN_START, WIN_END);
	p[0] = 'x';
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)addr);
	ASSERT_MAPPED(q);
	ASSERT_EQ(addr, (unsigned long)q);
	ASSERT_EQ('x', q[0]);
	munmap(q, len);
}

TEST_F(hint, mremap_fixed_below_window)
{
	mremap_fixed_to(_metadata, BELOW);
}

TEST_F(hint, mremap_fixed_above_window)
{
	mremap_fixed_to(_metadata, ABOVE);
}

FIXTURE(fixed) {
	unsigned long pg;
};

FIXTURE_VARIANT(fixed) {
	/* Where the mapping goes, relative to the window. */
	long offset;
	bool from_end;
	int flag;
};

FIXTURE_VARIANT_ADD(fixed, below) {
	.offset = -(long)SZ_4G, .flag = MAP_FIXED,
};

FIXTURE_VARIANT_ADD(fixed, below_noreplace) {
	.offset = -(long)SZ_4G, .flag = MAP_FIXED_NOREPLACE,
};

FIXTURE_VARIANT_ADD(fixed, above) {
	.offset = SZ_4G, .from_end = true, .flag = MAP_FIXED,
};

FIXTURE_VARIANT_ADD(fixed, above_noreplace) {
	.offset = SZ_4G, .from_end = true, .flag = MAP_FIXED_NOREPLACE,
};

/* Straddling an edge: placements of the process's own are not judged. */
FIXTURE_VARIANT_ADD(fixed, across_start) {
	.offset = -(long)SZ_64K, .flag = MAP_FIXED,
};

FIXTURE_VARIANT_ADD(fixed, across_end_noreplace) {
	.offset = -(long)SZ_64K, .from_end = true, .flag = MAP_FIXED_NOREPLACE,
};

FIXTURE_VARIANT_ADD(fixed, inside) {
	.offset = SZ_16M, .flag = MAP_FIXED,
};

FIXTURE_SETUP(fixed)
{
	self->pg = page_size();
	ASSERT_SET(WIN_START, WIN_END, 0);
}

FIXTURE_TEARDOWN(fixed)
{
	mmr_clear();
}

TEST_F(fixed, fixed_mapping_at_exact_address)
{
	unsigned long addr = (variant->from_end ? WIN_END : WIN_START) + variant->offset;
	unsigned long len = 2 * SZ_64K;
	char *p;

	p = map_anon(addr, len, PROT_READ | PROT_WRITE, variant->flag);
	ASSERT_MAPPED(p);
	ASSERT_EQ(addr, (unsigned long)p);
	p[0] = 1;
	p[len - 1] = 1;
	munmap(p, len);
}

TEST_HARNESS_MAIN
