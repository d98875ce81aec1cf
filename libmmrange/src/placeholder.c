// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* PROT_NONE placeholders: address space held without memory behind it. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef SYS_mseal
#define SYS_mseal	462	/* the same on x86_64 and arm64 */
#endif

int mmr_map_anon(uint64_t addr, uint64_t len, int prot, int flags)
{
	void *p = mmap((void *)addr, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED)
		return mmr_neg_errno(errno);
	if ((uint64_t)p != addr) {
		/* A kernel older than MAP_FIXED_NOREPLACE took it as a hint. */
		munmap(p, len);
		return -EEXIST;
	}
	return 0;
}

int mmr_placeholder(uint64_t addr, uint64_t len, int extra)
{
	return mmr_map_anon(addr, len, PROT_NONE, MAP_NORESERVE | extra);
}

int mmr_seal(uint64_t addr, uint64_t len)
{
	return syscall(SYS_mseal, addr, len, 0UL) ? mmr_neg_errno(errno) : 0;
}

static int add_gap(struct mmr_gaps *gs, uint64_t lo, uint64_t hi)
{
	if (lo >= hi)
		return 0;
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? 2 * gs->cap : 64;
		void *r = realloc(gs->r, cap * sizeof(*gs->r));

		if (!r)
			return -ENOMEM;
		gs->r = r;
		gs->cap = cap;
	}
	gs->r[gs->n][0] = lo;
	gs->r[gs->n][1] = hi;
	gs->n++;
	return 0;
}

/* The unmapped gaps of [start, end), from /proc/self/maps (sorted). */
int mmr_find_gaps(uint64_t start, uint64_t end, struct mmr_gaps *gs)
{
	unsigned long lo, hi;
	uint64_t cur = start;
	char line[512];
	FILE *f;
	int err = 0;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return mmr_neg_errno(errno);
	while (!err && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || hi <= cur)
			continue;
		if (lo >= end)
			break;
		err = add_gap(gs, cur, lo);
		cur = hi;
	}
	fclose(f);
	if (!err && cur < end)
		err = add_gap(gs, cur, end);
	return err;
}

/*
 * Hold every free part of [lo, hi) with a placeholder and tell @held of
 * each.  A part another thread maps between the reading of the map and the
 * placeholder stays theirs, and the rest of that gap is read again (the
 * held parts are mappings by then), a few times at most.
 */
int mmr_hold_free(uint64_t lo, uint64_t hi,
		  int (*held)(uint64_t start, uint64_t len, void *arg),
		  void *arg)
{
	bool busy = true;
	int try, err = 0;

	for (try = 0; !err && busy && try < 4; try++) {
		struct mmr_gaps gs = { 0 };
		size_t i;

		busy = false;
		err = mmr_find_gaps(lo, hi, &gs);
		for (i = 0; !err && i < gs.n; i++) {
			uint64_t s = gs.r[i][0], len = gs.r[i][1] - s;

			err = mmr_placeholder(s, len, MAP_FIXED_NOREPLACE);
			if (err == -EEXIST) {
				busy = true;
				err = 0;
				continue;
			}
			if (err)
				break;
			err = held(s, len, arg);
			if (err)
				munmap((void *)s, len);
		}
		free(gs.r);
	}
	return err;
}
