// SPDX-License-Identifier: GPL-2.0
/*
 * Placement cost as a 4 GiB window fills (DESIGN.md section 8): the window
 * holds K one-page mappings separated by one-page holes, where the placer
 * starts looking, and each measured operation places a two-page mapping
 * (larger than every hole) and unmaps it.  Four placers:
 *
 *  - kernel: PR_SET_MMAP_RANGE, mmap(NULL) / munmap;
 *  - qemu-7.2: QEMU linux-user 7.2 with a reserved_va (Debian bookworm's
 *    7.2+dfsg): the window reserved PROT_NONE; page_get_flags() through
 *    the two-level l1_map of accel/tcg/translate-all.c (a 32-bit guest's
 *    page index: 10 bits into l1_map, 10 into a leaf of 1024 PageDescs of
 *    24 bytes, leaves allocated as page_set_flags() first touches them);
 *    mmap_find_vma_reserved() (linux-user/mmap.c) searching downward page
 *    by page from mmap_next_start, restarting below each page in use and
 *    wrapping to the top once, and moving mmap_next_start to what it
 *    found; then MAP_FIXED over the reservation, and target_munmap()
 *    putting the reservation back.  The cursor is kept across operations,
 *    as 7.2 keeps it; it starts at the top of the block (7.2 starts it at
 *    TASK_UNMAPPED_BASE, 1 GiB: what matters is that the block is below);
 *  - qemu-7.2-scan: the same placer with mmap_next_start put back at the
 *    top of the block before each operation: one full search past the
 *    block, which is what a 7.2 call costs when its cursor meets a
 *    fragmented region (the first call here, or after a wrap), and what
 *    this benchmark reported for 7.2 before the cursor was modelled;
 *  - qemu-8.1: QEMU linux-user from 8.1 on (Richard Henderson's series of
 *    July 2023; followed in the 8.2 sources, and unchanged in the newest
 *    tree read, one with target_mmap__locked()): the page flags are ranges
 *    in an interval tree (accel/tcg/user-exec.c: pageflags_find(),
 *    pageflags_set_clear() merging neighbours with the same flags), and
 *    mmap_find_vma_reserved() (linux-user/mmap.c) calls
 *    page_find_range_empty(start, reserved_va, len, align), which asks the
 *    tree for the first range that overlaps [min, min + len) and skips past
 *    it until none does: upward, one tree query per obstacle; only if that
 *    fails, again from mmap_min_addr to start.  Then MAP_FIXED over the
 *    reservation, as in 7.2.  With reserved_va, start is mmap_next_start,
 *    which that path never moves: each operation starts at the same place,
 *    the bottom, where the block is.  (8.0, the one release that searched
 *    page by page with a tree lookup per page, is not measured.)
 *  - libmmrange: the library's fallback (mmr_guest_mmap/munmap with
 *    MMR_GUEST_FALLBACK), lowest address first.
 *
 * The fragmented block is put where each placer starts: at the top for
 * the kernel (top-down) and QEMU 7.2 (below its cursor), at the bottom for
 * QEMU 8.1 and libmmrange.  Each (placer, K) runs in a fresh child,
 * ROUNDS times, the placers in turn within each round.  Output, one line
 * each, ns per operation, median, min and max over the rounds:
 *
 *   scaling K PLACER MEDIAN_NS min MIN max MAX
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
#include <sys/personality.h>
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
#define ROUNDS		5

/* QEMU's flags of a read-only anonymous page: VALID | READ | ANON */
#define PAGE_FLAGS_ANON_R	(0x08 | 0x01 | 0x80)

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

/*
 * Time @op until MIN_TIME_NS have passed (at least MIN_OPS, at most
 * MAX_OPS), after one untimed call: the first search of a placer that keeps
 * a cursor (QEMU 7.2) walks the whole block, and is not its steady state.
 */
