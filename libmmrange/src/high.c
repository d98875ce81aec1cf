// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The high region: the translator's own memory (code cache, heap) above the
 * guest's window, allocated by the library with fixed mappings.
 *
 * When a full kernel window is set, the kernel never places anything in
 * the region, so it is left unmapped and allocations use
 * MAP_FIXED_NOREPLACE: a mapping someone else put there makes the
 * allocation fail instead of being replaced.  Otherwise a PROT_NONE
 * placeholder holds the region and allocations replace parts of it.
 *
 * Free space and allocations are two extent sets (extent.h): every call is
 * O(log n) in the number of allocations.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "extent.h"
#include "internal.h"

/* Where mmr_high_reserve() looks when the caller does not say. */
#define HIGH_STEP	(1ULL << 30)
#define HIGH_TRIES	8

/* struct ext tag of an allocation: its prot and MMR_HIGH_* flags. */
#define TAG(prot, flags)	((uint32_t)(prot) << 8 | (flags))
#define TAG_PROT(tag)		((int)((tag) >> 8))
#define TAG_GUARD(tag)		((tag) & MMR_HIGH_GUARD)
#define TAG_SEAL(tag)		((tag) & MMR_HIGH_SEAL)

struct mmr_high {
	pthread_mutex_t lock;
	uint64_t start, size, page;
	bool placeholder;
	struct ext_set free;	/* unallocated space */
	struct ext_set allocs;	/* start = address returned, len = its size */
};

/*
 * Map anonymous memory at [addr, addr + len).  The range is the region's
 * by the bookkeeping: it holds the placeholder, or nothing.
 */
static int map_owned(struct mmr_high *h, uint64_t addr, uint64_t len, int prot)
{
	if (!len)
		return 0;
	return mmr_map_anon(addr, len, prot,
			    h->placeholder ? MAP_FIXED : MAP_FIXED_NOREPLACE);
}

/* Give [addr, addr + len) back to the region: placeholder or nothing. */
static void unmap_owned(struct mmr_high *h, uint64_t addr, uint64_t len)
{
	if (!len)
		return;
	if (h->placeholder)
		mmr_placeholder(addr, len, MAP_FIXED);
	else
		munmap((void *)addr, len);
}

/* Whether the kernel keeps its own placements out of [start, end). */
static bool kernel_keeps_out(uint64_t start, uint64_t end)
{
	struct mmr_window w;

	if (mmr_window_get(&w) || !w.end || (w.flags & MMR_WINDOW_COMPAT))
		return false;
	return end <= w.start || start >= w.end;
}

/*
 * The first HIGH_STEP-aligned free range of @size bytes at or above the
 * window's end (4 GiB without a window), found in /proc/self/maps.
 */
static int default_start(uint64_t size, uint64_t *start)
{
	struct mmr_gaps gs = { 0 };
	struct mmr_window w;
	uint64_t base = 4ULL << 30;
	size_t i;
	int err;

	if (!mmr_window_get(&w) && w.end > base)
		base = w.end;
	err = mmr_find_gaps(base, UINT64_MAX, &gs);
	for (i = 0, err = err ? err : -ENOMEM; i < gs.n && err; i++) {
		uint64_t s = mmr_align_up(gs.r[i][0], HIGH_STEP);

		if (s >= gs.r[i][0] && s < gs.r[i][1] &&
		    size <= gs.r[i][1] - s) {
			*start = s;
			err = 0;
		}
	}
	free(gs.r);
	return err;
}

MMR_EXPORT int mmr_high_reserve(struct mmr_high **high, uint64_t start,
				uint64_t size)
{
	uint64_t page = mmr_page_size();
	struct mmr_high *h;
	int err = -EEXIST;

	if (!high || !size || !mmr_aligned(start, page) ||
	    !mmr_aligned(size, page) || start + size < start)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->page = page;

	/* Hold the range while deciding, so that nothing slips in. */
	if (start) {
		err = mmr_placeholder(start, size, MAP_FIXED_NOREPLACE);
	} else {
		/* Another thread may map into the gap first: look again. */
		for (int i = 0; i < HIGH_TRIES && err == -EEXIST; i++) {
			err = default_start(size, &start);
			if (!err)
				err = mmr_placeholder(start, size,
						      MAP_FIXED_NOREPLACE);
		}
	}
	if (err) {
		free(h);
		return err;
	}
	h->start = start;
	h->size = size;
	h->placeholder = !kernel_keeps_out(start, start + size);
	if (!h->placeholder)
		munmap((void *)start, size);

	ext_init(&h->free, mmr_seed(h), page);
	ext_init(&h->allocs, mmr_seed(h) ^ 0x9e3779b97f4a7c15ULL, page);
	err = ext_give(&h->free, start, size);
	if (err || pthread_mutex_init(&h->lock, NULL)) {
		ext_destroy(&h->free);
		munmap((void *)start, size);
		free(h);
		return err ? err : -ENOMEM;
	}
	*high = h;
	return 0;
}

