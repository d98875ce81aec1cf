// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Guest memory inside the window, in one of three modes:
 *
 *  - kernel: PR_SET_MMAP_RANGE is set; guest mappings are plain mmap()
 *    calls and the kernel keeps them, and everything else it places, in the
 *    window;
 *  - compat: the window has PR_MMAP_RANGE_COMPAT; guest mappings are made
 *    as compat syscalls (mmap2, munmap, mremap) so that the kernel confines
 *    them while the translator's own 64-bit calls are not (and, with
 *    PR_MMAP_RANGE_EXCLUSIVE, are kept out of the window);
 *  - fallback: no kernel support (or MMR_GUEST_FALLBACK); see fallback.c,
 *    or outside.c with MMR_GUEST_RESERVE_OUTSIDE.
 *
 * Every call that changes the guest's mappings records what it did
 * (registry.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "compat.h"
#include "guest.h"
#include "internal.h"

#define FOUR_GIB	(4ULL << 30)

static void *result(long ret)
{
	if (ret < 0 && ret >= -4095) {
		errno = (int)-ret;
		return NULL;
	}
	return (void *)ret;
}

static int open_kernel(struct mmr_guest *g, unsigned int flags)
{
	unsigned int wflags = 0;
	int err;

	if (flags & MMR_GUEST_COMPAT) {
		/* Compat syscalls take 32-bit addresses. */
		if (g->end > FOUR_GIB)
			return -EINVAL;
		if (!mmr_compat_works())
			return -ENOSYS;
		wflags |= MMR_WINDOW_COMPAT;
		g->mode = MMR_MODE_COMPAT;
	} else {
		g->mode = MMR_MODE_KERNEL;
	}
	if (flags & MMR_GUEST_EXCLUSIVE) {
		wflags |= MMR_WINDOW_EXCLUSIVE;
		g->exclusive = true;
	}
	if (flags & MMR_GUEST_LOCK)
		wflags |= MMR_WINDOW_LOCK;
	err = mmr_window_set(g->start, g->end, wflags);
	/*
	 * Only a refusal needs the probes (children: they copy the address
	 * space): was it the flag, from a kernel before it, or the range?
	 */
	if (err == -EINVAL && g->exclusive &&
	    !(mmr_features() & MMR_FEAT_EXCLUSIVE_WINDOW))
		err = -EOPNOTSUPP;
	return err;
}

MMR_EXPORT int mmr_guest_open(struct mmr_guest **guest, uint64_t start,
			      uint64_t end, unsigned int flags)
{
	uint64_t page = mmr_page_size();
	struct mmr_window cur;
	struct mmr_guest *g;
	int err;

	if (!guest || start >= end || !mmr_aligned(start, page) ||
	    !mmr_aligned(end, page) ||
	    (flags & ~(MMR_GUEST_COMPAT | MMR_GUEST_LOCK | MMR_GUEST_FALLBACK |
		       MMR_GUEST_EXCLUSIVE | MMR_GUEST_RESERVE_OUTSIDE |
		       MMR_GUEST_NO_RECORD)) ||
	    ((flags & MMR_GUEST_EXCLUSIVE) && !(flags & MMR_GUEST_COMPAT)))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (pthread_rwlock_init(&g->lock, NULL)) {
		free(g);
		return -ENOMEM;
	}
	g->start = start;
	g->end = end;
	g->page = page;
	g->locked = flags & MMR_GUEST_LOCK;
	g->no_record = flags & MMR_GUEST_NO_RECORD;
	mmr_reg_init(g);
	if (!(flags & MMR_GUEST_FALLBACK) && !mmr_window_get(&cur))
		err = open_kernel(g, flags);
	else if (g->no_record)
		/* The fallbacks put placeholders back by the record. */
		err = -EOPNOTSUPP;
	else if (flags & MMR_GUEST_RESERVE_OUTSIDE)
		err = mmr_outside_open(g);
	else
		err = mmr_fallback_open(g);
	if (err) {
		pthread_rwlock_destroy(&g->lock);
		free(g);
		return err;
	}
	*guest = g;
	return 0;
}

MMR_EXPORT void mmr_guest_close(struct mmr_guest *g)
{
	if (!g)
		return;
	if (g->mode == MMR_MODE_FALLBACK)
		mmr_fallback_close(g);
	else if (g->mode == MMR_MODE_OUTSIDE)
		mmr_outside_close(g);
	else if (!g->locked)
		mmr_window_clear();
	mmr_reg_destroy(g);
	pthread_rwlock_destroy(&g->lock);
	free(g);
}

MMR_EXPORT unsigned int mmr_guest_confines(const struct mmr_guest *g)
{
	if (!g)
		return 0;
	switch (g->mode) {
	case MMR_MODE_KERNEL:
		return MMR_CONFINES_ALL;
	case MMR_MODE_COMPAT:
		/* Provided the guest's syscalls are made as compat ones. */
		return (MMR_CONFINES_ALL & ~MMR_CONFINES_MMAP) |
		       (g->exclusive ? MMR_CONFINES_NATIVE_OUTSIDE : 0);
	case MMR_MODE_OUTSIDE:
		/*
		 * The kernel has no free space but the window: whatever it
		 * places goes there, the translator's own mappings too.
		 */
		return MMR_CONFINES_ALL;
	default:
		/* The placeholders hold every free page of the window. */
		return MMR_CONFINES_GUEST_MMAP | MMR_CONFINES_NATIVE_OUTSIDE;
	}
}

MMR_EXPORT const char *mmr_confines_name(unsigned int bit)
{
	switch (bit) {
	case MMR_CONFINES_GUEST_MMAP:
		return "guest mmap";
	case MMR_CONFINES_MMAP:
		return "mmap";
	case MMR_CONFINES_SHMAT:
		return "shmat";
	case MMR_CONFINES_IO_SETUP:
		return "io_setup";
	case MMR_CONFINES_IO_URING:
		return "io_uring";
	case MMR_CONFINES_DRIVER:
		return "driver mmap";
	case MMR_CONFINES_ALIGNED:
		return "alignment";
	case MMR_CONFINES_NATIVE_OUTSIDE:
		return "native placements outside";
	}
	return NULL;
}

/* The calls of each mode, without the bookkeeping; g->lock is held. */
static void *do_mmap(struct mmr_guest *g, uint64_t a, size_t len, int prot,
		     int flags, int fd, off_t offset)
{
	void *p;

	switch (g->mode) {
	case MMR_MODE_KERNEL:
		p = mmap((void *)a, len, prot, flags, fd, offset);
		return p == MAP_FAILED ? NULL : p;
	case MMR_MODE_OUTSIDE:
		return mmr_outside_mmap(g, a, len, prot, flags, fd, offset);
#ifdef MMR_HAVE_COMPAT
	case MMR_MODE_COMPAT:
		/* mmap2 counts the offset in 4096-byte units. */
		if ((offset & 4095) || len >= FOUR_GIB || a >= FOUR_GIB ||
		    (uint64_t)offset >> 12 >= FOUR_GIB) {
			errno = EINVAL;
			return NULL;
		}
		return result(mmr_compat_syscall(MMR_NR_mmap2, (long)a,
						 (long)len, prot, flags, fd,
						 (long)(offset >> 12)));
#endif
	default:
		return mmr_fallback_mmap(g, a, len, prot, flags, fd, offset);
	}
}

static int do_munmap(struct mmr_guest *g, uint64_t a, uint64_t len)
{
	switch (g->mode) {
	case MMR_MODE_KERNEL:
	case MMR_MODE_OUTSIDE:
		return munmap((void *)a, len) ? mmr_neg_errno(errno) : 0;
#ifdef MMR_HAVE_COMPAT
	case MMR_MODE_COMPAT:
		return (int)mmr_compat_syscall(MMR_NR_munmap, (long)a,
					       (long)len, 0, 0, 0, 0);
#endif
	default:
		return mmr_fallback_munmap(g, a, len);
	}
}

static void *do_mremap(struct mmr_guest *g, uint64_t a, size_t old_len,
		       size_t new_len, int flags, uint64_t to)
{
	void *p;

	switch (g->mode) {
	case MMR_MODE_KERNEL:
		p = mremap((void *)a, old_len, new_len, flags, (void *)to);
		return p == MAP_FAILED ? NULL : p;
	case MMR_MODE_OUTSIDE:
		return mmr_outside_mremap(g, a, old_len, new_len, flags, to);
#ifdef MMR_HAVE_COMPAT
	case MMR_MODE_COMPAT:
		if (new_len >= FOUR_GIB) {
			errno = ENOMEM;
			return NULL;
		}
		return result(mmr_compat_syscall(MMR_NR_mremap, (long)a,
						 (long)old_len, (long)new_len,
						 flags, (long)to, 0));
#endif
	default:
		return mmr_fallback_mremap(g, a, mmr_align_up(old_len, g->page),
					   mmr_align_up(new_len, g->page),
					   flags, to);
	}
}

MMR_EXPORT void *mmr_guest_mmap(struct mmr_guest *g, void *addr, size_t len,
				int prot, int flags, int fd, off_t offset)
{
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	struct mmr_rec r = { .prot = prot, .shmid = -1 };
	uint64_t a = (uint64_t)addr, size;
	void *p;

	size = g ? mmr_guest_len(g, len) : 0;
	if (!size || offset < 0 || (prot & ~0xff) ||
	    (fixed && !mmr_inside(g, a, size))) {
		errno = g && len && !size ? ENOMEM : EINVAL;
		return NULL;
	}
	r.flags = (flags & MAP_TYPE) == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED;
	r.kind = (flags & MAP_ANONYMOUS) ? MMR_KIND_ANON : MMR_KIND_FILE;
	r.off = (flags & MAP_ANONYMOUS) ? 0 : (uint64_t)offset;
	pthread_rwlock_wrlock(&g->lock);
	p = do_mmap(g, a, len, prot, flags, fd, offset);
	if (p) {
		int err = mmr_reg_set(g, (uint64_t)p, size, &r);

		if (err) {
			/* A mapping the record does not hold is not made. */
			if (!fixed)
				do_munmap(g, (uint64_t)p, size);
			p = NULL;
			errno = -err;
		}
	}
	pthread_rwlock_unlock(&g->lock);
	return p;
}

MMR_EXPORT int mmr_guest_munmap(struct mmr_guest *g, void *addr, size_t len)
{
	uint64_t a = (uint64_t)addr, size = g ? mmr_guest_len(g, len) : 0;
	int err;

	if (!size || !mmr_aligned(a, g->page) || !mmr_inside(g, a, size))
		return -EINVAL;
	pthread_rwlock_wrlock(&g->lock);
	err = do_munmap(g, a, size);
	if (!err)
		err = mmr_reg_clear(g, a, size);
	pthread_rwlock_unlock(&g->lock);
	return err;
}

MMR_EXPORT int mmr_guest_mprotect(struct mmr_guest *g, void *addr, size_t len,
				  int prot)
{
	uint64_t a = (uint64_t)addr, size = g ? mmr_guest_len(g, len) : 0;
	int err;

	if (g && len && !size)
		return -ENOMEM;		/* as mprotect(2): it wraps */
	if (!size || !mmr_aligned(a, g->page) || (prot & ~0xff) ||
	    !mmr_inside(g, a, size))
		return -EINVAL;
	pthread_rwlock_wrlock(&g->lock);
	/* A placeholder is no mapping: it must not become accessible. */
	if (g->mode == MMR_MODE_FALLBACK && mmr_fallback_any_free(g, a, size)) {
		err = -ENOMEM;
	} else if (mprotect(addr, size, prot)) {
		err = mmr_neg_errno(errno);
		/* The mappings before the one it failed on did change. */
		mmr_reg_sync_prot(g, a, size);
	} else {
		err = mmr_reg_protect(g, a, size, prot);
	}
	pthread_rwlock_unlock(&g->lock);
	return err;
}

static void *remap(struct mmr_guest *g, void *old_addr, size_t old_len,
		   size_t new_len, int flags, uint64_t to)
{
	uint64_t a = (uint64_t)old_addr, osize, nsize;
	void *p;
	int err;

	osize = g ? mmr_guest_len(g, old_len) : 0;
	nsize = g ? mmr_guest_len(g, new_len) : 0;
	if (!osize || !nsize ||
	    (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) ||
	    ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) &&
	     !(flags & MREMAP_MAYMOVE)) ||
	    ((flags & MREMAP_DONTUNMAP) && old_len != new_len) ||
	    !mmr_aligned(a, g->page) || !mmr_inside(g, a, osize) ||
	    ((flags & MREMAP_FIXED) &&
	     (!mmr_aligned(to, g->page) || !mmr_inside(g, to, nsize)))) {
		errno = EINVAL;
		return NULL;
	}
	pthread_rwlock_wrlock(&g->lock);
	/* Free space is no mapping: mremap(2) of it is EFAULT. */
	if (g->mode == MMR_MODE_FALLBACK && mmr_fallback_any_free(g, a, osize)) {
		errno = EFAULT;
		p = NULL;
	} else {
		p = do_mremap(g, a, old_len, new_len, flags, to);
	}
	if (p) {
		/* The move is made: a record short of memory misses it. */
		err = mmr_reg_remap(g, a, osize, (uint64_t)p, nsize,
				    flags & MREMAP_DONTUNMAP);
		if (err)
			mmr_reg_clear(g, (uint64_t)p, nsize);
	} else if (flags & MREMAP_FIXED) {
		/* Some kernels unmap the target before they fail. */
		err = errno;
		mmr_reg_prune(g, to, nsize, mmr_fallback_give_back);
		errno = err;
	}
	pthread_rwlock_unlock(&g->lock);
	return p;
}

MMR_EXPORT void *mmr_guest_mremap(struct mmr_guest *g, void *old_addr,
				  size_t old_len, size_t new_len, int flags)
{
	if (flags & MREMAP_FIXED) {
		errno = EINVAL;		/* the new address: mmr_guest_mremap_to() */
		return NULL;
	}
	return remap(g, old_addr, old_len, new_len, flags, 0);
}

MMR_EXPORT void *mmr_guest_mremap_to(struct mmr_guest *g, void *old_addr,
				     size_t old_len, size_t new_len, int flags,
				     void *new_addr)
{
	return remap(g, old_addr, old_len, new_len, flags,
		     (uint64_t)new_addr);
}

MMR_EXPORT int mmr_guest_refill(struct mmr_guest *g)
{
	int err;

	if (!g)
		return -EINVAL;
	if (g->mode != MMR_MODE_OUTSIDE)
		return 0;
	pthread_rwlock_wrlock(&g->lock);
	err = mmr_outside_refill(g);
	pthread_rwlock_unlock(&g->lock);
	return err;
}
