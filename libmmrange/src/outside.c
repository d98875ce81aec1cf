// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The fallback as FEX does it (MMR_GUEST_RESERVE_OUTSIDE): every free gap
 * outside the window, from mmap_min_addr to the top of the default address
 * space, is held by a PROT_NONE placeholder.  A kernel that knows nothing of
 * the window then has no free space but the window's, so whatever it
 * places lands inside: guest mmap() without an address, shmat(), the
 * io_setup() ring, io_uring rings, driver mappings, aligned hugetlb and THP
 * placements.  It places the translator's own mappings there too: malloc,
 * thread stacks, dlopen().
 *
 * Left free: the room the main stack may still grow into (RLIMIT_STACK
 * below [stack]; the kernel places nothing there without a hint, its
 * mmap_base sits below it).  A gap that opens outside later (the translator
 * unmaps something of its own) is a hole the kernel will use; the guest
 * calls notice it and fill it, and mmr_guest_refill() fills them all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "guest.h"
#include "internal.h"

/* Above the default window of every layout: only a hint goes higher. */
#define SCAN_END	(1ULL << 56)

/* The lowest address a mapping may have. */
static uint64_t low_limit(uint64_t page)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return mmr_align_up(v > page ? v : page, page);
}

/*
 * The end of the default address space (DEFAULT_MAP_WINDOW), the smallest
 * of the sizes Linux has that holds every mapping below SCAN_END.
 */
static uint64_t top_limit(uint64_t highest_end, uint64_t page)
{
	static const unsigned int bits[] = { 36, 39, 42, 47, 48, 52, 56 };
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		uint64_t top = 1ULL << bits[i];

#if defined(__x86_64__)
		top -= page;	/* x86's TASK_SIZE stops a page short */
#else
		(void)page;
#endif
		if (top >= highest_end)
			return top;
	}
	return highest_end;
}

/*
 * Whether the kernel places bottom-up ("legacy" layout), as far as the
 * process can tell: the layout is chosen at execve() from these, so a limit
 * changed since then is not seen.
 */
static bool legacy_layout(void)
{
	int v = 0, pers = personality(0xffffffff);
	struct rlimit rl;
	FILE *f;

	if (pers != -1 && (pers & ADDR_COMPAT_LAYOUT))
		return true;
	f = fopen("/proc/sys/vm/legacy_va_layout", "re");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v || (!getrlimit(RLIMIT_STACK, &rl) &&
		     rl.rlim_cur == RLIM_INFINITY);
}

/* [lo, hi) of the main stack's growth room, below [stack]; 0, 0 if none. */
static void stack_room(uint64_t *lo, uint64_t *hi)
{
	unsigned long a, b;
	struct rlimit rl;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	*lo = *hi = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "[stack]") ||
		    sscanf(line, "%lx-%lx", &a, &b) != 2)
			continue;
		if (!getrlimit(RLIMIT_STACK, &rl) && rl.rlim_cur > b - a) {
			uint64_t room = rl.rlim_cur - (b - a);

			*lo = room < a ? a - room : 0;
			*hi = a;
		}
		break;
	}
	fclose(f);
}

static int give_outside(uint64_t start, uint64_t len, void *arg)
{
	struct mmr_guest *g = arg;

	return ext_give(&g->outside, start, len);
}

static int reserve_gap(struct mmr_guest *g, uint64_t lo, uint64_t hi)
{
	int err = mmr_hold_free(lo, hi, give_outside, g);

	/* Below mmap_min_addr (if it could not be read) no placement goes. */
	return err == -EPERM && hi <= g->start ? 0 : err;
}

/* Reserve the gap [lo, hi), less the window and the stack's room. */
static int reserve(struct mmr_guest *g, uint64_t lo, uint64_t hi,
		   uint64_t slo, uint64_t shi)
{
	uint64_t cut[2][2] = { { g->start, g->end }, { slo, shi } };
	uint64_t cur = lo;
	int i, err = 0;

	if (slo < g->start) {	/* lowest first */
		cut[0][0] = slo;
		cut[0][1] = shi;
		cut[1][0] = g->start;
		cut[1][1] = g->end;
	}
	for (i = 0; !err && i < 2 && cur < hi; i++) {
		if (cut[i][0] >= cut[i][1] || cut[i][1] <= cur)
			continue;
		if (cut[i][0] > cur)
			err = reserve_gap(g, cur, cut[i][0] < hi ? cut[i][0] : hi);
		cur = cut[i][1];
	}
	if (!err && cur < hi)
		err = reserve_gap(g, cur, hi);
	return err;
}

