// SPDX-License-Identifier: GPL-2.0
/*
 * PR_SET_MMAP_RANGE / PR_GET_MMAP_RANGE: arguments, errors, PR_MMAP_RANGE_LOCK
 * and the MmapRange: line of /proc/PID/status.
 *
 * The harness runs every TEST in a process of its own, so a locked window
 * ends with the test that set it.
 */
#include "mmrange_test.h"

#define WIN_START	SZ_1G
#define WIN_END		(SZ_1G + 256 * SZ_1M)

/* The "exec-report" mode: after execve, the window and whether SET works. */
static int exec_report(void)
{
	struct prctl_mmap_range r;
	int get, set;

	get = mmr_get(&r);
	set = mmr_set(WIN_START, WIN_END, 0) ? errno : 0;
	printf("%d %llx %llx %llx %d\n", get ? errno : 0,
	       (unsigned long long)r.start, (unsigned long long)r.end,
	       (unsigned long long)r.flags, set);
	return 0;
}

FIXTURE(window) {};

FIXTURE_SETUP(window)
{
	ASSERT_WINDOW(0, 0, 0);
}

FIXTURE_TEARDOWN(window)
{
	mmr_clear();
}

TEST_F(window, set_get_clear_round_trip)
{
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_WINDOW(WIN_START, WIN_END, 0);
	ASSERT_EQ(0, mmr_clear());
	ASSERT_WINDOW(0, 0, 0);
}

TEST_F(window, get_without_window_reports_zero)
{
	struct prctl_mmap_range r;

	ASSERT_EQ(0, mmr_get(&r));
	ASSERT_EQ(0ULL, r.start);
	ASSERT_EQ(0ULL, r.end);
	ASSERT_EQ(0ULL, r.flags);
}

TEST_F(window, set_replaces_previous_window)
{
	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_SET(SZ_16G, SZ_16G + SZ_1G, 0);
	ASSERT_WINDOW(SZ_16G, SZ_16G + SZ_1G, 0);
}

TEST_F(window, clear_without_window_succeeds)
{
	ASSERT_EQ(0, mmr_clear());
	ASSERT_WINDOW(0, 0, 0);
}

TEST_F(window, min_size_accepted)
{
	ASSERT_SET(WIN_START, WIN_START + min_window(), 0);
	ASSERT_WINDOW(WIN_START, WIN_START + min_window(), 0);
}

/* The minimum is a number of pages: 4096 of them, whatever their size. */
TEST_F(window, min_size_is_4096_pages)
{
	ASSERT_ERRNO(EINVAL, mmr_set(WIN_START, WIN_START + 4095 * page_size(), 0));
	ASSERT_SET(WIN_START, WIN_START + 4096 * page_size(), 0);
}

/*
 * The highest window ends at the default mmap window (2^47 on x86-64, 2^48
 * on arm64): above it only mmap() hints place, so io_setup(), shmat() or
 * mmap(NULL) could never use it.  With 5-level paging or 52-bit VA,
 * TASK_SIZE is higher; such windows are refused all the same.
 */
TEST_F(window, window_up_to_default_map_window_accepted)
{
	unsigned long top = default_map_end();

	ASSERT_SET(top - min_window(), top, 0);
	ASSERT_WINDOW(top - min_window(), top, 0);
}

