// SPDX-License-Identifier: GPL-2.0
/*
 * Every address the kernel chooses lies inside the window, whatever path
 * chose it: anonymous, file, shmem, hugetlb, THP alignment, mremap, SysV
 * shm, the aio ring (an in-kernel do_mmap() with no address, as vm_mmap()
 * callers do), a driver ioctl that calls vm_mmap(), io_uring rings and perf
 * ring buffers.
 */
#include "mmrange_test.h"

#include <linux/aio_abi.h>
#include <liburing.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>

/* The ioctl of the test driver selftests/testdrv/mmrange_vm_mmap.c. */
#define VM_MMAP_DEV	"/dev/mmrange_vm_mmap"
#define MMRANGE_VM_MMAP	_IOWR('m', 1, __u64)

/* selftests/testdrv/mmrange_own_area.c: always offers OWN_AREA_ADDR. */
#define OWN_AREA_DEV	"/dev/mmrange_own_area"
#define OWN_AREA_ADDR	BIT(46)

FIXTURE(placement) {
	unsigned long start, end, pg;
};

FIXTURE_VARIANT(placement) {
	/* 0: low_window_start() */
	unsigned long start;
	unsigned long end;
};

/* The translator's window: everything a 32-bit guest can address. */
FIXTURE_VARIANT_ADD(placement, low4g) {
	.start = 0,
	.end = SZ_4G,
};

FIXTURE_VARIANT_ADD(placement, high16g) {
	.start = SZ_16G,
	.end = SZ_16G + SZ_1G,
};

FIXTURE_SETUP(placement)
{
	self->pg = page_size();
	self->start = variant->start;
	self->end = variant->end;
	if (!self->start)
		ASSERT_EQ(0, low_window_start(&self->start));
	ASSERT_SET(self->start, self->end, 0);
}

FIXTURE_TEARDOWN(placement)
{
	mmr_clear();
}

TEST_F(placement, anon_private_in_window)
{
	unsigned long len = 3 * self->pg;
	char *p = map_anon(0, len, PROT_READ | PROT_WRITE, 0);

	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, self->start, self->end);
	p[0] = 1;
	p[len - 1] = 1;
	munmap(p, len);
}

TEST_F(placement, anon_shared_in_window)
{
	unsigned long len = 3 * self->pg;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, self->start, self->end);
	p[0] = 1;
	p[len - 1] = 1;
	munmap(p, len);
}

TEST_F(placement, file_in_window)
{
	unsigned long len = 4 * self->pg;
	int fd = tmp_file(len);
	char *p;

	if (fd < 0)
		TH_LOG("file in /tmp: %s", strerror(errno));
	ASSERT_GE(fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, self->start, self->end);
	p[0] = 1;
	munmap(p, len);
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, self->start, self->end);
	ASSERT_EQ(1, p[0]);
	munmap(p, len);
	close(fd);
}

/* mmap(NULL, len) of /dev/zero with @flags lands inside [start, end). */
static void assert_dev_zero_inside(struct __test_metadata *_metadata,
				   unsigned long len, int flags,
				   unsigned long start, unsigned long end)
{
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	char *p;

	ASSERT_GE(fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, start, end);
	munmap(p, len);
	close(fd);
}

TEST_F(placement, dev_zero_private_in_window)
{
	assert_dev_zero_inside(_metadata, 4 * self->pg, MAP_PRIVATE,
			       self->start, self->end);
}

TEST_F(placement, dev_zero_shared_in_window)
{
	assert_dev_zero_inside(_metadata, 4 * self->pg, MAP_SHARED,
			       self->start, self->end);
}

TEST_F(placement, memfd_in_window)
{
	unsigned long len = 4 * self->pg;
	int fd = memfd_create("mmrange", MFD_CLOEXEC);
	char *p;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, len));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, self->start, self->end);
	munmap(p, len);
	close(fd);
}

TEST_F(placement, hugetlb_in_window_and_aligned)
{
	unsigned long hps = hugetlb_page_size();
	char *p;

	ASSERT_NE(0UL, hps);
	ASSERT_HUGEPAGES_RESERVED();
	p = map_anon(0, 2 * hps, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, 2 * hps, self->start, self->end);
	ASSERT_ALIGNED(p, hps);
	p[0] = 1;
	p[2 * hps - 1] = 1;
	munmap(p, 2 * hps);
}