int mmr_outside_refill(struct mmr_guest *g)
{
	uint64_t low = low_limit(g->page), top, slo, shi;
	struct mmr_gaps gs = { 0 };
	size_t i;
	int err;

	stack_room(&slo, &shi);
	/* Read the whole map first: the placeholders would change it. */
	err = mmr_find_gaps(low, SCAN_END, &gs);
	if (err || !gs.n) {
		free(gs.r);
		return err;
	}
	/* The last gap starts where the highest mapping ends. */
	top = top_limit(gs.r[gs.n - 1][0], g->page);
	for (i = 0; !err && i < gs.n; i++) {
		uint64_t lo = gs.r[i][0];
		uint64_t hi = gs.r[i][1] < top ? gs.r[i][1] : top;

		err = reserve(g, lo, hi, slo, shi);
	}
	free(gs.r);
	return err;
}

int mmr_outside_open(struct mmr_guest *g)
{
	int err;

	g->mode = MMR_MODE_OUTSIDE;
	ext_init(&g->outside, mmr_seed(&g->outside), g->page);
	/* Bottom-up placement starts above the window: it would never fit. */
	if (legacy_layout())
		return -EOPNOTSUPP;
	err = mmr_outside_refill(g);
	if (err)
		mmr_outside_close(g);
	return err;
}

static void unmap_range(uint64_t start, uint64_t len, void *arg)
{
	(void)arg;
	munmap((void *)start, len);
}

void mmr_outside_close(struct mmr_guest *g)
{
	ext_visit(&g->outside, unmap_range, NULL);
	ext_destroy(&g->outside);
}

void *mmr_outside_mmap(struct mmr_guest *g, uint64_t addr, size_t len,
		       int prot, int flags, int fd, off_t offset)
{
	int try;

	/* A hint outside the window is no hint (there is nothing free). */
	if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
	    !mmr_inside(g, addr, mmr_align_up(len, g->page)))
		addr = 0;
	for (try = 0; try < 2; try++) {
		void *p = mmap((void *)addr, len, prot, flags, fd, offset);
		int err;

		if (p == MAP_FAILED)
			return NULL;
		if (mmr_inside(g, (uint64_t)p, mmr_align_up(len, g->page)))
			return p;
		/* A gap opened outside since the last refill: fill it. */
		munmap(p, len);
		err = mmr_outside_refill(g);
		if (err) {
			errno = -err;
			return NULL;
		}
	}
	errno = ENOMEM;
	return NULL;
}

void *mmr_outside_mremap(struct mmr_guest *g, uint64_t addr, uint64_t old_len,
			 uint64_t new_len, int flags, uint64_t to)
{
	uint64_t len = mmr_align_up(new_len, g->page);
	void *p, *q;
	int err;

	p = mremap((void *)addr, old_len, new_len, flags, (void *)to);
	if (p == MAP_FAILED)
		return NULL;
	if (mmr_inside(g, (uint64_t)p, len))
		return p;
	/* Moved into a gap outside: fill the others, then move it in. */
	err = mmr_outside_refill(g);
	q = err ? MAP_FAILED : mmap(NULL, len, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				    -1, 0);
	if (q != MAP_FAILED && !mmr_inside(g, (uint64_t)q, len)) {
		munmap(q, len);
		q = MAP_FAILED;
	}
	if (q != MAP_FAILED)
		q = mremap(p, new_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   q);
	if (q == MAP_FAILED) {
		/* Nowhere inside: the mapping cannot be the guest's. */
		munmap(p, new_len);
		if (!(flags & MREMAP_DONTUNMAP))
			mmr_reg_clear(g, addr, old_len);
		errno = err ? -err : ENOMEM;
		return NULL;
	}
	mmr_outside_refill(g);	/* the hole it left */
	return q;
}
