// SPDX-License-Identifier: GPL-2.0
/*
 * What a window costs the calls that place memory (DESIGN.md section 8):
 * mmap+munmap of 4 KiB and 2 MiB, mremap(MREMAP_MAYMOVE), shmat/shmdt and
 * io_setup/io_destroy, each timed in four modes:
 *
 *  - none: no window;
 *  - window: a 4 GiB window ending where these calls place memory anyway,
 *    so that every call lands where it would without the window and the
 *    difference is the window's own cost;
 *  - window_low: the window [16 MiB, 4 GiB) a translator would set, where
 *    the mappings land away from all others (a different neighbourhood:
 *    no VMA to extend, page tables of their own);
 *  - compat_window: a compat-only window (these are native calls).
 *
 * The program re-executes itself with ADDR_NO_RANDOMIZE, so that placement
 * is the same in every round.  The modes are timed in turn in every round,
 * and each round gives a ratio to "none"; min, median and max of those
 * ratios over ROUNDS rounds are printed, one line per call and mode:
 *
 *   cost OP MODE ns MEDIAN_NS ratio MIN MEDIAN MAX
 *
 * Runs in the patched guest (bench/run-guest-bench).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/aio_abi.h>
#include <linux/mmrange.h>

#include "bench.h"

#define ROUNDS		9
#define WIN_START	(16UL << 20)
#define WIN_END		(4UL << 30)
#define SZ_64K		(64UL << 10)
#define SZ_2M		(2UL << 20)

static int shm_id;

static void die(const char *what)
{
	fprintf(stderr, "window_cost_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void op_mmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p, len))
		die("mmap");
}

static void op_mmap_4k(void)
{
	op_mmap(4096);
}

static void op_mmap_2m(void)
{
	op_mmap(SZ_2M);
}

/* Grow 64 KiB to 1 MiB: the neighbour above is taken, so it moves. */
static void op_mremap(void)
{
	void *p = mmap(NULL, SZ_64K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *q;

	if (p == MAP_FAILED)
		die("mmap");
	q = mremap(p, SZ_64K, 16 * SZ_64K, MREMAP_MAYMOVE);
	if (q == MAP_FAILED || munmap(q, 16 * SZ_64K))
		die("mremap");
}

static void op_shmat(void)
{
	void *p = shmat(shm_id, NULL, 0);

	if (p == (void *)-1 || shmdt(p))
		die("shmat");
}

static void op_io_setup(void)
{
	aio_context_t ctx = 0;

	if (syscall(SYS_io_setup, 1, &ctx) || syscall(SYS_io_destroy, ctx))
		die("io_setup");
}

static const struct op {
	const char *name;
	void (*fn)(void);
	long iters;
} ops[] = {
	{ "mmap_munmap_4k", op_mmap_4k, 4000 },
	{ "mmap_munmap_2m", op_mmap_2m, 4000 },
	{ "mremap_maymove", op_mremap, 2000 },
	{ "shmat_shmdt", op_shmat, 2000 },
	{ "io_setup_destroy", op_io_setup, 200 },
};

static struct mode {
	const char *name;
	unsigned long start, end, flags;	/* end 0: no window */
} modes[] = {
	{ "none", 0, 0, 0 },
	{ "window", 0, 0, 0 },		/* set in main() */
	{ "window_low", WIN_START, WIN_END, 0 },
	{ "compat_window", WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT },
};

#define NR_OPS		(sizeof(ops) / sizeof(ops[0]))
#define NR_MODES	(sizeof(modes) / sizeof(modes[0]))

static void set_mode(const struct mode *m)
{
	if (prctl(PR_SET_MMAP_RANGE, m->start, m->end, m->flags, 0UL))
		die("PR_SET_MMAP_RANGE");
}

int main(int argc, char **argv)
{
	static double ns[NR_OPS][NR_MODES][ROUNDS];
	size_t o, m, r;
	void *probe;
	long i;

	(void)argc;
	if (!(personality(0xffffffff) & ADDR_NO_RANDOMIZE)) {
		personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE);
		execv("/proc/self/exe", argv);
		die("execv");
	}
	/* Where an mmap(NULL) lands now: "window" ends just above it. */
	probe = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (probe == MAP_FAILED)
		die("mmap");
	munmap(probe, 4096);
	modes[1].end = (unsigned long)probe + 4096;
	modes[1].start = modes[1].end - (4UL << 30);

	shm_id = shmget(IPC_PRIVATE, SZ_2M, IPC_CREAT | 0600);
	if (shm_id < 0)
		die("shmget");
	for (o = 0; o < NR_OPS; o++) {
		for (i = 0; i < ops[o].iters / 10; i++)	/* warm-up */
			ops[o].fn();
		for (r = 0; r < ROUNDS; r++) {
			for (m = 0; m < NR_MODES; m++) {
				double t0;

				set_mode(&modes[m]);
				t0 = now_ns();
				for (i = 0; i < ops[o].iters; i++)
					ops[o].fn();
				ns[o][m][r] = (now_ns() - t0) / (double)ops[o].iters;
			}
		}
	}
	set_mode(&modes[0]);
	shmctl(shm_id, IPC_RMID, NULL);

	for (o = 0; o < NR_OPS; o++) {
		for (m = 0; m < NR_MODES; m++) {
			double ratio[ROUNDS], t[ROUNDS];

			for (r = 0; r < ROUNDS; r++) {
				ratio[r] = ns[o][m][r] / ns[o][0][r];
				t[r] = ns[o][m][r];
			}
			qsort(ratio, ROUNDS, sizeof(double), cmp_double);
			qsort(t, ROUNDS, sizeof(double), cmp_double);
			printf("cost %s %s ns %.0f ratio %.3f %.3f %.3f\n",
			       ops[o].name, modes[m].name, t[ROUNDS / 2],
			       ratio[0], ratio[ROUNDS / 2], ratio[ROUNDS - 1]);
		}
	}
	return 0;
}