TEST_F(window, window_above_default_map_window_einval)
{
	unsigned long top = default_map_end(), pg = page_size();
	unsigned long above = align_up(top + 1, SZ_1G);
	void *p;

	/* Says which kind of guest this is: a hint above the window works? */
	p = mmap((void *)(1UL << 50), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_MAPPED(p);
	TH_LOG("hint 2^50 -> %p: TASK_SIZE %s the default mmap window %#lx", p,
	       (unsigned long)p > top ? "lies above" : "is", top);
	munmap(p, pg);
	ASSERT_ERRNO(EINVAL, mmr_set(top, top + min_window(), 0));
	ASSERT_ERRNO(EINVAL, mmr_set(above, above + SZ_1G, 0));
	ASSERT_ERRNO(EINVAL, mmr_set(top - min_window(), top + pg, 0));
	/* Straddling it: the upper half could never be used. */
	ASSERT_ERRNO(EINVAL, mmr_set(top - SZ_1G, top + SZ_1G, 0));
	ASSERT_WINDOW(0, 0, 0);
}

/* The translator's window: [max(mmap_min_addr, 64 KiB), 4 GiB). */
TEST_F(window, low_4g_window_accepted)
{
	unsigned long start;

	ASSERT_EQ(0, low_window_start(&start));
	ASSERT_SET(start, SZ_4G, 0);
	ASSERT_WINDOW(start, SZ_4G, 0);
}

TEST_F(window, get_size_ver0_accepted)
{
	struct prctl_mmap_range r;

	ASSERT_EQ(24, PR_MMAP_RANGE_SIZE_VER0);
	ASSERT_SET(WIN_START, WIN_END, 0);
	memset(&r, 0xff, sizeof(r));
	ASSERT_EQ(0, prctl(PR_GET_MMAP_RANGE, (unsigned long)&r,
			   (unsigned long)PR_MMAP_RANGE_SIZE_VER0, 0UL, 0UL));
	ASSERT_EQ(WIN_START, r.start);
	ASSERT_EQ(WIN_END, r.end);
	ASSERT_EQ(0ULL, r.flags);
}

/* A caller built against a newer, larger struct gets zeroes past VER0. */
TEST(get_larger_size_zeroes_tail)
{
	static const size_t sizes[] = { 32, 4096 };
	unsigned char buf[4096];
	struct prctl_mmap_range r;
	size_t i, j;

	/* Locked, so that the flags field is not zero either. */
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(buf, 0xff, sizeof(buf));
		ASSERT_EQ(0, prctl(PR_GET_MMAP_RANGE, (unsigned long)buf,
				   (unsigned long)sizes[i], 0UL, 0UL));
		memcpy(&r, buf, sizeof(r));
		ASSERT_EQ(WIN_START, r.start);
		ASSERT_EQ(WIN_END, r.end);
		ASSERT_EQ(PR_MMAP_RANGE_LOCK, r.flags);
		for (j = sizeof(r); j < sizes[i]; j++) {
			if (buf[j])
				TH_LOG("size %zu: byte %zu is %#x", sizes[i], j, buf[j]);
			ASSERT_EQ(0, buf[j]);
		}
		/* Nothing past the size given is written. */
		for (; j < sizeof(buf); j++)
			ASSERT_EQ(0xff, buf[j]);
	}
}

TEST_F(window, get_short_size_einval)
{
	static const unsigned long sizes[] = { 0, 1, 16, PR_MMAP_RANGE_SIZE_VER0 - 1 };
	unsigned char buf[PR_MMAP_RANGE_SIZE_VER0];
	size_t i, j;

	ASSERT_SET(WIN_START, WIN_END, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(buf, 0xff, sizeof(buf));
		TH_LOG("size %lu", sizes[i]);
		ASSERT_ERRNO(EINVAL, prctl(PR_GET_MMAP_RANGE, (unsigned long)buf,
					   sizes[i], 0UL, 0UL));
		for (j = 0; j < sizeof(buf); j++)
			ASSERT_EQ(0xff, buf[j]);
	}
}

TEST_F(window, get_oversize_einval)
{
	/* More than a page, whatever the page size. */
	const unsigned long sizes[] = { page_size() + 1, 2 * page_size(), 1UL << 20, ~0UL };
	struct prctl_mmap_range r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		TH_LOG("size %#lx", sizes[i]);
		ASSERT_ERRNO(EINVAL, prctl(PR_GET_MMAP_RANGE, (unsigned long)&r,
					   sizes[i], 0UL, 0UL));
	}
}

