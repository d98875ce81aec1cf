// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Guest memory inside the window: kernel, compat and fallback modes. */
#include "libtest.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>

FIXTURE(guest) {
	struct mmr_guest *g;
	void *before;		/* mapped inside the window before open */
};

FIXTURE_VARIANT(guest) {
	unsigned int flags;
	bool needs_kernel;
};

FIXTURE_VARIANT_ADD(guest, fallback) { .flags = MMR_GUEST_FALLBACK };
FIXTURE_VARIANT_ADD(guest, outside) {
	.flags = MMR_GUEST_FALLBACK | MMR_GUEST_RESERVE_OUTSIDE
};
FIXTURE_VARIANT_ADD(guest, kernel) { .flags = 0, .needs_kernel = true };
FIXTURE_VARIANT_ADD(guest, compat) {
	.flags = MMR_GUEST_COMPAT, .needs_kernel = true
};
FIXTURE_VARIANT_ADD(guest, compat_exclusive) {
	.flags = MMR_GUEST_COMPAT | MMR_GUEST_EXCLUSIVE, .needs_kernel = true
};
/* As QEMU uses it: the translator keeps the record. */
FIXTURE_VARIANT_ADD(guest, compat_no_record) {
	.flags = MMR_GUEST_COMPAT | MMR_GUEST_EXCLUSIVE | MMR_GUEST_NO_RECORD,
	.needs_kernel = true
};

FIXTURE_SETUP(guest)
{
	if (variant->needs_kernel && !have_kernel_window()) {
		ASSERT_FALSE(expect_kernel());
		SKIP(return, "no PR_SET_MMAP_RANGE in this kernel");
	}
	self->before = mmap((void *)(WIN_START + SZ_1M), page(),
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			    -1, 0);
	ASSERT_EQ((void *)(WIN_START + SZ_1M), self->before);
	memset(self->before, 0x11, page());
	ASSERT_EQ(0, mmr_guest_open(&self->g, WIN_START, WIN_END,
				    variant->flags));
}

FIXTURE_TEARDOWN(guest)
{
	mmr_guest_close(self->g);
}

TEST_F(guest, confines_as_documented)
{
	unsigned int c = mmr_guest_confines(self->g), bit;

	if (variant->flags & MMR_GUEST_RESERVE_OUTSIDE) {
		ASSERT_EQ((unsigned int)MMR_CONFINES_ALL, c);
	} else if (variant->flags & MMR_GUEST_FALLBACK) {
		ASSERT_EQ(MMR_CONFINES_GUEST_MMAP | MMR_CONFINES_NATIVE_OUTSIDE,
			  c);
	} else if (variant->flags & MMR_GUEST_EXCLUSIVE) {
		ASSERT_EQ((MMR_CONFINES_ALL & ~MMR_CONFINES_MMAP) |
			  MMR_CONFINES_NATIVE_OUTSIDE, c);
	} else if (variant->flags & MMR_GUEST_COMPAT) {
		ASSERT_EQ(MMR_CONFINES_ALL & ~MMR_CONFINES_MMAP, c);
	} else {
		ASSERT_EQ((unsigned int)MMR_CONFINES_ALL, c);
	}
	for (bit = 1; bit & MMR_CONFINES_ALL; bit <<= 1)
		ASSERT_NE(NULL, mmr_confines_name(bit));
	ASSERT_NE(NULL, mmr_confines_name(MMR_CONFINES_NATIVE_OUTSIDE));
	ASSERT_EQ(NULL, mmr_confines_name(3));
}

TEST_F(guest, anon_mappings_inside)
{
	int i;

	for (i = 0; i < 64; i++) {
		size_t len = page() * (1 + i % 9);
		char *p = mmr_guest_mmap(self->g, NULL, len,
					 PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_PTR(p);
		ASSERT_INSIDE(p, len, WIN_START, WIN_END);
		memset(p, i, len);
	}
	/* What was there before is untouched. */
	ASSERT_EQ(0x11, ((char *)self->before)[page() - 1]);
}

TEST_F(guest, file_mapping_inside)
{
	char path[] = "/tmp/libmmrange.XXXXXX", *p;
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, 2 * page()));
	ASSERT_EQ(1, pwrite(fd, "z", 1, page()));
	p = mmr_guest_mmap(self->g, NULL, page(), PROT_READ, MAP_SHARED, fd,
			   page());
	ASSERT_PTR(p);
	ASSERT_INSIDE(p, page(), WIN_START, WIN_END);
	ASSERT_EQ('z', p[0]);
	close(fd);
}

TEST_F(guest, fixed_inside_ok_outside_einval)
{
	uint64_t at = WIN_START + 64 * SZ_1M;
	char *p;

	p = mmr_guest_mmap(self->g, (void *)at, page(), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((char *)at, p);
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mmap(self->g, (void *)at, page(), PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS |
				       MAP_FIXED_NOREPLACE, -1, 0));
	ASSERT_EQ(EEXIST, errno);
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mmap(self->g, (void *)(WIN_END - page()),
				       2 * page(), PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				       -1, 0));
	ASSERT_EQ(EINVAL, errno);
}

