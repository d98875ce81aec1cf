// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of a native getpid (svc #0 / syscall) and of the same call made
 * through the compat entry (svc #__ARM64_SVC_COMPAT_IMM / int $0x80), in
 * nanoseconds per call.  Each figure is the median of RUNS runs of ITERS
 * calls; min and max are printed too.  One line per figure:
 *
 *   bench native_getpid_ns min 123.4 median 125.0 max 130.2
 *   bench compat_getpid_ns min ...
 *   bench compat_over_native 1.234
 *
 * bench/run-syscall-entry boots the patched and the unpatched kernel with
 * this program and divides the native figures.  On a kernel without the
 * compat entry the compat figure is reported as "unavailable".
 *
 * usage: syscall_entry_bench [ITERS [RUNS]]
 * (defaults BENCH_ITERS and BENCH_RUNS, which the build may set)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../selftests/mmrange/compat_syscall.h"
#include "bench.h"

#define MAX_RUNS	64

#ifndef BENCH_ITERS
#define BENCH_ITERS	200000
#endif
#ifndef BENCH_RUNS
#define BENCH_RUNS	11
#endif

/* getpid without the C library in the way, so both paths do the same. */
static inline long native_getpid(void)
{
#if defined(__x86_64__)
	long ret = SYS_getpid;

	asm volatile("syscall" : "+a"(ret) : : "rcx", "r11", "memory");
	return ret;
#else
	register long x0 asm("x0");
	register long x8 asm("x8") = SYS_getpid;

	asm volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
	return x0;
#endif
}

static inline long compat_getpid(void)
{
	return compat_syscall(C32_getpid);
}

/* ns per call of @fn: the runs sorted into @ns. */
static void measure(long (*fn)(void), long iters, int runs, double *ns)
{
	int r;

	for (r = 0; r < runs; r++) {
		double t0 = now_ns();
		long i;

		for (i = 0; i < iters; i++)
			fn();
		ns[r] = (now_ns() - t0) / (double)iters;
	}
	qsort(ns, runs, sizeof(*ns), cmp_double);
}

static double report(const char *name, const double *ns, int runs)
{
	printf("bench %s min %.1f median %.1f max %.1f\n", name, ns[0],
	       ns[runs / 2], ns[runs - 1]);
	return ns[runs / 2];
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : BENCH_ITERS;
	int runs = argc > 2 ? atoi(argv[2]) : BENCH_RUNS;
	double native[MAX_RUNS], compat[MAX_RUNS], n, c;

	if (iters <= 0 || runs <= 0 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [ITERS [RUNS <= %d]]\n", argv[0],
			MAX_RUNS);
		return 2;
	}
	if (native_getpid() != getpid()) {
		fprintf(stderr, "native getpid does not work\n");
		return 1;
	}
	printf("bench iters %ld runs %d\n", iters, runs);

	/* A short warm-up run first. */
	measure(native_getpid, iters / 10 + 1, 1, native);
	measure(native_getpid, iters, runs, native);
	n = report("native_getpid_ns", native, runs);

	if (compat_getpid() != getpid()) {
		printf("bench compat_getpid_ns unavailable\n");
		return 0;
	}
	measure(compat_getpid, iters, runs, compat);
	c = report("compat_getpid_ns", compat, runs);
	printf("bench compat_over_native %.3f\n", c / n);
	return 0;
}
