// SPDX-License-Identifier: GPL-2.0
/*
 * PR_MMAP_RANGE_EXCLUSIVE with PR_MMAP_RANGE_COMPAT: the window is the
 * compat syscalls' alone.  What they place lands inside it; what anything
 * else places (native syscalls, and through them malloc, thread stacks,
 * file maps) lands outside, or fails with -ENOMEM; MAP_FIXED goes anywhere.
 *
 * The window is a translator's, [1 MiB, 4 GiB).  This program is built as
 * a PIE (a static PIE when the selftests are linked -static), as
 * translators are built, so that nothing of its own (text, brk heap) lies
 * inside the window before the tests set it.
 */
#include "mmrange_test.h"
#include "compat_syscall.h"

#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#define XWIN_START	SZ_1M
#define XWIN_END	SZ_4G
#define XWIN_FLAGS	(PR_MMAP_RANGE_COMPAT | PR_MMAP_RANGE_EXCLUSIVE)

#define ASSERT_OUTSIDE(_addr, _len) do {					\
	unsigned long __a = (unsigned long)(_addr), __l = (_len);		\
	if (overlaps(__a, __l, XWIN_START, XWIN_END))				\
		TH_LOG("[%#lx, %#lx) overlaps the window [%#lx, %#lx)",	\
		       __a, __a + __l, XWIN_START, XWIN_END);			\
	ASSERT_FALSE(overlaps(__a, __l, XWIN_START, XWIN_END));		\
} while (0)

static unsigned long c32_map(unsigned long len, int flags)
{
	return (unsigned long)compat_syscall(C32_mmap2, 0, len,
					     PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS | flags,
					     -1, 0);
}

/* The flag needs a compat-only window: there is nothing else to keep out. */
TEST(exclusive_without_compat_einval)
{
	ASSERT_ERRNO(EINVAL, mmr_set(XWIN_START, XWIN_END,
				     PR_MMAP_RANGE_EXCLUSIVE));
	ASSERT_ERRNO(EINVAL, mmr_set(XWIN_START, XWIN_END,
				     PR_MMAP_RANGE_EXCLUSIVE |
				     PR_MMAP_RANGE_LOCK));
	ASSERT_WINDOW(0, 0, 0);
	ASSERT_SET(XWIN_START, XWIN_END, XWIN_FLAGS | PR_MMAP_RANGE_LOCK);
	ASSERT_WINDOW(XWIN_START, XWIN_END, XWIN_FLAGS | PR_MMAP_RANGE_LOCK);
}

FIXTURE(xwin) {
	unsigned long pg;
};

FIXTURE_SETUP(xwin)
{
	self->pg = page_size();
	if (maps_count(XWIN_START, XWIN_END))
		SKIP(return, "something is mapped in [%#lx, %#lx): not a PIE?",
		     XWIN_START, XWIN_END);
	ASSERT_SET(XWIN_START, XWIN_END, XWIN_FLAGS);
	ASSERT_WINDOW(XWIN_START, XWIN_END, XWIN_FLAGS);
}

FIXTURE_TEARDOWN(xwin)
{
}

TEST_F(xwin, status_shows_exclusive)
{
	char buf[64], want[64];

	snprintf(want, sizeof(want), "%lx-%lx %lx", XWIN_START, XWIN_END,
		 XWIN_FLAGS);
	ASSERT_EQ(0, proc_mmap_range(0, buf, sizeof(buf)));
	ASSERT_STREQ(want, buf);
}

TEST_F(xwin, compat_mmap2_inside)
{
	unsigned long c;
	int i;

	for (i = 0; i < 16; i++) {
		c = c32_map((i + 1) * self->pg, 0);
		ASSERT_C32_OK(c);
		ASSERT_INSIDE(c, (i + 1) * self->pg, XWIN_START, XWIN_END);
	}
}

TEST_F(xwin, native_mmap_outside)
{
	unsigned long len;
	void *p;

	for (len = self->pg; len <= SZ_1G; len <<= 1) {
		p = map_anon(0, len, PROT_NONE, MAP_NORESERVE);
		ASSERT_MAPPED(p);
		ASSERT_OUTSIDE(p, len);
	}
}

