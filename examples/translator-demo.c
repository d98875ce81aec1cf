// SPDX-License-Identifier: MIT
/*
 * What a binary translator (FEX-Emu, Tango, QEMU linux-user) does at
 * start-up with libmmrange, and what it gets.  The guest gets
 * [64 KiB, 4 GiB) as an exclusive compat window: the guest's syscalls,
 * made as compat (32-bit ABI) syscalls, place inside it, and the
 * translator's own memory (code cache, malloc, thread stacks) stays
 * outside without any reservation.  Then a guest-like workload runs (mmap,
 * mremap, shmat, io_setup, io_uring) and every address is checked: guest
 * memory inside the window, translator memory outside; the exit status
 * says whether all were.
 *
 * On a kernel without the exclusive window the library falls back to a
 * user-space reservation of the window, the guest's shmat, io_setup and
 * io_uring_setup go to the kernel as native calls, and the program shows
 * which of the kernel-chosen addresses then escape.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <mmrange.h>

#define GUEST_END	(4ULL << 30)
#define SZ_1M		(1ULL << 20)

/* The guest's syscall numbers: i386 on x86_64, the ARM EABI on arm64. */
#if defined(__x86_64__)
#define G32_shmat		397
#define G32_io_setup		245
#else
#define G32_shmat		305
#define G32_io_setup		243
#endif
#define G32_io_uring_setup	425

struct demo {
	struct mmr_guest *g;
	uint64_t start;
	bool compat;		/* guest syscalls go to the compat entry */
	int wrong;		/* addresses on the wrong side of the window */
};

static bool inside(const struct demo *d, uint64_t a, uint64_t len)
{
	return a >= d->start && a <= GUEST_END && len <= GUEST_END - a;
}

static bool overlaps(const struct demo *d, uint64_t a, uint64_t len)
{
	return a < GUEST_END && d->start < a + len;
}

/* A guest-visible address: inside the window or not. */
static void guest(struct demo *d, const char *what, uint64_t a, uint64_t len)
{
	bool ok = inside(d, a, len);

	printf("  %-26s %#14llx  %s\n", what, (unsigned long long)a,
	       ok ? "inside" : "OUTSIDE: the guest cannot see it");
	d->wrong += !ok;
}

