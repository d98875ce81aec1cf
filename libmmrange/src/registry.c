// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The record of a guest's mappings, as the library made them: one extent
 * set (extent.h) whose ranges never merge and never overlap, split the way
 * the kernel splits VMAs when a call covers part of one.  Every lookup and
 * every change is O(log n) in the number of mappings, plus the pieces a
 * call covers.
 *
 * A translator answers /proc/self/maps, shmdt() and its access checks from
 * it, instead of keeping a second record by hand.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest.h"
#include "internal.h"

/* struct ext of a mapping: tag = prot | kind << 8 | shared << 12. */
#define TAG(r)		((uint32_t)((r)->prot & 0xff) | ((r)->kind & 0xf) << 8 | \
			 (uint32_t)((r)->flags == MAP_SHARED) << 12)
#define TAG_PROT(t)	((int)((t) & 0xff))
#define TAG_KIND(t)	(((t) >> 8) & 0xf)
#define TAG_SHARED(t)	(((t) >> 12) & 1)
/* aux = the segment's id | its size in pages << 32. */
#define AUX(r, page)	((uint64_t)(uint32_t)(r)->shmid | ((r)->shm_size / (page)) << 32)

static void to_rec(const struct mmr_guest *g, const struct ext *n,
		   struct mmr_rec *r)
{
	r->prot = TAG_PROT(n->tag);
	r->flags = TAG_SHARED(n->tag) ? MAP_SHARED : MAP_PRIVATE;
	r->kind = TAG_KIND(n->tag);
	r->off = n->off;
	r->shmid = r->kind == MMR_KIND_SHM ? (int)(uint32_t)n->aux : -1;
	r->shm_size = (n->aux >> 32) * g->page;
}

static void to_ext(const struct mmr_guest *g, const struct mmr_rec *r,
		   struct ext *n)
{
	n->tag = TAG(r);
	n->off = r->off;
	n->aux = r->kind == MMR_KIND_SHM ? AUX(r, g->page) : 0;
}

static void to_mapping(const struct mmr_guest *g, const struct ext *n,
		       struct mmr_mapping *m)
{
	struct mmr_rec r;

	to_rec(g, n, &r);
	m->start = n->start;
	m->end = n->start + n->len;
	m->prot = r.prot;
	m->flags = r.flags;
	m->kind = r.kind;
	m->shmid = r.shmid;
	m->offset = r.kind == MMR_KIND_FILE ? r.off : 0;
	m->attach = r.kind == MMR_KIND_SHM ? n->start - r.off : 0;
	m->reserved[0] = m->reserved[1] = 0;
}

void mmr_reg_init(struct mmr_guest *g)
{
	ext_init(&g->maps, mmr_seed(&g->maps), g->page);
}

void mmr_reg_destroy(struct mmr_guest *g)
{
	ext_destroy(&g->maps);
}

int mmr_reg_clear(struct mmr_guest *g, uint64_t start, uint64_t len)
{
	if (g->no_record)
		return 0;
	return ext_take(&g->maps, start, len, false);
}

int mmr_reg_set(struct mmr_guest *g, uint64_t start, uint64_t len,
		const struct mmr_rec *rec)
{
	struct ext n;
	int err;

	if (g->no_record)
		return 0;
	err = mmr_reg_clear(g, start, len);
	if (err)
		return err;
	to_ext(g, rec, &n);
	return ext_insert_as(&g->maps, start, len, &n);
}

/* The pieces of [start, end), copied out: the set changes under them. */
struct pieces {
	struct ext *v;
	size_t n;
};

static int collect(struct mmr_guest *g, uint64_t start, uint64_t end,
		   struct pieces *ps)
{
	const struct ext *n;
	size_t cap = 0;

