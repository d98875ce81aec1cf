// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The extent set behind both allocators, against a reference bitmap. */
#include "libtest.h"
#include "extent.h"

#define G	4096ULL		/* granule of these tests */
#define SPAN	4096		/* granules in the model */

/* The model: one byte per granule of [0, SPAN * G), 1 = in the set. */
static unsigned char model[SPAN];

static void model_set(uint64_t start, uint64_t len, unsigned char v)
{
	uint64_t i;

	for (i = start / G; i < (start + len) / G; i++)
		model[i] = v;
}

static bool model_all(uint64_t start, uint64_t len, unsigned char v)
{
	uint64_t i;

	for (i = start / G; i < (start + len) / G; i++)
		if (model[i] != v)
			return false;
	return true;
}

/* The set equals the model, and no two ranges touch (they are merged). */
static void check(struct __test_metadata *_metadata, struct ext_set *s)
{
	uint64_t i;

	for (i = 0; i < SPAN; i++) {
		struct ext *n = ext_find(s, i * G);

		if ((n != NULL) != (model[i] != 0))
			TH_LOG("granule %llu: set %d, model %d",
			       (unsigned long long)i, n != NULL, model[i]);
		ASSERT_EQ(model[i] != 0, n != NULL);
		if (n) {
			ASSERT_EQ(NULL, ext_find(s, n->start - 1));
			ASSERT_EQ(NULL, ext_find(s, n->start + n->len));
		}
	}
}

TEST(give_merges_neighbours)
{
	struct ext_set s;

	ext_init(&s, 1, G);
	ASSERT_EQ(0, ext_give(&s, 0x10000, 0x1000));
	ASSERT_EQ(0, ext_give(&s, 0x12000, 0x1000));
	ASSERT_EQ(0, ext_give(&s, 0x11000, 0x1000));
	ASSERT_NE(NULL, ext_find(&s, 0x10000));
	ASSERT_EQ(0x10000ULL, ext_find(&s, 0x12fff)->start);
	ASSERT_EQ(0x3000ULL, ext_find(&s, 0x12fff)->len);
	/* Overlapping gives merge too. */
	ASSERT_EQ(0, ext_give(&s, 0xf000, 0x5000));
	ASSERT_EQ(0xf000ULL, ext_find(&s, 0x10000)->start);
	ASSERT_EQ(0x5000ULL, ext_find(&s, 0x10000)->len);
	ext_destroy(&s);
}

TEST(take_splits_and_whole_refuses_partial)
{
	struct ext_set s;

	ext_init(&s, 2, G);
	ASSERT_EQ(0, ext_give(&s, 0x10000, 0x10000));
	ASSERT_EQ(0, ext_take(&s, 0x14000, 0x2000, true));
	ASSERT_EQ(0x4000ULL, ext_find(&s, 0x10000)->len);
	ASSERT_EQ(0x16000ULL, ext_find(&s, 0x16000)->start);
	ASSERT_EQ(NULL, ext_find(&s, 0x15000));
	ASSERT_EQ(-EEXIST, ext_take(&s, 0x13000, 0x2000, true));
	ASSERT_NE(NULL, ext_find(&s, 0x13000));	/* unchanged */
	ASSERT_EQ(0, ext_take(&s, 0x13000, 0x4000, false));
	ASSERT_EQ(NULL, ext_find(&s, 0x13000));
	ASSERT_EQ(NULL, ext_find(&s, 0x16000));
	ASSERT_NE(NULL, ext_find(&s, 0x17000));
	ext_destroy(&s);
}

TEST(fit_is_lowest_first_and_aligned)
{
	struct ext_set s;
	uint64_t a;

	ext_init(&s, 3, G);
	ASSERT_EQ(0, ext_give(&s, 0x1000, 0x2000));
	ASSERT_EQ(0, ext_give(&s, 0x100000, 0x400000));
	ASSERT_EQ(0, ext_fit(&s, 0x1000, G, &a));
	ASSERT_EQ(0x1000ULL, a);
	ASSERT_EQ(0, ext_fit(&s, 0x3000, G, &a));
	ASSERT_EQ(0x100000ULL, a);
	ASSERT_EQ(0, ext_fit(&s, 0x200000, 0x200000, &a));
	ASSERT_EQ(0x200000ULL, a);
	ASSERT_EQ(-ENOMEM, ext_fit(&s, 0x400001, G, &a));
	/* A range exactly as long as the request, at an aligned start. */
	ext_destroy(&s);
	ext_init(&s, 4, G);
	ASSERT_EQ(0, ext_give(&s, 0x200000, 0x200000));
	ASSERT_EQ(0, ext_fit(&s, 0x200000, 0x200000, &a));
	ASSERT_EQ(0x200000ULL, a);
	ext_destroy(&s);
}

TEST(insert_find_erase)
{
	struct ext_set s;
	int i;

	ext_init(&s, 5, G);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, ext_insert(&s, (uint64_t)i * 3 * G, G, i));
	for (i = 0; i < 1000; i++) {
		struct ext *n = ext_find(&s, (uint64_t)i * 3 * G + 5);

		ASSERT_NE(NULL, n);
		ASSERT_EQ((uint32_t)i, n->tag);
		ASSERT_EQ(NULL, ext_find(&s, (uint64_t)i * 3 * G + G));
	}
	for (i = 0; i < 1000; i += 2)
		ASSERT_TRUE(ext_erase(&s, (uint64_t)i * 3 * G));
	ASSERT_FALSE(ext_erase(&s, 0));
	ASSERT_EQ(NULL, ext_find(&s, 0));
	ASSERT_NE(NULL, ext_find(&s, 3 * G));
	ext_destroy(&s);
}

/* 20000 random gives, takes and fits, each checked against the model. */
TEST(random_operations_match_model)
{
	struct ext_set s;
	unsigned int seed = 12345;
	int i;

	memset(model, 0, sizeof(model));
	ext_init(&s, 6, G);
	for (i = 0; i < 20000; i++) {
		uint64_t start = (uint64_t)(rand_r(&seed) % SPAN) * G;
		uint64_t len = (uint64_t)(1 + rand_r(&seed) % 64) * G;
		uint64_t a, align = G << (rand_r(&seed) % 4);
		int op = rand_r(&seed) % 3;

		if (start + len > SPAN * G)
			len = SPAN * G - start;
		if (!len)
			continue;
		if (op == 0) {
			ASSERT_EQ(0, ext_give(&s, start, len));
			model_set(start, len, 1);
		} else if (op == 1) {
			bool whole = rand_r(&seed) & 1;
			int want = whole && !model_all(start, len, 1) ? -EEXIST : 0;

			ASSERT_EQ(want, ext_take(&s, start, len, whole));
			if (!want)
				model_set(start, len, 0);
		} else if (!ext_fit(&s, len, align, &a)) {
			ASSERT_EQ(0ULL, a % align);
			ASSERT_TRUE(model_all(a, len, 1));
		} else {
			/* No aligned place of that length anywhere. */
			for (a = 0; a + len <= SPAN * G; a += align)
				ASSERT_FALSE(model_all(a, len, 1));
		}
		if (i % 500 == 0)
			check(_metadata, &s);
	}
	check(_metadata, &s);
	ext_destroy(&s);
}

TEST_HARNESS_MAIN
