/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the benchmark programs: a clock and a comparison for qsort(). */
#ifndef MMRANGE_BENCH_H
#define MMRANGE_BENCH_H

#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif /* MMRANGE_BENCH_H */
