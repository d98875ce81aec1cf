/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the PR_SET_MMAP_RANGE selftests.
 *
 * Every prctl goes through the raw option numbers of <linux/prctl.h>, so
 * the tests build against any C library.  Helpers that can fail return -1
 * with errno set and leave the asserting to the test.
 */
#ifndef MMRANGE_TEST_H
#define MMRANGE_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/prctl.h>
#include <linux/perf_event.h>

#include "kselftest_harness.h"

#ifndef BIT
#define BIT(nr)		(1UL << (nr))
#endif

#define SZ_64K		0x00010000UL
#define SZ_1M		0x00100000UL
#define SZ_2M		0x00200000UL
#define SZ_16M		0x01000000UL
#define SZ_1G		0x40000000UL
#define SZ_4G		(4UL << 30)
#define SZ_16G		(16UL << 30)

/* Free, and outside every window these tests set: for MAP_FIXED mappings. */
#define OUTSIDE		(64UL << 30)

/* Above TASK_SIZE on x86_64 (47 or 56 bits) and arm64 (up to 52 bits). */
#define ABOVE_TASK_SIZE	BIT(57)

static inline unsigned long page_size(void)
{
	return (unsigned long)sysconf(_SC_PAGESIZE);
}

static inline unsigned long align_up(unsigned long x, unsigned long a)
{
	return (x + a - 1) & ~(a - 1);
}

/*
 * The smallest window the kernel accepts: PR_MMAP_RANGE_MIN_PAGES pages,
 * 16 MiB with 4 KiB pages, 64 MiB with 16 KiB, 256 MiB with 64 KiB.
 */
static inline unsigned long min_window(void)
{
	return PR_MMAP_RANGE_MIN_PAGES * page_size();
}

/* A window size of @size bytes, or the smallest window if that is larger. */
static inline unsigned long window_size(unsigned long size)
{
	return size > min_window() ? size : min_window();
}

/*
 * The highest end a window may have: the end of the default mmap window
 * (DEFAULT_MAP_WINDOW), whatever the paging levels or VA bits.  arm64: the
 * 48- and 52-bit VA configurations the tests run on.
 */
static inline unsigned long default_map_end(void)
{
#if defined(__x86_64__)
	return (1UL << 47) - page_size();
#elif defined(__aarch64__)
	return 1UL << 48;
#else
	return 0xffffe000UL;	/* an i386 process on x86_64: IA32_PAGE_OFFSET */
#endif
}

static inline int mmr_set(unsigned long start, unsigned long end,
			  unsigned long flags)
{
	return prctl(PR_SET_MMAP_RANGE, start, end, flags, 0UL);
}

static inline int mmr_clear(void)
{
	return mmr_set(0, 0, 0);
}

static inline int mmr_get(struct prctl_mmap_range *r)
{
	memset(r, 0xff, sizeof(*r));
	return prctl(PR_GET_MMAP_RANGE, (unsigned long)r,
		     (unsigned long)sizeof(*r), 0UL, 0UL);
}

/* Whether all of [addr, addr + len) lies in [start, end). */
static inline bool range_inside(unsigned long addr, unsigned long len,
				unsigned long start, unsigned long end)
{
	return addr >= start && addr <= end && len <= end - addr;
}

/* Whether [addr, addr + len) and [start, end) share an address. */
static inline bool overlaps(unsigned long addr, unsigned long len,
			    unsigned long start, unsigned long end)
{
	return addr < end && start < addr + len;
}

static inline int read_ulong(const char *path, unsigned long *val)
{
	FILE *f = fopen(path, "re");
	int ret = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lu", val) == 1)
		ret = 0;
	else
		errno = EINVAL;
	fclose(f);
	return ret;
}

static inline int write_ulong(const char *path, unsigned long val)
{
	FILE *f = fopen(path, "we");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%lu\n", val) < 0 ? -1 : 0;
	if (fclose(f))
		ret = -1;
	return ret;
}

#define MMAP_MIN_ADDR_SYSCTL	"/proc/sys/vm/mmap_min_addr"