/* A free hint inside is honoured. */
TEST_F(guest, hint_inside_honoured)
{
	uint64_t at = WIN_START + 200 * SZ_1M;
	char *p = mmr_guest_mmap(self->g, (void *)at, page(), PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_EQ((char *)at, p);
}

TEST_F(guest, munmap_then_reuse)
{
	uint64_t at = WIN_START + 300 * SZ_1M;
	char *p = mmr_guest_mmap(self->g, (void *)at, 4 * page(),
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				 -1, 0);

	ASSERT_EQ((char *)at, p);
	ASSERT_EQ(0, mmr_guest_munmap(self->g, p, 4 * page()));
	p = mmr_guest_mmap(self->g, (void *)at, 4 * page(), PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
	ASSERT_EQ((char *)at, p);
	ASSERT_EQ(-EINVAL, mmr_guest_munmap(self->g, (void *)(WIN_END - page()),
					    2 * page()));
}

TEST_F(guest, mremap_grow_move_shrink)
{
	uint64_t at = WIN_START + 400 * SZ_1M;
	char *p, *q, *wall;

	p = mmr_guest_mmap(self->g, (void *)at, page(), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			   -1, 0);
	ASSERT_EQ((char *)at, p);
	p[0] = 5;
	q = mmr_guest_mremap(self->g, p, page(), 4 * page(), 0);
	ASSERT_EQ(p, q);	/* free behind it: in place */
	wall = mmr_guest_mmap(self->g, (void *)(at + 4 * page()), page(),
			      PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			      MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_PTR(wall);
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mremap(self->g, q, 4 * page(), 8 * page(), 0));
	ASSERT_EQ(ENOMEM, errno);
	q = mmr_guest_mremap(self->g, p, 4 * page(), SZ_2M, MREMAP_MAYMOVE);
	ASSERT_PTR(q);
	ASSERT_NE(p, q);
	ASSERT_INSIDE(q, SZ_2M, WIN_START, WIN_END);
	ASSERT_EQ(5, q[0]);
	q = mmr_guest_mremap(self->g, q, SZ_2M, page(), 0);
	ASSERT_PTR(q);
	ASSERT_EQ(5, q[0]);
	errno = 0;
	/* MREMAP_FIXED without MREMAP_MAYMOVE, as mremap(2) refuses it. */
	ASSERT_EQ(NULL, mmr_guest_mremap_to(self->g, q, page(), 2 * page(),
					    MREMAP_FIXED, (void *)at));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mremap_to(self->g, q, page(), page(),
					    MREMAP_MAYMOVE | MREMAP_FIXED,
					    (void *)(WIN_END - page() / 2)));
	ASSERT_EQ(EINVAL, errno);
	/* The new address comes with mmr_guest_mremap_to() only. */
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mremap(self->g, q, page(), page(),
					 MREMAP_MAYMOVE | MREMAP_FIXED));
	ASSERT_EQ(EINVAL, errno);
}

/* A full window gives ENOMEM, never an address outside. */
TEST_F(guest, full_window_enomem)
{
	void *p;
	int n = 0;

	while ((p = mmr_guest_mmap(self->g, NULL, 64 * SZ_1M, PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				   -1, 0))) {
		ASSERT_INSIDE(p, 64 * SZ_1M, WIN_START, WIN_END);
		ASSERT_LT(++n, 64);
	}
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_GE(n, 10);
}

/*
 * The kernel-chosen mappings: inside with a kernel window; in fallback
 * mode the library says it cannot promise them.
 */
TEST_F(guest, shmat_and_io_setup)
{
	unsigned long ctx = 0;
	void *shm;
	int id;

	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	if (id < 0)
		SKIP(return, "shmget: %s", strerror(errno));
	if (variant->flags & MMR_GUEST_COMPAT) {
		long r = mmr_compat_syscall(
#if defined(__x86_64__)
			397,
#else
			305,
#endif
			id, 0, 0, 0, 0, 0);
		ASSERT_GT(r, 0L);
		shm = (void *)r;
	} else {
		shm = shmat(id, NULL, 0);
		ASSERT_NE((void *)-1, shm);
	}
	shmctl(id, IPC_RMID, NULL);
	if (mmr_guest_confines(self->g) & MMR_CONFINES_SHMAT)
		ASSERT_INSIDE(shm, SZ_1M, WIN_START, WIN_END);
	if (variant->flags & MMR_GUEST_COMPAT)
		return;		/* compat io_setup: in the kernel selftests */
	if (syscall(SYS_io_setup, 8, &ctx))
		SKIP(return, "io_setup: %s", strerror(errno));
	if (mmr_guest_confines(self->g) & MMR_CONFINES_IO_SETUP)
		ASSERT_INSIDE(ctx, page(), WIN_START, WIN_END);
	syscall(SYS_io_destroy, ctx);
}

