// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The record of the guest's mappings, in every mode, checked against what
 * the kernel says in /proc/self/maps: what a translator would answer for
 * the guest's maps, its shmdt() and its access checks.
 */
#include "libtest.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>

FIXTURE(reg) {
	struct mmr_guest *g;
	/* What was mapped in the window before (a static binary's heap). */
	uint64_t pre[16][2];
	int npre;
};

/* The mappings of [WIN_START, WIN_END) now, at most 16. */
static int window_maps(uint64_t out[16][2])
{
	unsigned long lo, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0;

	while (f && n < 16 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    hi > WIN_START && lo < WIN_END) {
			out[n][0] = lo;
			out[n][1] = hi;
			n++;
		}
	if (f)
		fclose(f);
	return n;
}

FIXTURE_VARIANT(reg) {
	unsigned int flags;
	bool needs_kernel;
};

FIXTURE_VARIANT_ADD(reg, fallback) { .flags = MMR_GUEST_FALLBACK };
FIXTURE_VARIANT_ADD(reg, outside) {
	.flags = MMR_GUEST_FALLBACK | MMR_GUEST_RESERVE_OUTSIDE
};
FIXTURE_VARIANT_ADD(reg, kernel) { .flags = 0, .needs_kernel = true };
FIXTURE_VARIANT_ADD(reg, compat) {
	.flags = MMR_GUEST_COMPAT, .needs_kernel = true
};
FIXTURE_VARIANT_ADD(reg, compat_exclusive) {
	.flags = MMR_GUEST_COMPAT | MMR_GUEST_EXCLUSIVE, .needs_kernel = true
};

FIXTURE_SETUP(reg)
{
	if (variant->needs_kernel && !have_kernel_window()) {
		ASSERT_FALSE(expect_kernel());
		SKIP(return, "no PR_SET_MMAP_RANGE in this kernel");
	}
	self->npre = window_maps(self->pre);
	ASSERT_EQ(0, mmr_guest_open(&self->g, WIN_START, WIN_END,
				    variant->flags));
}

FIXTURE_TEARDOWN(reg)
{
	mmr_guest_close(self->g);
}

#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)

static char *map_at(struct mmr_guest *g, uint64_t at, uint64_t len, int prot)
{
	return mmr_guest_mmap(g, (void *)at, len, prot,
			      ANON | MAP_FIXED_NOREPLACE, -1, 0);
}

static int perms(const struct mmr_mapping *m, char out[5]);

/*
 * The record agrees with the kernel: every page of every record (up to 64
 * a record) has the record's permissions in /proc/self/maps, and, in the
 * QEMU-style fallback, every page of the window is on record or a
 * placeholder ("---p"), never a mapping nobody holds.
 */
static bool was_there(const FIXTURE_DATA(reg) *self, uint64_t a)
{
	int i;

	for (i = 0; i < self->npre; i++)
		if (a >= self->pre[i][0] && a < self->pre[i][1])
			return true;
	return false;
}

/*
 * The QEMU-style fallback holds the whole window: each mapping there that
 * is not a placeholder ("---p") is on record, or was there before.
 */
static void check_held(struct __test_metadata *_metadata,
		       const FIXTURE_DATA(reg) *self)
{
	unsigned long lo, hi;
	char line[512], prot[5];
	struct mmr_mapping m;
	FILE *f = fopen("/proc/self/maps", "re");
	uint64_t a, held = WIN_START;

	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, prot) != 3 ||
		    hi <= WIN_START || lo >= WIN_END)
			continue;
		/* No hole: the kernel could place there. */
		if (lo > held)
			TH_LOG("hole [%#llx, %#lx) in the window",
			       (unsigned long long)held, lo);
		ASSERT_LE(lo, held);
		held = hi;
		if (!strcmp(prot, "---p"))
			continue;
		for (a = lo; a < hi; a += page()) {
			if (!mmr_guest_lookup(self->g, a, &m))
				a = m.end - page();
			else if (!was_there(self, a))
				break;
		}
		if (a < hi)
			TH_LOG("%#llx: %s, not on record", (unsigned long long)a,
			       prot);
		ASSERT_GE(a, (uint64_t)hi);
	}
	fclose(f);
	ASSERT_GE(held, WIN_END);
}

