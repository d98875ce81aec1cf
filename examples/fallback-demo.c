// SPDX-License-Identifier: MIT
/*
 * The two fallbacks libmmrange has for kernels without PR_SET_MMAP_RANGE,
 * side by side, each in a fresh child process with the guest window
 * [64 KiB, 4 GiB):
 *
 *  - QEMU-style (the default): placeholders hold the window's free space;
 *    guest mappings the library makes land inside, and the kernel's own
 *    placements (io_setup ring, shmat without an address, plain mmap) go
 *    elsewhere, as do the translator's malloc() and thread stacks;
 *  - FEX-style (MMR_GUEST_RESERVE_OUTSIDE): placeholders hold everything
 *    outside the window, so the kernel's own placements land inside,
 *    on a kernel that knows nothing of the window, and so does the
 *    translator's own memory.
 *
 * Every address is printed with the side of the window it is on, and
 * checked against what mmr_guest_confines() promises: the exit status is 0
 * when no promise was broken.  The start-up cost of each mode is in
 * bench/startup_cost_bench.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/aio_abi.h>
#include <mmrange.h>

#define WIN_START	(64ULL << 10)
#define WIN_END		(4ULL << 30)
#define SZ_1M		(1ULL << 20)

static int broken;

static bool inside(uint64_t a, uint64_t len)
{
	return a >= WIN_START && a <= WIN_END && len <= WIN_END - a;
}

/*
 * Print where @what landed; @promise is the MMR_CONFINES_* bit that says it
 * must be inside, or 0 for the translator's own memory, which must be
 * outside where MMR_CONFINES_NATIVE_OUTSIDE is promised.
 */
static void show(struct mmr_guest *g, const char *what, uint64_t a,
		 uint64_t len, unsigned int promise)
{
	unsigned int c = mmr_guest_confines(g);
	bool in = inside(a, len), bad;

	if (promise)
		bad = (c & promise) && !in;
	else
		bad = (c & MMR_CONFINES_NATIVE_OUTSIDE) && in;
	broken += bad;
	printf("  %-26s %#14llx  %s%s\n", what, (unsigned long long)a,
	       in ? "inside" : "outside", bad ? "  <-- promise broken" : "");
}

static void *thread_stack(void *arg)
{
	int local;

	*(uint64_t *)arg = (uint64_t)(uintptr_t)&local;
	return NULL;
}

static int demo(const char *name, unsigned int flags)
{
	struct mmr_guest *g;
	struct mmr_mapping m;
	uint64_t stack = 0;
	aio_context_t ctx = 0;
	unsigned int c, bit;
	pthread_t t;
	void *p;
	int err, id;

	err = mmr_guest_open(&g, WIN_START, WIN_END, flags | MMR_GUEST_FALLBACK);
	if (err) {
		printf("%s: mmr_guest_open: %s\n", name, mmr_strerror(err));
		return 1;
	}
	c = mmr_guest_confines(g);
	printf("%s: confines", name);
	for (bit = 1; bit <= MMR_CONFINES_NATIVE_OUTSIDE; bit <<= 1)
		if (c & bit)
			printf(" [%s]", mmr_confines_name(bit));
	printf("\n");

	p = mmr_guest_mmap(g, NULL, SZ_1M, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show(g, "guest mmap (library)", (uint64_t)p, SZ_1M,
	     MMR_CONFINES_GUEST_MMAP);
	p = mmap(NULL, SZ_1M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show(g, "plain mmap (kernel)", (uint64_t)p, SZ_1M, MMR_CONFINES_MMAP);
	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	if (p != (void *)-1)
		show(g, "shmat(id, NULL) (kernel)", (uint64_t)p, SZ_1M,
		     MMR_CONFINES_SHMAT);
	if (!syscall(SYS_io_setup, 64, &ctx)) {
		show(g, "io_setup ring (kernel)", ctx, 4096,
		     MMR_CONFINES_IO_SETUP);
		/* On record with the extent the kernel gave it, if inside. */
		if (!mmr_guest_record(g, ctx, 0, 0, MMR_KIND_RING) &&
		    !mmr_guest_lookup(g, ctx, &m))
			printf("  %-26s %llu KiB on record\n", "",
			       (unsigned long long)(m.end - m.start) >> 10);
	}
	p = malloc(8 * SZ_1M);
	show(g, "translator malloc(8 MiB)", (uint64_t)p, 8 * SZ_1M, 0);
	free(p);
	if (!pthread_create(&t, NULL, thread_stack, &stack) &&
	    !pthread_join(t, NULL))
		show(g, "translator thread stack", stack, 1, 0);
	mmr_guest_close(g);
	return broken ? 1 : 0;
}

/* In a child of its own: each mode starts from a clean address space. */
static int in_child(const char *name, unsigned int flags)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int ret = demo(name, flags);

		fflush(stdout);
		_exit(ret);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return !WIFEXITED(status) || WEXITSTATUS(status);
}

int main(void)
{
	int rc;

	printf("fallback-demo: guest window [64 KiB, 4 GiB), no kernel window used\n");
	rc = in_child("qemu-style (default)", 0);
	rc |= in_child("fex-style (MMR_GUEST_RESERVE_OUTSIDE)",
		       MMR_GUEST_RESERVE_OUTSIDE);
	printf("fallback-demo: %s\n", rc ? "a promise was broken" :
	       "every placement is where mmr_guest_confines() says");
	return rc;
}
