// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Disjoint address ranges in a treap (see extent.h).  Split and merge are
 * the only restructuring operations; every other one is built from them.
 */
#include <errno.h>
#include <stdlib.h>

#include "extent.h"

static uint64_t max_len(const struct ext *n)
{
	return n ? n->max : 0;
}

static void update(struct ext *n)
{
	n->max = n->len;
	if (max_len(n->l) > n->max)
		n->max = max_len(n->l);
	if (max_len(n->r) > n->max)
		n->max = max_len(n->r);
}

/* @t into the ranges starting below @key (*a) and the others (*b). */
static void split(struct ext *t, uint64_t key, struct ext **a, struct ext **b)
{
	if (!t) {
		*a = *b = NULL;
		return;
	}
	if (t->start < key) {
		split(t->r, key, &t->r, b);
		*a = t;
	} else {
		split(t->l, key, a, &t->l);
		*b = t;
	}
	update(t);
}

/* Every range of @a lies below every range of @b. */
static struct ext *merge(struct ext *a, struct ext *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->r = merge(a->r, b);
		update(a);
		return a;
	}
	b->l = merge(a, b->l);
	update(b);
	return b;
}

static void free_tree(struct ext *t)
{
	if (!t)
		return;
	free_tree(t->l);
	free_tree(t->r);
	free(t);
}

static uint32_t next_prio(struct ext_set *set)
{
	uint64_t x = set->seed;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	set->seed = x;
	return (uint32_t)(x >> 32);
}

static struct ext *new_node(struct ext_set *set, uint64_t start, uint64_t len,
			    uint32_t tag)
{
	struct ext *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->start = start;
	n->len = len;
	n->max = len;
	n->tag = tag;
	n->prio = next_prio(set);
	return n;
}

/* Detach the highest range of *@t and return it. */
static struct ext *pop_last(struct ext **t)
{
	struct ext *last = *t, *rest;

	if (!last)
		return NULL;
	while (last->r)
		last = last->r;
	split(*t, last->start, &rest, &last);
	*t = rest;
	return last;
}

static struct ext *last_of(struct ext *t)
{
	while (t && t->r)
		t = t->r;
	return t;
}

void ext_init(struct ext_set *set, uint64_t seed, uint64_t gran)
{
	set->root = NULL;
	set->seed = seed | 1;
	set->gran = gran;
}

void ext_destroy(struct ext_set *set)
{
	free_tree(set->root);
	set->root = NULL;
}

struct ext *ext_find(const struct ext_set *set, uint64_t addr)
{
	struct ext *t = set->root;

	while (t) {
		if (addr < t->start)
			t = t->l;
		else if (addr - t->start >= t->len)
			t = t->r;
		else
			return t;
	}
	return NULL;
}

bool ext_covers(const struct ext_set *set, uint64_t start, uint64_t len)
{
	const struct ext *n = ext_find(set, start);

	return n && len <= n->len - (start - n->start);
}

struct ext *ext_next(const struct ext_set *set, uint64_t addr)
{
	struct ext *t = set->root, *best = NULL;

	/* Ranges are disjoint: their ends ascend with their starts. */
	while (t) {
		if (t->start + t->len > addr) {
			best = t;
			t = t->l;
		} else {
			t = t->r;
		}
	}
	return best;
}

int ext_insert_as(struct ext_set *set, uint64_t start, uint64_t len,
		  const struct ext *from)
{
	struct ext *n = new_node(set, start, len, from ? from->tag : 0), *a, *b;

	if (!n)
		return -ENOMEM;
	if (from) {
		n->off = from->off;
		n->aux = from->aux;
	}
	split(set->root, start, &a, &b);
	set->root = merge(merge(a, n), b);
	return 0;
}

int ext_insert(struct ext_set *set, uint64_t start, uint64_t len, uint32_t tag)
{
	struct ext from = { .tag = tag };

	return ext_insert_as(set, start, len, &from);
}

/* @piece takes @from's data, for the part of it that starts at @start. */
static void keep_data(struct ext *piece, const struct ext *from,
		      uint64_t start)
{
	piece->tag = from->tag;
	piece->off = from->off + (start - from->start);
	piece->aux = from->aux;
}

