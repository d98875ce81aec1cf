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
 *    the address space, after reading /proc/self/maps.
 *
 * Twice: in this program's own address space ("bare", a few dozen
 * mappings), and "crowded" with 2000 more one-page mappings scattered above
 * 4 GiB, as a translator with libraries, JIT regions and thread stacks has
 * (every one of them splits a gap the FEX-style mode must reserve).
 *
 * Each mode is opened and closed ROUNDS times in turn; one line per mode
 * and address space, with the median and its ratio to the first mode this
 * kernel offers (prctl where it exists, else qemu_style):
 *
 *   startup MODE SPACE median_us US ratio R reservations N
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

struct mode {
	const char *name;
	unsigned int flags;
	unsigned int needs;	/* MMR_FEAT_* */
};

static const struct mode modes[] = {
	{ "prctl", 0, MMR_FEAT_WINDOW },
	{ "compat_exclusive", MMR_GUEST_COMPAT | MMR_GUEST_EXCLUSIVE,
	  MMR_FEAT_EXCLUSIVE_WINDOW | MMR_FEAT_COMPAT_SYSCALL },
	{ "qemu_style", MMR_GUEST_FALLBACK, 0 },
	{ "fex_style", MMR_GUEST_FALLBACK | MMR_GUEST_RESERVE_OUTSIDE, 0 },
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
			struct mmr_guest *g;
			double t0;
			int before = count_maps(), err;

			if ((modes[m].needs & feat) != modes[m].needs)
				continue;
			t0 = now_ns();
			err = mmr_guest_open(&g, WIN_START, WIN_END,
					     modes[m].flags);
			t[m][r] = now_ns() - t0;
			if (err) {
				fprintf(stderr, "%s: mmr_guest_open: %s\n",
					modes[m].name, mmr_strerror(err));
				return 1;
			}
			reservations[m] = count_maps() - before;
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
		printf("startup %s %s median_us %.1f ratio %.2f reservations %d\n",
		       modes[m].name, space, med / 1e3, med / base,
		       reservations[m]);
	}
	return 0;
}

int main(void)
{
	unsigned int feat = mmr_features();

	printf("startup: window [16 MiB, 4 GiB), %d rounds, %d mappings at start\n",
	       ROUNDS, count_maps());
	if (run("bare", feat))
		return 1;
	if (crowd()) {
		perror("crowd");
		return 1;
	}
	printf("startup: %d mappings after crowding\n", count_maps());
	return run("crowded", feat);
}
