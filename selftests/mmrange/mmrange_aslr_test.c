// SPDX-License-Identifier: GPL-2.0
/*
 * Randomisation inside the window.  With ASLR, setting a window draws a
 * random page offset r in [0, size / 4): top-down placement starts below
 * end - r, bottom-up placement above start + r, which is
 * log2(size / 4 / PAGE_SIZE) bits (18 for this 4 GiB window with 4 KiB
 * pages).  Without ASLR, r = 0.  Whether a process has ASLR is decided at
 * execve, so most tests re-execute this binary in "probe" mode.
 */
#include "mmrange_test.h"

#include <math.h>
#include <sys/personality.h>

#define WIN_START	SZ_4G
#define WIN_END		(2 * SZ_4G)
#define QUARTER		((WIN_END - WIN_START) / 4)
#define RUNS		16

/* The "probe" mode: set the window, print where one page is placed. */
static int probe_main(void)
{
	unsigned long pg = page_size();
	void *p;

	if (mmr_set(WIN_START, WIN_END, 0)) {
		child_log("PR_SET_MMAP_RANGE: %s", strerror(errno));
		return 1;
	}
	p = map_anon(0, pg, PROT_READ, 0);
	if (p == MAP_FAILED) {
		child_log("mmap of one page, window [%#lx, %#lx), personality %#x: %s",
			  WIN_START, WIN_END, personality(0xffffffff), strerror(errno));
		return 2;
	}
	printf("%lx\n", (unsigned long)p);
	return 0;
}

static void set_personality(unsigned long flags)
{
	personality((personality(0xffffffff) & ~0xffUL) | flags);
}

static void no_randomize(void)
{
	set_personality(ADDR_NO_RANDOMIZE);
}

static void bottom_up(void)
{
	set_personality(ADDR_COMPAT_LAYOUT);
}

static void bottom_up_no_randomize(void)
{
	set_personality(ADDR_COMPAT_LAYOUT | ADDR_NO_RANDOMIZE);
}

/* Where a fresh execution of this binary places its first mapping. */
static unsigned long probe(struct __test_metadata *_metadata,
			   void (*prepare)(void))
{
	static const char *const args[] = { "probe", NULL };
	unsigned long addr = 0;
	char out[64], *end;

	ASSERT_EQ(0, run_self(args, prepare, out, sizeof(out)));
	addr = strtoul(out, &end, 16);
	ASSERT_TRUE(end != out);
	ASSERT_INSIDE(addr, page_size(), WIN_START, WIN_END);
	return addr;
}

static void assert_aslr_on(struct __test_metadata *_metadata)
{
	unsigned long rva = 0;

	ASSERT_EQ(0, read_ulong("/proc/sys/kernel/randomize_va_space", &rva));
	if (!rva)
		TH_LOG("kernel.randomize_va_space is 0: these tests need ASLR");
	ASSERT_NE(0UL, rva);
	ASSERT_EQ(0, personality(0xffffffff) & ADDR_NO_RANDOMIZE);
}

static int count_distinct(const unsigned long *v, int n)
{
	int i, j, distinct = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && v[j] != v[i]; j++)
			;
		distinct += j == i;
	}
	return distinct;
}

/* RUNS probes: all within @lo..@hi (inclusive), more than one distinct. */
static void assert_spread(struct __test_metadata *_metadata,
			  void (*prepare)(void), unsigned long lo,
			  unsigned long hi)
{
	unsigned long addr[RUNS], min = ~0UL, max = 0;
	int i, distinct;

	for (i = 0; i < RUNS; i++) {
		addr[i] = probe(_metadata, prepare);
		if (addr[i] < lo || addr[i] > hi)
			TH_LOG("run %d: %#lx not in [%#lx, %#lx]", i, addr[i], lo, hi);
		ASSERT_GE(addr[i], lo);
		ASSERT_LE(addr[i], hi);
		min = addr[i] < min ? addr[i] : min;
		max = addr[i] > max ? addr[i] : max;
	}
	distinct = count_distinct(addr, RUNS);
	TH_LOG("%d runs: %d distinct addresses in [%#lx, %#lx], spread %lu MiB",
	       RUNS, distinct, min, max, (max - min) >> 20);
	ASSERT_GT(distinct, 1);
}

TEST(two_runs_differ_with_aslr)
{
	unsigned long a, b;

	assert_aslr_on(_metadata);
	a = probe(_metadata, NULL);
	b = probe(_metadata, NULL);
	TH_LOG("run 1: %#lx, run 2: %#lx", a, b);
	ASSERT_NE(a, b);
}