/* A native hint inside the window, or overlapping it, is no hint. */
TEST_F(xwin, native_hint_inside_is_no_hint)
{
	const unsigned long len = 2 * self->pg;
	const unsigned long hints[] = {
		XWIN_START + SZ_16M,
		XWIN_START - self->pg,
		XWIN_END - self->pg,
	};
	unsigned int i;
	void *p;

	for (i = 0; i < ARRAY_SIZE(hints); i++) {
		p = map_anon(hints[i], len, PROT_READ | PROT_WRITE, 0);
		ASSERT_MAPPED(p);
		ASSERT_OUTSIDE(p, len);
	}
}

TEST_F(xwin, native_hint_outside_kept)
{
	void *p = map_anon(OUTSIDE, self->pg, PROT_READ | PROT_WRITE, 0);

	ASSERT_MAPPED(p);
	ASSERT_EQ(OUTSIDE, (unsigned long)p);
	/* Right above the window's end is outside too. */
	p = map_anon(XWIN_END, self->pg, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(p);
	ASSERT_EQ(XWIN_END, (unsigned long)p);
}

/* MAP_FIXED goes anywhere, as without the flag: the guest's own mmap(). */
TEST_F(xwin, native_map_fixed_inside_kept)
{
	const unsigned long a = XWIN_START + SZ_16M;
	void *p;

	p = map_fixed(a, self->pg, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	ASSERT_EQ(a, (unsigned long)p);
	p = map_anon(a + SZ_1M, self->pg, PROT_READ | PROT_WRITE, MAP_FIXED);
	ASSERT_MAPPED(p);
	ASSERT_EQ(a + SZ_1M, (unsigned long)p);
}

/* malloc() from the brk heap and from mmap() (above its threshold). */
TEST_F(xwin, malloc_outside)
{
	char *small = malloc(64), *large = malloc(8 * SZ_1M);

	ASSERT_NE(NULL, small);
	ASSERT_NE(NULL, large);
	ASSERT_OUTSIDE(small, 64);
	ASSERT_OUTSIDE(large, 8 * SZ_1M);
	memset(large, 1, 8 * SZ_1M);
	free(large);
	free(small);
}

struct thread_report {
	unsigned long stack, stack_size, local, heap;
};

static void *report_thread(void *arg)
{
	struct thread_report *r = arg;
	pthread_attr_t attr;
	void *stack, *heap;
	size_t size;
	int local;

	r->local = (unsigned long)&local;
	if (!pthread_getattr_np(pthread_self(), &attr)) {
		if (!pthread_attr_getstack(&attr, &stack, &size)) {
			r->stack = (unsigned long)stack;
			r->stack_size = size;
		}
		pthread_attr_destroy(&attr);
	}
	/* A new thread's first malloc() maps an arena of its own. */
	heap = malloc(4096);
	r->heap = (unsigned long)heap;
	free(heap);
	return NULL;
}

TEST_F(xwin, thread_stack_and_arena_outside)
{
	struct thread_report r = { 0 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, report_thread, &r));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_NE(0UL, r.stack_size);
	ASSERT_NE(0UL, r.heap);
	ASSERT_OUTSIDE(r.stack, r.stack_size);
	ASSERT_OUTSIDE(r.local, sizeof(int));
	ASSERT_OUTSIDE(r.heap, 4096);
}

/*
 * What dlopen() does with a library: map the whole file, then map its
 * segments over that with MAP_FIXED.  Here the file is this program.
 */
TEST_F(xwin, native_file_map_outside)
{
	const unsigned long len = 4 * self->pg;
	void *p, *q;
	int fd;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_MAPPED(p);
	ASSERT_OUTSIDE(p, len);
	q = mmap((char *)p + self->pg, self->pg, PROT_READ | PROT_EXEC,
		 MAP_PRIVATE | MAP_FIXED, fd, self->pg);
	ASSERT_MAPPED(q);
	ASSERT_EQ((char *)p + self->pg, (char *)q);
	close(fd);
}

/*
 * A page of the guest's at @a, inside the window, holding 7, with a
 * mapping right behind it so that growing it in place is impossible.
 */
static int map_guest_page(unsigned long a, unsigned long pg)
{
	if (map_fixed(a, pg, PROT_READ | PROT_WRITE) == MAP_FAILED ||
	    map_fixed(a + pg, pg, PROT_NONE) == MAP_FAILED)
		return -1;
	write_byte(a, 7);
	return 0;
}

/* A native mremap() moves even a guest mapping out of the window. */
TEST_F(xwin, native_mremap_maymove_outside)
{
	const unsigned long a = XWIN_START + SZ_16M;
	void *m;

	ASSERT_EQ(0, map_guest_page(a, self->pg));
	m = mremap((void *)a, self->pg, SZ_1M, MREMAP_MAYMOVE);
	ASSERT_MAPPED(m);
	ASSERT_OUTSIDE(m, SZ_1M);
	ASSERT_EQ(7, read_byte((unsigned long)m));
}

TEST_F(xwin, compat_mremap_maymove_inside)
{
	const unsigned long a = XWIN_START + SZ_16M;
	unsigned long c;

	ASSERT_EQ(0, map_guest_page(a, self->pg));
	c = (unsigned long)compat_syscall(C32_mremap, a, self->pg, SZ_1M,
					   MREMAP_MAYMOVE, 0);
	ASSERT_C32_OK(c);
	ASSERT_INSIDE(c, SZ_1M, XWIN_START, XWIN_END);
	ASSERT_EQ(7, read_byte(c));
}

TEST_F(xwin, shmat_compat_inside_native_outside)
{
	unsigned long c;
	void *n;
	int id;

	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	ASSERT_LE(0, id);
	c = (unsigned long)compat_syscall(C32_shmat, id, 0, 0);
	ASSERT_C32_OK(c);
	ASSERT_INSIDE(c, SZ_1M, XWIN_START, XWIN_END);
	n = shmat(id, NULL, 0);
	ASSERT_NE((void *)-1, n);
	ASSERT_OUTSIDE(n, SZ_1M);
	ASSERT_EQ(0, compat_syscall(C32_shmdt, c));
	ASSERT_EQ(0, shmdt(n));
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
}

/* The aio context id is the address of its ring. */
TEST_F(xwin, io_setup_compat_inside_native_outside)
{
	unsigned long buf = c32_map(self->pg, 0), ctx = 0;
	uint32_t *ctx32 = (uint32_t *)buf;

	ASSERT_C32_OK(buf);
	*ctx32 = 0;
	ASSERT_EQ(0, compat_syscall(C32_io_setup, 16, ptr32(ctx32)));
	ASSERT_INSIDE(*ctx32, self->pg, XWIN_START, XWIN_END);
	ASSERT_EQ(0, compat_syscall(C32_io_destroy, *ctx32));

	ASSERT_EQ(0, syscall(SYS_io_setup, 16, &ctx));
	ASSERT_OUTSIDE(ctx, self->pg);
	ASSERT_EQ(0, syscall(SYS_io_destroy, ctx));
}

TEST_F(xwin, hugetlb_compat_inside_native_outside)
{
	unsigned long hp = hugetlb_page_size(), c;
	void *n;

	ASSERT_HUGEPAGES_RESERVED();
	ASSERT_NE(0UL, hp);
	c = c32_map(hp, MAP_HUGETLB);
	ASSERT_C32_OK(c);
	ASSERT_INSIDE(c, hp, XWIN_START, XWIN_END);
	ASSERT_ALIGNED(c, hp);
	n = map_anon(0, hp, PROT_READ | PROT_WRITE, MAP_HUGETLB);
	ASSERT_MAPPED(n);
	ASSERT_OUTSIDE(n, hp);
	ASSERT_ALIGNED(n, hp);
}

/* A function for a uprobe to hit. */
static int probed_function(int x)
{
	return x + 1;
}

/* Call it through a pointer the compiler cannot see through. */
static int call_probed(int x)
{
	int (*fn)(int) = probed_function;

	asm volatile("" : "+r"(fn));
	return fn(x);
}

/* The type of the perf "uprobe" PMU, or -1. */
static int uprobe_pmu_type(void)
{
	unsigned long type;

	if (read_ulong("/sys/bus/event_source/devices/uprobe/type", &type))
		return -1;
	return (int)type;
}

/*
 * The one placement the kernel makes from a trap: the uprobes XOL page,
 * mapped when a uprobe of this task first fires.  It is the translator's
 * (it probes its own code), so it lies outside an exclusive window.
 */
TEST_F(xwin, uprobe_xol_page_outside)
{
	unsigned long addr = (unsigned long)probed_function, lo, hi, off;
	struct perf_event_attr attr = { 0 };
	char line[512], path[256];
	int type = uprobe_pmu_type(), fd, n;

	if (type < 0)
		SKIP(return, "no uprobe PMU: CONFIG_UPROBE_EVENTS=y needed");
	/* The file offset of the function, from the mapping that holds it. */
	ASSERT_EQ(0, maps_line(addr, line, sizeof(line)));
	n = sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &lo, &hi, &off, path);
	ASSERT_EQ(4, n);
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config1 = (unsigned long)path;
	attr.config2 = addr - lo + off;
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		SKIP(return, "perf_event_open of a uprobe needs privilege");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, PERF_EVENT_IOC_ENABLE, 0));
	ASSERT_EQ(2, call_probed(1));
	ASSERT_EQ(0, maps_find_name("[uprobes]", &lo, &hi));
	ASSERT_OUTSIDE(lo, hi - lo);
	close(fd);
}

