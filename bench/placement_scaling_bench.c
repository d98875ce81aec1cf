// SPDX-License-Identifier: GPL-2.0
/*
 * Placement cost as a 4 GiB window fills (DESIGN.md section 8): the window
 * holds K one-page mappings separated by one-page holes, where the placer
 * starts looking, and each measured operation places a two-page mapping
 * (larger than every hole) and unmaps it.  Three placers:
 *
 *  - kernel: PR_SET_MMAP_RANGE, mmap(NULL) / munmap;
 *  - qemu: a user-space placer as QEMU linux-user (7.2) does it with a
 *    reserved_va: the window reserved PROT_NONE, one flags byte per page,
 *    and mmap_find_vma_reserved()'s page-by-page downward search from
 *    mmap_next_start, then MAP_FIXED over the reservation.  Each operation
 *    starts at the top, where QEMU starts once mmap_next_start has wrapped;
 *  - libmmrange: the library's fallback (mmr_guest_mmap/munmap with
 *    MMR_GUEST_FALLBACK), lowest address first.
 *
 * The fragmented block is put where each placer starts: at the top for
 * the kernel (top-down) and QEMU, at the bottom for libmmrange.  Each
 * (placer, K) runs in a fresh child.  Output, one line each:
 *
 *   scaling K PLACER NS_PER_OP
 *
 * usage: placement_scaling_bench [K...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mmrange.h>
#include <mmrange.h>

#include "bench.h"

/* 4 GiB, clear of the program, its heap and its stack. */
#define WIN_START	(4ULL << 30)
#define WIN_END		(8ULL << 30)
#define PG		4096ULL
#define MIN_OPS		20
#define MAX_OPS		4000
#define MIN_TIME_NS	3e8

static void die(const char *what)
{
	fprintf(stderr, "placement_scaling_bench: %s: %s\n", what,
		strerror(errno));
	exit(1);
}

static void map_fixed_page(uint64_t addr)
{
	if (mmap((void *)addr, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0) == MAP_FAILED)
		die("mmap MAP_FIXED");
}

/* Time @op until MIN_TIME_NS have passed (at least MIN_OPS, at most MAX_OPS). */
static double time_ops(void (*op)(void *), void *arg)
{
	double t0 = now_ns(), t;
	int n = 0;

	do {
		op(arg);
		n++;
		t = now_ns() - t0;
	} while (n < MAX_OPS && (n < MIN_OPS || t < MIN_TIME_NS));
	return t / n;
}

/* ---- kernel ------------------------------------------------------------ */

static void kernel_op(void *arg)
{
	void *p = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	(void)arg;
	if (p == MAP_FAILED || (uint64_t)p < WIN_START ||
	    (uint64_t)p + 2 * PG > WIN_END || munmap(p, 2 * PG))
		die("kernel placement");
}

static double run_kernel(long k)
{
	long i;

	if (prctl(PR_SET_MMAP_RANGE, WIN_START, WIN_END, 0UL, 0UL))
		die("PR_SET_MMAP_RANGE");
	for (i = 0; i < k; i++)
		map_fixed_page(WIN_END - (2 * i + 1) * PG);
	return time_ops(kernel_op, NULL);
}

/* ---- QEMU linux-user's reserved_va placer ------------------------------- */

struct qemu {
	uint8_t *flags;		/* page_get_flags(): nonzero = in use */
	uint64_t next_start;	/* mmap_next_start */
};

static int page_in_use(struct qemu *q, uint64_t addr)
{
	return q->flags[(addr - WIN_START) / PG];
}

/*
 * mmap_find_vma_reserved(): search downward from start + size for size
 * bytes of pages with no flags, restarting below each page in use and
 * wrapping to the top once.
 */
