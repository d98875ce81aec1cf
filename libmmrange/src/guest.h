/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* struct mmr_guest, shared by guest.c and fallback.c. */
#ifndef MMR_GUEST_H
#define MMR_GUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "extent.h"
#include "mmrange.h"

enum mmr_mode {
	MMR_MODE_KERNEL,	/* PR_SET_MMAP_RANGE */
	MMR_MODE_COMPAT,	/* PR_SET_MMAP_RANGE with PR_MMAP_RANGE_COMPAT */
	MMR_MODE_FALLBACK,	/* placeholder reservation, as QEMU does */
};

struct mmr_guest {
	pthread_mutex_t lock;	/* fallback bookkeeping */
	uint64_t start, end, page;
	enum mmr_mode mode;
	bool locked;
	bool exclusive;		/* compat: native placements kept out */
	struct ext_set free;	/* fallback: placeholder pages */
};

int mmr_fallback_open(struct mmr_guest *g);
void mmr_fallback_close(struct mmr_guest *g);
void *mmr_fallback_mmap(struct mmr_guest *g, uint64_t addr, size_t len,
			int prot, int flags, int fd, off_t offset);
int mmr_fallback_munmap(struct mmr_guest *g, uint64_t addr, uint64_t len);
void *mmr_fallback_mremap(struct mmr_guest *g, uint64_t addr, uint64_t old_len,
			  uint64_t new_len, int flags);

#endif /* MMR_GUEST_H */
