// SPDX-License-Identifier: GPL-2.0
/*
 * What it costs a translator at start-up to confine its guest, each way
 * libmmrange can (mmr_guest_open() of [16 MiB, 4 GiB), timed alone):
 *
 *  - prctl: PR_SET_MMAP_RANGE, a full kernel window;
 *  - compat_exclusive: a compat-only, exclusive kernel window;
 *  - qemu_style: the fallback QEMU linux-user uses (libmmrange's default):
 *    PROT_NONE placeholders over the window's free gaps;
 *  - fex_style: the fallback FEX uses (MMR_GUEST_RESERVE_OUTSIDE):
 *    placeholders over every free gap outside the window, up to the top of
 *    the address space, after reading /proc/self/maps;
 *  - fex_steal: FEX itself, not the library: what its loader does for a
 *    32-bit guest, following FEX-Emu/FEX at commit 021c4fa
 *    (FEXCore/Source/Utils/Allocator.cpp), 192e363
 *    (FEXCore/Source/Utils/Allocator/64BitAllocator.cpp) and 019fdf6
 *    (Source/Tools/FEXLoader/FEXLoader.cpp):
 *    StealMemoryRegion(4 GiB, 8 GiB) (FEXLoader's Low4GB), then the 64-bit
 *    allocator's GetHostVABits() (one MAP_FIXED_NOREPLACE page just below
 *    1 << 57, 52, 48, 47, 42, ... bits; the first that maps or is EEXIST
 *    wins), StealMemoryRegion(4 GiB, UPPER_BOUND) (a page less on x86_64)
 *    and AllocateMemoryRegions(): 64 MiB of the first gap that large made
 *    read-write, MADV_HUGEPAGE and named with PR_SET_VMA, and its arena
 *    built there, one record per gap.  StealMemoryRegion() reads
 *    /proc/self/maps once with read() into a 2 KiB buffer, collecting the
 *    gaps; maps the gap below the stack read-write, MAP_FIXED, so that the
 *    stack can grow; and every other gap PROT_NONE, MAP_NORESERVE |
 *    MAP_FIXED_NOREPLACE, each followed by madvise(MADV_DONTDUMP).
 *    ReclaimMemoryRegion() unmaps them (not timed).  FEXLoader's malloc()
 *    loop that drains the allocator's reserves above 4 GiB is not
 *    modelled.  On x86_64 the probed page is above TASK_SIZE_MAX (a page
 *    short of 1 << 47, or of 1 << 56 with LA57) at 47 and 57 bits: with
 *    4-level paging FEX settles on 42 bits and reserves [4 GiB, 4 TiB - 4
 *    KiB), below the program, its libraries and its stack, and the stack
 *    gap is not touched; with LA57 on 52 bits, past them.  FEX's hosts are
 *    arm64, where it takes [4 GiB, 1 << 48) past the libraries and the
 *    stack: the arm64 guest's row is the one that stands for FEX.
 *
 * Twice: in this program's own address space ("bare", about ten
 * mappings), and "crowded" with 2000 more one-page mappings scattered above
 * 4 GiB, as a translator with libraries, JIT regions and thread stacks has
 * (every one of them splits a gap the FEX-style mode must reserve).
 *
 * Each mode is opened and closed ROUNDS times in turn; one line per mode
 * and address space, with the median and its ratio to the first mode this
 * kernel offers (prctl where it exists, else qemu_style), then the minimum
 * and maximum:
 *
 *   startup MODE SPACE median_us US ratio R reservations N min_us US max_us US
 *
 * Runs in the patched guest (bench/run-guest-bench) and on any kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "mmrange.h"
#include "bench.h"

#define ROUNDS		15
#define WIN_START	(16ULL << 20)
#define WIN_END		(4ULL << 30)
#define CROWD		2000

/* ---- FEX's own reservation (fex_steal) ---------------------------------- */

#define FEX_PAGE	4096UL
#define FEX_MAX_REGIONS	4096	/* a fextl::vector in FEX; here no growth */

struct region {
	unsigned long start, len;
};

struct steal {
	struct region v[FEX_MAX_REGIONS];
	size_t n;
	struct region stack;	/* the gap below the stack, read-write */
};

/* GetHostVABits() */
static int host_va_bits(void)
{
	static const int bits[] = { 57, 52, 48, 47, 42, 39, 36 };
	size_t b;

	for (b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
		void *at = (void *)((1UL << bits[b]) - FEX_PAGE);
		void *p = mmap(at, FEX_PAGE, PROT_NONE, MAP_FIXED_NOREPLACE |
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, FEX_PAGE);
		if (p != MAP_FAILED || errno == EEXIST)
			return bits[b];
	}
	return 0;
}

/* OSAllocator_64Bit::DetermineVASize() */
static unsigned long upper_bound(void)
{
	int bits = host_va_bits();
	unsigned long top;

	if (!bits)
		return 0;
	top = 1UL << bits;
#ifdef __x86_64__
	top -= FEX_PAGE;	/* "Last page cannot be allocated on x86" */
#endif
	return top;
}

