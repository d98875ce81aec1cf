// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest of the QEMU client benchmark: a 32-bit (i386 or armhf) program
 * that does what an mmap-heavy guest does in a crowded address space.  It
 * first makes LIVE mappings of 1 to 3 pages with a hole after each (it maps
 * twice as many and unmaps every other), then times ITERS rounds of mmap
 * 64 KiB / touch / munmap, and a getpid loop as the cost of a system call
 * alone.  tests/client-bench runs it natively (a compat process) and
 * under stock and patched QEMU, interleaved.  Output, one line:
 *
 *   loop mmap_ns N getpid_ns N live N
 *
 * usage: guest_mmap_loop [LIVE]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../../bench/bench.h"

#define PAGE		4096UL
#define LEN		(64UL << 10)
#define ITERS		400
#define GETPID_ITERS	2000

int main(int argc, char **argv)
{
	long live = argc > 1 ? atol(argv[1]) : 3000, i;
	double t0, mmap_ns, getpid_ns;
	char *prev = NULL;
	size_t prev_len = 0;

	for (i = 0; i < 2 * live; i++) {
		size_t len = PAGE * (1 + i % 3);
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		p[0] = 1;
		/* every other one goes: a hole next to each live mapping */
		if (i % 2 == 1 && munmap(prev, prev_len)) {
			perror("munmap");
			return 1;
		}
		prev = p;
		prev_len = len;
	}
	t0 = now_ns();
	for (i = 0; i < ITERS; i++) {
		char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		p[0] = 1;
		munmap(p, LEN);
	}
	mmap_ns = (now_ns() - t0) / ITERS;
	t0 = now_ns();
	for (i = 0; i < GETPID_ITERS; i++)
		syscall(SYS_getpid);
	getpid_ns = (now_ns() - t0) / GETPID_ITERS;
	printf("loop mmap_ns %.0f getpid_ns %.0f live %ld\n", mmap_ns,
	       getpid_ns, live);
	return 0;
}