/* Top-down: the first mapping ends in the top quarter, below end - r. */
TEST(topdown_spread_over_top_quarter)
{
	assert_aslr_on(_metadata);
	assert_spread(_metadata, NULL, WIN_END - QUARTER, WIN_END - page_size());
}

TEST(no_randomize_runs_identical_at_window_top)
{
	unsigned long a, b;

	a = probe(_metadata, no_randomize);
	b = probe(_metadata, no_randomize);
	TH_LOG("run 1: %#lx, run 2: %#lx", a, b);
	ASSERT_EQ(a, b);
	ASSERT_EQ(WIN_END - page_size(), a);
}

/*
 * The legacy bottom-up layout (ADDR_COMPAT_LAYOUT here; also what
 * "ulimit -s unlimited" selects) places from start + r upwards, wherever
 * the window is relative to the legacy mmap_base.
 */
TEST(bottom_up_spread_over_bottom_quarter)
{
	assert_aslr_on(_metadata);
	assert_spread(_metadata, bottom_up, WIN_START, WIN_START + QUARTER - page_size());
}

TEST(bottom_up_no_randomize_at_window_start)
{
	unsigned long a, b;

	a = probe(_metadata, bottom_up_no_randomize);
	b = probe(_metadata, bottom_up_no_randomize);
	ASSERT_EQ(a, b);
	ASSERT_EQ(WIN_START, a);
}

/* Each PR_SET_MMAP_RANGE draws a new offset, in the same process. */
TEST(each_set_draws_new_offset)
{
	unsigned long addr[RUNS], pg = page_size();
	int i, distinct;

	assert_aslr_on(_metadata);
	for (i = 0; i < RUNS; i++) {
		void *p;

		ASSERT_EQ(0, mmr_clear());
		ASSERT_SET(WIN_START, WIN_END, 0);
		p = map_anon(0, pg, PROT_READ, 0);
		ASSERT_MAPPED(p);
		addr[i] = (unsigned long)p;
		ASSERT_INSIDE(addr[i], pg, WIN_END - QUARTER, WIN_END);
		munmap(p, pg);
	}
	distinct = count_distinct(addr, RUNS);
	TH_LOG("%d sets: %d distinct addresses", RUNS, distinct);
	ASSERT_GT(distinct, 1);
	mmr_clear();
}

