/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Shared by the libmmrange tests.  They run on the build host (any kernel:
 * there they exercise the fallback and the allocators, under ASan and
 * UBSan) and inside the patched guests, where MMRANGE_EXPECT_KERNEL=1 says
 * that the kernel window must be there.
 *
 * The addresses avoid what AddressSanitizer maps on x86_64 (its shadow
 * covers 2 GiB to 16 TiB): the guest window is [16 MiB, 1 GiB) and high
 * regions start at 32 TiB.
 */
#ifndef LIBMMRANGE_TEST_H
#define LIBMMRANGE_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmrange.h"
#include "kselftest_harness.h"

#define SZ_64K		(64ULL << 10)
#define SZ_1M		(1ULL << 20)
#define SZ_2M		(2ULL << 20)
#define SZ_16M		(16ULL << 20)
#define SZ_1G		(1ULL << 30)

#define WIN_START	SZ_16M
#define WIN_END		SZ_1G
#define HIGH_START	(32ULL << 40)

static inline uint64_t page(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Inside the patched guest the kernel window must exist. */
static inline bool expect_kernel(void)
{
	const char *e = getenv("MMRANGE_EXPECT_KERNEL");

	return e && !strcmp(e, "1");
}

/*
 * The guest boots that turn the compat entry off (ia32_emulation=false,
 * aarch32_svc=0) say so with MMRANGE_EXPECT_COMPAT=0.
 */
static inline bool expect_compat_off(void)
{
	const char *e = getenv("MMRANGE_EXPECT_COMPAT");

	return e && !strcmp(e, "0");
}

static inline bool have_kernel_window(void)
{
	return mmr_features() & MMR_FEAT_WINDOW;
}

static inline bool inside(uint64_t addr, uint64_t len, uint64_t start,
			  uint64_t end)
{
	return addr >= start && addr <= end && len <= end - addr;
}

/* The protection string ("rw-p", "---p") of the mapping holding @addr. */
static inline int maps_prot(uint64_t addr, char prot[5])
{
	unsigned long lo, hi;
	char line[512], p[5];
	FILE *f = fopen("/proc/self/maps", "re");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) != 3)
			continue;
		if (addr >= lo && addr < hi) {
			memcpy(prot, p, 5);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static inline void *stack_of_thread(void *arg)
{
	int local;

	*(uint64_t *)arg = (uint64_t)(uintptr_t)&local;
	return NULL;
}

/* An address on the stack of a new thread, or 0. */
static inline uint64_t a_thread_stack(void)
{
	uint64_t stack = 0;
	pthread_t t;

	if (pthread_create(&t, NULL, stack_of_thread, &stack) ||
	    pthread_join(t, NULL))
		return 0;
	return stack;
}

#define ASSERT_INSIDE(_a, _l, _s, _e) do {					\
	uint64_t __a = (uint64_t)(uintptr_t)(_a), __l = (_l);			\
	if (!inside(__a, __l, (_s), (_e)))					\
		TH_LOG("[%#llx, +%#llx) is not inside [%#llx, %#llx)",		\
		       (unsigned long long)__a, (unsigned long long)__l,	\
		       (unsigned long long)(_s), (unsigned long long)(_e));	\
	ASSERT_TRUE(inside(__a, __l, (_s), (_e)));				\
} while (0)

/* Evaluates @_p once: it is often the call under test. */
#define ASSERT_PTR(_p) do {							\
	const void *__p = (_p);							\
	if (!__p)								\
		TH_LOG("%s: %s", #_p, mmr_strerror(errno));			\
	ASSERT_NE(NULL, __p);							\
} while (0)

#endif /* LIBMMRANGE_TEST_H */
