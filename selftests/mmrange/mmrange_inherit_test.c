// SPDX-License-Identifier: GPL-2.0
/*
 * The window belongs to the address space: threads and clone(CLONE_VM)
 * children share it, fork() children get a copy, execve() starts without.
 */
#include "mmrange_test.h"

#include <grp.h>
#include <pthread.h>
#include <sched.h>

#define W1_START	SZ_16G
#define W1_END		(SZ_16G + SZ_1G)
#define W2_START	(32UL << 30)
#define W2_END		(W2_START + SZ_1G)

/* The "exec-report" mode: the window and status line after execve. */
static int exec_report(void)
{
	struct prctl_mmap_range r;
	char status[128] = "none";
	int err;

	err = mmr_get(&r) ? errno : 0;
	proc_mmap_range(0, status, sizeof(status));
	printf("%d %llx %llx %llx %s\n", err, (unsigned long long)r.start,
	       (unsigned long long)r.end, (unsigned long long)r.flags, status);
	return 0;
}

/* 0 when the window is [start, end) with no flags. */
static int window_is(unsigned long start, unsigned long end)
{
	struct prctl_mmap_range r;

	if (mmr_get(&r))
		return -1;
	return r.start == start && r.end == end && r.flags == 0 ? 0 : 1;
}

/* 0 when a fresh anonymous mapping lands in [start, end). */
static int places_in(unsigned long start, unsigned long end)
{
	unsigned long pg = page_size();
	void *p = map_anon(0, pg, PROT_READ | PROT_WRITE, 0);
	int ret;

	if (p == MAP_FAILED)
		return -1;
	ret = range_inside((unsigned long)p, pg, start, end) ? 0 : 1;
	munmap(p, pg);
	return ret;
}

/* The "suid-report" mode: who we are, the window, where a mapping lands. */
static int suid_report(void)
{
	struct prctl_mmap_range r;
	int err;

	err = mmr_get(&r) ? errno : 0;
	printf("%d %d %d %llx %llx %llx %d\n", (int)geteuid(), (int)getuid(),
	       err, (unsigned long long)r.start, (unsigned long long)r.end,
	       (unsigned long long)r.flags, places_in(W1_START, W1_END));
	return 0;
}

FIXTURE(inherit) {};

FIXTURE_SETUP(inherit)
{
	ASSERT_SET(W1_START, W1_END, 0);
}

FIXTURE_TEARDOWN(inherit)
{
	mmr_clear();
}

TEST_F(inherit, fork_child_inherits_window)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (window_is(W1_START, W1_END)) {
			child_log("window not inherited");
			_exit(1);
		}
		if (places_in(W1_START, W1_END)) {
			child_log("placement outside the inherited window");
			_exit(2);
		}
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(inherit, fork_child_change_not_seen_by_parent)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (mmr_set(W2_START, W2_END, 0) || window_is(W2_START, W2_END) ||
		    places_in(W2_START, W2_END)) {
			child_log("child window [%#lx, %#lx) not in effect", W2_START, W2_END);
			_exit(1);
		}
		_exit(mmr_clear() ? 2 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_WINDOW(W1_START, W1_END, 0);
	ASSERT_EQ(0, places_in(W1_START, W1_END));
}

TEST_F(inherit, fork_parent_change_not_seen_by_child)
{
	int go[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 0)
			_exit(3);
		if (window_is(W1_START, W1_END)) {
			child_log("the parent's later change reached the child");
			_exit(1);
		}
		_exit(places_in(W1_START, W1_END) ? 2 : 0);
	}
	close(go[0]);
	ASSERT_SET(W2_START, W2_END, 0);
	close(go[1]);
	ASSERT_EQ(0, wait_child(pid));
}

struct shared_result {
	int saw_parent_window;
	int set;
	int placed;
};

static int clone_vm_child(void *arg)
{
	struct shared_result *res = arg;

	res->saw_parent_window = window_is(W1_START, W1_END);
	res->set = mmr_set(W2_START, W2_END, 0);
	res->placed = places_in(W2_START, W2_END);
	return 0;
}