/* A PMD-multiple anonymous mapping gets THP alignment, inside the window. */
TEST_F(placement, thp_sized_anon_in_window_and_aligned)
{
	unsigned long pmd = thp_pmd_size();
	char *p;

	if (!pmd)
		TH_LOG(NO_THP_MSG);
	ASSERT_NE(0UL, pmd);
	/*
	 * One PMD (512 MiB with 64 KiB pages: the padded search needs two of
	 * the 1 GiB window), NORESERVE so that overcommit does not refuse it.
	 */
	p = map_anon(0, pmd, PROT_READ | PROT_WRITE, MAP_NORESERVE);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, pmd, self->start, self->end);
	ASSERT_ALIGNED(p, pmd);
	munmap(p, pmd);
}

/* A mapping placed outside that cannot grow in place moves into the window. */
TEST_F(placement, mremap_maymove_in_window)
{
	unsigned long pg = self->pg;
	char *p, *blocker, *q;

	p = map_fixed(OUTSIDE, 2 * pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	blocker = map_fixed(OUTSIDE + 2 * pg, pg, PROT_NONE);
	ASSERT_MAPPED(blocker);
	p[0] = 'a';
	p[2 * pg - 1] = 'b';

	q = mremap(p, 2 * pg, 8 * pg, MREMAP_MAYMOVE);
	ASSERT_MAPPED(q);
	ASSERT_NE(p, q);
	ASSERT_INSIDE(q, 8 * pg, self->start, self->end);
	ASSERT_EQ('a', q[0]);
	ASSERT_EQ('b', q[2 * pg - 1]);
	munmap(q, 8 * pg);
	munmap(blocker, pg);
}

TEST_F(placement, mremap_maymove_from_window_stays_in_window)
{
	unsigned long pg = self->pg;
	char *p, *blocker, *q;

	p = map_anon(0, 2 * pg, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, 2 * pg, self->start, self->end);
	/* Make sure it cannot simply grow where it is. */
	blocker = map_fixed((unsigned long)p + 2 * pg, pg, PROT_NONE);
	if (blocker == MAP_FAILED && errno == EEXIST)
		blocker = NULL;		/* something is there already */
	ASSERT_MAPPED(blocker);
	q = mremap(p, 2 * pg, 64 * pg, MREMAP_MAYMOVE);
	ASSERT_MAPPED(q);
	ASSERT_NE(p, q);
	ASSERT_INSIDE(q, 64 * pg, self->start, self->end);
	munmap(q, 64 * pg);
	if (blocker)
		munmap(blocker, pg);
}

TEST_F(placement, shmat_in_window)
{
	unsigned long len = 16 * self->pg;
	int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
	char *p;

	if (id < 0)
		TH_LOG("shmget: %s", strerror(errno));
	ASSERT_GE(id, 0);
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_MAPPED((void *)p);
	ASSERT_INSIDE(p, len, self->start, self->end);
	ASSERT_ALIGNED(p, (unsigned long)SHMLBA);
	p[0] = 1;
	ASSERT_EQ(0, shmdt(p));
}

TEST_F(placement, io_setup_ring_in_window)
{
	aio_context_t ctx = 0;
	unsigned long lo, hi;

	if (syscall(SYS_io_setup, 128, &ctx))
		TH_LOG("io_setup: %s", strerror(errno));
	ASSERT_NE(0UL, (unsigned long)ctx);
	/* The context is the address of the ring; check its whole VMA. */
	ASSERT_EQ(0, maps_find(ctx, &lo, &hi));
	ASSERT_EQ((unsigned long)ctx, lo);
	ASSERT_INSIDE(lo, hi - lo, self->start, self->end);
	ASSERT_EQ(0, syscall(SYS_io_destroy, ctx));
}

/* A driver that maps memory for its caller with vm_mmap(NULL, 0, ...). */
TEST_F(placement, vm_mmap_ioctl_in_window)
{
	unsigned long len = 4 * self->pg;
	__u64 arg = len;
	int fd, ret;

	fd = open(VM_MMAP_DEV, O_RDWR | O_CLOEXEC);
	/* The harness always loads selftests/testdrv: its absence is a failure. */
	if (fd < 0)
		TH_LOG("%s: %s (is the selftests/testdrv module loaded?)",
		       VM_MMAP_DEV, strerror(errno));
	ASSERT_GE(fd, 0);
	ret = ioctl(fd, MMRANGE_VM_MMAP, &arg);
	if (ret)
		TH_LOG("MMRANGE_VM_MMAP: %s", strerror(errno));
	ASSERT_EQ(0, ret);
	ASSERT_INSIDE(arg, len, self->start, self->end);
	((char *)(unsigned long)arg)[0] = 1;
	munmap((void *)(unsigned long)arg, len);
	close(fd);
}

/* Map the own-area device; MAP_FAILED with errno on failure. */
static void *map_own_area(struct __test_metadata *_metadata, unsigned long hint,
			  unsigned long len)
{
	void *p;
	int fd = open(OWN_AREA_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		TH_LOG("%s: %s (is the selftests/testdrv module loaded?)",
		       OWN_AREA_DEV, strerror(errno));
	ASSERT_GE(fd, 0);
	p = mmap((void *)hint, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return p;
}

/*
 * A driver's own get_unmapped_area() that ignores the window cannot place
 * outside it either: the kernel refuses its address with ENOMEM.  Without
 * a window, the same device maps at its address (the driver works).
 */
TEST_F(placement, driver_own_area_outside_refused)
{
	unsigned long len = 4 * self->pg;
	void *p;

	ASSERT_EQ(0, mmr_clear());
	p = map_own_area(_metadata, 0, len);
	ASSERT_EQ((void *)OWN_AREA_ADDR, p);
	ASSERT_EQ(0, munmap(p, len));

	ASSERT_SET(self->start, self->end, 0);
	errno = 0;
	p = map_own_area(_metadata, 0, len);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	/* A hint inside the window changes nothing: the driver ignores it. */
	errno = 0;
	p = map_own_area(_metadata, self->start, len);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, maps_count(OWN_AREA_ADDR, OWN_AREA_ADDR + len));
}

TEST_F(placement, io_uring_rings_in_window)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(8, &ring, 0);

	if (ret)
		TH_LOG("io_uring_queue_init: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	ASSERT_INSIDE(ring.sq.ring_ptr, ring.sq.ring_sz, self->start, self->end);
	ASSERT_INSIDE(ring.cq.ring_ptr, ring.cq.ring_sz, self->start, self->end);
	ASSERT_INSIDE(ring.sq.sqes,
		      ring.sq.ring_entries * sizeof(struct io_uring_sqe),
		      self->start, self->end);
	io_uring_queue_exit(&ring);
}

TEST_F(placement, perf_ring_in_window)
{
	unsigned long len = (1 + 4) * self->pg;	/* header + 2^n data pages */
	void *p;
	int fd;

	fd = open_dummy_perf_event();
	if (fd < 0 && (errno == ENOENT || errno == ENOSYS || errno == EOPNOTSUPP))
		SKIP(return, "perf_event_open: %s: no perf events in this kernel",
		     strerror(errno));
	if (fd < 0)
		TH_LOG("perf_event_open: %s", strerror(errno));
	ASSERT_GE(fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, len, self->start, self->end);
	munmap(p, len);
	close(fd);
}

TEST_F(placement, many_mixed_mappings_in_window)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
	};
	enum { N = 1000 };
	unsigned long lens[N];
	void *maps[N];
	int i;

	for (i = 0; i < N; i++) {
		int flags = (i % 3 == 1 ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;

		lens[i] = (i % 8 + 1) * self->pg;
		maps[i] = mmap(NULL, lens[i], prots[i % 4], flags, -1, 0);
		if (maps[i] == MAP_FAILED)
			TH_LOG("mapping %d of %lu bytes: %s", i, lens[i],
			       strerror(errno));
		ASSERT_NE(MAP_FAILED, maps[i]);
		if (!range_inside((unsigned long)maps[i], lens[i], self->start,
				  self->end))
			TH_LOG("mapping %d is outside", i);
		ASSERT_INSIDE(maps[i], lens[i], self->start, self->end);
	}
	for (i = 0; i < N; i++)
		munmap(maps[i], lens[i]);
}

TEST_HARNESS_MAIN