MMR_EXPORT void mmr_high_release(struct mmr_high *h)
{
	if (!h)
		return;
	/* A sealed allocation makes munmap() refuse any range holding it. */
	if (munmap((void *)h->start, h->size)) {
		const struct ext *n;

		mmr_unhold(&h->free);
		for (n = ext_next(&h->allocs, 0); n;
		     n = ext_next(&h->allocs, n->start + n->len)) {
			uint64_t g = TAG_GUARD(n->tag) ? h->page : 0;

			if (!TAG_SEAL(n->tag))
				munmap((void *)(n->start - g), n->len + 2 * g);
		}
	}
	ext_destroy(&h->free);
	ext_destroy(&h->allocs);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* The allocation at exactly @addr. */
static struct ext *find_alloc(struct mmr_high *h, const void *addr)
{
	struct ext *n = ext_find(&h->allocs, (uint64_t)addr);

	return n && n->start == (uint64_t)addr ? n : NULL;
}

/* Map [addr, addr + len) with @prot and, with @guard, a PROT_NONE page on
 * each side; all of it must be free by the bookkeeping. */
static int map_block(struct mmr_high *h, uint64_t addr, uint64_t len, int prot,
		     bool guard)
{
	uint64_t g = guard ? h->page : 0;
	int err;

	err = map_owned(h, addr, len, prot);
	if (!err && g && !h->placeholder) {
		/* With a placeholder the guards are already PROT_NONE. */
		err = map_owned(h, addr - g, g, PROT_NONE);
		if (!err) {
			err = map_owned(h, addr + len, g, PROT_NONE);
			if (err)
				munmap((void *)(addr - g), g);
		}
		if (err)
			munmap((void *)addr, len);
	}
	return err;
}

MMR_EXPORT void *mmr_high_alloc(struct mmr_high *h, size_t len, int prot,
				unsigned int flags)
{
	uint64_t total, base, addr, g;
	int err;

	if (!h || !len || (flags & ~(MMR_HIGH_GUARD | MMR_HIGH_SEAL)) ||
	    (prot & ~0xff)) {
		errno = EINVAL;
		return NULL;
	}
	len = mmr_align_up(len, h->page);
	g = (flags & MMR_HIGH_GUARD) ? h->page : 0;
	total = len + 2 * g;
	if (!len || total < len) {
		errno = ENOMEM;
		return NULL;
	}

	pthread_mutex_lock(&h->lock);
	err = ext_fit(&h->free, total, h->page, &base);
	if (err)
		goto out;
	addr = base + g;
	err = map_block(h, addr, len, prot, g);
	if (err)
		goto out;
	err = ext_insert(&h->allocs, addr, len, TAG(prot, flags));
	if (!err)
		err = ext_take(&h->free, base, total, true);
	/* Guards and all: nothing may replace them either. */
	if (!err && (flags & MMR_HIGH_SEAL)) {
		err = mmr_seal(base, total);
		if (err == -ENOSYS)
			err = -EOPNOTSUPP;
		if (err)
			ext_give(&h->free, base, total);
	}
	if (err) {
		ext_erase(&h->allocs, addr);
		unmap_owned(h, base, total);
	}
out:
	pthread_mutex_unlock(&h->lock);
	if (err) {
		errno = -err;
		return NULL;
	}
	return (void *)addr;
}

MMR_EXPORT int mmr_high_free(struct mmr_high *h, void *addr)
{
	uint64_t base, total, g;
	struct ext *n;
	int err = 0;

	if (!h)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	n = find_alloc(h, addr);
	if (!n || TAG_SEAL(n->tag)) {
		err = n ? -EPERM : -EINVAL;
		goto out;
	}
	g = TAG_GUARD(n->tag) ? h->page : 0;
	base = n->start - g;
	total = n->len + 2 * g;
	err = ext_give(&h->free, base, total);
	if (err)
		goto out;
	ext_erase(&h->allocs, n->start);
	unmap_owned(h, base, total);
out:
	pthread_mutex_unlock(&h->lock);
	return err;
}

MMR_EXPORT size_t mmr_high_size(struct mmr_high *h, const void *addr)
{
	struct ext *n;
	size_t len;

	if (!h)
		return 0;
	pthread_mutex_lock(&h->lock);
	n = find_alloc(h, addr);
	len = n ? n->len : 0;
	pthread_mutex_unlock(&h->lock);
	return len;
}

/* Shrink @n to @len in place; the tail goes back to the region. */
static int shrink(struct mmr_high *h, struct ext *n, uint64_t len)
{
	uint64_t g = TAG_GUARD(n->tag) ? h->page : 0;
	uint64_t end = n->start + len;
	int err;

	err = ext_give(&h->free, end + g, n->len - len);
	if (err)
		return err;
	/* [end, end + g) becomes the new guard, the rest is released. */
	if (g)
		err = mmr_map_anon(end, g, PROT_NONE, MAP_FIXED);
	unmap_owned(h, end + g, n->len - len);
	n->len = len;
	return err;
}

/*
 * Grow @n to @len in place if the space behind it is free.  mremap() grows
 * the mapping itself: a second mmap() next to it would stay a separate
 * mapping after a move (its page offset does not follow on), and a later
 * mremap() of the whole allocation would fail.
 */
static int grow_in_place(struct mmr_high *h, struct ext *n, uint64_t len)
{
	uint64_t g = TAG_GUARD(n->tag) ? h->page : 0;
	uint64_t end = n->start + n->len, extra = len - n->len;
	int err;

	if (!ext_covers(&h->free, end + g, extra))
		return -ENOMEM;
	err = ext_take(&h->free, end + g, extra, true);
	if (err)
		return err;
	/* The old guard and what follows it make way. */
	munmap((void *)end, extra);
	if (mremap((void *)n->start, n->len, len, 0) == MAP_FAILED) {
		err = mmr_neg_errno(errno);
		if (h->placeholder)
			mmr_placeholder(end, extra, MAP_FIXED);
		else if (g)
			map_owned(h, end, g, PROT_NONE);
		ext_give(&h->free, end + g, extra);
		return err;
	}
	/* The new guard: still placeholder, or mapped now. */
	if (g && !h->placeholder)
		map_owned(h, end + extra, g, PROT_NONE);
	n->len = len;
	return 0;
}

/* Move @n to a new place of @len bytes with mremap(). */
static void *move(struct mmr_high *h, struct ext *n, uint64_t len)
{
	uint64_t g = TAG_GUARD(n->tag) ? h->page : 0;
	uint64_t old = n->start, old_len = n->len, base, addr;
	uint32_t tag = n->tag;
	void *p;
	int err;

	err = ext_fit(&h->free, len + 2 * g, h->page, &base);
	if (err)
		goto fail;
	addr = base + g;
	/* Guards first: mremap() then lands between them. */
	err = map_block(h, addr, len, PROT_NONE, g);
	if (err)
		goto fail;
	p = mremap((void *)old, old_len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)addr);
	if (p == MAP_FAILED) {
		err = mmr_neg_errno(errno);
		unmap_owned(h, base, len + 2 * g);
		goto fail;
	}
	ext_take(&h->free, base, len + 2 * g, true);
	ext_erase(&h->allocs, old);
	ext_insert(&h->allocs, addr, len, tag);
	ext_give(&h->free, old - g, old_len + 2 * g);
	unmap_owned(h, old - g, old_len + 2 * g);
	return (void *)addr;
fail:
	errno = -err;
	return NULL;
}

MMR_EXPORT void *mmr_high_resize(struct mmr_high *h, void *addr,
				 size_t new_len)
{
	uint64_t len;
	struct ext *n;
	void *ret = addr;
	int err = 0;

	if (!h || !new_len) {
		errno = EINVAL;
		return NULL;
	}
	len = mmr_align_up(new_len, h->page);
	if (len < new_len) {		/* it wraps */
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&h->lock);
	n = find_alloc(h, addr);
	if (!n)
		err = -EINVAL;
	else if (TAG_SEAL(n->tag))
		err = -EPERM;
	else if (len < n->len)
		err = shrink(h, n, len);
	else if (len > n->len && grow_in_place(h, n, len))
		ret = move(h, n, len);
	pthread_mutex_unlock(&h->lock);
	if (err) {
		errno = -err;
		return NULL;
	}
	return ret;
}