static void check_record(struct __test_metadata *_metadata,
			 const FIXTURE_DATA(reg) *self, bool placeholders)
{
	struct mmr_guest *g = self->g;
	struct mmr_mapping m;
	uint64_t cur = 0, a;
	char want[5], got[5];

	while (!mmr_guest_next(g, cur, &m)) {
		perms(&m, want);
		for (a = m.start; a < m.end && a < m.start + 64 * page();
		     a += page()) {
			ASSERT_EQ(0, maps_prot(a, got));
			if (strcmp(want, got))
				TH_LOG("%#llx: record %s, kernel %s",
				       (unsigned long long)a, want, got);
			ASSERT_STREQ(want, got);
		}
		cur = m.end;
	}
	if (placeholders)
		check_held(_metadata, self);
}

/* The record at @addr is [start, end) with @prot and @kind. */
#define ASSERT_REC(_g, _addr, _start, _end, _prot, _kind) do {		\
	struct mmr_mapping __m;						\
	ASSERT_EQ(0, mmr_guest_lookup((_g), (uint64_t)(_addr), &__m));	\
	ASSERT_EQ((uint64_t)(_start), __m.start);			\
	ASSERT_EQ((uint64_t)(_end), __m.end);				\
	ASSERT_EQ((_prot), __m.prot);					\
	ASSERT_EQ((unsigned int)(_kind), __m.kind);			\
} while (0)

TEST_F(reg, mmap_records_anon_and_file)
{
	char path[] = "/tmp/libmmrange.XXXXXX", *a, *f;
	struct mmr_mapping m;
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, 8 * page()));
	a = mmr_guest_mmap(self->g, NULL, 3 * page() - 1, RW, ANON, -1, 0);
	ASSERT_PTR(a);
	ASSERT_REC(self->g, a + page(), a, a + 3 * page(), RW, MMR_KIND_ANON);
	ASSERT_EQ(0, mmr_guest_lookup(self->g, (uint64_t)a, &m));
	ASSERT_EQ(MAP_PRIVATE, m.flags);
	ASSERT_EQ(-1, m.shmid);
	f = mmr_guest_mmap(self->g, NULL, 2 * page(), PROT_READ, MAP_SHARED,
			   fd, 4 * page());
	ASSERT_PTR(f);
	ASSERT_EQ(0, mmr_guest_lookup(self->g, (uint64_t)f, &m));
	ASSERT_EQ(MMR_KIND_FILE, m.kind);
	ASSERT_EQ(MAP_SHARED, m.flags);
	ASSERT_EQ(4 * page(), m.offset);
	ASSERT_EQ((uint64_t)f + 2 * page(), m.end);
	close(fd);
}

/* munmap() of the middle leaves two records, the file offset following. */
TEST_F(reg, munmap_middle_splits_record)
{
	uint64_t at = WIN_START + 64 * SZ_1M;
	char path[] = "/tmp/libmmrange.XXXXXX";
	struct mmr_mapping m;
	int fd = mkstemp(path);
	char *p;

	ASSERT_GE(fd, 0);
	unlink(path);
	ASSERT_EQ(0, ftruncate(fd, 4 * page()));
	p = mmr_guest_mmap(self->g, (void *)at, 4 * page(), PROT_READ,
			   MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
	ASSERT_EQ((char *)at, p);
	ASSERT_EQ(0, mmr_guest_munmap(self->g, p + page(), page()));
	ASSERT_REC(self->g, at, at, at + page(), PROT_READ, MMR_KIND_FILE);
	ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, at + page(), &m));
	ASSERT_REC(self->g, at + 3 * page(), at + 2 * page(), at + 4 * page(),
		   PROT_READ, MMR_KIND_FILE);
	ASSERT_EQ(0, mmr_guest_lookup(self->g, at + 2 * page(), &m));
	ASSERT_EQ(2 * page(), m.offset);
	close(fd);
}