/* The translator's own memory: outside the window or not. */
static void own(struct demo *d, const char *what, uint64_t a, uint64_t len)
{
	bool ok = !overlaps(d, a, len);

	printf("  %-26s %#14llx  %s\n", what, (unsigned long long)a,
	       ok ? "outside" : "INSIDE: a guest MAP_FIXED can overwrite it");
	d->wrong += !ok;
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

/* A guest syscall as the translator makes it: compat, or passed through. */
static long guest_call(const struct demo *d, long nr32, long nr64, long a0,
		       long a1, long a2)
{
	long ret;

	if (d->compat)
		return mmr_compat_syscall(nr32, a0, a1, a2, 0, 0, 0);
	ret = syscall(nr64, a0, a1, a2);
	return ret < 0 ? -errno : ret;
}

static void *thread_stack(void *arg)
{
	int local;

	*(uint64_t *)arg = (uint64_t)(uintptr_t)&local;
	return NULL;
}

static void translator_memory(struct demo *d)
{
	uint64_t stack = 0;
	void *cache, *heap, *small;
	pthread_t t;

	cache = mmap(NULL, 64 * SZ_1M, PROT_READ | PROT_WRITE | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cache == MAP_FAILED)
		fail("code cache mmap", errno);
	own(d, "code cache (64 MiB)", (uintptr_t)cache, 64 * SZ_1M);
	heap = malloc(16 * SZ_1M);
	if (!heap)
		fail("malloc", ENOMEM);
	small = malloc(64);
	if (!small)
		fail("malloc", ENOMEM);
	own(d, "malloc(16 MiB)", (uintptr_t)heap, 16 * SZ_1M);
	own(d, "malloc(64)", (uintptr_t)small, 64);
	free(small);
	free(heap);
	if (pthread_create(&t, NULL, thread_stack, &stack) ||
	    pthread_join(t, NULL))
		fail("pthread_create", EAGAIN);
	own(d, "a thread's stack", stack, sizeof(int));
}

/*
 * A shared mapping of a kernel object, placed inside the window by the
 * library.  The fallback must use MAP_FIXED, which some objects refuse
 * (io_uring rings on recent kernels): that is a failure of the mode, not
 * of the demo.
 */
static void *guest_map(struct demo *d, const char *what, size_t len, int fd,
		       off_t off)
{
	void *p = mmr_guest_mmap(d->g, NULL, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, fd, off);

	if (p) {
		guest(d, what, (uintptr_t)p, len);
	} else {
		printf("  %-26s %14s  FAILED: %s\n", what, "-", strerror(errno));
		d->wrong++;
	}
	return p;
}

static void guest_io_uring(struct demo *d, struct io_uring_params *p)
{
	size_t sq_len, cq_len, sqe_len;
	void *sq, *cq, *sqes;
	long fd;

	memset(p, 0, sizeof(*p));
	fd = guest_call(d, G32_io_uring_setup, SYS_io_uring_setup, 8,
			(long)(uintptr_t)p, 0);
	if (fd < 0)
		fail("io_uring_setup", (int)-fd);
	sq_len = p->sq_off.array + p->sq_entries * sizeof(uint32_t);
	cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	sqe_len = p->sq_entries * sizeof(struct io_uring_sqe);
	/* The guest maps the rings itself, as liburing does. */
	sq = guest_map(d, "io_uring SQ ring", sq_len, (int)fd,
		       IORING_OFF_SQ_RING);
	cq = guest_map(d, "io_uring CQ ring", cq_len, (int)fd,
		       IORING_OFF_CQ_RING);
	sqes = guest_map(d, "io_uring SQEs", sqe_len, (int)fd, IORING_OFF_SQES);
	(void)sq;
	(void)cq;
	(void)sqes;
}

static void guest_workload(struct demo *d)
{
	char *page, *p, *q;
	long ret;
	int id;

	/* One page of guest memory for the compat calls' 32-bit pointers. */
	page = mmr_guest_mmap(d->g, NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!page)
		fail("guest mmap", errno);
	p = mmr_guest_mmap(d->g, NULL, SZ_1M, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!p)
		fail("guest mmap", errno);
	guest(d, "guest mmap (1 MiB)", (uintptr_t)p, SZ_1M);
	q = mmr_guest_mremap(d->g, p, SZ_1M, 8 * SZ_1M, MREMAP_MAYMOVE);
	if (!q)
		fail("guest mremap", errno);
	guest(d, "guest mremap (8 MiB)", (uintptr_t)q, 8 * SZ_1M);

	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	if (id < 0)
		fail("shmget", errno);
	ret = guest_call(d, G32_shmat, SYS_shmat, id, 0, 0);
	shmctl(id, IPC_RMID, NULL);
	if (ret < 0 && ret >= -4095)
		fail("shmat", (int)-ret);
	guest(d, "shmat(id, NULL)", (uint64_t)ret, SZ_1M);

	if (d->compat) {
		uint32_t *ctx32 = (uint32_t *)page;

		ret = guest_call(d, G32_io_setup, 0, 32, (long)(uintptr_t)ctx32, 0);
		if (ret)
			fail("io_setup", (int)-ret);
		guest(d, "io_setup ring", *ctx32, 4096);
	} else {
		aio_context_t ctx = 0;

		ret = guest_call(d, 0, SYS_io_setup, 32, (long)(uintptr_t)&ctx, 0);
		if (ret)
			fail("io_setup", (int)-ret);
		guest(d, "io_setup ring", ctx, 4096);
	}
	guest_io_uring(d, (struct io_uring_params *)(page + 64));
}

int main(void)
{
	unsigned int feat = mmr_features(), flags = 0, conf, bit;
	struct demo d = { .start = guest_start() };
	int err;

	printf("translator-demo: kernel window %s, exclusive compat windows %s, "
	       "compat syscalls %s\n",
	       feat & MMR_FEAT_WINDOW ? "yes" : "no",
	       feat & MMR_FEAT_EXCLUSIVE_WINDOW ? "yes" : "no",
	       feat & MMR_FEAT_COMPAT_SYSCALL ? "yes" : "no");

	/* The design to use: compat + exclusive, no reservation at all. */
	if ((feat & MMR_FEAT_EXCLUSIVE_WINDOW) &&
	    (feat & MMR_FEAT_COMPAT_SYSCALL))
		flags = MMR_GUEST_COMPAT | MMR_GUEST_EXCLUSIVE;
	else
		flags = MMR_GUEST_FALLBACK;
	err = mmr_guest_open(&d.g, d.start, GUEST_END, flags);
	if (err)
		fail("mmr_guest_open", err);
	d.compat = !(flags & MMR_GUEST_FALLBACK);
	conf = mmr_guest_confines(d.g);
	printf("guest window [%#llx, %#llx): %s\n", (unsigned long long)d.start,
	       (unsigned long long)GUEST_END,
	       d.compat ? "exclusive compat window" : "user-space fallback");
	/* The translator's own mmap() is meant to stay out of the window. */
	for (bit = 1; bit & MMR_CONFINES_ALL; bit <<= 1)
		if (!(conf & bit) && bit != MMR_CONFINES_MMAP)
			printf("  not confined: %s\n", mmr_confines_name(bit));

	printf("translator memory (%s):\n", d.compat ?
	       "no reservation, no MAP_FIXED" : "the window is reserved");
	translator_memory(&d);
	printf("guest-visible mappings:\n");
	guest_workload(&d);

	if (d.wrong) {
		printf("translator-demo: %d mapping%s failed or on the wrong side of the window\n",
		       d.wrong, d.wrong == 1 ? "" : "s");
		return 1;
	}
	printf("translator-demo: guest memory inside the window, translator memory outside\n");
	return 0;
}