static uint64_t find_vma_reserved(struct qemu *q, uint64_t start,
				  uint64_t size)
{
	uint64_t top = WIN_END, end_addr = start + size, addr;
	int looped = 0;

	if (start > top - size) {
		end_addr = top;
		looped = 1;
	}
	addr = end_addr;
	for (;;) {
		addr -= PG;
		if (addr < WIN_START || addr > end_addr) {
			if (looped)
				return 0;
			addr = end_addr = top;
			looped = 1;
		} else if (page_in_use(q, addr)) {
			/* In use: restart with the block ending at this page. */
			end_addr = addr;
		} else if (addr + size == end_addr) {
			if (start == q->next_start)
				q->next_start = addr;
			return addr;
		}
	}
}

static void qemu_op(void *arg)
{
	struct qemu *q = arg;
	uint64_t addr, i;

	q->next_start = WIN_END;	/* the search starts at the top */
	addr = find_vma_reserved(q, q->next_start, 2 * PG);
	if (!addr)
		die("qemu placement");
	if (mmap((void *)addr, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0) == MAP_FAILED)
		die("qemu mmap");
	for (i = 0; i < 2; i++)
		q->flags[(addr - WIN_START) / PG + i] = 1;
	/* target_munmap(): back to the reservation. */
	if (mmap((void *)addr, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("qemu munmap");
	for (i = 0; i < 2; i++)
		q->flags[(addr - WIN_START) / PG + i] = 0;
}

static double run_qemu(long k)
{
	struct qemu q;
	long i;

	q.flags = calloc((WIN_END - WIN_START) / PG, 1);
	if (!q.flags)
		die("calloc");
	if (mmap((void *)WIN_START, WIN_END - WIN_START, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		 -1, 0) == MAP_FAILED)
		die("reserve");
	for (i = 0; i < k; i++) {
		uint64_t a = WIN_END - (2 * i + 1) * PG;

		map_fixed_page(a);
		q.flags[(a - WIN_START) / PG] = 1;
	}
	return time_ops(qemu_op, &q);
}

/* ---- libmmrange's fallback ------------------------------------------------ */

static void lib_op(void *arg)
{
	struct mmr_guest *g = arg;
	void *p = mmr_guest_mmap(g, NULL, 2 * PG, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!p || mmr_guest_munmap(g, p, 2 * PG))
		die("libmmrange placement");
}

static double run_lib(long k)
{
	struct mmr_guest *g;
	long i;
	int err;

	err = mmr_guest_open(&g, WIN_START, WIN_END, MMR_GUEST_FALLBACK);
	if (err) {
		errno = -err;
		die("mmr_guest_open");
	}
	for (i = 0; i < k; i++)
		if (!mmr_guest_mmap(g, (void *)(WIN_START + 2 * i * PG), PG,
				    PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
				    MAP_FIXED, -1, 0))
			die("mmr_guest_mmap MAP_FIXED");
	return time_ops(lib_op, g);
}

/* ------------------------------------------------------------------------ */

static const struct placer {
	const char *name;
	double (*run)(long k);
} placers[] = {
	{ "kernel", run_kernel },
	{ "qemu", run_qemu },
	{ "libmmrange", run_lib },
};

/* One measurement in a fresh child, so that each starts from nothing. */
static double in_child(const struct placer *p, long k)
{
	double ns = -1;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		ns = p->run(k);
		if (write(fds[1], &ns, sizeof(ns)) != sizeof(ns))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &ns, sizeof(ns)) != sizeof(ns))
		ns = -1;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return ns;
}

int main(int argc, char **argv)
{
	static const long def[] = { 1000, 3000, 10000, 30000, 100000 };
	long ks[16];
	int nk = 0, i;
	size_t p;
	FILE *f;

	for (i = 1; i < argc && nk < 16; i++)
		ks[nk++] = atol(argv[i]);
	if (!nk)
		for (nk = 0; nk < 5; nk++)
			ks[nk] = def[nk];
	/* 100k mappings need more than the default 65530. */
	f = fopen("/proc/sys/vm/max_map_count", "we");
	if (f) {
		fprintf(f, "%d\n", 1 << 20);
		fclose(f);
	}
	for (i = 0; i < nk; i++)
		for (p = 0; p < sizeof(placers) / sizeof(placers[0]); p++)
			printf("scaling %ld %s %.0f\n", ks[i], placers[p].name,
			       in_child(&placers[p], ks[i]));
	return 0;
}