/* mprotect() splits too, and the access checks follow it. */
TEST_F(reg, mprotect_splits_and_access_checks_follow)
{
	uint64_t at = WIN_START + 80 * SZ_1M;
	char *p = map_at(self->g, at, 3 * page(), RW);

	ASSERT_EQ((char *)at, p);
	ASSERT_EQ(0, mmr_guest_access(self->g, at, 3 * page(), RW));
	ASSERT_EQ(0, mmr_guest_mprotect(self->g, p + page(), page(),
					PROT_READ));
	ASSERT_REC(self->g, at + page(), at + page(), at + 2 * page(),
		   PROT_READ, MMR_KIND_ANON);
	ASSERT_REC(self->g, at + 2 * page(), at + 2 * page(), at + 3 * page(),
		   RW, MMR_KIND_ANON);
	ASSERT_EQ(0, mmr_guest_access(self->g, at, 3 * page(), PROT_READ));
	ASSERT_EQ(-EACCES, mmr_guest_access(self->g, at, 3 * page(), RW));
	ASSERT_EQ(0, mmr_guest_access(self->g, at + 2 * page(), 8, RW));
	ASSERT_EQ(-EFAULT, mmr_guest_access(self->g, at, 4 * page(),
					    PROT_READ));
	ASSERT_EQ(-EFAULT, mmr_guest_access(self->g, at - 1, 2, PROT_READ));
	/* The kernel agrees. */
	{
		char prot[5];

		ASSERT_EQ(0, maps_prot(at + page(), prot));
		ASSERT_STREQ("r--p", prot);
	}
}

/* A placeholder is no mapping: mprotect() of free space fails. */
TEST_F(reg, mprotect_of_free_space_enomem)
{
	uint64_t at = WIN_START + 90 * SZ_1M;

	ASSERT_EQ(-ENOMEM, mmr_guest_mprotect(self->g, (void *)at, page(),
					      RW));
}

TEST_F(reg, fixed_over_replaces_record)
{
	uint64_t at = WIN_START + 96 * SZ_1M;
	char *p = map_at(self->g, at, 4 * page(), RW);

	ASSERT_EQ((char *)at, p);
	p = mmr_guest_mmap(self->g, (void *)(at + page()), page(), PROT_NONE,
			   ANON | MAP_FIXED, -1, 0);
	ASSERT_EQ((char *)(at + page()), p);
	ASSERT_REC(self->g, at, at, at + page(), RW, MMR_KIND_ANON);
	ASSERT_REC(self->g, at + page(), at + page(), at + 2 * page(),
		   PROT_NONE, MMR_KIND_ANON);
	ASSERT_REC(self->g, at + 3 * page(), at + 2 * page(), at + 4 * page(),
		   RW, MMR_KIND_ANON);
}

static int perms(const struct mmr_mapping *m, char out[5])
{
	out[0] = m->prot & PROT_READ ? 'r' : '-';
	out[1] = m->prot & PROT_WRITE ? 'w' : '-';
	out[2] = m->prot & PROT_EXEC ? 'x' : '-';
	out[3] = m->flags == MAP_SHARED ? 's' : 'p';
	out[4] = 0;
	return 0;
}

/*
 * Iterating the record gives what a translator would print for the guest's
 * /proc/self/maps: every record lies in one line of the kernel's, with the
 * same permissions, and the iteration is in address order.
 */
TEST_F(reg, next_lists_what_proc_maps_shows)
{
	uint64_t cur = 0, last_end = 0;
	struct mmr_mapping m;
	int i, n = 0;

	for (i = 0; i < 40; i++) {
		int prot = i % 3 ? RW : PROT_READ;

		ASSERT_PTR(mmr_guest_mmap(self->g, NULL, page() * (1 + i % 5),
					  prot, ANON, -1, 0));
	}
	while (!mmr_guest_next(self->g, cur, &m)) {
		char want[5], got[5];

		ASSERT_GE(m.start, last_end);
		ASSERT_INSIDE(m.start, m.end - m.start, WIN_START, WIN_END);
		perms(&m, want);
		ASSERT_EQ(0, maps_prot(m.start, got));
		ASSERT_STREQ(want, got);
		ASSERT_EQ(0, maps_prot(m.end - 1, got));
		ASSERT_STREQ(want, got);
		last_end = cur = m.end;
		n++;
	}
	ASSERT_EQ(40, n);	/* one record a call: they are never merged */
}

TEST_F(reg, mremap_fixed_moves_record)
{
	uint64_t at = WIN_START + 128 * SZ_1M, to = WIN_START + 160 * SZ_1M;
	struct mmr_mapping m;
	char *p = map_at(self->g, at, 2 * page(), PROT_READ);

	ASSERT_EQ((char *)at, p);
	ASSERT_EQ((char *)to,
		  mmr_guest_mremap_to(self->g, p, 2 * page(), 4 * page(),
				      MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to));
	ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, at, &m));
	ASSERT_REC(self->g, to + 3 * page(), to, to + 4 * page(), PROT_READ,
		   MMR_KIND_ANON);
	/* Where it was, the window is free again (in the fallback too). */
	ASSERT_EQ((char *)at, map_at(self->g, at, 2 * page(), RW));
}