bool ext_erase(struct ext_set *set, uint64_t start)
{
	struct ext *a, *b, *m, *c;

	split(set->root, start, &a, &b);
	split(b, start + 1, &m, &c);
	set->root = merge(a, c);
	free(m);	/* starts are unique: at most one node */
	return m != NULL;
}

int ext_give(struct ext_set *set, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	struct ext *a, *b, *m, *c, *prev, *last, *n;

	n = new_node(set, start, len, 0);
	if (!n)
		return -ENOMEM;
	split(set->root, start, &a, &b);
	/* The range below may reach or touch @start. */
	prev = last_of(a);
	if (prev && prev->start + prev->len >= start) {
		prev = pop_last(&a);
		if (prev->start + prev->len > end)
			end = prev->start + prev->len;
		n->start = prev->start;
		free(prev);
	}
	/* Ranges starting inside [start, end] are absorbed. */
	split(b, end + 1, &m, &c);
	last = last_of(m);
	if (last && last->start + last->len > end)
		end = last->start + last->len;
	free_tree(m);
	n->len = end - n->start;
	n->max = n->len;
	set->root = merge(merge(a, n), c);
	return 0;
}

int ext_take(struct ext_set *set, uint64_t start, uint64_t len, bool whole)
{
	uint64_t end = start + len, lo = start, hi = 0;
	struct ext *a, *b, *m, *c, *prev, *last, *left = NULL, *right = NULL;

	if (whole && !ext_covers(set, start, len))
		return -EEXIST;
	/* Allocate the pieces first: failing later would lose ranges. */
	left = new_node(set, 0, 0, 0);
	right = new_node(set, 0, 0, 0);
	if (!left || !right) {
		free(left);
		free(right);
		return -ENOMEM;
	}

	split(set->root, start, &a, &b);
	prev = last_of(a);
	if (prev && prev->start + prev->len > start) {
		prev = pop_last(&a);
		lo = prev->start;
		hi = prev->start + prev->len;
		keep_data(left, prev, lo);
		keep_data(right, prev, end);
		free(prev);
	}
	split(b, end, &m, &c);
	last = last_of(m);
	if (last && last->start + last->len > hi) {
		hi = last->start + last->len;
		keep_data(right, last, end);
	}
	free_tree(m);

	if (lo < start) {
		left->start = lo;
		left->len = start - lo;
		left->max = left->len;
		a = merge(a, left);
		left = NULL;
	}
	if (hi > end) {
		right->start = end;
		right->len = hi - end;
		right->max = right->len;
		c = merge(right, c);
		right = NULL;
	}
	free(left);
	free(right);
	set->root = merge(a, c);
	return 0;
}

static void visit(const struct ext *t,
		  void (*fn)(uint64_t start, uint64_t len, void *arg), void *arg)
{
	if (!t)
		return;
	visit(t->l, fn, arg);
	fn(t->start, t->len, arg);
	visit(t->r, fn, arg);
}

void ext_visit(const struct ext_set *set,
	       void (*fn)(uint64_t start, uint64_t len, void *arg), void *arg)
{
	visit(set->root, fn, arg);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static bool fits(const struct ext *n, uint64_t len, uint64_t align)
{
	uint64_t s = align_up(n->start, align);

	return s >= n->start && s - n->start <= n->len &&
	       len <= n->len - (s - n->start);
}

/* In-order search for the first exact fit, skipping subtrees too short. */
static const struct ext *fit_exact(const struct ext *t, uint64_t len,
				   uint64_t align)
{
	const struct ext *hit;

	if (!t || t->max < len)
		return NULL;
	hit = fit_exact(t->l, len, align);
	if (hit)
		return hit;
	if (fits(t, len, align))
		return t;
	return fit_exact(t->r, len, align);
}

int ext_fit(const struct ext_set *set, uint64_t len, uint64_t align,
	    uint64_t *start)
{
	/* A range this long holds the block wherever it starts. */
	uint64_t need = len + (align > set->gran ? align - set->gran : 0);
	const struct ext *t = set->root;

	if (need < len)
		return -ENOMEM;
	if (t && t->max >= need) {
		for (;;) {
			if (t->l && t->l->max >= need)
				t = t->l;
			else if (t->len >= need)
				break;
			else
				t = t->r;
		}
	} else {
		/* Only a tightly aligned fit can still exist. */
		t = fit_exact(set->root, len, align);
		if (!t)
			return -ENOMEM;
	}
	*start = align_up(t->start, align);
	return 0;
}