TEST_F(inherit, clone_vm_child_shares_window)
{
	struct shared_result res = { -1, -1, -1 };
	const unsigned long stack_size = 256 * 1024;
	char *stack;
	pid_t pid;

	stack = map_anon(0, stack_size, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(stack);
	pid = clone(clone_vm_child, stack + stack_size, CLONE_VM | SIGCHLD, &res);
	ASSERT_GE(pid, 0);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, res.saw_parent_window);
	ASSERT_EQ(0, res.set);
	ASSERT_EQ(0, res.placed);
	/* The child's change is the parent's too. */
	ASSERT_WINDOW(W2_START, W2_END, 0);
	ASSERT_EQ(0, places_in(W2_START, W2_END));
	munmap(stack, stack_size);
}

static void *thread_fn(void *arg)
{
	clone_vm_child(arg);
	return NULL;
}

TEST_F(inherit, threads_share_window)
{
	struct shared_result res = { -1, -1, -1 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, thread_fn, &res));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, res.saw_parent_window);
	ASSERT_EQ(0, res.set);
	ASSERT_EQ(0, res.placed);
	ASSERT_WINDOW(W2_START, W2_END, 0);
}

TEST_F(inherit, execve_clears_window)
{
	static const char *const args[] = { "exec-report", NULL };
	unsigned long start, end, flags;
	char out[256], status[128];
	int err, matched;

	ASSERT_EQ(0, run_self(args, NULL, out, sizeof(out)));
	TH_LOG("after execve: %s", out);
	matched = sscanf(out, "%d %lx %lx %lx %127[^\n]", &err, &start, &end,
			 &flags, status);
	ASSERT_EQ(5, matched);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0UL, start);
	ASSERT_EQ(0UL, end);
	ASSERT_EQ(0UL, flags);
	ASSERT_STREQ("0-0 0", status);
	ASSERT_WINDOW(W1_START, W1_END, 0);
}

/* Copy this binary to @path as a set-user-ID root program. */
static int make_suid_copy(const char *path)
{
	char buf[65536];
	int in, out, ret = -1;
	ssize_t n;

	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	if (out < 0)
		goto out_in;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			goto out_out;
	if (n == 0 && !fchown(out, 0, 0) && !fchmod(out, 04755))
		ret = 0;
out_out:
	close(out);
out_in:
	close(in);
	return ret;
}

/*
 * An unprivileged process that sets (and locks) a window, then executes a
 * set-user-ID root program: the program starts with no window, so a parent
 * can neither shrink its randomisation nor make its mappings fail.
 */
TEST(setuid_execve_starts_unconfined)
{
	char path[64], out[256];
	int fds[2], euid, uid, err, in_w1, matched;
	unsigned long start, end, flags;
	ssize_t n;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to create a set-user-ID root program");
	snprintf(path, sizeof(path), "/tmp/mmrange-suid-%d", (int)getpid());
	ASSERT_EQ(0, make_suid_copy(path));
	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char *const argv[] = { path, "suid-report", NULL };

		dup2(fds[1], STDOUT_FILENO);
		if (mmr_set(W1_START, W1_END, PR_MMAP_RANGE_LOCK) ||
		    setgroups(0, NULL) || setgid(65534) || setuid(65534) ||
		    getuid() != 65534 || places_in(W1_START, W1_END)) {
			child_log("confining and dropping root: %s", strerror(errno));
			_exit(126);
		}
		execv(path, argv);
		child_log("execv %s: %s", path, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	ASSERT_EQ(0, wait_child(pid));
	unlink(path);
	TH_LOG("set-user-ID program reports: %s", out);
	matched = sscanf(out, "%d %d %d %lx %lx %lx %d", &euid, &uid, &err,
			 &start, &end, &flags, &in_w1);
	ASSERT_EQ(7, matched);
	ASSERT_EQ(0, euid);
	ASSERT_EQ(65534, uid);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0UL, start);
	ASSERT_EQ(0UL, end);
	ASSERT_EQ(0UL, flags);
	ASSERT_EQ(1, in_w1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-report"))
		return exec_report();
	if (argc > 1 && !strcmp(argv[1], "suid-report"))
		return suid_report();
	return test_harness_run(argc, argv);
}