/* MREMAP_DONTUNMAP: both ranges stay mapped, the data moves. */
TEST_F(reg, mremap_dontunmap_keeps_old_record)
{
	uint64_t at = WIN_START + 192 * SZ_1M;
	char *p = map_at(self->g, at, 2 * page(), RW), *q;
	char prot[5];

	ASSERT_EQ((char *)at, p);
	p[0] = 42;
	q = mmr_guest_mremap(self->g, p, 2 * page(), 2 * page(),
			     MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	ASSERT_PTR(q);
	ASSERT_NE(p, q);
	ASSERT_INSIDE(q, 2 * page(), WIN_START, WIN_END);
	ASSERT_EQ(42, q[0]);
	ASSERT_EQ(0, p[0]);	/* still mapped, its pages gone */
	ASSERT_REC(self->g, at, at, at + 2 * page(), RW, MMR_KIND_ANON);
	ASSERT_REC(self->g, q, q, q + 2 * page(), RW, MMR_KIND_ANON);
	ASSERT_EQ(0, maps_prot(at, prot));
	ASSERT_STREQ("rw-p", prot);
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mremap(self->g, q, 2 * page(), 4 * page(),
					 MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	ASSERT_EQ(EINVAL, errno);
}

/*
 * shmdt() takes only an address: the size comes from the record.  After it
 * nothing of the segment is mapped, the record is empty there and, in the
 * fallback, the placeholder is back (the window is still held).
 */
TEST_F(reg, shmdt_takes_the_size_from_the_record)
{
	struct mmr_mapping m;
	char prot[5], *p;
	int id;

	id = shmget(IPC_PRIVATE, 3 * page() - 100, IPC_CREAT | 0600);
	if (id < 0)
		SKIP(return, "shmget: %s", strerror(errno));
	p = mmr_guest_shmat(self->g, id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_PTR(p);
	ASSERT_INSIDE(p, 3 * page(), WIN_START, WIN_END);
	p[3 * page() - 101] = 1;
	ASSERT_EQ(0, mmr_guest_lookup(self->g, (uint64_t)p, &m));
	ASSERT_EQ(MMR_KIND_SHM, m.kind);
	ASSERT_EQ(id, m.shmid);
	ASSERT_EQ((uint64_t)p, m.attach);
	ASSERT_EQ((uint64_t)p + 3 * page(), m.end);
	ASSERT_EQ(MAP_SHARED, m.flags);
	/* A piece of it made read-only is still the same attachment. */
	ASSERT_EQ(0, mmr_guest_mprotect(self->g, p + 2 * page(), page(),
					PROT_READ));
	ASSERT_EQ(0, mmr_guest_lookup(self->g, (uint64_t)p + 2 * page(), &m));
	ASSERT_EQ((uint64_t)p, m.attach);
	ASSERT_EQ(-EINVAL, mmr_guest_shmdt(self->g, p + page()));
	ASSERT_EQ(0, mmr_guest_shmdt(self->g, p));
	ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, (uint64_t)p, &m));
	ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g,
					    (uint64_t)p + 2 * page(), &m));
	if (variant->flags & MMR_GUEST_RESERVE_OUTSIDE) {
		ASSERT_EQ(-1, maps_prot((uint64_t)p, prot));
	} else if (variant->flags & MMR_GUEST_FALLBACK) {
		ASSERT_EQ(0, maps_prot((uint64_t)p + 2 * page(), prot));
		ASSERT_STREQ("---p", prot);
	} else {
		ASSERT_EQ(-1, maps_prot((uint64_t)p + 2 * page(), prot));
	}
	ASSERT_EQ(-EINVAL, mmr_guest_shmdt(self->g, p));
}