TEST_F(window, get_bad_pointer_efault)
{
	unsigned long pg = page_size();
	char *gone, *buf;

	gone = map_anon(0, pg, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(gone);
	ASSERT_EQ(0, munmap(gone, pg));
	/* A writable page followed by a read-only one. */
	buf = map_anon(0, 2 * pg, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(buf);
	ASSERT_EQ(0, mprotect(buf + pg, pg, PROT_READ));

	ASSERT_ERRNO(EFAULT, prctl(PR_GET_MMAP_RANGE, 0UL, 24UL, 0UL, 0UL));
	ASSERT_ERRNO(EFAULT, prctl(PR_GET_MMAP_RANGE, (unsigned long)gone,
				   24UL, 0UL, 0UL));
	ASSERT_ERRNO(EFAULT, prctl(PR_GET_MMAP_RANGE,
				   (unsigned long)(buf + pg), 24UL, 0UL, 0UL));
	/* The known fields fit, the zeroed tail does not. */
	ASSERT_ERRNO(EFAULT, prctl(PR_GET_MMAP_RANGE,
				   (unsigned long)(buf + pg - 24), 48UL, 0UL, 0UL));
	munmap(buf, 2 * pg);
}

TEST_F(window, get_nonzero_arg4_arg5_einval)
{
	struct prctl_mmap_range r;

	ASSERT_ERRNO(EINVAL, prctl(PR_GET_MMAP_RANGE, (unsigned long)&r,
				   (unsigned long)sizeof(r), 1UL, 0UL));
	ASSERT_ERRNO(EINVAL, prctl(PR_GET_MMAP_RANGE, (unsigned long)&r,
				   (unsigned long)sizeof(r), 0UL, 1UL));
}

struct bad_set {
	const char *name;
	unsigned long start, end, flags, arg5;
};

/* At least 15 calls that must each fail with EINVAL and change nothing. */
static size_t bad_sets(struct bad_set *t, unsigned long min_addr)
{
	const unsigned long pg = page_size();
	const unsigned long s = WIN_START, e = SZ_4G;
	size_t n = 0;

#define BAD(name, start, end, flags, arg5) \
	(t[n++] = (struct bad_set){ name, start, end, flags, arg5 })
	BAD("unaligned start", s + 1, e, 0, 0);
	BAD("unaligned end", s, e - 1, 0, 0);
	BAD("start and end half a page off", s + pg / 2, e + pg / 2, 0, 0);
	BAD("empty", e, e, 0, 0);
	BAD("reversed", e, s, 0, 0);
	BAD("end 0 with start set", s, 0, 0, 0);
	BAD("end above TASK_SIZE", s, ABOVE_TASK_SIZE, 0, 0);
	BAD("start and end above TASK_SIZE", ABOVE_TASK_SIZE,
	    ABOVE_TASK_SIZE + SZ_1G, 0, 0);
	BAD("end at the top page of the address space", s, ~0UL & ~(pg - 1),
	    0, 0);
	BAD("start in the top page, end wrapped", ~0UL & ~(pg - 1), SZ_16M,
	    0, 0);
	BAD("one page below the minimum size", s, s + min_window() - pg, 0, 0);
	BAD("end above the default mmap window", s, default_map_end() + SZ_1G,
	    0, 0);
	BAD("one page", s, s + pg, 0, 0);
	BAD("unknown flag 1 << 2", s, e, 1UL << 2, 0);
	BAD("unknown flag 1 << 63", s, e, 1UL << 63, 0);
	BAD("all flags", s, e, ~0UL, 0);
	BAD("clear with PR_MMAP_RANGE_LOCK", 0, 0, PR_MMAP_RANGE_LOCK, 0);
	BAD("clear with PR_MMAP_RANGE_COMPAT", 0, 0, PR_MMAP_RANGE_COMPAT, 0);
	BAD("nonzero arg5", s, e, 0, 1);
	BAD("clear with nonzero arg5", 0, 0, 0, 1);
	if (min_addr > pg)
		BAD("start below mmap_min_addr", min_addr - pg, e, 0, 0);
	if (min_addr)
		BAD("start 0 with end set", 0, e, 0, 0);
	else
		BAD("start 0 with end above TASK_SIZE", 0, ABOVE_TASK_SIZE, 0, 0);
#undef BAD
	return n;
}

/* Every bad call gives EINVAL and leaves the window as @want. */
static void check_bad_sets(struct __test_metadata *_metadata,
			   const struct prctl_mmap_range *want)
{
	struct bad_set t[32];
	unsigned long min_addr;
	size_t i, n;

	ASSERT_EQ(0, mmap_min_addr(&min_addr));
	n = bad_sets(t, min_addr);
	ASSERT_GE(n, 15UL);
	for (i = 0; i < n; i++) {
		struct prctl_mmap_range r;
		int ret, err;

		errno = 0;
		ret = prctl(PR_SET_MMAP_RANGE, t[i].start, t[i].end, t[i].flags,
			    t[i].arg5);
		err = errno;
		if (ret != -1 || err != EINVAL)
			TH_LOG("%s (%#lx, %#lx, %#lx, %#lx): returned %d, errno %d (%s)",
			       t[i].name, t[i].start, t[i].end, t[i].flags,
			       t[i].arg5, ret, err, strerror(err));
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EINVAL, err);

		ASSERT_EQ(0, mmr_get(&r));
		if (memcmp(&r, want, sizeof(r)))
			TH_LOG("%s: window changed to [%#llx, %#llx) flags %#llx",
			       t[i].name, (unsigned long long)r.start,
			       (unsigned long long)r.end,
			       (unsigned long long)r.flags);
		EXPECT_EQ(0, memcmp(&r, want, sizeof(r)));
	}
}

TEST_F(window, bad_args_einval_keep_no_window)
{
	const struct prctl_mmap_range none = { 0, 0, 0 };

	check_bad_sets(_metadata, &none);
}

TEST_F(window, bad_args_einval_keep_window)
{
	const struct prctl_mmap_range good = { SZ_16G, SZ_16G + SZ_1G, 0 };

	ASSERT_SET(good.start, good.end, good.flags);
	check_bad_sets(_metadata, &good);
}

TEST(bad_args_einval_before_eperm_when_locked)
{
	const struct prctl_mmap_range good = {
		SZ_16G, SZ_16G + SZ_1G, PR_MMAP_RANGE_LOCK
	};

	ASSERT_SET(good.start, good.end, good.flags);
	check_bad_sets(_metadata, &good);
}

TEST(lock_reported_by_get)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
	ASSERT_WINDOW(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
}

TEST_F(window, compat_flag_reported_by_get)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT);
	ASSERT_WINDOW(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT);
}