	ps->v = NULL;
	ps->n = 0;
	for (n = ext_next(&g->maps, start); n && n->start < end;
	     n = ext_next(&g->maps, n->start + n->len)) {
		if (ps->n == cap) {
			void *v;

			cap = cap ? 2 * cap : 8;
			v = realloc(ps->v, cap * sizeof(*ps->v));
			if (!v) {
				free(ps->v);
				return -ENOMEM;
			}
			ps->v = v;
		}
		ps->v[ps->n++] = *n;
	}
	return 0;
}

/* Cut @p down to its part in [start, end); its offset follows its start. */
static void clip(struct ext *p, uint64_t start, uint64_t end)
{
	uint64_t lo = p->start > start ? p->start : start;
	uint64_t hi = p->start + p->len < end ? p->start + p->len : end;

	p->off += lo - p->start;
	p->start = lo;
	p->len = hi - lo;
}

int mmr_reg_protect(struct mmr_guest *g, uint64_t start, uint64_t len,
		    int prot)
{
	uint64_t end = start + len;
	struct pieces ps;
	size_t i;
	int err;

	if (!len || g->no_record)
		return 0;
	err = collect(g, start, end, &ps);
	if (err)
		return err;
	err = mmr_reg_clear(g, start, len);
	for (i = 0; !err && i < ps.n; i++) {
		struct ext *p = &ps.v[i];

		clip(p, start, end);
		p->tag = (p->tag & ~0xffU) | (uint32_t)(prot & 0xff);
		err = ext_insert_as(&g->maps, p->start, p->len, p);
	}
	free(ps.v);
	return err;
}

/*
 * mremap() moves every mapping in the old range (Linux 6.17 moves several,
 * holes included, when the size stays): each piece moves with its own
 * data, and a grow extends the last one.
 */
int mmr_reg_remap(struct mmr_guest *g, uint64_t old, uint64_t old_len,
		  uint64_t to, uint64_t new_len, bool dontunmap)
{
	uint64_t keep = old_len < new_len ? old_len : new_len;
	struct pieces ps;
	size_t i;
	int err;

	if (g->no_record)
		return 0;
	if (to == old && new_len <= old_len)	/* shrunk in place */
		return mmr_reg_clear(g, old + new_len, old_len - new_len);
	err = collect(g, old, old + keep, &ps);
	if (err)
		return err;
	if (!dontunmap || to == old)
		err = mmr_reg_clear(g, old, old_len);
	if (!err)
		err = mmr_reg_clear(g, to, new_len);
	for (i = 0; !err && i < ps.n; i++) {
		struct ext *p = &ps.v[i];

		clip(p, old, old + keep);
		/* The grown part is the last piece's, if it reached the end. */
		if (i == ps.n - 1 && p->start + p->len == old + keep &&
		    new_len > old_len)
			p->len += new_len - old_len;
		err = ext_insert_as(&g->maps, to + (p->start - old), p->len, p);
	}
	free(ps.v);
	return err;
}

/*
 * After a failed call that may have unmapped part of [start, start +
 * len) (mremap(MREMAP_FIXED) unmaps its target first on some kernels):
 * drop the pieces that are gone, and call @fn on each.
 */
int mmr_reg_prune(struct mmr_guest *g, uint64_t start, uint64_t len,
		  void (*fn)(struct mmr_guest *g, uint64_t start, uint64_t len))
{
	unsigned char vec[1];
	struct pieces ps;
	size_t i;
	int err;

	if (g->no_record)
		return 0;
	err = collect(g, start, start + len, &ps);
	for (i = 0; !err && i < ps.n; i++) {
		const struct ext *p = &ps.v[i];
		uint64_t pg;

		/* msync() fails with ENOMEM if any of the piece is unmapped. */
		if (!msync((void *)p->start, p->len, MS_ASYNC))
			continue;
		/* mincore() fails with ENOMEM on a page nothing maps. */
		for (pg = p->start; pg < p->start + p->len; pg += g->page) {
			if (!mincore((void *)pg, 1, vec) || errno != ENOMEM)
				continue;
			err = mmr_reg_clear(g, pg, g->page);
			if (fn)
				fn(g, pg, g->page);
		}
	}
	free(ps.v);
	return err;
}

