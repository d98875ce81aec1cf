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

/* The number in a /proc/sys file, or @dflt. */
static long sysctl_value(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v;

	if (!f)
		return dflt;
	if (fscanf(f, "%ld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* The lowest address a mapping may have. */
static uint64_t low_limit(uint64_t page)
{
	uint64_t v = (uint64_t)sysctl_value("/proc/sys/vm/mmap_min_addr", 0);

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
	int pers = personality(0xffffffff);
	struct rlimit rl;

	if (pers != -1 && (pers & ADDR_COMPAT_LAYOUT))
		return true;
	return sysctl_value("/proc/sys/vm/legacy_va_layout", 0) ||
	       (!getrlimit(RLIMIT_STACK, &rl) && rl.rlim_cur == RLIM_INFINITY);
}

/*
 * From /proc/self/maps: [*slo, *shi), the main stack's growth room below
 * [stack] (empty if none), and *top, the end of the highest mapping below
 * SCAN_END.
 */
static int scan_layout(uint64_t page, uint64_t *slo, uint64_t *shi,
		       uint64_t *top)
{
	unsigned long a, b, prev = 0;
	struct rlimit rl;
	char line[512];
	size_t n;
	FILE *f = fopen("/proc/self/maps", "re");

	*slo = *shi = *top = 0;
	if (!f)
		return mmr_neg_errno(errno);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &a, &b) != 2 || a >= SCAN_END)
			continue;
		*top = b;
		n = strlen(line);
		/* The pathname field is "[stack]", not a file named so. */
		if (n > 9 && !strcmp(line + n - 9, " [stack]\n") &&
		    !getrlimit(RLIMIT_STACK, &rl) && rl.rlim_cur > b - a) {
			*slo = rl.rlim_cur < b ?
			       mmr_align_up(b - rl.rlim_cur, page) : 0;
			/*
			 * The stack cannot grow past the mapping below it: a
			 * limit raised since execve() (mmap_base is where the
			 * old one put it) must not free what lies beyond.
			 */
			if (*slo < prev)
				*slo = prev;
			*shi = a;
		}
		prev = b;
	}
	fclose(f);
	return 0;
}

int mmr_outside_refill(struct mmr_guest *g)
{
	uint64_t low = low_limit(g->page), top, room[1][2];
	int err;

	err = scan_layout(g->page, &room[0][0], &room[0][1], &top);
	if (err)
		return err;
	top = top_limit(top, g->page);
	/*
	 * Below mmap_min_addr (if it could not be read) no placement goes:
	 * start higher until the placeholders are allowed.
	 */
	err = mmr_hold_free(low, g->start, NULL, 0, &g->outside);
	while (err == -EPERM && low < g->start) {
		low = low < (64U << 10) ? (64U << 10) : 2 * low;
		err = low < g->start ? mmr_hold_free(low, g->start, NULL, 0,
						     &g->outside) : 0;
	}
	if (!err)
		err = mmr_hold_free(g->end, top, (const uint64_t (*)[2])room, 1,
				    &g->outside);
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

void mmr_outside_close(struct mmr_guest *g)
{
	mmr_unhold(&g->outside);
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