static int add_gap(struct steal *st, unsigned long lo, unsigned long hi)
{
	if (hi <= lo)
		return 0;
	if (st->n == FEX_MAX_REGIONS)
		return -ENOSPC;
	st->v[st->n++] = (struct region){ lo, hi - lo };
	return 0;
}

/*
 * CollectMemoryGaps(): the gaps of [begin, end) between the lines of
 * /proc/self/maps, read in 2 KiB pieces.  Appends them to @st->v[first..].
 */
static int collect_gaps(struct steal *st, unsigned long begin,
			unsigned long end, int fd)
{
	char buf[2048] = "", *cur = buf, *nl, *q;
	unsigned long prev_end = 0, lo, hi;
	ssize_t left = 0, got;
	int eof = 0, err;

	for (;;) {
		nl = left ? memchr(cur, '\n', left) : NULL;
		if (!nl) {
			if (eof)
				return add_gap(st, prev_end > begin ?
					       prev_end : begin, end);
			memmove(buf, cur, left);
			do
				got = read(fd, buf + left, sizeof(buf) - left);
			while (got < 0 && errno == EAGAIN);
			if (got < 0)
				return -errno;
			if ((size_t)got < sizeof(buf) - left)
				eof = 1;
			left += got;
			cur = buf;
			continue;
		}
		lo = strtoul(cur, &q, 16);
		if (*q != '-')
			return -EINVAL;
		err = add_gap(st, prev_end > begin ? prev_end : begin,
			      lo < end ? lo : end);
		if (err)
			return err;
		prev_end = hi = strtoul(q + 1, &q, 16);
		if (*q != ' ')
			return -EINVAL;
		if (hi >= end)
			return 0;
		left -= nl + 1 - cur;
		cur = nl + 1;
	}
}

/* StealMemoryRegion(begin, end): the new regions are @st->v[first..]. */
static int fex_steal(struct steal *st, unsigned long begin, unsigned long end)
{
	unsigned long sp = (unsigned long)__builtin_frame_address(0);
	size_t first = st->n, i, it;
	int fd, err, dontdump = 1;

	fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0)
		return -errno;
	err = collect_gaps(st, begin, end, fd);
	close(fd);
	if (err)
		return err;
	/* The gap below the stack: read-write, so that the stack can grow. */
	for (it = first; it < st->n; it++)
		if (st->v[it].start + st->v[it].len > sp)
			break;
	if ((it != st->n || sp <= end) && it != first &&
	    st->v[it - 1].start + st->v[it - 1].len <= end) {
		struct region *r = &st->v[it - 1];

		if (mmap((void *)r->start, r->len, PROT_READ | PROT_WRITE,
			 MAP_ANONYMOUS | MAP_NORESERVE | MAP_PRIVATE |
			 MAP_FIXED, -1, 0) != (void *)r->start)
			return -errno;
		/* Regions.erase(); kept here only to undo it between rounds. */
		st->stack = *r;
		memmove(r, r + 1, (st->n - it) * sizeof(*r));
		st->n--;
	}
	for (i = first; i < st->n; i++) {
		void *at = (void *)st->v[i].start;
		void *p = mmap(at, st->v[i].len, PROT_NONE, MAP_ANONYMOUS |
			       MAP_NORESERVE | MAP_PRIVATE |
			       MAP_FIXED_NOREPLACE, -1, 0);

		if (dontdump && madvise(at, st->v[i].len, MADV_DONTDUMP))
			dontdump = 0;
		if (p != at) {
			st->n = i;	/* reclaim only what is ours */
			return p == MAP_FAILED ? -errno : -EEXIST;
		}
	}
	return 0;
}

/* ReclaimMemoryRegion() */
static void fex_reclaim(struct steal *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		munmap((void *)st->v[i].start, st->v[i].len);
	st->n = 0;
	if (st->stack.len)
		munmap((void *)st->stack.start, st->stack.len);
	st->stack.len = 0;
}

/*
 * OSAllocator_64Bit::AllocateMemoryRegions(): 64 MiB of the first gap that
 * large, read-write, for the allocator's own objects (an arena, its two
 * lists, and a ReservedVMARegion for every gap of more than two pages,
 * built there at once: the first write faults the region in).
 */
struct fex_arena {
	void *base, *cursor;
	size_t size;
	void *reserved_list, *live_list;
};

struct fex_reserved_region {
	unsigned long base, size;
};

static int fex_allocate_regions(struct steal *st, size_t first)
{
	const unsigned long object_alloc = 64UL << 20;
	struct fex_reserved_region *r;
	struct fex_arena *a;
	size_t i;

	for (i = first; i < st->n; i++)
		if (st->v[i].len >= object_alloc)
			break;
	if (i == st->n)
		return -ENOMEM;	/* "Couldn't allocate object allocator!" */
	a = (void *)st->v[i].start;
	if (mprotect(a, object_alloc, PROT_READ | PROT_WRITE))
		return -errno;
	madvise(a, object_alloc, MADV_HUGEPAGE);
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)a, object_alloc,
	      (unsigned long)"FEXMem_Misc");
	*a = (struct fex_arena){ a, a + 1, object_alloc, NULL, NULL };
	r = a->cursor;
	a->reserved_list = r;
	for (i = first; i < st->n; i++)
		if (st->v[i].len > 2 * FEX_PAGE)
			*r++ = (struct fex_reserved_region){ st->v[i].start,
							     st->v[i].len };
	a->cursor = r;
	return 0;
}

