// SPDX-License-Identifier: MIT
/*
 * What a binary translator (FEX-Emu, Tango) does at start-up with
 * libmmrange: the guest gets [64 KiB, 4 GiB), the translator's code cache
 * and heap go above it, and then a guest-like workload runs: mmap, shmat,
 * io_setup, io_uring, mremap.  Every guest-visible address is printed and
 * checked to lie below 4 GiB; the exit status says whether all did.
 *
 * On a kernel without PR_SET_MMAP_RANGE the library falls back to a
 * user-space reservation, and the program shows which of the kernel-chosen
 * addresses then escape.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/aio_abi.h>
#include <mmrange.h>

#define GUEST_END	(4ULL << 30)
#define SZ_1M		(1ULL << 20)

static int escaped;

/* One guest-visible address: below 4 GiB or not. */
static void show(const char *what, const void *p, size_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	bool ok = a && a < GUEST_END && len <= GUEST_END - a;

	printf("  %-24s %#14llx  %s\n", what, (unsigned long long)a,
	       ok ? "below 4 GiB" : "ABOVE 4 GiB: the guest cannot see it");
	if (!ok)
		escaped++;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "translator-demo: %s: %s\n", what, mmr_strerror(err));
	exit(2);
}

/* The guest window starts at vm.mmap_min_addr, at least 64 KiB. */
static uint64_t guest_start(void)
{
	unsigned long min = 0;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");

	if (f) {
		if (fscanf(f, "%lu", &min) != 1)
			min = 0;
		fclose(f);
	}
	min = (min + 0xffff) & ~0xffffUL;
	return min > 0x10000 ? min : 0x10000;
}

static void guest_workload(struct mmr_guest *g)
{
	struct io_uring ring;
	aio_context_t ctx = 0;
	void *p, *q;
	int id;

	p = mmr_guest_mmap(g, NULL, SZ_1M, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!p)
		fail("guest mmap", errno);
	show("guest mmap (1 MiB)", p, SZ_1M);

	q = mmr_guest_mremap(g, p, SZ_1M, 8 * SZ_1M, MREMAP_MAYMOVE);
	if (!q)
		fail("guest mremap", errno);
	show("guest mremap (8 MiB)", q, 8 * SZ_1M);

	/* A guest syscall passed straight through: plain mmap(NULL). */
	p = mmap(NULL, SZ_1M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("mmap", errno);
	show("passthrough mmap", p, SZ_1M);

	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	if (id < 0)
		fail("shmget", errno);
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		fail("shmat", errno);
	shmctl(id, IPC_RMID, NULL);
	show("shmat(id, NULL)", p, SZ_1M);

	if (syscall(SYS_io_setup, 32, &ctx))
		fail("io_setup", errno);
	show("io_setup ring", (void *)ctx, 4096);

	errno = -io_uring_queue_init(8, &ring, 0);
	if (errno)
		fail("io_uring_queue_init", errno);
	show("io_uring SQ ring", ring.sq.ring_ptr, ring.sq.ring_sz);
	show("io_uring CQ ring", ring.cq.ring_ptr, ring.cq.ring_sz);
	show("io_uring SQEs", ring.sq.sqes,
	     ring.sq.ring_entries * sizeof(struct io_uring_sqe));
}

int main(void)
{
	unsigned int feat = mmr_features(), conf, bit;
	uint64_t start = guest_start();
	struct mmr_guest *g;
	struct mmr_high *h;
	void *cache, *heap;
	int err;

	printf("translator-demo: kernel window %s, compat-only windows %s, "
	       "compat syscalls %s\n",
	       feat & MMR_FEAT_WINDOW ? "yes" : "no",
	       feat & MMR_FEAT_COMPAT_WINDOW ? "yes" : "no",
	       feat & MMR_FEAT_COMPAT_SYSCALL ? "yes" : "no");

	err = mmr_guest_open(&g, start, GUEST_END, 0);
	if (err)
		fail("mmr_guest_open", err);
	conf = mmr_guest_confines(g);
	printf("guest window [%#llx, %#llx): %s\n", (unsigned long long)start,
	       (unsigned long long)GUEST_END,
	       conf == MMR_CONFINES_ALL ? "kernel window, everything confined" :
	       "user-space fallback");
	for (bit = 1; bit & MMR_CONFINES_ALL; bit <<= 1)
		if (!(conf & bit))
			printf("  not confined: %s\n", mmr_confines_name(bit));

	/* The translator's own memory, above the window. */
	err = mmr_high_reserve(&h, 0, 1ULL << 30);
	if (err)
		fail("mmr_high_reserve", err);
	cache = mmr_high_alloc(h, 64 * SZ_1M, PROT_READ | PROT_WRITE | PROT_EXEC,
			       MMR_HIGH_GUARD);
	heap = mmr_high_alloc(h, 16 * SZ_1M, PROT_READ | PROT_WRITE, 0);
	if (!cache || !heap)
		fail("mmr_high_alloc", errno);
	printf("translator memory (above the window):\n");
	printf("  %-24s %#14llx\n", "code cache (64 MiB)",
	       (unsigned long long)(uintptr_t)cache);
	printf("  %-24s %#14llx\n", "heap (16 MiB)",
	       (unsigned long long)(uintptr_t)heap);

	printf("guest-visible mappings:\n");
	guest_workload(g);

	if (escaped) {
		printf("translator-demo: %d guest-visible mapping%s at or above 4 GiB\n",
		       escaped, escaped == 1 ? "" : "s");
		return 1;
	}
	printf("translator-demo: every guest-visible address is below 4 GiB\n");
	return 0;
}
