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
 *  - fex_steal: FEX itself, not the library: what its 32-bit guests' set-up
 *    does, following FEXCore/Source/Utils/Allocator.cpp (FEX-2404 and
 *    later): DetermineVASize() probes the top of the 57-, 52-, 48- and
 *    47-bit address spaces with MAP_FIXED_NOREPLACE pages, then
 *    StealMemoryRegion(4 GiB, top) reads /proc/self/maps twice
 *    (counting lines, then collecting the gaps), maps the gap below the
 *    stack read-write so that the stack can grow, and every other gap
 *    PROT_NONE, MAP_NORESERVE | MAP_FIXED_NOREPLACE; ReclaimMemoryRegion()
 *    unmaps them.
 *
 * Twice: in this program's own address space ("bare", a few dozen
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mmrange.h"
#include "bench.h"

#define ROUNDS		15
#define WIN_START	(16ULL << 20)
#define WIN_END		(4ULL << 30)
#define CROWD		2000

/* ---- FEX's own reservation (fex_steal) ---------------------------------- */

struct region {
	unsigned long start, len;
};

struct steal {
	struct region *v;
	size_t n;
};

/*
 * DetermineVASize(): the largest of 57, 52, 48, 47 bits whose top maps.
 * Returns the end of the range to steal: 1 << bits where the page just
 * below it maps, else the end of the highest page the probe mapped
 * (x86_64's 47-bit TASK_SIZE stops a page short of 1 << 47).
 */
static unsigned long va_top(void)
{
	static const int bits[] = { 57, 52, 48, 47, 42, 39, 36 };
	size_t b;
	int i;

	for (b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
		for (i = 0; i < 64; i++) {
			unsigned long at = (1UL << bits[b]) - 4096UL * i;
			void *p = mmap((void *)at, 4096, PROT_NONE,
				       MAP_FIXED_NOREPLACE | MAP_PRIVATE |
				       MAP_ANONYMOUS, -1, 0);

			if (p != MAP_FAILED) {
				munmap(p, 4096);
				/* 1 << bits, or the end of the page short of it */
				if ((unsigned long)p == at)
					return i ? at + 4096 : at;
			}
		}
	}
	return 0;
}

/* StealMemoryRegion(begin, end) */
static int fex_steal(struct steal *st, unsigned long begin, unsigned long end)
{
	unsigned long sp = (unsigned long)__builtin_frame_address(0);
	unsigned long lo, hi, prev_end = 0;
	size_t max = 1, i, below = (size_t)-1;
	char line[512];
	FILE *f;
	int c;

	/* First pass: count the lines, to size the list. */
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while ((c = getc(f)) != EOF)
		max += c == '\n';
	fclose(f);
	st->v = calloc(max, sizeof(*st->v));
	st->n = 0;
	if (!st->v)
		return -ENOMEM;
	/* Second pass: the gaps in [begin, end). */
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && st->n < max) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (lo > prev_end && lo > begin && prev_end < end) {
			unsigned long a = prev_end > begin ? prev_end : begin;
			unsigned long z = lo < end ? lo : end;

			st->v[st->n++] = (struct region){ a, z - a };
		}
		prev_end = hi;
		if (hi >= end)
			break;
	}
	fclose(f);
	if (prev_end < end && st->n < max) {
		unsigned long a = prev_end > begin ? prev_end : begin;

		st->v[st->n++] = (struct region){ a, end - a };
	}
	/* The gap just below the stack: read-write, so the stack grows. */
	for (i = 0; i < st->n; i++)
		if (st->v[i].start + st->v[i].len > sp)
			break;
	if (sp >= begin && sp <= end && i > 0)
		below = i - 1;
	for (i = 0; i < st->n; i++) {
		int prot = i == below ? PROT_READ | PROT_WRITE : PROT_NONE;
		void *p = mmap((void *)st->v[i].start, st->v[i].len, prot,
			       MAP_ANONYMOUS | MAP_NORESERVE | MAP_PRIVATE |
			       MAP_FIXED_NOREPLACE, -1, 0);

		if (p != (void *)st->v[i].start)
			return p == MAP_FAILED ? -errno : -EEXIST;
	}
	return 0;
}

/* ReclaimMemoryRegion() */
static void fex_reclaim(struct steal *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		munmap((void *)st->v[i].start, st->v[i].len);
	free(st->v);
}

/* What FEX's start-up does for a 32-bit guest: probe, then steal. */
static int fex_open(void **h)
{
	struct steal *st = calloc(1, sizeof(*st));
	unsigned long top = va_top();
	int err;

	if (!st)
		return -ENOMEM;
	if (!top) {
		free(st);
		return -ENOMEM;
	}
	err = fex_steal(st, 4UL << 30, top);
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
	printf("startup: fex_steal reserves [4 GiB, %#lx)\n", va_top());
	if (run("bare", feat))
		return 1;
	if (crowd()) {
		perror("crowd");
		return 1;
	}
	printf("startup: %d mappings after crowding\n", count_maps());
	return run("crowded", feat);
}
