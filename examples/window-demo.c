// SPDX-License-Identifier: GPL-2.0
/*
 * window-demo: set a PR_SET_MMAP_RANGE window below 4 GiB, then let the
 * kernel choose addresses for mmap, shmat, io_setup and an io_uring ring,
 * and print where each landed.  On a kernel without the series the prctl
 * fails and the same placements land wherever the kernel likes.
 *
 * Exit status: 0 when every placement is inside the window, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <linux/aio_abi.h>
#include <linux/mmrange.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WIN_START	0x10000000UL	/* 256 MiB */
#define WIN_END		0x100000000UL	/* 4 GiB */

static int outside;

static void show(const char *what, const void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;
	int in = a >= WIN_START && a + len <= WIN_END;

	printf("  %-28s %#14lx  %s\n", what, (unsigned long)a,
	       in ? "inside" : "OUTSIDE the window");
	outside += !in;
}

int main(void)
{
	struct prctl_mmap_range r = { 0 };
	struct io_uring ring;
	aio_context_t aio = 0;
	void *p;
	int id;

	printf("window-demo: PR_SET_MMAP_RANGE [%#lx, %#lx)\n",
	       WIN_START, WIN_END);
	if (prctl(PR_SET_MMAP_RANGE, WIN_START, WIN_END, 0, 0))
		printf("  prctl(PR_SET_MMAP_RANGE): %s: this kernel has no window\n",
		       strerror(errno));
	else if (!prctl(PR_GET_MMAP_RANGE, &r, sizeof(r), 0, 0))
		printf("  PR_GET_MMAP_RANGE: [%#llx, %#llx) flags %#llx\n",
		       (unsigned long long)r.start, (unsigned long long)r.end,
		       (unsigned long long)r.flags);

	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		show("mmap(NULL, 1 MiB)", p, 1 << 20);

	id = shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600);
	p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
	if (p != (void *)-1)
		show("shmat(id, NULL)", p, 1 << 20);
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);

	if (!syscall(SYS_io_setup, 64, &aio))
		show("io_setup ring", (void *)(uintptr_t)aio, 4096);
	else
		printf("  io_setup: %s\n", strerror(errno));

	if (!io_uring_queue_init(64, &ring, 0)) {
		show("io_uring SQ ring", ring.sq.ring_ptr, ring.sq.ring_sz);
		show("io_uring CQ ring", ring.cq.ring_ptr, ring.cq.ring_sz);
		show("io_uring SQEs", ring.sq.sqes, 64 * sizeof(*ring.sq.sqes));
	} else {
		printf("  io_uring_queue_init failed\n");
	}

	printf("window-demo: %s\n", outside ?
	       "some kernel-chosen addresses are OUTSIDE the window" :
	       "every kernel-chosen address is inside the window");
	return outside ? 1 : 0;
}