/*
 * The first piece of the attachment at @attach, as the kernel's shmdt()
 * finds it: its first page may have been unmapped or replaced since.
 */
int mmr_reg_shm(struct mmr_guest *g, uint64_t attach, struct mmr_rec *rec)
{
	const struct ext *n;

	for (n = ext_next(&g->maps, attach); n && n->start < g->end;
	     n = ext_next(&g->maps, n->start + n->len)) {
		if (TAG_KIND(n->tag) == MMR_KIND_SHM &&
		    n->start - n->off == attach) {
			to_rec(g, n, rec);
			return 0;
		}
	}
	return -EINVAL;
}

int mmr_reg_shm_detach(struct mmr_guest *g, uint64_t attach, uint64_t size,
		       void (*fn)(struct mmr_guest *g, uint64_t start,
				  uint64_t len))
{
	struct pieces ps;
	size_t i;
	int err;

	err = collect(g, attach, attach + size, &ps);
	for (i = 0; !err && i < ps.n; i++) {
		const struct ext *p = &ps.v[i];

		/* As the kernel does: the pieces of this attachment only. */
		if (TAG_KIND(p->tag) != MMR_KIND_SHM ||
		    p->start - p->off != attach)
			continue;
		if (fn)
			fn(g, p->start, p->len);
		err = mmr_reg_clear(g, p->start, p->len);
	}
	free(ps.v);
	return err;
}

/* The record @find picks for @addr (ext_find: holding it; ext_next: next). */
static int answer(struct mmr_guest *g, uint64_t addr, struct mmr_mapping *m,
		  struct ext *(*find)(const struct ext_set *, uint64_t))
{
	const struct ext *n;
	int err = -ENOENT;

	if (!g || !m)
		return -EINVAL;
	if (g->no_record)
		return -EOPNOTSUPP;
	pthread_rwlock_rdlock(&g->lock);
	n = find(&g->maps, addr);
	if (n) {
		to_mapping(g, n, m);
		err = 0;
	}
	pthread_rwlock_unlock(&g->lock);
	return err;
}

MMR_EXPORT int mmr_guest_lookup(struct mmr_guest *g, uint64_t addr,
				struct mmr_mapping *m)
{
	return answer(g, addr, m, ext_find);
}

MMR_EXPORT int mmr_guest_next(struct mmr_guest *g, uint64_t addr,
			      struct mmr_mapping *m)
{
	return answer(g, addr, m, ext_next);
}

MMR_EXPORT int mmr_guest_access(struct mmr_guest *g, uint64_t addr,
				uint64_t len, int prot)
{
	uint64_t cur = addr, end = addr + len;
	const struct ext *n;
	int err = 0;

	if (!g || !len || end < addr)
		return -EINVAL;
	if (g->no_record)
		return -EOPNOTSUPP;
	pthread_rwlock_rdlock(&g->lock);
	while (!err && cur < end) {
		n = ext_find(&g->maps, cur);
		if (!n)
			err = -EFAULT;
		else if ((TAG_PROT(n->tag) & prot) != prot)
			err = -EACCES;
		else
			cur = n->start + n->len;
	}
	pthread_rwlock_unlock(&g->lock);
	return err;
}

/* A line of /proc/self/maps: its range, protection and sharing. */
struct maps_line {
	uint64_t lo, hi;
	int prot, flags;
};