/* vm.mmap_min_addr, rounded up to a page. */
static inline int mmap_min_addr(unsigned long *val)
{
	if (read_ulong(MMAP_MIN_ADDR_SYSCTL, val))
		return -1;
	*val = align_up(*val, page_size());
	return 0;
}

/*
 * The lowest start for a translator's window below 4 GiB:
 * max(vm.mmap_min_addr, 64 KiB).  The 64 KiB floor covers
 * CONFIG_LSM_MMAP_MIN_ADDR, which can raise the kernel's mmap_min_addr above
 * the sysctl's value (which is all user space can read).
 */
static inline int low_window_start(unsigned long *start)
{
	if (mmap_min_addr(start))
		return -1;
	if (*start < SZ_64K)
		*start = SZ_64K;
	return 0;
}

/* Copy @src into @buf of @size bytes, truncating. */
static inline void copy_str(char *buf, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(buf, src, n);
	buf[n] = '\0';
}

/*
 * The value of the "MmapRange:" line of /proc/@pid/status (@pid 0: self),
 * e.g. "10000-100000000 0", without the tab before it and the newline.
 */
static inline int proc_mmap_range(pid_t pid, char *buf, size_t size)
{
	static const char key[] = "MmapRange:\t";
	char path[64], line[256];
	int ret = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	errno = ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, sizeof(key) - 1))
			continue;
		line[strcspn(line, "\n")] = '\0';
		copy_str(buf, size, line + sizeof(key) - 1);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* The /proc/self/maps line of the VMA containing @addr, newline stripped. */
static inline int maps_line(unsigned long addr, char *buf, size_t size)
{
	unsigned long lo, hi;
	char line[512];
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	errno = ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (addr < lo || addr >= hi)
			continue;
		line[strcspn(line, "\n")] = '\0';
		copy_str(buf, size, line);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* The bounds of the VMA containing @addr. */
static inline int maps_find(unsigned long addr, unsigned long *lo,
			    unsigned long *hi)
{
	char line[512];

	if (maps_line(addr, line, sizeof(line)))
		return -1;
	return sscanf(line, "%lx-%lx", lo, hi) == 2 ? 0 : -1;
}

/* The bounds of the first VMA named @name ("[stack]", "[uprobes]"). */
static inline int maps_find_name(const char *name, unsigned long *lo,
				 unsigned long *hi)
{
	char line[512], path[256];
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	errno = ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", lo, hi,
			   path) == 3 && !strcmp(path, name)) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* How many VMAs overlap [start, end). */
static inline int maps_count(unsigned long start, unsigned long end)
{
	unsigned long lo, hi;
	char line[512];
	int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    lo < end && hi > start)
			n++;
	fclose(f);
	return n;
}

/* The default hugetlb page size from /proc/meminfo, 0 if unknown. */
static inline unsigned long hugetlb_page_size(void)
{
	unsigned long kb = 0;
	char line[128];
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

/* What a test that needs THP logs when thp_pmd_size() is 0. */
#define NO_THP_MSG	"no /sys/kernel/mm/transparent_hugepage: CONFIG_TRANSPARENT_HUGEPAGE=y needed"

/* The PMD size THP aligns large anonymous mappings to, 0 without THP. */
static inline unsigned long thp_pmd_size(void)
{
	unsigned long size;

	if (read_ulong("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", &size))
		return 0;
	return size;
}

/*
 * A disabled software event counting nothing, for this process only: what an
 * unprivileged process may always open (perf_event_paranoid <= 2).
 */
static inline int open_dummy_perf_event(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_DUMMY,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return syscall(SYS_perf_event_open, &attr, 0, -1, -1,
		       PERF_FLAG_FD_CLOEXEC);
}

static inline void *map_anon(unsigned long addr, unsigned long len, int prot,
			     int flags)
{
	return mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags,
		    -1, 0);
}

/* Map [addr, addr + len) exactly, failing rather than replacing anything. */
static inline void *map_fixed(unsigned long addr, unsigned long len, int prot)
{
	return map_anon(addr, len, prot, MAP_FIXED_NOREPLACE);
}

