/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * struct mmr_guest, shared by guest.c (the calls, in every mode), fallback.c
 * (the QEMU-style reservation), outside.c (the FEX-style one), shm.c and
 * registry.c (the record of the guest's mappings).
 */
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
	MMR_MODE_OUTSIDE,	/* everything outside reserved, as FEX does */
};

/*
 * @lock is held for writing across a call that changes the guest's
 * mappings and the bookkeeping that follows it, so that the record and the
 * address space change in the same order; lookups hold it for reading.
 */
struct mmr_guest {
	pthread_rwlock_t lock;
	uint64_t start, end, page;
	enum mmr_mode mode;
	bool locked;
	bool exclusive;		/* compat: native placements kept out */
	bool no_record;		/* MMR_GUEST_NO_RECORD: registry.c keeps none */
	struct ext_set free;	/* fallback: placeholder pages */
	struct ext_set outside;	/* outside: the reservations made */
	struct ext_set maps;	/* the guest's mappings (registry.c) */
};

static inline bool mmr_inside(const struct mmr_guest *g, uint64_t addr,
			      uint64_t len)
{
	return addr >= g->start && addr <= g->end && len <= g->end - addr;
}

/* @len rounded up to whole pages; 0 when it is 0 or the rounding wraps. */
static inline uint64_t mmr_guest_len(const struct mmr_guest *g, uint64_t len)
{
	uint64_t size = (len + g->page - 1) & ~(g->page - 1);

	return size < len ? 0 : size;
}

/* fallback.c; the callers hold g->lock for writing. */
int mmr_fallback_open(struct mmr_guest *g);
void mmr_fallback_close(struct mmr_guest *g);
void *mmr_fallback_mmap(struct mmr_guest *g, uint64_t addr, size_t len,
			int prot, int flags, int fd, off_t offset);
int mmr_fallback_munmap(struct mmr_guest *g, uint64_t addr, uint64_t len);
void *mmr_fallback_mremap(struct mmr_guest *g, uint64_t addr, uint64_t old_len,
			  uint64_t new_len, int flags, uint64_t to);
/*
 * A range the guest no longer has (detached, or unmapped by a failed call)
 * gets its placeholder back in the fallback; in other modes, nothing.
 */
void mmr_fallback_give_back(struct mmr_guest *g, uint64_t start, uint64_t len);
/* Whether [addr, addr + len) holds a placeholder anywhere. */
bool mmr_fallback_any_free(const struct mmr_guest *g, uint64_t addr,
			   uint64_t len);

/* outside.c */
int mmr_outside_open(struct mmr_guest *g);
void mmr_outside_close(struct mmr_guest *g);
int mmr_outside_refill(struct mmr_guest *g);
void *mmr_outside_mmap(struct mmr_guest *g, uint64_t addr, size_t len,
		       int prot, int flags, int fd, off_t offset);
void *mmr_outside_mremap(struct mmr_guest *g, uint64_t addr, uint64_t old_len,
			 uint64_t new_len, int flags, uint64_t to);

/*
 * registry.c: the guest's mappings.  A range set replaces what it
 * overlaps; the callers hold g->lock for writing.  With g->no_record the
 * changes are no-ops and the queries -EOPNOTSUPP.
 */
struct mmr_rec {
	int prot, flags;	/* flags: MAP_SHARED or MAP_PRIVATE */
	unsigned int kind;
	uint64_t off;		/* file offset, or offset in the segment */
	int shmid;
	uint64_t shm_size;	/* MMR_KIND_SHM: the segment's size */
};

void mmr_reg_init(struct mmr_guest *g);
void mmr_reg_destroy(struct mmr_guest *g);
int mmr_reg_set(struct mmr_guest *g, uint64_t start, uint64_t len,
		const struct mmr_rec *rec);
int mmr_reg_clear(struct mmr_guest *g, uint64_t start, uint64_t len);
int mmr_reg_protect(struct mmr_guest *g, uint64_t start, uint64_t len,
		    int prot);
/* What mremap() did, from [old, old + old_len) to [to, to + new_len). */
int mmr_reg_remap(struct mmr_guest *g, uint64_t old, uint64_t old_len,
		  uint64_t to, uint64_t new_len, bool dontunmap);
int mmr_reg_prune(struct mmr_guest *g, uint64_t start, uint64_t len,
		  void (*fn)(struct mmr_guest *g, uint64_t start, uint64_t len));
int mmr_reg_sync_prot(struct mmr_guest *g, uint64_t start, uint64_t len);
/* The record of the segment attached at @attach; -EINVAL if none. */
int mmr_reg_shm(struct mmr_guest *g, uint64_t attach, struct mmr_rec *rec);
/* Call @fn on each piece of the segment attached at @attach; then clear. */
int mmr_reg_shm_detach(struct mmr_guest *g, uint64_t attach, uint64_t size,
		       void (*fn)(struct mmr_guest *g, uint64_t start,
				  uint64_t len));

#endif /* MMR_GUEST_H */
