// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * System V shared memory for the guest: shmat() inside the window in every
 * mode, and a shmdt() that knows the size of what it detaches from the
 * record (the kernel's shmdt takes none, so a translator's fallback could
 * not otherwise put its placeholder back).
 */
#include <errno.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "compat.h"
#include "guest.h"
#include "internal.h"

#ifndef SHM_EXEC
#define SHM_EXEC	0100000
#endif

static int attach(struct mmr_guest *g, int shmid, uint64_t a, uint64_t size,
		  int shmflg, uint64_t *addr)
{
	void *p;
	long ret;
	int err;

	switch (g->mode) {
#ifdef MMR_HAVE_COMPAT
	case MMR_MODE_COMPAT:
		ret = mmr_compat_syscall(MMR_NR_shmat, shmid, (long)a, shmflg,
					 0, 0, 0);
		if (ret < 0 && ret >= -4095)
			return (int)ret;
		*addr = (uint64_t)ret;
		/* At an address of the caller's, the kernel may place it out. */
		if (!mmr_inside(g, *addr, size)) {
			shmdt((void *)ret);
			return -EINVAL;
		}
		return 0;
#endif
	case MMR_MODE_FALLBACK:
		/* Over the placeholder: it must be all free unless remapping. */
		if (!a && ext_fit(&g->free, size, g->page, &a))
			return -ENOMEM;
		if (!(shmflg & SHM_REMAP) && !ext_covers(&g->free, a, size))
			return -EINVAL;
		p = shmat(shmid, (void *)a, shmflg | SHM_REMAP);
		if (p == (void *)-1) {
			err = mmr_neg_errno(errno);
			if (ext_covers(&g->free, a, size))
				mmr_placeholder(a, size, MAP_FIXED);
			return err;
		}
		ext_take(&g->free, a, size, false);
		*addr = a;
		return 0;
	default:
		p = shmat(shmid, (void *)a, shmflg);
		if (p == (void *)-1)
			return mmr_neg_errno(errno);
		*addr = (uint64_t)p;
		/* Outside: a gap opened since the last refill took it. */
		if (g->mode == MMR_MODE_OUTSIDE && !a &&
		    !mmr_inside(g, *addr, size)) {
			shmdt(p);
			err = mmr_outside_refill(g);
			if (err)
				return err;
			p = shmat(shmid, NULL, shmflg);
			if (p == (void *)-1)
				return mmr_neg_errno(errno);
			*addr = (uint64_t)p;
		}
		if (!mmr_inside(g, *addr, size)) {
			shmdt(p);
			return -ENOMEM;
		}
		return 0;
	}
}

MMR_EXPORT void *mmr_guest_shmat(struct mmr_guest *g, int shmid,
				 const void *addr, int shmflg)
{
	struct mmr_rec r = { .flags = MAP_SHARED, .kind = MMR_KIND_SHM,
			     .shmid = shmid };
	uint64_t a = (uint64_t)addr, at = 0;
	struct shmid_ds ds;
	int err;

	if (!g || shmid < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (shmctl(shmid, IPC_STAT, &ds))
		return NULL;
	r.shm_size = mmr_align_up(ds.shm_segsz, g->page);
	if (a && (shmflg & SHM_RND))
		a &= ~(g->page - 1);
	if (a && (!mmr_aligned(a, g->page) || !mmr_inside(g, a, r.shm_size))) {
		errno = EINVAL;
		return NULL;
	}
	r.prot = PROT_READ | ((shmflg & SHM_RDONLY) ? 0 : PROT_WRITE) |
		 ((shmflg & SHM_EXEC) ? PROT_EXEC : 0);
	pthread_rwlock_wrlock(&g->lock);
	err = attach(g, shmid, a, r.shm_size, shmflg, &at);
	if (!err) {
		err = mmr_reg_set(g, at, r.shm_size, &r);
		if (err) {
			/* Without its record shmdt could not undo it. */
			shmdt((void *)at);
			if (g->mode == MMR_MODE_FALLBACK &&
			    !mmr_placeholder(at, r.shm_size, MAP_FIXED))
				ext_give(&g->free, at, r.shm_size);
		}
	}
	pthread_rwlock_unlock(&g->lock);
	if (err) {
		errno = -err;
		return NULL;
	}
	return (void *)at;
}

MMR_EXPORT int mmr_guest_shmdt(struct mmr_guest *g, const void *addr)
{
	uint64_t a = (uint64_t)addr;
	struct mmr_rec r;
	int err;

	if (!g || !mmr_inside(g, a, 0))
		return -EINVAL;
	/* Only with the kernel's window: nothing to give back. */
	if (g->no_record)
		return shmdt(addr) ? mmr_neg_errno(errno) : 0;
	pthread_rwlock_wrlock(&g->lock);
	err = mmr_reg_shm(g, a, &r);
	if (!err && shmdt(addr))
		err = mmr_neg_errno(errno);
	if (!err)
		err = mmr_reg_shm_detach(g, a, r.shm_size,
					 mmr_fallback_give_back);
	pthread_rwlock_unlock(&g->lock);
	return err;
}