/* fork() copies the window with its flags. */
TEST_F(xwin, fork_child_keeps_exclusion)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		void *n = map_anon(XWIN_START + SZ_16M, self->pg,
				   PROT_READ | PROT_WRITE, 0);
		unsigned long c = c32_map(self->pg, 0);

		if (n == MAP_FAILED ||
		    overlaps((unsigned long)n, self->pg, XWIN_START, XWIN_END))
			_exit(1);
		if (!range_inside(c, self->pg, XWIN_START, XWIN_END))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

#if defined(__x86_64__)
/* MAP_32BIT's [1 GiB, 2 GiB) lies in the window: no room for it. */
TEST_F(xwin, native_map_32bit_enomem)
{
	ASSERT_EQ(MAP_FAILED, map_anon(0, self->pg, PROT_READ | PROT_WRITE,
				       MAP_32BIT));
	ASSERT_EQ(ENOMEM, errno);
	ASSERT_C32_OK(c32_map(self->pg, 0));
}
#endif

/*
 * Fill every gap a native mmap() can use, with the kernel's own placement
 * (PROT_NONE, halving the size until one page fails), then open one hole of
 * 4 pages: a native request that does not fit it is -ENOMEM although the
 * window is nearly empty, one that fits gets exactly the hole, and compat
 * requests still find room inside the window.  Nothing in here may use
 * malloc() after the fill: the heap cannot grow.
 */