/* What FEX's loader does for a 32-bit guest. */
static int fex_open(void **h)
{
	struct steal *st = calloc(1, sizeof(*st));
	size_t high;
	int err;

	if (!st)
		return -ENOMEM;
	err = fex_steal(st, 4UL << 30, 8UL << 30);	/* Low4GB */
	high = st->n;
	if (!err) {
		unsigned long upper = upper_bound();	/* UPPER_BOUND */

		err = upper ? fex_steal(st, 4UL << 30, upper) : -ENOMEM;
	}
	if (!err)
		err = fex_allocate_regions(st, high);
	if (err) {
		fex_reclaim(st);
		free(st);
		return err;
	}
	*h = st;
	return 0;
}

static void fex_close(void *h)
{
	fex_reclaim(h);
	free(h);
}

/* ---- libmmrange's modes -------------------------------------------------- */

struct mode {
	const char *name;
	unsigned int flags;
	unsigned int needs;	/* MMR_FEAT_* */
	int (*open)(void **h);	/* instead of mmr_guest_open() */
	void (*close)(void *h);
};

static const struct mode modes[] = {
	{ "prctl", 0, MMR_FEAT_WINDOW, NULL, NULL },
	{ "compat_exclusive", MMR_GUEST_COMPAT | MMR_GUEST_EXCLUSIVE,
	  MMR_FEAT_EXCLUSIVE_WINDOW | MMR_FEAT_COMPAT_SYSCALL, NULL, NULL },
	{ "qemu_style", MMR_GUEST_FALLBACK, 0, NULL, NULL },
	{ "fex_style", MMR_GUEST_FALLBACK | MMR_GUEST_RESERVE_OUTSIDE, 0,
	  NULL, NULL },
	{ "fex_steal", 0, 0, fex_open, fex_close },
};
#define NMODES	(sizeof(modes) / sizeof(modes[0]))

/* Lines of /proc/self/maps: the mappings of the process. */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* One page every 64 MiB from 8 GiB up, at a pseudo-random offset. */
static int crowd(void)
{
	unsigned long x = 88172645463325252UL;
	int i;

	for (i = 0; i < CROWD; i++) {
		unsigned long at;
		void *p;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		at = (8UL << 30) + ((unsigned long)i << 26) +
		     ((x % 16384) << 12);
		p = mmap((void *)at, 4096, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p == MAP_FAILED)
			return -1;
	}
	return 0;
}

static int run(const char *space, unsigned int feat)
{
	double t[NMODES][ROUNDS], base = 0;
	int reservations[NMODES] = { 0 };
	size_t m;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		for (m = 0; m < NMODES; m++) {
			struct mmr_guest *g = NULL;
			void *h = NULL;
			double t0;
			int before = count_maps(), err;

			if ((modes[m].needs & feat) != modes[m].needs)
				continue;
			t0 = now_ns();
			if (modes[m].open)
				err = modes[m].open(&h);
			else
				err = mmr_guest_open(&g, WIN_START, WIN_END,
						     modes[m].flags);
			t[m][r] = now_ns() - t0;
			if (err) {
				fprintf(stderr, "%s: open: %s\n",
					modes[m].name, mmr_strerror(err));
				return 1;
			}
			reservations[m] = count_maps() - before;
			if (modes[m].close)
				modes[m].close(h);
			else
				mmr_guest_close(g);
		}
	}
	for (m = 0; m < NMODES; m++) {
		double med;

		if ((modes[m].needs & feat) != modes[m].needs) {
			printf("startup %s %s unavailable on this kernel\n",
			       modes[m].name, space);
			continue;
		}
		qsort(t[m], ROUNDS, sizeof(double), cmp_double);
		med = t[m][ROUNDS / 2];
		if (!base)
			base = med;
		printf("startup %s %s median_us %.1f ratio %.2f reservations %d "
		       "min_us %.1f max_us %.1f\n", modes[m].name, space,
		       med / 1e3, med / base, reservations[m], t[m][0] / 1e3,
		       t[m][ROUNDS - 1] / 1e3);
	}
	return 0;
}

int main(void)
{
	unsigned int feat = mmr_features();

	printf("startup: window [16 MiB, 4 GiB), %d rounds, %d mappings at start\n",
	       ROUNDS, count_maps());
	printf("startup: fex_steal reserves [4 GiB, %#lx)\n", upper_bound());
	if (run("bare", feat))
		return 1;
	if (crowd()) {
		perror("crowd");
		return 1;
	}
	printf("startup: %d mappings after crowding\n", count_maps());
	return run("crowded", feat);
}