static bool overlaps_window(uint64_t addr, uint64_t len)
{
	return addr < WIN_END && WIN_START < addr + len;
}

/*
 * Where mmr_guest_confines() reports MMR_CONFINES_NATIVE_OUTSIDE, the
 * translator's own placements, with and without a hint inside the window,
 * its malloc() and its threads' stacks, all land outside the window.
 */
TEST_F(guest, native_placements_outside)
{
	uint64_t stack;
	char *big;
	void *p;
	int i;

	if (!(mmr_guest_confines(self->g) & MMR_CONFINES_NATIVE_OUTSIDE))
		SKIP(return, "this mode does not keep native placements out");
	for (i = 0; i < 32; i++) {
		void *hint = i % 2 ? (void *)(WIN_START + SZ_16M) : NULL;

		p = mmap(hint, page() * (1 + i), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_FALSE(overlaps_window((uint64_t)(uintptr_t)p,
					     page() * (1 + i)));
	}
	big = malloc(8 * SZ_1M);
	ASSERT_NE(NULL, big);
	ASSERT_FALSE(overlaps_window((uint64_t)(uintptr_t)big, 8 * SZ_1M));
	free(big);
	stack = a_thread_stack();
	ASSERT_NE(0ULL, stack);
	ASSERT_FALSE(overlaps_window(stack, sizeof(int)));
}

/*
 * MMR_GUEST_NO_RECORD: the queries say there is no record, the placements
 * still land inside, and a segment attached through the library detaches
 * (without a record of its size).
 */
TEST_F(guest, no_record_keeps_none)
{
	struct mmr_mapping m;
	void *p, *shm;
	int id;

	if (!(variant->flags & MMR_GUEST_NO_RECORD))
		SKIP(return, "the library keeps a record in this variant");
	p = mmr_guest_mmap(self->g, NULL, 4 * page(), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(NULL, p);
	ASSERT_INSIDE(p, 4 * page(), WIN_START, WIN_END);
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_lookup(self->g, (uint64_t)p, &m));
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_next(self->g, WIN_START, &m));
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_access(self->g, (uint64_t)p, page(),
						PROT_READ));
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_record(self->g, (uint64_t)p, page(),
						PROT_READ, MMR_KIND_ANON));
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_forget(self->g, (uint64_t)p, page()));
	/* The translator's own munmap is all it takes. */
	ASSERT_EQ(0, munmap(p, 4 * page()));
	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	if (id < 0)
		SKIP(return, "shmget: %s", strerror(errno));
	shm = mmr_guest_shmat(self->g, id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_NE(NULL, shm);
	ASSERT_INSIDE(shm, SZ_1M, WIN_START, WIN_END);
	ASSERT_EQ(0, mmr_guest_shmdt(self->g, shm));
	ASSERT_EQ(-EINVAL, mmr_guest_shmdt(self->g, shm));
}

/* The fallbacks put placeholders back by the record: they need it. */
TEST(no_record_needs_the_kernel_window)
{
	struct mmr_guest *g;

	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_open(&g, WIN_START, WIN_END,
					      MMR_GUEST_FALLBACK |
					      MMR_GUEST_NO_RECORD));
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_open(&g, WIN_START, WIN_END,
					      MMR_GUEST_FALLBACK |
					      MMR_GUEST_RESERVE_OUTSIDE |
					      MMR_GUEST_NO_RECORD));
	if (have_kernel_window())
		return;
	ASSERT_EQ(-EOPNOTSUPP, mmr_guest_open(&g, WIN_START, WIN_END,
					      MMR_GUEST_NO_RECORD));
}

TEST(open_bad_arguments)
{
	struct mmr_guest *g;

	ASSERT_EQ(-EINVAL, mmr_guest_open(NULL, WIN_START, WIN_END, 0));
	ASSERT_EQ(-EINVAL, mmr_guest_open(&g, WIN_END, WIN_START, 0));
	ASSERT_EQ(-EINVAL, mmr_guest_open(&g, WIN_START + 1, WIN_END, 0));
	ASSERT_EQ(-EINVAL, mmr_guest_open(&g, WIN_START, WIN_END, 1U << 9));
	/* An exclusive window is a compat-only one. */
	ASSERT_EQ(-EINVAL, mmr_guest_open(&g, WIN_START, WIN_END,
					  MMR_GUEST_EXCLUSIVE));
	ASSERT_EQ(-EINVAL, mmr_guest_open(&g, WIN_START, WIN_END, 1U << 6));
	if (have_kernel_window())
		ASSERT_EQ(-EINVAL, mmr_guest_open(&g, WIN_START, 8ULL << 30,
						  MMR_GUEST_COMPAT));
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mmap(NULL, NULL, page(), PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-EINVAL, mmr_guest_munmap(NULL, (void *)WIN_START, page()));
	ASSERT_EQ(0U, mmr_guest_confines(NULL));
}

TEST_HARNESS_MAIN
