/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Shared inside libmmrange only. */
#ifndef MMR_INTERNAL_H
#define MMR_INTERNAL_H

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "extent.h"
#include "mmrange.h"

#define MMR_EXPORT	__attribute__((visibility("default")))

static inline uint64_t mmr_page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

static inline int mmr_aligned(uint64_t x, uint64_t a)
{
	return (x & (a - 1)) == 0;
}

static inline uint64_t mmr_align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* A seed for the extent treaps: only the shape of the trees depends on it. */
static inline uint64_t mmr_seed(const void *obj)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)(uintptr_t)obj * 0x9e3779b97f4a7c15ULL) ^
	       (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
}

/*
 * Map private anonymous memory at exactly [addr, addr + len); @flags holds
 * MAP_FIXED (replace) or MAP_FIXED_NOREPLACE (-EEXIST if busy).
 */
int mmr_map_anon(uint64_t addr, uint64_t len, int prot, int flags);

/*
 * Map a PROT_NONE, MAP_NORESERVE placeholder at exactly [addr, addr + len);
 * @extra is MAP_FIXED (replace) or MAP_FIXED_NOREPLACE (-EEXIST if busy).
 */
int mmr_placeholder(uint64_t addr, uint64_t len, int extra);

/*
 * mseal(2) [addr, addr + len) (Linux 6.10+, 64-bit kernels): no munmap,
 * mremap, mprotect or MAP_FIXED over it until the process ends.
 */
int mmr_seal(uint64_t addr, uint64_t len);

/* Unmapped gaps of an address range, [r[i][0], r[i][1]), lowest first. */
struct mmr_gaps {
	uint64_t (*r)[2];
	size_t n, cap;
};

int mmr_find_gaps(uint64_t start, uint64_t end, struct mmr_gaps *gaps);

/*
 * Hold every free part of [lo, hi), less the @nskip ranges of @skip (sorted,
 * disjoint), with a placeholder (MAP_FIXED_NOREPLACE: what another thread
 * maps meanwhile stays theirs, and the rest of that gap is read again) and
 * add each to @set; a part @set cannot take is unmapped and ends the call.
 * The map is read once, and again only where another thread came first.
 */
int mmr_hold_free(uint64_t lo, uint64_t hi, const uint64_t (*skip)[2],
		  int nskip, struct ext_set *set);
/* Unmap every range of @set (the placeholders it holds) and empty it. */
void mmr_unhold(struct ext_set *set);

/* The errno of a failed call, as the negative value the API returns. */
static inline int mmr_neg_errno(int err)
{
	return err > 0 ? -err : -1;
}

#endif /* MMR_INTERNAL_H */