/* An unlinked regular file of @size bytes in /tmp, or -1. */
static inline int tmp_file(unsigned long size)
{
	char path[32];
	int fd;

	copy_str(path, sizeof(path), "/tmp/mmrange.XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	/* A bare initramfs may have no /tmp. */
	if (fd < 0 && errno == ENOENT && !mkdir("/tmp", 01777)) {
		copy_str(path, sizeof(path), "/tmp/mmrange.XXXXXX");
		fd = mkostemp(path, O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A child's exit code, or 128 + signal if it was killed. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Diagnostics from a forked or re-executed child, as TAP comments. */
#define child_log(fmt, ...) \
	fprintf(stderr, "# [child %d] " fmt "\n", (int)getpid(), ##__VA_ARGS__)

/*
 * Run this test binary again (execve of /proc/self/exe) with the arguments
 * @args (NULL terminated, argv[1] onwards).  @prepare, if not NULL, runs in
 * the child just before the execve (personality, rlimits).  The child's
 * stdout lands in @out (NUL terminated).  Returns what wait_child() returns.
 */
static inline int run_self(const char *const *args, void (*prepare)(void),
			   char *out, size_t size)
{
	char *argv[8] = { "/proc/self/exe" };
	size_t len = 0;
	int fds[2], i;
	ssize_t n;
	pid_t pid;

	for (i = 0; i < 6 && args[i]; i++)
		argv[i + 1] = (char *)args[i];
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		if (prepare)
			prepare();
		execv(argv[0], argv);
		child_log("execv %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < size &&
	       (n = read(fds[0], out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(fds[0]);
	return wait_child(pid);
}

/*
 * One byte at @addr, read or written with a relaxed atomic access, which
 * the compiler emits as written, like READ_ONCE()/WRITE_ONCE() in the
 * kernel: to touch a page, or to check what a page holds when another
 * thread or another mapping of it may have changed it.
 */
static inline unsigned char read_byte(unsigned long addr)
{
	return __atomic_load_n((unsigned char *)addr, __ATOMIC_RELAXED);
}

static inline void write_byte(unsigned long addr, unsigned char val)
{
	__atomic_store_n((unsigned char *)addr, val, __ATOMIC_RELAXED);
}

/*
 * Fork a child that touches the page just below a MAP_GROWSDOWN mapping at
 * @addr, @pages long.  Returns the child's exit code (0: the mapping grew)
 * or 128 + the signal that killed it.
 */
static inline int touch_below_growsdown(unsigned long addr, unsigned long pages)
{
	unsigned long pg = page_size(), lo, hi;
	pid_t pid;
	char *p;

	p = mmap((void *)addr, pages * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE,
		 -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "# MAP_GROWSDOWN at %#lx: %s\n", addr, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);	/* no core file */
		write_byte(addr - pg, 1);
		if (maps_find(addr - pg, &lo, &hi) || lo != addr - pg) {
			child_log("touched %#lx, but the VMA is [%#lx, %#lx)",
				  addr - pg, lo, hi);
			_exit(1);
		}
		_exit(0);
	}
	munmap(p, pages * pg);
	return pid < 0 ? -1 : wait_child(pid);
}

/*
 * Map two pages at @addr with MAP_FIXED_NOREPLACE: growing them to four in
 * place (mremap without MREMAP_MAYMOVE) must fail with ENOMEM.  Unmaps them.
 */
#define ASSERT_GROW_IN_PLACE_ENOMEM(_addr) do {					\
	unsigned long __a = (_addr), __pg = page_size();			\
	char *__p = map_fixed(__a, 2 * __pg, PROT_READ | PROT_WRITE);		\
	void *__q;								\
										\
	ASSERT_NE(MAP_FAILED, (void *)__p);					\
	errno = 0;								\
	__q = mremap((void *)__a, 2 * __pg, 4 * __pg, 0);			\
	munmap(__p, 2 * __pg);							\
	if (__q != MAP_FAILED)							\
		munmap(__q, 4 * __pg);						\
	ASSERT_EQ(MAP_FAILED, __q);						\
	ASSERT_EQ(ENOMEM, errno);						\
} while (0)

/* ASSERT_* variants that print addresses in hex, for diagnosis in a guest. */
#define ASSERT_INSIDE(_addr, _len, _start, _end) do {				\
	unsigned long __a = (unsigned long)(_addr), __l = (_len);			\
	unsigned long __s = (_start), __e = (_end);				\
	if (!range_inside(__a, __l, __s, __e))					\
		TH_LOG("[%#lx, %#lx) is not inside the window [%#lx, %#lx)",	\
		       __a, __a + __l, __s, __e);				\
	ASSERT_TRUE(range_inside(__a, __l, __s, __e));				\
} while (0)

#define ASSERT_ALIGNED(_addr, _align) do {					\
	unsigned long __a = (unsigned long)(_addr), __al = (_align);		\
	if (__a & (__al - 1))							\
		TH_LOG("%#lx is not aligned to %#lx", __a, __al);		\
	ASSERT_EQ(0UL, __a & (__al - 1));					\
} while (0)

/* hugetlb tests need pages reserved at boot (hugepages= on the cmdline). */
#define ASSERT_HUGEPAGES_RESERVED() do {					\
	unsigned long _nr = 0;							\
	ASSERT_EQ(0, read_ulong("/proc/sys/vm/nr_hugepages", &_nr));		\
	if (!_nr)								\
		TH_LOG("no hugetlb pages: boot the kernel with hugepages=16");	\
	ASSERT_NE(0UL, _nr);							\
} while (0)

#define ASSERT_MAPPED(_p) do {							\
	typeof(_p) __mp = (_p);							\
	if (__mp == MAP_FAILED)							\
		TH_LOG("%s failed: %s", #_p, strerror(errno));			\
	ASSERT_NE(MAP_FAILED, __mp);						\
} while (0)

/* @call must return -1 with errno @err. */
#define ASSERT_ERRNO(_err, _call) do {						\
	int __r = (_call), __e = errno, __want = (_err);			\
	if (__r != -1 || __e != __want)						\
		TH_LOG("%s: returned %d, errno %d (%s); want errno %d (%s)",	\
		       #_call, __r, __r == -1 ? __e : 0,			\
		       __r == -1 ? strerror(__e) : "-",			\
		       __want, strerror(__want));				\
	ASSERT_EQ(-1, __r);							\
	ASSERT_EQ(__want, __e);							\
} while (0)

/* A compat syscall's result (compat_syscall.h) is not -errno. */
#define ASSERT_C32_OK(_ret) do {						\
	long __r = (_ret);							\
	if (__r < 0 && __r >= -4095)						\
		TH_LOG("%s: %s", #_ret, strerror((int)-__r));			\
	ASSERT_FALSE(__r < 0 && __r >= -4095);					\
} while (0)

/* A successful mmr_set(), with the errno on failure. */
#define ASSERT_SET(_start, _end, _flags) do {					\
	unsigned long __s = (_start), __e = (_end), __f = (_flags);		\
	int __r = mmr_set(__s, __e, __f);					\
	if (__r)								\
		TH_LOG("PR_SET_MMAP_RANGE [%#lx, %#lx) flags %#lx: %s",		\
		       __s, __e, __f, strerror(errno));				\
	ASSERT_EQ(0, __r);							\
} while (0)

/* The window reported by PR_GET_MMAP_RANGE is exactly this. */
#define ASSERT_WINDOW(_start, _end, _flags) do {				\
	unsigned long __ws = (_start), __we = (_end), __wf = (_flags);		\
	struct prctl_mmap_range __r;						\
	int __ret = mmr_get(&__r);						\
	if (__ret)								\
		TH_LOG("PR_GET_MMAP_RANGE: %s", strerror(errno));		\
	ASSERT_EQ(0, __ret);							\
	if (__r.start != __ws || __r.end != __we || __r.flags != __wf)		\
		TH_LOG("window is [%#llx, %#llx) flags %#llx, want [%#lx, %#lx) flags %#lx", \
		       (unsigned long long)__r.start, (unsigned long long)__r.end, \
		       (unsigned long long)__r.flags, __ws, __we, __wf);	\
	ASSERT_EQ(__ws, __r.start);						\
	ASSERT_EQ(__we, __r.end);						\
	ASSERT_EQ(__wf, __r.flags);						\
} while (0)

#endif /* MMRANGE_TEST_H */
