// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit (i386) program that does what a mmap-heavy guest does: map 64 KiB,
 * touch it, unmap it, in a loop; and, as the baseline for the cost of a
 * syscall alone, a getpid loop.  bench/run-guest-bench runs it natively on
 * the patched x86_64 kernel (a compat process; "window" sets
 * PR_SET_MMAP_RANGE first) and under qemu-i386, which tracks the guest's
 * address space in user space.  The native runs re-execute themselves with
 * ADDR_NO_RANDOMIZE, and the window ends just above where the loop's
 * mappings land anyway, so that both native runs place identically.
 * Output:
 *
 *   guest32 MODE mmap_ns MEDIAN min MIN max MAX getpid_ns MEDIAN min MIN max MAX
 *
 * (ns per iteration over ROUNDS rounds).
 *
 * usage: guest32_loop native|native_window|qemu
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/mmrange.h>

#include "bench.h"

#define MMAP_ITERS	1000
#define GETPID_ITERS	5000
#define ROUNDS		5
#define LEN		(64 << 10)

int main(int argc, char **argv)
{
	double mmap_ns[ROUNDS], getpid_ns[ROUNDS];
	int i, r;

	if (argc < 2)
		return 2;
	/* Not under qemu-i386: its exec would leave the emulator. */
	if (strcmp(argv[1], "qemu") != 0 &&
	    !(personality(0xffffffff) & ADDR_NO_RANDOMIZE)) {
		personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE);
		execv("/proc/self/exe", argv);
		perror("execv");
		return 1;
	}
	if (!strcmp(argv[1], "native_window")) {
		/* 3 GiB ending above where mmap(NULL) lands now. */
		char *p = mmap(NULL, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		unsigned long end = (unsigned long)p + LEN;

		munmap(p, LEN);
		if (prctl(PR_SET_MMAP_RANGE, end - 0xc0000000UL, end, 0UL, 0UL)) {
			perror("PR_SET_MMAP_RANGE");
			return 1;
		}
	}
	for (r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (i = 0; i < MMAP_ITERS; i++) {
			char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED) {
				perror("mmap");
				return 1;
			}
			p[0] = 1;
			munmap(p, LEN);
		}
		mmap_ns[r] = (now_ns() - t0) / MMAP_ITERS;
		t0 = now_ns();
		for (i = 0; i < GETPID_ITERS; i++)
			syscall(SYS_getpid);
		getpid_ns[r] = (now_ns() - t0) / GETPID_ITERS;
	}
	qsort(mmap_ns, ROUNDS, sizeof(double), cmp_double);
	qsort(getpid_ns, ROUNDS, sizeof(double), cmp_double);
	printf("guest32 %s mmap_ns %.0f min %.0f max %.0f getpid_ns %.0f min %.0f max %.0f\n",
	       argv[1], mmap_ns[ROUNDS / 2], mmap_ns[0], mmap_ns[ROUNDS - 1],
	       getpid_ns[ROUNDS / 2], getpid_ns[0], getpid_ns[ROUNDS - 1]);
	return 0;
}