/* A fork child keeps the parent's offset, as it keeps its mmap_base. */
TEST(fork_child_keeps_offset)
{
	unsigned long pg = page_size(), child_addr = 0;
	int fds[2];
	void *p;
	pid_t pid;

	assert_aslr_on(_metadata);
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		unsigned long a = (unsigned long)map_anon(0, pg, PROT_READ, 0);

		_exit(write(fds[1], &a, sizeof(a)) == sizeof(a) ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ((ssize_t)sizeof(child_addr), read(fds[0], &child_addr, sizeof(child_addr)));
	p = map_anon(0, pg, PROT_READ, 0);
	ASSERT_MAPPED(p);
	TH_LOG("parent %p, child %#lx", p, child_addr);
	ASSERT_EQ(child_addr, (unsigned long)p);
	ASSERT_INSIDE(p, pg, WIN_START, WIN_END);
	munmap(p, pg);
	mmr_clear();
}

/* kernel.randomize_va_space = 0 makes placement deterministic as well. */
FIXTURE(no_aslr_sysctl) {
	unsigned long saved;
	bool written;
};

FIXTURE_SETUP(no_aslr_sysctl)
{
	/* Only touch the sysctl where the window exists at all. */
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_EQ(0, mmr_clear());
	ASSERT_EQ(0, read_ulong("/proc/sys/kernel/randomize_va_space", &self->saved));
	if (write_ulong("/proc/sys/kernel/randomize_va_space", 0))
		TH_LOG("writing kernel.randomize_va_space: %s (needs root)",
		       strerror(errno));
	else
		self->written = true;
	ASSERT_TRUE(self->written);
}

FIXTURE_TEARDOWN(no_aslr_sysctl)
{
	if (self->written)
		write_ulong("/proc/sys/kernel/randomize_va_space", self->saved);
}

TEST_F(no_aslr_sysctl, runs_identical_at_window_top)
{
	unsigned long a, b;

	a = probe(_metadata, NULL);
	b = probe(_metadata, NULL);
	TH_LOG("run 1: %#lx, run 2: %#lx", a, b);
	ASSERT_EQ(a, b);
	ASSERT_EQ(WIN_END - page_size(), a);
}

/*
 * The entropy itself, per window size: set the window again and again in
 * one process (each set draws a new offset), place one page each time and
 * read the offset back from its address.  The number of offsets is
 * size / 4 / PAGE_SIZE = 2^b; that they are all used, and evenly, is
 * measured by collisions: n samples of a uniform b-bit value give
 * n(n-1)/2 / 2^b equal pairs on average, so the bits actually delivered are
 * log2(n(n-1)/2 / collisions).  n is chosen for 256 expected collisions,
 * which puts the estimate within +-1 bit with overwhelming probability;
 * a 16-bucket chi-square test checks the spread across the quarter.
 */
static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static void log_rnd_sysctl(struct __test_metadata *_metadata, const char *name)
{
	char path[64];
	unsigned long v;

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	if (!read_ulong(path, &v))
		TH_LOG("without a window: vm.%s = %lu", name, v);
}

/* A fixture only for the timeout: the largest window takes 46341 samples. */
FIXTURE(entropy) {
	int unused;
};

FIXTURE_SETUP(entropy)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(entropy)
{
}

#define ENTROPY_FMT	"window %6lu MiB: 2^%.0f offsets, %lu samples, offsets %lu..%lu, %lu collisions (%.0f expected): %.2f bits measured, chi2(15) %.1f"

TEST_F_TIMEOUT(entropy, per_window_size, 900)
{
	static const unsigned int size_shift[] = { 24, 26, 28, 30, 32, 34, 36 };
	unsigned long pg = page_size(), *r;
	unsigned int k;

	/*
	 * Windows below the smallest (4096 pages) are refused; the smallest
	 * is the first size measured on every page size and must give at
	 * least 10 bits.
	 */
	TH_LOG("page size %lu KiB, smallest window %lu MiB", pg >> 10,
	       min_window() >> 20);

	assert_aslr_on(_metadata);
	log_rnd_sysctl(_metadata, "mmap_rnd_bits");
	log_rnd_sysctl(_metadata, "mmap_rnd_compat_bits");
	for (k = 0; k < ARRAY_SIZE(size_shift); k++) {
		unsigned long size = 1UL << size_shift[k], end = WIN_START + size;

		if (size < min_window()) {
			ASSERT_ERRNO(EINVAL, mmr_set(WIN_START, end, 0));
			TH_LOG("window %6lu MiB: refused, below the smallest", size >> 20);
			continue;
		}
		unsigned long offsets = size / 4 / pg, pairs, coll = 0, run = 1;
		unsigned long bucket[16] = { 0 };
		double bits = log2((double)offsets), n_exp, est, chi2 = 0;
		unsigned long n, i;

		n = (unsigned long)sqrt(512.0 * (double)offsets) + 1;
		r = calloc(n, sizeof(*r));
		ASSERT_NE(NULL, r);
		for (i = 0; i < n; i++) {
			void *p;

			ASSERT_SET(WIN_START, end, 0);
			p = map_anon(0, pg, PROT_READ, 0);
			ASSERT_MAPPED(p);
			ASSERT_INSIDE(p, pg, end - offsets * pg, end);
			r[i] = (end - pg - (unsigned long)p) / pg;
			bucket[r[i] * 16 / offsets]++;
			ASSERT_EQ(0, munmap(p, pg));
		}
		ASSERT_EQ(0, mmr_clear());

		qsort(r, n, sizeof(*r), cmp_ulong);
		for (i = 1; i <= n; i++) {
			if (i < n && r[i] == r[i - 1]) {
				run++;
				continue;
			}
			coll += run * (run - 1) / 2;
			run = 1;
		}
		pairs = n * (n - 1) / 2;
		est = coll ? log2((double)pairs / (double)coll) : INFINITY;
		n_exp = (double)n / 16;
		for (i = 0; i < 16; i++)
			chi2 += ((double)bucket[i] - n_exp) * ((double)bucket[i] - n_exp) / n_exp;
		TH_LOG(ENTROPY_FMT, size >> 20, bits, n, r[0], r[n - 1], coll,
		       (double)pairs / (double)offsets, est, chi2);
		free(r);
		/* +-1 bit: 256 expected collisions, between 128 and 512 */
		EXPECT_GE(bits, 10.0);
		EXPECT_LE(est, bits + 1);
		EXPECT_GE(est, bits - 1);
		/* p < 1e-6 for a uniform draw */
		EXPECT_LT(chi2, 52.0);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "probe"))
		return probe_main();
	return test_harness_run(argc, argv);
}