/* shmat() at an address: there, and SHM_RND rounds it down. */
TEST_F(reg, shmat_at_address_inside_only)
{
	uint64_t at = WIN_START + 224 * SZ_1M;
	struct mmr_mapping m;
	int id;
	char *p;

	id = shmget(IPC_PRIVATE, page(), IPC_CREAT | 0600);
	if (id < 0)
		SKIP(return, "shmget: %s", strerror(errno));
	p = mmr_guest_shmat(self->g, id, (void *)(at + 8), SHM_RND | SHM_RDONLY);
	ASSERT_EQ((char *)at, p);
	ASSERT_EQ(0, mmr_guest_lookup(self->g, at, &m));
	ASSERT_EQ(PROT_READ, m.prot);
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_shmat(self->g, id, (void *)WIN_END, 0));
	ASSERT_EQ(EINVAL, errno);
	/* Where something is mapped, only SHM_REMAP replaces it. */
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_shmat(self->g, id, (void *)at, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ((char *)at, mmr_guest_shmat(self->g, id, (void *)at,
					      SHM_REMAP));
	shmctl(id, IPC_RMID, NULL);
	ASSERT_EQ(0, mmr_guest_shmdt(self->g, p));
}

/*
 * A ring the kernel placed (io_setup) goes on record with its extent read
 * from the kernel; where the mode cannot keep it inside, the library
 * refuses to record it.
 */
TEST_F(reg, record_kernel_placed_ring)
{
	unsigned long ctx = 0;
	struct mmr_mapping m;
	int err;

	if (variant->flags & MMR_GUEST_COMPAT)
		SKIP(return, "compat io_setup: in the kernel selftests");
	if (syscall(SYS_io_setup, 64, &ctx))
		SKIP(return, "io_setup: %s", strerror(errno));
	err = mmr_guest_record(self->g, ctx, 0, 0, MMR_KIND_RING);
	if (!(mmr_guest_confines(self->g) & MMR_CONFINES_IO_SETUP)) {
		ASSERT_EQ(-EINVAL, err);
	} else {
		ASSERT_EQ(0, err);
		ASSERT_EQ(0, mmr_guest_lookup(self->g, ctx, &m));
		ASSERT_EQ(MMR_KIND_RING, m.kind);
		ASSERT_EQ(ctx, m.start);
		ASSERT_GT(m.end, ctx);
		ASSERT_EQ(PROT_READ, m.prot & PROT_READ);
		ASSERT_EQ(0, mmr_guest_forget(self->g, ctx, m.end - ctx));
		ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, ctx, &m));
	}
	syscall(SYS_io_destroy, ctx);
	ASSERT_EQ(-EINVAL, mmr_guest_record(self->g, WIN_START, page(), 0,
					    MMR_KIND_SHM));
}

/* mremap(2) of memory nothing maps is EFAULT; free window space too. */
TEST_F(reg, mremap_of_free_space_efault)
{
	uint64_t at = WIN_START + 232 * SZ_1M;

	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mremap(self->g, (void *)at, page(),
					 4 * page(), MREMAP_MAYMOVE));
	ASSERT_EQ(EFAULT, errno);
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_mremap_to(self->g, (void *)at, page(), page(),
					    MREMAP_MAYMOVE | MREMAP_FIXED,
					    (void *)(at + SZ_1M)));
	ASSERT_EQ(EFAULT, errno);
	check_record(_metadata, self,
		     variant->flags == MMR_GUEST_FALLBACK);
}

/*
 * A move of several mappings at once (Linux 6.17+ moves them all when the
 * size stays; older kernels refuse with EFAULT): each keeps its own
 * protection on record, and the hole between them stays a hole.
 */
TEST_F(reg, mremap_fixed_of_several_mappings_keeps_each)
{
	uint64_t at = WIN_START + 240 * SZ_1M, to = WIN_START + 248 * SZ_1M;
	struct mmr_mapping m;
	char *p;

	ASSERT_EQ((char *)at, map_at(self->g, at, page(), RW));
	ASSERT_EQ((char *)(at + 2 * page()),
		  map_at(self->g, at + 2 * page(), page(), PROT_READ));
	p = mmr_guest_mremap_to(self->g, (void *)at, 3 * page(), 3 * page(),
				MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to);
	if (!p) {
		ASSERT_EQ(EFAULT, errno);
		ASSERT_REC(self->g, at, at, at + page(), RW, MMR_KIND_ANON);
	} else {
		ASSERT_EQ((char *)to, p);
		ASSERT_REC(self->g, to, to, to + page(), RW, MMR_KIND_ANON);
		ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, to + page(), &m));
		ASSERT_REC(self->g, to + 2 * page(), to + 2 * page(),
			   to + 3 * page(), PROT_READ, MMR_KIND_ANON);
		ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, at, &m));
	}
	check_record(_metadata, self,
		     variant->flags == MMR_GUEST_FALLBACK);
}