TEST(compat_and_lock_reported_by_get)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT | PR_MMAP_RANGE_LOCK);
	ASSERT_WINDOW(WIN_START, WIN_END,
		      PR_MMAP_RANGE_COMPAT | PR_MMAP_RANGE_LOCK);
	ASSERT_EQ(-1, mmr_set(WIN_START, WIN_END, 0));
	ASSERT_EQ(EPERM, errno);
}

TEST(locked_window_set_eperm)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
	ASSERT_ERRNO(EPERM, mmr_set(SZ_16G, SZ_16G + SZ_1G, 0));
	ASSERT_ERRNO(EPERM, mmr_set(SZ_16G, SZ_16G + SZ_1G, PR_MMAP_RANGE_LOCK));
	ASSERT_WINDOW(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
}

TEST(locked_window_same_set_eperm)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
	ASSERT_ERRNO(EPERM, mmr_set(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK));
	ASSERT_ERRNO(EPERM, mmr_set(WIN_START, WIN_END, 0));
	ASSERT_WINDOW(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
}

TEST(locked_window_clear_eperm)
{
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
	ASSERT_ERRNO(EPERM, mmr_clear());
	ASSERT_WINDOW(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
}

TEST(lock_inherited_by_fork_child)
{
	struct prctl_mmap_range r;
	pid_t pid;

	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int set = mmr_set(SZ_16G, SZ_16G + SZ_1G, 0) ? errno : 0;
		int clear = mmr_clear() ? errno : 0;

		if (mmr_get(&r) || r.start != WIN_START || r.end != WIN_END ||
		    r.flags != PR_MMAP_RANGE_LOCK) {
			child_log("window [%#llx, %#llx) flags %#llx",
				  (unsigned long long)r.start,
				  (unsigned long long)r.end,
				  (unsigned long long)r.flags);
			_exit(1);
		}
		if (set != EPERM || clear != EPERM) {
			child_log("set errno %d, clear errno %d, want EPERM",
				  set, clear);
			_exit(2);
		}
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

TEST(lock_dropped_by_execve)
{
	static const char *const args[] = { "exec-report", NULL };
	int get_err, set_err, matched;
	unsigned long start, end, flags;
	char out[256];

	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
	ASSERT_EQ(0, run_self(args, NULL, out, sizeof(out)));
	TH_LOG("after execve: %s", out);
	matched = sscanf(out, "%d %lx %lx %lx %d", &get_err, &start, &end,
			 &flags, &set_err);
	ASSERT_EQ(5, matched);
	ASSERT_EQ(0, get_err);
	ASSERT_EQ(0UL, start);
	ASSERT_EQ(0UL, end);
	ASSERT_EQ(0UL, flags);
	ASSERT_EQ(0, set_err);
	/* The parent's lock is untouched. */
	ASSERT_WINDOW(WIN_START, WIN_END, PR_MMAP_RANGE_LOCK);
}

TEST(unprivileged_set_allowed)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (geteuid() == 0 && setresuid(65534, 65534, 65534)) {
			child_log("setresuid: %s", strerror(errno));
			_exit(1);
		}
		if (mmr_set(WIN_START, WIN_END, 0)) {
			child_log("uid %d: PR_SET_MMAP_RANGE: %s", (int)geteuid(),
				  strerror(errno));
			_exit(2);
		}
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(window, status_unset_shows_zero)
{
	char buf[128];

	ASSERT_EQ(0, proc_mmap_range(0, buf, sizeof(buf)));
	ASSERT_STREQ("0-0 0", buf);
}

TEST_F(window, status_shows_window_in_lower_hex)
{
	char buf[128];

	/* Hex letters in both bounds: lower case, no 0x (256 MiB: any page size). */
	ASSERT_SET(0xabc000000UL, 0xacc000000UL, 0);
	ASSERT_EQ(0, proc_mmap_range(0, buf, sizeof(buf)));
	ASSERT_STREQ("abc000000-acc000000 0", buf);
}

TEST(status_shows_lock_flag)
{
	char buf[128];

	ASSERT_SET(WIN_START, SZ_4G, PR_MMAP_RANGE_LOCK);
	ASSERT_EQ(0, proc_mmap_range(0, buf, sizeof(buf)));
	ASSERT_STREQ("40000000-100000000 2", buf);
}

TEST(status_shows_compat_flag)
{
	char buf[128];

	ASSERT_SET(WIN_START, SZ_4G, PR_MMAP_RANGE_COMPAT);
	ASSERT_EQ(0, proc_mmap_range(0, buf, sizeof(buf)));
	ASSERT_STREQ("40000000-100000000 1", buf);
}

TEST_F(window, status_after_clear_shows_zero)
{
	char buf[128];

	ASSERT_SET(WIN_START, WIN_END, 0);
	ASSERT_EQ(0, mmr_clear());
	ASSERT_EQ(0, proc_mmap_range(0, buf, sizeof(buf)));
	ASSERT_STREQ("0-0 0", buf);
}

/*
 * Fork a child that sets the window [16 GiB, 17 GiB) and waits until *done
 * is closed; returns its pid once the window is set, or -1.
 */
static pid_t child_with_window(int *done)
{
	int ready[2], wait_fd[2];
	char c = 0;
	pid_t pid;

	if (pipe(ready) || pipe(wait_fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(wait_fd[1]);
		c = mmr_set(SZ_16G, SZ_16G + SZ_1G, 0) ? 'E' : 'S';
		if (c == 'E')
			child_log("PR_SET_MMAP_RANGE: %s", strerror(errno));
		if (write(ready[1], &c, 1) != 1 || read(wait_fd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(wait_fd[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'S') {
		close(wait_fd[1]);
		if (pid > 0)
			wait_child(pid);
		pid = -1;
	}
	close(ready[0]);
	*done = wait_fd[1];
	return pid;
}

TEST_F(window, status_of_other_process_shows_its_window)
{
	char buf[128];
	int done;
	pid_t pid = child_with_window(&done);

	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, proc_mmap_range(pid, buf, sizeof(buf)));
	EXPECT_STREQ("400000000-440000000 0", buf);
	/* The child's window is its own. */
	ASSERT_EQ(0, proc_mmap_range(0, buf, sizeof(buf)));
	EXPECT_STREQ("0-0 0", buf);
	close(done);
	ASSERT_EQ(0, wait_child(pid));
}

/*
 * The window says where a process's memory is (with a random window, where
 * its ASLR put it), so only an observer that may read /proc/PID/maps sees
 * it: another user gets no MmapRange: line, just as maps gives EACCES.
 */
TEST_F(window, status_hides_window_from_other_user)
{
	char buf[128];
	pid_t pid, observer;
	int done;

	if (geteuid() != 0)
		TH_LOG("needs root to create a target of another user");
	ASSERT_EQ(0, geteuid());
	pid = child_with_window(&done);
	ASSERT_GT(pid, 0);
	/* Its owner sees the line. */
	ASSERT_EQ(0, proc_mmap_range(pid, buf, sizeof(buf)));
	EXPECT_STREQ("400000000-440000000 0", buf);

	observer = fork();
	ASSERT_GE(observer, 0);
	if (observer == 0) {
		char path[64];
		int fd;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			child_log("setresuid: %s", strerror(errno));
			_exit(1);
		}
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 || errno != EACCES) {
			child_log("%s: fd %d, %s: want EACCES", path, fd,
				  fd >= 0 ? "opened" : strerror(errno));
			_exit(2);
		}
		if (!proc_mmap_range(pid, buf, sizeof(buf))) {
			child_log("uid 65534 reads MmapRange: %s of a root process",
				  buf);
			_exit(3);
		}
		if (errno != ENOENT) {
			child_log("status of %d: %s", (int)pid, strerror(errno));
			_exit(4);
		}
		/* Its own line is still there. */
		if (proc_mmap_range(0, buf, sizeof(buf)) || strcmp(buf, "0-0 0")) {
			child_log("own MmapRange: line missing or wrong");
			_exit(5);
		}
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(observer));
	close(done);
	ASSERT_EQ(0, wait_child(pid));
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-report"))
		return exec_report();
	return test_harness_run(argc, argv);
}