TEST_F(xwin, native_space_full_enomem_never_inside)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	unsigned long size = 1UL << 46, first = 0, first_size = 0, hole, c;
	unsigned long maps = 0;
	void *p;

	while (size >= self->pg) {
		p = mmap(NULL, size, PROT_NONE, flags, -1, 0);
		if (p == MAP_FAILED) {
			size >>= 1;
			continue;
		}
		ASSERT_OUTSIDE(p, size);
		if (!first) {
			first = (unsigned long)p;
			first_size = size;
		}
		maps++;
	}
	ASSERT_NE(0UL, first);
	ASSERT_LE(8 * self->pg, first_size);
	TH_LOG("filled the native space with %lu mappings", maps);

	hole = first + first_size / 2;
	ASSERT_EQ(0, munmap((void *)hole, 4 * self->pg));
	p = mmap(NULL, 8 * self->pg, PROT_READ | PROT_WRITE, flags, -1, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);
	/* A hint inside the window does not open it either. */
	p = mmap((void *)(XWIN_START + SZ_16M), 8 * self->pg,
		 PROT_READ | PROT_WRITE, flags, -1, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(ENOMEM, errno);

	p = mmap(NULL, 4 * self->pg, PROT_READ | PROT_WRITE, flags, -1, 0);
	ASSERT_EQ(hole, (unsigned long)p);

	c = c32_map(8 * self->pg, 0);
	ASSERT_C32_OK(c);
	ASSERT_INSIDE(c, 8 * self->pg, XWIN_START, XWIN_END);
}

/* Clearing the window ends the exclusion. */
TEST_F(xwin, cleared_window_excludes_nothing)
{
	const unsigned long a = XWIN_START + SZ_16M;
	void *p;

	ASSERT_EQ(0, mmr_clear());
	p = map_anon(a, self->pg, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(p);
	ASSERT_EQ(a, (unsigned long)p);
}

TEST_HARNESS_MAIN