/*
 * mprotect() changes the mappings in turn and stops at the first it may
 * not change (a read-only file mapped shared cannot become writable): the
 * record follows the ones it did change.
 */
TEST_F(reg, mprotect_failing_part_way_keeps_record_true)
{
	uint64_t at = WIN_START + 256 * SZ_1M;
	char path[] = "/tmp/libmmrange.XXXXXX";
	int fd = mkstemp(path), ro;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, page()));
	ro = open(path, O_RDONLY);
	unlink(path);
	close(fd);
	ASSERT_GE(ro, 0);
	ASSERT_EQ((char *)at, map_at(self->g, at, page(), PROT_READ));
	ASSERT_EQ((char *)(at + page()),
		  mmr_guest_mmap(self->g, (void *)(at + page()), page(),
				 PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
				 ro, 0));
	ASSERT_EQ(-EACCES, mmr_guest_mprotect(self->g, (void *)at, 2 * page(),
					      RW));
	check_record(_metadata, self,
		     variant->flags == MMR_GUEST_FALLBACK);
	ASSERT_REC(self->g, at, at, at + page(), RW, MMR_KIND_ANON);
	ASSERT_REC(self->g, at + page(), at + page(), at + 2 * page(),
		   PROT_READ, MMR_KIND_FILE);
	close(ro);
}

/* Lengths whose rounding to pages wraps are refused, as the kernel does. */
TEST_F(reg, lengths_that_wrap_are_refused)
{
	uint64_t at = WIN_START + 264 * SZ_1M;
	struct mmr_mapping m;

	ASSERT_EQ((char *)at, map_at(self->g, at, 2 * page(), RW));
	ASSERT_EQ(-ENOMEM, mmr_guest_mprotect(self->g, (void *)(at + page()),
					      SIZE_MAX, PROT_READ));
	ASSERT_EQ(-EINVAL, mmr_guest_record(self->g, at, UINT64_MAX, RW,
					    MMR_KIND_ANON));
	ASSERT_EQ(-EINVAL, mmr_guest_forget(self->g, at, UINT64_MAX));
	ASSERT_EQ(-EINVAL, mmr_guest_munmap(self->g, (void *)at, SIZE_MAX));
	ASSERT_REC(self->g, at, at, at + 2 * page(), RW, MMR_KIND_ANON);
	ASSERT_EQ(0, mmr_guest_next(self->g, at, &m));
	ASSERT_EQ(at + 2 * page(), m.end);	/* one record, nothing empty */
}

/* shmdt() finds the attachment past a first page that is gone. */
TEST_F(reg, shmdt_after_its_first_page_was_unmapped)
{
	struct mmr_mapping m;
	char prot[5], *p;
	int id = shmget(IPC_PRIVATE, 3 * page(), IPC_CREAT | 0600);

	if (id < 0)
		SKIP(return, "shmget: %s", strerror(errno));
	p = mmr_guest_shmat(self->g, id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	ASSERT_PTR(p);
	ASSERT_EQ(0, mmr_guest_munmap(self->g, p, page()));
	ASSERT_EQ(0, mmr_guest_shmdt(self->g, p));
	ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, (uint64_t)p + page(), &m));
	ASSERT_EQ(-ENOENT, mmr_guest_lookup(self->g, (uint64_t)p + 2 * page(),
					    &m));
	if (maps_prot((uint64_t)p + page(), prot) == 0)
		ASSERT_STREQ("---p", prot);	/* the fallback's placeholder */
	check_record(_metadata, self,
		     variant->flags == MMR_GUEST_FALLBACK);
}

/*
 * What the translator maps itself inside the window and puts on record is
 * the guest's: no later mmr_guest_mmap() replaces it.
 */
