// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The fallback for kernels without PR_SET_MMAP_RANGE, as QEMU linux-user
 * does it: every free gap of the window is held by a PROT_NONE placeholder,
 * and guest mappings replace parts of it with MAP_FIXED at addresses the
 * library picks (free space in an extent set, O(log n) per call).
 *
 * What it cannot do is steer the kernel: io_setup() rings, shmat() without
 * an address, driver mmaps, io_uring rings and plain mmap() calls are
 * placed by the kernel outside the placeholders, i.e. outside the window.
 * mmr_guest_confines() says so.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest.h"
#include "internal.h"

/* Anonymous mappings this large get THP alignment when it fits. */
#define THP_SIZE	(2ULL << 20)

int mmr_fallback_open(struct mmr_guest *g)
{
	int err;

	g->mode = MMR_MODE_FALLBACK;
	ext_init(&g->free, mmr_seed(g), g->page);
	err = mmr_hold_free(g->start, g->end, NULL, 0, &g->free);
	if (err)
		mmr_fallback_close(g);
	return err;
}

void mmr_fallback_close(struct mmr_guest *g)
{
	mmr_unhold(&g->free);
}

/* Where a non-fixed mapping of @len bytes goes: the hint if it is free. */
static int pick(struct mmr_guest *g, uint64_t hint, uint64_t len, bool anon,
		uint64_t *addr)
{
	if (hint && mmr_aligned(hint, g->page) &&
	    ext_covers(&g->free, hint, len)) {
		*addr = hint;
		return 0;
	}
	if (anon && len >= THP_SIZE &&
	    !ext_fit(&g->free, len, THP_SIZE, addr))
		return 0;
	return ext_fit(&g->free, len, g->page, addr);
}

void *mmr_fallback_mmap(struct mmr_guest *g, uint64_t addr, size_t len,
			int prot, int flags, int fd, off_t offset)
{
	uint64_t size = mmr_align_up(len, g->page);
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	bool was_free;
	void *p = NULL;
	int err = 0;

	if (!fixed)
		err = pick(g, addr, size, flags & MAP_ANONYMOUS, &addr);
	else if ((flags & MAP_FIXED_NOREPLACE) &&
		 !ext_covers(&g->free, addr, size))
		err = -EEXIST;
	if (err)
		goto out;
	was_free = ext_covers(&g->free, addr, size);
	flags = (flags & ~MAP_FIXED_NOREPLACE) | MAP_FIXED;
	p = mmap((void *)addr, len, prot, flags, fd, offset);
	if (p == MAP_FAILED) {
		err = mmr_neg_errno(errno);
		p = NULL;
		/* A failed MAP_FIXED may have removed what was there. */
		if (was_free)
			mmr_placeholder(addr, size, MAP_FIXED);
		goto out;
	}
	/* Cannot fail: it only removes or shrinks ranges... */
	err = ext_take(&g->free, addr, size, false);
	if (err) {	/* ...unless a split needs memory */
		mmr_placeholder(addr, size, MAP_FIXED);
		p = NULL;
	}
out:
	if (err)
		errno = -err;
	return p;
}

int mmr_fallback_munmap(struct mmr_guest *g, uint64_t addr, uint64_t len)
{
	int err;

	err = mmr_placeholder(addr, len, MAP_FIXED);
	if (!err)
		err = ext_give(&g->free, addr, len);
	return err;
}

void mmr_fallback_give_back(struct mmr_guest *g, uint64_t start, uint64_t len)
{
	if (g->mode == MMR_MODE_FALLBACK)
		mmr_fallback_munmap(g, start, len);
}

bool mmr_fallback_any_free(const struct mmr_guest *g, uint64_t addr,
			   uint64_t len)
{
	const struct ext *n = ext_next(&g->free, addr);

	return n && n->start < addr + len;
}

/* Put placeholders back over the parts of [addr, addr + len) still free. */
static void restore_free(struct mmr_guest *g, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	const struct ext *n;

	for (n = ext_next(&g->free, addr); n && n->start < end;
	     n = ext_next(&g->free, n->start + n->len)) {
		uint64_t lo = n->start > addr ? n->start : addr;
		uint64_t hi = n->start + n->len < end ? n->start + n->len : end;

		mmr_placeholder(lo, hi - lo, MAP_FIXED);
	}
}

/*
 * A move to [to, to + new_len), which replaces what is there: placeholder
 * or guest mapping, as mremap(MREMAP_FIXED) does.  The old range gets its
 * placeholder back, unless MREMAP_DONTUNMAP keeps it mapped.
 */
static void *move_to(struct mmr_guest *g, uint64_t addr, uint64_t old_len,
		     uint64_t new_len, int flags, uint64_t to)
{
	void *p;

	p = mremap((void *)addr, old_len, new_len,
		   flags | MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to);
	if (p == MAP_FAILED) {
		int err = errno;

		restore_free(g, to, new_len);
		errno = err;
		return NULL;
	}
	ext_take(&g->free, to, new_len, false);
	if (!(flags & MREMAP_DONTUNMAP) &&
	    !mmr_placeholder(addr, old_len, MAP_FIXED))
		ext_give(&g->free, addr, old_len);
	return p;
}

void *mmr_fallback_mremap(struct mmr_guest *g, uint64_t addr, uint64_t old_len,
			  uint64_t new_len, int flags, uint64_t to)
{
	uint64_t tail = addr + old_len;
	void *p = (void *)addr;
	int err = 0;

	if (flags & MREMAP_FIXED)
		return move_to(g, addr, old_len, new_len, flags, to);
	if (flags & MREMAP_DONTUNMAP) {
		err = ext_fit(&g->free, new_len, g->page, &to);
		if (!err)
			return move_to(g, addr, old_len, new_len, flags, to);
	} else if (new_len < old_len) {
		if (mremap(p, old_len, new_len, 0) == MAP_FAILED)
			err = mmr_neg_errno(errno);
		else if (!(err = mmr_placeholder(addr + new_len,
						 old_len - new_len, MAP_FIXED)))
			err = ext_give(&g->free, addr + new_len,
				       old_len - new_len);
	} else if (new_len > old_len &&
		   ext_covers(&g->free, tail, new_len - old_len)) {
		/* In place: the placeholder behind it makes way. */
		munmap((void *)tail, new_len - old_len);
		if (mremap(p, old_len, new_len, 0) == MAP_FAILED) {
			err = mmr_neg_errno(errno);
			mmr_placeholder(tail, new_len - old_len, MAP_FIXED);
		} else {
			err = ext_take(&g->free, tail, new_len - old_len, true);
		}
	} else if (new_len > old_len) {
		if (!(flags & MREMAP_MAYMOVE))
			err = -ENOMEM;
		else
			err = ext_fit(&g->free, new_len, g->page, &to);
		if (!err)
			return move_to(g, addr, old_len, new_len, flags, to);
	}
	if (err) {
		errno = -err;
		return NULL;
	}
	return p;
}