static double time_ops(void (*op)(void *), void *arg)
{
	double t0, t;
	int n = 0;

	op(arg);
	t0 = now_ns();
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

/* ---- QEMU linux-user 7.2's reserved_va placer --------------------------- */

#define V_L2_BITS	10
#define V_L2_SIZE	(1 << V_L2_BITS)

/* accel/tcg/internal.h, CONFIG_USER_ONLY: only flags is read; all is size */
struct page_desc {
	// cppcheck-suppress unusedStructMember
	uintptr_t first_tb;
	unsigned long flags;
	// cppcheck-suppress unusedStructMember
	void *target_data;
};

struct qemu {
	struct page_desc *l1_map[V_L2_SIZE];	/* v_l1_size 1024, no L2 levels */
	uint64_t next_start;			/* mmap_next_start */
	int rescan;				/* qemu-7.2-scan */
};

/* page_find_alloc(): guest page index = 32-bit offset into the window. */
static struct page_desc *page_find_alloc(struct qemu *q, uint64_t addr,
					 int alloc)
{
	uint64_t index = (addr - WIN_START) / PG;
	struct page_desc **lp = &q->l1_map[(index >> V_L2_BITS) &
					   (V_L2_SIZE - 1)];
	struct page_desc *pd = __atomic_load_n(lp, __ATOMIC_CONSUME);

	if (!pd) {
		if (!alloc)
			return NULL;
		pd = calloc(V_L2_SIZE, sizeof(*pd));
		if (!pd)
			die("calloc");
		*lp = pd;
	}
	return pd + (index & (V_L2_SIZE - 1));
}

/* page_get_flags() */
static int page_get_flags(struct qemu *q, uint64_t addr)
{
	struct page_desc *p = page_find_alloc(q, addr, 0);

	return p ? (int)p->flags : 0;
}

/* page_set_flags() for one host page (no TB to invalidate here) */
static void page_set_flags(struct qemu *q, uint64_t addr, int flags)
{
	page_find_alloc(q, addr, 1)->flags = flags;
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
		} else if (page_get_flags(q, addr)) {
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

	if (q->rescan)
		q->next_start = WIN_END - 2 * PG;	/* the block's top */
	/* mmap_find_vma(0, ...): start = mmap_next_start */
	addr = find_vma_reserved(q, q->next_start, 2 * PG);
	if (!addr)
		die("qemu placement");
	if (mmap((void *)addr, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0) == MAP_FAILED)
		die("qemu mmap");
	for (i = 0; i < 2; i++)
		page_set_flags(q, addr + i * PG, PAGE_FLAGS_ANON_R);
	/* target_munmap(): back to the reservation, the flags cleared. */
	if (mmap((void *)addr, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("qemu munmap");
	for (i = 0; i < 2; i++)
		page_set_flags(q, addr + i * PG, 0);
}

static double run_qemu_72(long k, int rescan)
{
	struct qemu *q = calloc(1, sizeof(*q));
	long i;

	if (!q)
		die("calloc");
	q->rescan = rescan;
	q->next_start = WIN_END - 2 * PG;
	if (mmap((void *)WIN_START, WIN_END - WIN_START, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		 -1, 0) == MAP_FAILED)
		die("reserve");
	for (i = 0; i < k; i++) {
		uint64_t a = WIN_END - (2 * i + 1) * PG;

		map_fixed_page(a);
		page_set_flags(q, a, PAGE_FLAGS_ANON_R);
	}
	return time_ops(qemu_op, q);
}

static double run_qemu(long k)
{
	return run_qemu_72(k, 0);
}

static double run_qemu_scan(long k)
{
	return run_qemu_72(k, 1);
}

/* ---- QEMU linux-user 8.1+: page flags in an interval tree --------------- */

/*
 * A treap of disjoint page-flag ranges keyed by start, each node carrying
 * the largest "last" of its subtree, queried as an interval tree is (the
 * leftmost range that overlaps [start, last]): the costs of QEMU's
 * augmented red-black interval tree (util/interval-tree.c), O(log n) per
 * query and update.  A random treap is deeper on average than a red-black
 * tree (measured: 22.9 levels at 100000 ranges, against about 17), so the
 * qemu-8.1 row may be up to about a third high; its slope is the same.
 */
struct pf {
	uint64_t start, last, max_last;
	uint32_t prio;
	int flags;
	struct pf *l, *r;
};

static uint64_t pf_max(const struct pf *n)
{
	return n ? n->max_last : 0;
}

static struct pf *pf_fix(struct pf *n)
{
	uint64_t m = n->last;

	if (pf_max(n->l) > m)
		m = pf_max(n->l);
	if (pf_max(n->r) > m)
		m = pf_max(n->r);
	n->max_last = m;
	return n;
}

/* Split @t into the nodes that start below @key and the rest. */
static void pf_split(struct pf *t, uint64_t key, struct pf **a, struct pf **b)
{
	if (!t) {
		*a = *b = NULL;
	} else if (t->start < key) {
		pf_split(t->r, key, &t->r, b);
		*a = pf_fix(t);
	} else {
		pf_split(t->l, key, a, &t->l);
		*b = pf_fix(t);
	}
}

static struct pf *pf_merge(struct pf *a, struct pf *b)
{
	if (!a || !b)
		return a ? a : b;
	if (a->prio > b->prio) {
		a->r = pf_merge(a->r, b);
		return pf_fix(a);
	}
	b->l = pf_merge(a, b->l);
	return pf_fix(b);
}

/* interval_tree_iter_first(): the leftmost range overlapping [start, last]. */
static struct pf *pf_find(struct pf *n, uint64_t start, uint64_t last)
{
	if (!n || n->max_last < start)
		return NULL;
	for (;;) {
		if (n->l && start <= n->l->max_last) {
			n = n->l;
			continue;
		}
		if (n->start <= last) {
			if (start <= n->last)
				return n;
			if (n->r && start <= n->r->max_last) {
				n = n->r;
				continue;
			}
		}
		return NULL;
	}
}

static void pf_insert(struct pf **root, uint64_t start, uint64_t last,
		      int flags)
{
	struct pf *n = malloc(sizeof(*n)), *a, *b;

	if (!n)
		die("malloc");
	*n = (struct pf){ .start = start, .last = last, .max_last = last,
			  .prio = (uint32_t)random(), .flags = flags };
	pf_split(*root, start, &a, &b);
	*root = pf_merge(pf_merge(a, n), b);
}

static void pf_remove(struct pf **root, struct pf *n)
{
	struct pf *a, *m, *b;

	pf_split(*root, n->start, &a, &m);
	pf_split(m, n->start + 1, &m, &b);
	free(m);
	*root = pf_merge(a, b);
}

/* page_set_flags() with flags: pageflags_create_merge() on a free range. */
static void pf_set(struct pf **root, uint64_t start, uint64_t last, int flags)
{
	struct pf *prev = start ? pf_find(*root, start - 1, start - 1) : NULL;
	struct pf *next = pf_find(*root, last + 1, last + 1);

	if (prev && prev->flags == flags && prev->last + 1 == start) {
		start = prev->start;
		pf_remove(root, prev);
	}
	if (next && next->flags == flags && next->start == last + 1) {
		last = next->last;
		pf_remove(root, next);
	}
	pf_insert(root, start, last, flags);
}

/* page_set_flags(start, last, 0): pageflags_set_clear() cutting ranges. */
static void pf_clear(struct pf **root, uint64_t start, uint64_t last)
{
	struct pf *n;

	while ((n = pf_find(*root, start, last))) {
		uint64_t s = n->start, l = n->last;
		int flags = n->flags;

		pf_remove(root, n);
		if (s < start)
			pf_insert(root, s, start - 1, flags);
		if (l > last)
			pf_insert(root, last + 1, l, flags);
	}
}

/* page_find_range_empty(min, max, len, align) */
static uint64_t pf_find_range_empty(struct pf *root, uint64_t min,
				    uint64_t max, uint64_t len, uint64_t align)
{
	for (;;) {
		struct pf *p;

		min = (min + align - 1) & ~(align - 1);
		if (min > max || len - 1 > max - min)
			return (uint64_t)-1;
		p = pf_find(root, min, min + len - 1);
		if (!p)
			return min;
		if (max <= p->last)
			return (uint64_t)-1;
		min = p->last + 1;
	}
}

struct qemu81 {
	struct pf *root;
	uint64_t next_start;	/* mmap_next_start, never moved here */
};

/* mmap_find_vma_reserved() */
static uint64_t find_vma_reserved81(struct qemu81 *q, uint64_t start,
				    uint64_t size, uint64_t align)
{
	uint64_t ret = pf_find_range_empty(q->root, start, WIN_END - 1, size,
					   align);

	if (ret == (uint64_t)-1 && start > WIN_START)
		/* "Restart at the beginning of the address space." */
		ret = pf_find_range_empty(q->root, WIN_START, start - 1, size,
					  align);
	return ret;
}

static void qemu81_op(void *arg)
{
	struct qemu81 *q = arg;
	uint64_t addr;

	addr = find_vma_reserved81(q, q->next_start, 2 * PG, PG);
	if (addr == (uint64_t)-1)
		die("qemu-8.1 placement");
	if (mmap((void *)addr, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_FIXED, -1, 0) == MAP_FAILED)
		die("qemu-8.1 mmap");
	pf_set(&q->root, addr, addr + 2 * PG - 1, PAGE_FLAGS_ANON_R);
	/* target_munmap(): back to the reservation, the flags cleared. */
	if (mmap((void *)addr, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
		die("qemu-8.1 munmap");
	pf_clear(&q->root, addr, addr + 2 * PG - 1);
}

static double run_qemu81(long k)
{
	struct qemu81 q = { NULL, WIN_START };
	long i;

	srandom(1);
	if (mmap((void *)WIN_START, WIN_END - WIN_START, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		 -1, 0) == MAP_FAILED)
		die("reserve");
	for (i = 0; i < k; i++) {
		uint64_t a = WIN_START + 2 * i * PG;

		map_fixed_page(a);
		pf_set(&q.root, a, a + PG - 1, PAGE_FLAGS_ANON_R);
	}
	return time_ops(qemu81_op, &q);
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
	{ "qemu-7.2", run_qemu },
	{ "qemu-7.2-scan", run_qemu_scan },
	{ "qemu-8.1", run_qemu81 },
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

	/*
	 * Without ASLR, so that the kernel's window starts its search at the
	 * top, where the block is: with it, the search starts at a random
	 * offset into the window's top quarter, below the block.
	 */
	if (!(personality(0xffffffff) & ADDR_NO_RANDOMIZE)) {
		personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE);
		execv("/proc/self/exe", argv);
		die("execv");
	}
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
	for (i = 0; i < nk; i++) {
		enum { NP = sizeof(placers) / sizeof(placers[0]) };
		double ns[NP][ROUNDS];
		int r;

		for (r = 0; r < ROUNDS; r++)
			for (p = 0; p < NP; p++)
				ns[p][r] = in_child(&placers[p], ks[i]);
		for (p = 0; p < NP; p++) {
			qsort(ns[p], ROUNDS, sizeof(double), cmp_double);
			printf("scaling %ld %s %.0f min %.0f max %.0f\n", ks[i],
			       placers[p].name, ns[p][ROUNDS / 2], ns[p][0],
			       ns[p][ROUNDS - 1]);
		}
	}
	return 0;
}