TEST_F(reg, recorded_mapping_is_never_mapped_over)
{
	uint64_t at = WIN_START;	/* the lowest: the fallback's first pick */
	char *ring, *p;
	int i;

	ring = mmap((void *)at, page(), RW,
		    MAP_SHARED | MAP_ANONYMOUS |
		    (variant->flags == MMR_GUEST_FALLBACK ? MAP_FIXED :
		     MAP_FIXED_NOREPLACE), -1, 0);
	ASSERT_EQ((char *)at, ring);
	ring[0] = 9;
	ASSERT_EQ(0, mmr_guest_record(self->g, at, page(), RW, MMR_KIND_RING));
	for (i = 0; i < 8; i++) {
		p = mmr_guest_mmap(self->g, NULL, page(), RW, ANON, -1, 0);
		ASSERT_PTR(p);
		ASSERT_NE((char *)at, p);
	}
	ASSERT_EQ(9, ring[0]);
	check_record(_metadata, self,
		     variant->flags == MMR_GUEST_FALLBACK);
}

struct worker {
	struct mmr_guest *g;
	uint64_t base;		/* a slice of the window of its own */
	pthread_barrier_t *ready;
	int fails;
	char first[96];		/* what failed first */
};

static void failed(struct worker *w, const char *what, uint64_t at, int err)
{
	if (!w->fails++)
		snprintf(w->first, sizeof(w->first), "%s at %#llx: %s", what,
			 (unsigned long long)at, strerror(err));
}

/*
 * Map and unmap in its own slice while the others do the same.  The slice
 * comes from the library: with a full window the threads' own stacks and
 * malloc arenas land in the window too, so no address is safe to assume.
 * Each thread makes its arena first (under the barrier); then nothing of
 * glibc's is placed any more while they churn.
 */
static void *churn(void *arg)
{
	struct worker *w = arg;
	struct mmr_mapping m;
	int i, err;

	free(malloc(64));
	pthread_barrier_wait(w->ready);
	err = mmr_guest_munmap(w->g, (void *)w->base, 64 * page());
	if (err)
		failed(w, "munmap of the slice", w->base, -err);
	for (i = 0; i < 400; i++) {
		uint64_t at = w->base + (uint64_t)(i % 16) * 4 * page();

		if (!map_at(w->g, at, 2 * page(), RW)) {
			failed(w, "map", at, errno);
			continue;
		}
		err = mmr_guest_lookup(w->g, at + page(), &m);
		if (err || m.start != at)
			failed(w, "lookup", at, err ? -err : EINVAL);
		err = mmr_guest_munmap(w->g, (void *)at, 2 * page());
		if (err)
			failed(w, "munmap", at, -err);
	}
	return NULL;
}

/* Four threads at once: every record right, nothing left over. */
TEST_F(reg, concurrent_changes_keep_the_record_exact)
{
	pthread_barrier_t ready;
	struct worker w[4];
	pthread_t t[4];
	struct mmr_mapping m;
	int i;

	ASSERT_EQ(0, pthread_barrier_init(&ready, NULL, 5));
	for (i = 0; i < 4; i++) {
		char *slice = mmr_guest_mmap(self->g, NULL, 64 * page(),
					     PROT_NONE, ANON, -1, 0);

		ASSERT_PTR(slice);
		w[i] = (struct worker){
			.g = self->g, .base = (uint64_t)slice, .ready = &ready,
		};
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn, &w[i]));
	}
	pthread_barrier_wait(&ready);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		if (w[i].fails) {
			char prot[5];

			TH_LOG("worker %d: %d failures, first %s (kernel: %s)",
			       i, w[i].fails, w[i].first,
			       maps_prot(w[i].base, prot) ? "unmapped" : prot);
		}
		ASSERT_EQ(0, w[i].fails);
		/* Nothing of the slice is left on record. */
		ASSERT_TRUE(mmr_guest_next(self->g, w[i].base, &m) ||
			    m.start >= w[i].base + 64 * page());
	}
	pthread_barrier_destroy(&ready);
}

TEST(registry_bad_arguments)
{
	struct mmr_mapping m;

	ASSERT_EQ(-EINVAL, mmr_guest_lookup(NULL, WIN_START, &m));
	ASSERT_EQ(-EINVAL, mmr_guest_next(NULL, WIN_START, &m));
	ASSERT_EQ(-EINVAL, mmr_guest_access(NULL, WIN_START, 1, PROT_READ));
	ASSERT_EQ(-EINVAL, mmr_guest_record(NULL, WIN_START, page(), 0, 0));
	ASSERT_EQ(-EINVAL, mmr_guest_shmdt(NULL, (void *)WIN_START));
	errno = 0;
	ASSERT_EQ(NULL, mmr_guest_shmat(NULL, 0, NULL, 0));
	ASSERT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
