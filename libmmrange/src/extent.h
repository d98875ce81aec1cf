/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Sets of disjoint address ranges in a treap keyed by start address, each
 * node also holding the longest range in its subtree.  That gives O(log n)
 * expected time for lookup, insertion, removal and first-fit search, and no
 * operation ever walks every range.
 *
 * The free space of a region is one such set; the allocations in it are
 * another, and a guest's mappings a third (there the ranges are never
 * merged, and carry the caller's data).
 */
#ifndef MMR_EXTENT_H
#define MMR_EXTENT_H

#include <stdbool.h>
#include <stdint.h>

struct ext {
	uint64_t start;
	uint64_t len;
	uint64_t max;		/* longest len in this subtree */
	uint32_t prio;
	uint32_t tag;		/* caller's data (allocation flags) */
	uint64_t off;		/* caller's data that moves with start */
	uint64_t aux;		/* caller's data */
	struct ext *l, *r;
};

struct ext_set {
	struct ext *root;
	uint64_t seed;		/* treap priorities: xorshift state */
	uint64_t gran;		/* every start and length is a multiple */
};

void ext_init(struct ext_set *set, uint64_t seed, uint64_t gran);
void ext_destroy(struct ext_set *set);

/* The range containing @addr, or NULL. */
struct ext *ext_find(const struct ext_set *set, uint64_t addr);

/* The lowest range that ends above @addr, or NULL. */
struct ext *ext_next(const struct ext_set *set, uint64_t addr);

/* Add [start, start + len), which must not overlap the set; no merging. */
int ext_insert(struct ext_set *set, uint64_t start, uint64_t len,
	       uint32_t tag);
/* The same, with the caller's data of @from (its tag, off and aux). */
int ext_insert_as(struct ext_set *set, uint64_t start, uint64_t len,
		  const struct ext *from);
/* Remove the range that starts exactly at @start; false if there is none. */
bool ext_erase(struct ext_set *set, uint64_t start);

/*
 * Free-space operations (ranges merged when they touch):
 *  - ext_give(): add [start, start + len), merging with whatever it
 *    overlaps or touches;
 *  - ext_take(): remove [start, start + len) from the set, splitting the
 *    ranges it cuts (the pieces keep their data; off grows by as much as
 *    start does); returns -EEXIST unless it was entirely in the set (then
 *    nothing changes) when @whole is true;
 *  - ext_fit(): the start of an @align-aligned block of @len bytes inside
 *    one range, the lowest-addressed range first, or -ENOMEM.
 */
int ext_give(struct ext_set *set, uint64_t start, uint64_t len);
int ext_take(struct ext_set *set, uint64_t start, uint64_t len, bool whole);
int ext_fit(const struct ext_set *set, uint64_t len, uint64_t align,
	    uint64_t *start);

/* Call @fn on every range, lowest first. */
void ext_visit(const struct ext_set *set,
	       void (*fn)(uint64_t start, uint64_t len, void *arg), void *arg);

/* Whether [start, start + len) lies entirely inside one range. */
bool ext_covers(const struct ext_set *set, uint64_t start, uint64_t len);

#endif /* MMR_EXTENT_H */
