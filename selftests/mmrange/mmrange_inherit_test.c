// SPDX-License-Identifier: GPL-2.0
/*
 * The window belongs to the address space: threads and clone(CLONE_VM)
 * children share it, fork() children get a copy, execve() starts without.
 */
#include "mmrange_test.h"

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
	int err;

	ASSERT_EQ(0, run_self(args, NULL, out, sizeof(out)));
	TH_LOG("after execve: %s", out);
	ASSERT_EQ(5, sscanf(out, "%d %lx %lx %lx %127[^\n]", &err, &start, &end,
			    &flags, status));
	ASSERT_EQ(0, err);
	ASSERT_EQ(0UL, start);
	ASSERT_EQ(0UL, end);
	ASSERT_EQ(0UL, flags);
	ASSERT_STREQ("0-0 0", status);
	ASSERT_WINDOW(W1_START, W1_END, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-report"))
		return exec_report();
	return test_harness_run(argc, argv);
}
