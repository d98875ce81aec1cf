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
 * Hold [lo, hi), free when the map was read, with a placeholder.  What
 * another thread mapped there since stays theirs, and the rest of the gap
 * is read again (the map is read only then), a few levels deep at most.
 */
static int hold_gap(uint64_t lo, uint64_t hi, int depth, struct ext_set *set)
{
	struct mmr_gaps gs = { 0 };
	size_t i;
	int err;

	err = mmr_placeholder(lo, hi - lo, MAP_FIXED_NOREPLACE);
	if (!err) {
		err = ext_give(set, lo, hi - lo);
		if (err)
			munmap((void *)lo, hi - lo);
		return err;
	}
	if (err != -EEXIST || depth >= 3)
		return err == -EEXIST ? 0 : err;
	err = mmr_find_gaps(lo, hi, &gs);
	for (i = 0; !err && i < gs.n; i++)
		err = hold_gap(gs.r[i][0], gs.r[i][1], depth + 1, set);
	free(gs.r);
	return err;
}

int mmr_hold_free(uint64_t lo, uint64_t hi, const uint64_t (*skip)[2],
		  int nskip, struct ext_set *set)
{
	struct mmr_gaps gs = { 0 };
	size_t i;
	int err;

	/* Read the whole map first: the placeholders would change it. */
	err = mmr_find_gaps(lo, hi, &gs);
	for (i = 0; !err && i < gs.n; i++) {
		uint64_t cur = gs.r[i][0], end = gs.r[i][1];
		int k;

		/* Less the ranges to skip (sorted, disjoint). */
		for (k = 0; !err && k < nskip && cur < end; k++) {
			if (skip[k][1] <= cur || skip[k][0] >= skip[k][1])
				continue;
			if (skip[k][0] > cur)
				err = hold_gap(cur, skip[k][0] < end ?
					       skip[k][0] : end, 0, set);
			cur = skip[k][1];
		}
		if (!err && cur < end)
			err = hold_gap(cur, end, 0, set);
	}
	free(gs.r);
	return err;
}

static void unmap_range(uint64_t start, uint64_t len, void *arg)
{
	(void)arg;
	munmap((void *)start, len);
}

void mmr_unhold(struct ext_set *set)
{
	ext_visit(set, unmap_range, NULL);
	ext_destroy(set);
}