/* Call @fn on each line that overlaps [start, end), lowest first. */
static int maps_visit(uint64_t start, uint64_t end,
		      int (*fn)(const struct maps_line *l, void *arg),
		      void *arg)
{
	unsigned long a, b;
	char line[512], p[5];
	FILE *f = fopen("/proc/self/maps", "re");
	int err = 0;

	if (!f)
		return mmr_neg_errno(errno);
	while (!err && fgets(line, sizeof(line), f)) {
		struct maps_line l;

		if (sscanf(line, "%lx-%lx %4s", &a, &b, p) != 3 || b <= start)
			continue;
		if (a >= end)
			break;
		l.lo = a;
		l.hi = b;
		l.prot = (p[0] == 'r' ? PROT_READ : 0) |
			 (p[1] == 'w' ? PROT_WRITE : 0) |
			 (p[2] == 'x' ? PROT_EXEC : 0);
		l.flags = p[3] == 's' ? MAP_SHARED : MAP_PRIVATE;
		err = fn(&l, arg);
	}
	fclose(f);
	return err;
}

struct sync_arg {
	struct mmr_guest *g;
	uint64_t start, end;
};

static int sync_line(const struct maps_line *l, void *arg)
{
	const struct sync_arg *s = arg;
	uint64_t lo = l->lo > s->start ? l->lo : s->start;
	uint64_t hi = l->hi < s->end ? l->hi : s->end;

	return mmr_reg_protect(s->g, lo, hi - lo, l->prot);
}

/*
 * After an mprotect() that failed part way (the kernel changes the
 * mappings in turn and stops at the first it cannot): take the protection
 * of [start, start + len) on record from the kernel.
 */
int mmr_reg_sync_prot(struct mmr_guest *g, uint64_t start, uint64_t len)
{
	struct sync_arg s = { g, start, start + len };

	if (g->no_record)
		return 0;
	return maps_visit(start, start + len, sync_line, &s);
}

static int first_line(const struct maps_line *l, void *arg)
{
	*(struct maps_line *)arg = *l;
	return 1;
}

MMR_EXPORT int mmr_guest_record(struct mmr_guest *g, uint64_t addr,
				uint64_t len, int prot, unsigned int kind)
{
	struct mmr_rec r = { .prot = prot, .kind = kind, .shmid = -1 };
	struct maps_line l = { .lo = addr };
	uint64_t size;
	int err = 0;

	if (!g || kind > MMR_KIND_RING || kind == MMR_KIND_SHM ||
	    !mmr_aligned(addr, g->page) || (prot & ~0xff))
		return -EINVAL;
	if (g->no_record)
		return -EOPNOTSUPP;
	r.flags = kind == MMR_KIND_RING ? MAP_SHARED : MAP_PRIVATE;
	size = mmr_guest_len(g, len);
	/* No length: the kernel's mapping at @addr, as it placed it. */
	if (!len) {
		err = maps_visit(addr, addr + 1, first_line, &l);
		if (err != 1)
			return err ? err : -ENOENT;
		if (l.lo != addr)
			return -EINVAL;
		size = l.hi - l.lo;
		r.prot = l.prot;
		r.flags = l.flags;
	}
	if (!size || !mmr_inside(g, addr, size))
		return -EINVAL;
	pthread_rwlock_wrlock(&g->lock);
	err = mmr_reg_set(g, addr, size, &r);
	/* The fallback's placeholder there is gone: not free any more. */
	if (!err && g->mode == MMR_MODE_FALLBACK)
		err = ext_take(&g->free, addr, size, false);
	pthread_rwlock_unlock(&g->lock);
	return err;
}

MMR_EXPORT int mmr_guest_forget(struct mmr_guest *g, uint64_t addr,
				uint64_t len)
{
	uint64_t size = g ? mmr_guest_len(g, len) : 0;
	int err;

	if (!size || !mmr_aligned(addr, g->page) ||
	    !mmr_inside(g, addr, size))
		return -EINVAL;
	if (g->no_record)
		return -EOPNOTSUPP;
	pthread_rwlock_wrlock(&g->lock);
	err = mmr_reg_clear(g, addr, size);
	pthread_rwlock_unlock(&g->lock);
	return err;
}
