// SPDX-License-Identifier: GPL-2.0
/*
 * Compat (32-bit ABI) syscalls from a 64-bit process, and
 * PR_MMAP_RANGE_COMPAT (DESIGN.md section 4.8 and 5).
 *
 * x86_64 makes them with int $0x80, arm64 with svc #__ARM64_SVC_COMPAT_IMM
 * (see compat_syscall.h).  The same tests run on both where the semantics
 * match; the arm64 entry's own rules (the -ENOSYS list, cleared upper
 * halves, svc #0 untouched, restart through w7) are tested on arm64 only.
 *
 * Buffers passed to compat calls live in an arena below 4 GiB, mapped with
 * MAP_FIXED_NOREPLACE, since compat pointers are 32 bits wide.
 */
#include "mmrange_test.h"
#include "compat_syscall.h"

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#if defined(__aarch64__)
#include <elf.h>
#include <sys/uio.h>
#endif

/* The compat-only window: [2 GiB, 3 GiB). */
#define CWIN_START	0x80000000UL
#define CWIN_END	0xc0000000UL

/*
 * Compat buffers: below 4 GiB and outside the compat window, where nothing
 * is mapped.  Not at a fixed address: arm64 randomises the brk heap of a
 * 64-bit program over 1 GiB above it, so any fixed address below 2 GiB is
 * sometimes taken.  Picked before main(); the tests' children inherit it.
 */
#define ARENA_SIZE	SZ_16M
/* the arena and what the tests map right after it */
#define ARENA_SPAN	(3 * ARENA_SIZE)
#define ARENA_STEP	0x04000000UL
#define ARENA		arena_base

static unsigned long arena_base;

__attribute__((constructor)) static void pick_arena(void)
{
	unsigned long brk_end = (unsigned long)sbrk(0), a;

	for (a = 4 * ARENA_STEP; a + ARENA_SPAN <= CWIN_START; a += ARENA_STEP) {
		void *p;

		/* leave the heap room to grow */
		if (a < brk_end + 4 * ARENA_STEP && a + ARENA_SPAN > brk_end)
			continue;
		p = map_fixed(a, ARENA_SPAN, PROT_NONE);
		if (p == MAP_FAILED)
			continue;
		munmap(p, ARENA_SPAN);
		arena_base = a;
		return;
	}
}

/* The arena, zeroed; a test maps it once. */
static char *arena(struct __test_metadata *_metadata)
{
	void *p;

	if (!arena_base)
		TH_LOG("no free %#lx bytes below %#lx", ARENA_SPAN, CWIN_START);
	ASSERT_NE(0, arena_base);
	p = map_fixed(ARENA, ARENA_SIZE, PROT_READ | PROT_WRITE);
	ASSERT_MAPPED(p);
	ASSERT_EQ(ARENA, (unsigned long)p);
	return p;
}

/* Wait up to 10 s until @pid is inside syscall @nr (/proc/PID/syscall). */
static int wait_in_syscall(pid_t pid, long nr)
{
	char path[64], buf[128], want[24];
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	snprintf(want, sizeof(want), "%ld ", nr);
	for (i = 0; i < 10000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (!strncmp(buf, want, strlen(want)))
				return 0;
		}
		usleep(1000);
	}
	errno = ETIMEDOUT;
	return -1;
}

TEST(getpid_and_gettid)
{
	ASSERT_EQ(getpid(), compat_syscall(C32_getpid));
	ASSERT_EQ(gettid(), compat_syscall(C32_gettid));
}

/* write(2) through the compat table, checked by a native read. */
TEST(write_and_read)
{
	char *a = arena(_metadata), got[8];
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	memcpy(a, "compat!", 7);
	ASSERT_EQ(7, compat_syscall(C32_write, p[1], ptr32(a), 7));
	ASSERT_EQ(7, read(p[0], got, 7));
	ASSERT_EQ(0, memcmp(got, "compat!", 7));

	ASSERT_EQ(5, write(p[1], "hello", 5));
	ASSERT_EQ(5, compat_syscall(C32_read, p[0], ptr32(a + 64), 5));
	ASSERT_EQ(0, memcmp(a + 64, "hello", 5));
	close(p[0]);
	close(p[1]);
}

/* pread64/pwrite64 with an offset above 4 GiB split across two registers. */
TEST(pread64_pwrite64_split_offset)
{
	const uint64_t off1 = (5ULL << 32) + 0x1234, off2 = (3ULL << 32) + 7;
	char *a = arena(_metadata), got[8];
	struct stat st;
	int fd;

	fd = tmp_file(0);
	ASSERT_GE(fd, 0);
	memcpy(a, "hello", 5);
	ASSERT_EQ(5, compat_prw64(C32_pwrite64, fd, a, 5, off1));
	ASSERT_EQ(5, pread(fd, got, 5, off1));
	ASSERT_EQ(0, memcmp(got, "hello", 5));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(off1 + 5, (uint64_t)st.st_size);

	ASSERT_EQ(5, pwrite(fd, "world", 5, off2));
	ASSERT_EQ(5, compat_prw64(C32_pread64, fd, a + 64, 5, off2));
	ASSERT_EQ(0, memcmp(a + 64, "world", 5));
	close(fd);
}

/* readv/writev take an array of 32-bit struct iovec {base, len}. */
struct iovec32 {
	uint32_t base;
	uint32_t len;
};

TEST(readv_writev_compat_iovec)
{
	static const char *const parts[] = { "abc", "defg", "hijkl" };
	char *a = arena(_metadata), got[16];
	struct iovec32 *iov = (struct iovec32 *)a;
	char *buf = a + 4096;
	int p[2], i;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	for (i = 0; i < 3; i++) {
		memcpy(buf + 64 * i, parts[i], strlen(parts[i]));
		iov[i].base = ptr32(buf + 64 * i);
		iov[i].len = strlen(parts[i]);
	}
	ASSERT_EQ(12, compat_syscall(C32_writev, p[1], ptr32(iov), 3));
	ASSERT_EQ(12, read(p[0], got, 12));
	ASSERT_EQ(0, memcmp(got, "abcdefghijkl", 12));

	memset(buf, 0, 3 * 64);
	ASSERT_EQ(12, write(p[1], "ABCDEFGHIJKL", 12));
	ASSERT_EQ(12, compat_syscall(C32_readv, p[0], ptr32(iov), 3));
	ASSERT_EQ(0, memcmp(buf, "ABC", 3));
	ASSERT_EQ(0, memcmp(buf + 64, "DEFG", 4));
	ASSERT_EQ(0, memcmp(buf + 128, "HIJKL", 5));
	close(p[0]);
	close(p[1]);
}

/* Every entry of a large directory, exactly once, in 1 KiB reads. */
struct dirent64_hdr {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

#define NR_DIR_FILES	3000

TEST(getdents64_large_directory)
{
	char *a = arena(_metadata), dir[64], path[96];
	unsigned char *seen;
	int dfd, i, fd, total = 0;
	long n;

	seen = calloc(NR_DIR_FILES, 1);
	ASSERT_NE(NULL, seen);
	mkdir("/tmp", 01777);
	copy_str(dir, sizeof(dir), "/tmp/mmrange-dents.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(dir));
	for (i = 0; i < NR_DIR_FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%05d", dir, i);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		ASSERT_GE(fd, 0);
		close(fd);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(dfd, 0);
	while ((n = compat_syscall(C32_getdents64, dfd, ptr32(a), 1024)) > 0) {
		long pos = 0;

		while (pos < n) {
			struct dirent64_hdr *d = (struct dirent64_hdr *)(a + pos);

			if (d->name[0] == 'f') {
				i = atoi(d->name + 1);
				ASSERT_GE(i, 0);
				ASSERT_LT(i, NR_DIR_FILES);
				ASSERT_EQ(0, seen[i]);
				seen[i] = 1;
				total++;
			}
			pos += d->reclen;
		}
	}
	ASSERT_EQ(0, n);
	ASSERT_EQ(NR_DIR_FILES, total);
	close(dfd);
	for (i = 0; i < NR_DIR_FILES; i++) {
		snprintf(path, sizeof(path), "%s/f%05d", dir, i);
		unlink(path);
	}
	rmdir(dir);
	free(seen);
}

/*
 * A compat ioctl: PERF_EVENT_IOC_ID encodes the size of a pointer, 4 in the
 * 32-bit ABI.  Only the compat path knows that number; natively it is
 * ENOTTY.
 */
TEST(ioctl_compat_translation)
{
	const unsigned long id32 = _IOR('$', 7, uint32_t);
	char *a = arena(_metadata);
	uint64_t id = 0, junk;
	int fd;

	fd = open_dummy_perf_event();
	if (fd < 0)
		TH_LOG("perf_event_open: %s", strerror(errno));
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, PERF_EVENT_IOC_ID, &id));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, id32, &junk));
	memset(a, 0xff, 8);
	ASSERT_EQ(0, compat_syscall(C32_ioctl, fd, id32, ptr32(a)));
	ASSERT_EQ(id, *(uint64_t *)a);
	close(fd);
}

/* struct compat_robust_list_head, and a lock entry on the list. */
struct robust_head32 {
	uint32_t next;
	int32_t futex_offset;
	uint32_t pending;
};

struct robust_lock32 {
	uint32_t next;
	uint32_t futex;
};

TEST(set_robust_list_compat)
{
	char *a = arena(_metadata);
	struct robust_head32 *head = (struct robust_head32 *)a;
	uint32_t *got = (uint32_t *)(a + 64);

	head->next = ptr32(head);
	ASSERT_EQ(0, compat_syscall(C32_set_robust_list, ptr32(head),
				    sizeof(*head)));
	ASSERT_EQ(0, compat_syscall(C32_get_robust_list, 0, ptr32(got),
				    ptr32(got + 1)));
	ASSERT_EQ(ptr32(head), got[0]);
	ASSERT_EQ(sizeof(*head), got[1]);
	ASSERT_EQ(-EINVAL, compat_syscall(C32_set_robust_list, ptr32(head),
					  sizeof(*head) + 4));
}

/* A process dying with a lock on its compat robust list marks it dead. */
TEST(robust_list_compat_owner_died)
{
	char *shared;
	struct robust_head32 *head;
	struct robust_lock32 *lock;
	pid_t pid;

	shared = mmap((void *)(ARENA + ARENA_SIZE), 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_MAPPED(shared);
	head = (struct robust_head32 *)shared;
	lock = (struct robust_lock32 *)(shared + 64);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		lock->futex = gettid();
		lock->next = ptr32(head);
		head->next = ptr32(lock);
		head->futex_offset = offsetof(struct robust_lock32, futex);
		head->pending = 0;
		if (compat_syscall(C32_set_robust_list, ptr32(head),
				   sizeof(*head)))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ((uint32_t)FUTEX_OWNER_DIED, lock->futex);
}

/* compat fork: the child is an ordinary 64-bit process again. */
TEST(fork_child_returns_native)
{
	long ret;

	ASSERT_SET(CWIN_START, CWIN_END, PR_MMAP_RANGE_COMPAT);
	ret = compat_syscall(C32_fork);
	ASSERT_GE(ret, 0);
	if (ret == 0) {
		void *p = map_anon(0, SZ_64K, PROT_READ | PROT_WRITE, 0);
		unsigned long c;

		if (p == MAP_FAILED ||
		    overlaps((unsigned long)p, SZ_64K, CWIN_START, CWIN_END)) {
			child_log("native mmap in the compat fork child: %p", p);
			_exit(1);
		}
		c = (unsigned long)(compat_syscall(C32_mmap2, 0, SZ_64K,
						     PROT_READ | PROT_WRITE,
						     MAP_PRIVATE | MAP_ANONYMOUS,
						     -1, 0));
		if (!range_inside(c, SZ_64K, CWIN_START, CWIN_END)) {
			child_log("compat mmap2 in the child: %#lx", c);
			_exit(2);
		}
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(ret));
}

/* A seccomp filter written for the 32-bit ABI acts on these calls. */
static atomic_int sigsys_arch, sigsys_nr;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sigsys_arch = si->si_arch;
	sigsys_nr = si->si_syscall;
}

static int seccomp_child(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, C32_AUDIT_ARCH, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, C32_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 77),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, C32_gettid, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(insns),
		.filter = insns,
	};
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	long ret;

	if (sigaction(SIGSYS, &sa, NULL) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		child_log("installing the filter: %s", strerror(errno));
		return 1;
	}
	ret = compat_syscall(C32_getpid);
	if (ret != -77) {
		child_log("compat getpid under the filter returned %ld", ret);
		return 2;
	}
	if (syscall(SYS_getpid) != getpid() || getpid() <= 0) {
		child_log("native getpid was filtered");
		return 3;
	}
	compat_syscall(C32_gettid);
	if (sigsys_arch != C32_AUDIT_ARCH || sigsys_nr != C32_gettid) {
		child_log("SIGSYS arch %#x nr %d", (unsigned int)sigsys_arch,
			  (int)sigsys_nr);
		return 4;
	}
	if (syscall(SYS_gettid) <= 0) {
		child_log("native gettid was filtered");
		return 5;
	}
	return 0;
}

TEST(seccomp_sees_compat_arch_and_number)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(seccomp_child());
	ASSERT_EQ(0, wait_child(pid));
}

#if defined(__aarch64__)
/*
 * A tracee inside an AArch32 syscall made through the entry is still an
 * AArch64 task: NT_PRSTATUS is the AArch64 regset (user_pt_regs), not the
 * 18-word AArch32 one.
 */
static void assert_native_regset(struct __test_metadata *_metadata, pid_t pid)
{
	uint64_t regs[64];
	struct iovec iov = { regs, sizeof(regs) };

	ASSERT_EQ(0, ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov));
	ASSERT_EQ(34 * sizeof(uint64_t), iov.iov_len);	/* x0-x30, sp, pc, pstate */
}
#else
static void assert_native_regset(struct __test_metadata *_metadata, pid_t pid)
{
	(void)_metadata;
	(void)pid;
}
#endif

/* PTRACE_GET_SYSCALL_INFO reports the compat arch and number. */
TEST(ptrace_syscall_info)
{
	struct __ptrace_syscall_info info;
	bool entry_seen = false, exit_seen = false, native_seen = false;
	int status, i;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(1);
		raise(SIGSTOP);
		compat_syscall(C32_getpid);
		syscall(SYS_getppid);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD));
	for (i = 0; i < 64; i++) {
		long n;

		ASSERT_EQ(0, ptrace(PTRACE_SYSCALL, pid, 0, 0));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (WIFEXITED(status))
			break;
		ASSERT_TRUE(WIFSTOPPED(status));
		if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;
		n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info);
		ASSERT_GT(n, 0);
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY &&
		    info.arch == C32_AUDIT_ARCH && info.entry.nr == C32_getpid) {
			entry_seen = true;
			assert_native_regset(_metadata, pid);
		}
		if (info.op == PTRACE_SYSCALL_INFO_EXIT && entry_seen &&
		    !exit_seen) {
			ASSERT_EQ(pid, info.exit.rval);
			exit_seen = true;
		}
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY &&
		    info.arch == NATIVE_AUDIT_ARCH &&
		    info.entry.nr == SYS_getppid)
			native_seen = true;
	}
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(entry_seen);
	ASSERT_TRUE(exit_seen);
	ASSERT_TRUE(native_seen);
}

/*
 * A signal during a blocking compat read: with SA_RESTART the call is
 * restarted (as a compat read) and returns the data written after the
 * signal; without it, -EINTR.
 */
static atomic_int usr1_count;
static int usr1_ack_fd = -1;

/* Counts, and tells the parent the signal has been taken. */
static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
	if (write(usr1_ack_fd, "!", 1) != 1)
		_exit(9);
}

static void restart_read(struct __test_metadata *_metadata, int sa_flags,
			 long want)
{
	char *a = arena(_metadata), c;
	int p[2], ack[2];
	pid_t pid;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(ack, O_CLOEXEC));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = sa_flags };
		long ret;

		usr1_ack_fd = ack[1];
		if (sigaction(SIGUSR1, &sa, NULL))
			_exit(1);
		ret = compat_syscall(C32_read, p[0], ptr32(a), 4);
		if (ret != want || usr1_count != 1) {
			child_log("compat read returned %ld, %d signals",
				  ret, (int)usr1_count);
			_exit(2);
		}
		if (want == 4 && memcmp(a, "ping", 4)) {
			child_log("compat read returned the wrong data");
			_exit(3);
		}
		_exit(0);
	}
	ASSERT_EQ(0, wait_in_syscall(pid, C32_read));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* Data only once the handler has run: the read saw the signal first. */
	ASSERT_EQ(1, read(ack[0], &c, 1));
	/* The restarted read is a compat read again. */
	if (want == 4)
		ASSERT_EQ(0, wait_in_syscall(pid, C32_read));
	ASSERT_EQ(4, write(p[1], "ping", 4));
	ASSERT_EQ(0, wait_child(pid));
	close(p[0]);
	close(p[1]);
	close(ack[0]);
	close(ack[1]);
}

TEST(read_restarts_after_signal)
{
	restart_read(_metadata, SA_RESTART, 4);
}

TEST(read_interrupted_without_restart)
{
	restart_read(_metadata, 0, -EINTR);
}

/*
 * A compat nanosleep stopped and continued: -ERESTART_RESTARTBLOCK, and the
 * kernel restarts it through the compat restart_syscall (on arm64 it sets w7
 * to 0, which the caller sees on return).
 */
TEST(nanosleep_restart_block)
{
	char *a = arena(_metadata);
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int32_t *ts = (int32_t *)a;	/* struct old_timespec32 */
		struct c32_regs r;

		ts[0] = 1;
		ts[1] = 0;
		r = compat_syscall_regs(C32_nanosleep, ptr32(ts), 0, 0, 0, 0, 0);
		if (r.ret != 0) {
			child_log("compat nanosleep returned %ld", r.ret);
			_exit(1);
		}
#if defined(__aarch64__)
		if (r.x7 != C32_restart_syscall) {
			child_log("w7 is %lu after the restart", r.x7);
			_exit(2);
		}
#endif
		_exit(0);
	}
	ASSERT_EQ(0, wait_in_syscall(pid, C32_nanosleep));
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_EQ(0, wait_child(pid));
}

/*
 * Trace events.  raw_syscalls:sys_enter reports a compat call with its
 * compat number; the per-syscall events (syscalls:sys_enter_<name>) leave
 * it out, since they would look the number up in the native table.  x86
 * has always done this for int $0x80; the arm64 entry does the same.  Both
 * are traced in an instance of their own, filtered on this process.
 */
#define TRACEFS		"/sys/kernel/tracing"

/*
 * The native syscall numbered C32_getpid (20): a per-syscall event that
 * took a compat number for a native one would report a compat getpid as it.
 */
#if defined(__x86_64__)
#define NATIVE_20	"writev"
#else
#define NATIVE_20	"epoll_create1"
#endif

static int trace_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -1;
	close(fd);
	return ret;
}

/* How many lines of @text contain @what. */
static int count_lines(const char *text, const char *what)
{
	const char *p = text;
	int n = 0;

	while ((p = strstr(p, what))) {
		n++;
		p = strchr(p, '\n');
		if (!p)
			break;
	}
	return n;
}

TEST(trace_events_report_compat_calls_as_raw_syscalls)
{
	static char text[1 << 16];
	char inst[128], filter[64], path[160], raw_compat[32], raw_native[32];
	ssize_t n, len = 0;
	pid_t pid = getpid();
	int fd;

	if (access(TRACEFS "/instances", F_OK))
		mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	if (access(TRACEFS "/events/raw_syscalls", F_OK) ||
	    access(TRACEFS "/events/syscalls/sys_enter_getpid", F_OK) ||
	    access(TRACEFS "/events/syscalls/sys_enter_" NATIVE_20, F_OK))
		SKIP(return, "no syscall trace events (CONFIG_FTRACE_SYSCALLS)");
	snprintf(inst, sizeof(inst), TRACEFS "/instances/mmrange_%d", pid);
	ASSERT_EQ(0, mkdir(inst, 0700));
	snprintf(filter, sizeof(filter), "common_pid == %d", pid);
	ASSERT_EQ(0, trace_write(inst, "events/raw_syscalls/sys_enter/filter",
				 filter));
	ASSERT_EQ(0, trace_write(inst, "events/syscalls/sys_enter_getpid/filter",
				 filter));
	ASSERT_EQ(0, trace_write(inst, "events/raw_syscalls/sys_enter/enable",
				 "1"));
	ASSERT_EQ(0, trace_write(inst, "events/syscalls/sys_enter_getpid/enable",
				 "1"));
	ASSERT_EQ(0, trace_write(inst, "events/syscalls/sys_enter_" NATIVE_20
				 "/filter", filter));
	ASSERT_EQ(0, trace_write(inst, "events/syscalls/sys_enter_" NATIVE_20
				 "/enable", "1"));
	/* no other syscall numbered C32_getpid in either table runs here */
	ASSERT_EQ(pid, compat_syscall(C32_getpid));
	ASSERT_EQ(pid, syscall(SYS_getpid));
	ASSERT_EQ(0, trace_write(inst, "tracing_on", "0"));

	snprintf(raw_compat, sizeof(raw_compat), "sys_enter: NR %d ", C32_getpid);
	snprintf(raw_native, sizeof(raw_native), "sys_enter: NR %d ", SYS_getpid);
	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	text[len] = '\0';
	trace_write(inst, "events/raw_syscalls/sys_enter/enable", "0");
	trace_write(inst, "events/syscalls/sys_enter_getpid/enable", "0");
	trace_write(inst, "events/syscalls/sys_enter_" NATIVE_20 "/enable", "0");
	rmdir(inst);

	EXPECT_EQ(1, count_lines(text, raw_compat));
	EXPECT_EQ(1, count_lines(text, raw_native));
	EXPECT_EQ(1, count_lines(text, "sys_getpid("));
	EXPECT_EQ(0, count_lines(text, "sys_" NATIVE_20 "("));
	if (_metadata->exit_code)
		TH_LOG("the trace:\n%s", text);
}

/* PR_MMAP_RANGE_COMPAT: compat placements inside, native ones as before. */
FIXTURE(cwin) {
	char *arena;
};

FIXTURE_SETUP(cwin)
{
	self->arena = arena(_metadata);
	ASSERT_SET(CWIN_START, CWIN_END, PR_MMAP_RANGE_COMPAT);
	ASSERT_WINDOW(CWIN_START, CWIN_END, PR_MMAP_RANGE_COMPAT);
}

FIXTURE_TEARDOWN(cwin)
{
}

TEST_F(cwin, mmap2_anon)
{
	unsigned long c;
	void *n;
	int i;

	for (i = 0; i < 8; i++) {
		c = (unsigned long)(compat_syscall(C32_mmap2, 0, SZ_64K,
						     PROT_READ | PROT_WRITE,
						     MAP_PRIVATE | MAP_ANONYMOUS,
						     -1, 0));
		ASSERT_C32_OK(c);
		ASSERT_INSIDE(c, SZ_64K, CWIN_START, CWIN_END);
		memset((void *)c, 1, SZ_64K);

		n = map_anon(0, SZ_64K, PROT_READ | PROT_WRITE, 0);
		ASSERT_MAPPED(n);
		ASSERT_FALSE(overlaps((unsigned long)n, SZ_64K, CWIN_START,
				      CWIN_END));
	}
	ASSERT_EQ(0, compat_syscall(C32_munmap, c, SZ_64K));
	ASSERT_EQ(0, maps_count(c, c + SZ_64K));
}

/* mmap2 takes its offset in 4096-byte units. */
TEST_F(cwin, mmap2_file_offset)
{
	const unsigned long pg = page_size();
	unsigned long c;
	char *buf;
	int fd;

	fd = tmp_file(3 * pg);
	ASSERT_GE(fd, 0);
	buf = malloc(pg);
	ASSERT_NE(NULL, buf);
	memset(buf, 'z', pg);
	ASSERT_EQ((ssize_t)pg, pwrite(fd, buf, pg, 2 * pg));
	c = (unsigned long)(compat_syscall(C32_mmap2, 0, pg, PROT_READ,
					     MAP_SHARED, fd, 2 * pg / 4096));
	ASSERT_C32_OK(c);
	ASSERT_INSIDE(c, pg, CWIN_START, CWIN_END);
	ASSERT_EQ(0, memcmp((void *)c, buf, pg));
	free(buf);
	close(fd);
}

TEST_F(cwin, mremap_maymove)
{
	void *old = map_fixed(ARENA + 2 * ARENA_SIZE, SZ_64K,
			      PROT_READ | PROT_WRITE);
	/* A mapping right behind it: growing in place is impossible. */
	void *wall = map_fixed(ARENA + 2 * ARENA_SIZE + SZ_64K, page_size(),
			       PROT_NONE);
	unsigned long c;
	void *n, *m;

	ASSERT_MAPPED(old);
	ASSERT_MAPPED(wall);
	memset(old, 7, SZ_64K);
	c = (unsigned long)(compat_syscall(C32_mremap, ptr32(old), SZ_64K,
					     SZ_1M, MREMAP_MAYMOVE, 0));
	ASSERT_C32_OK(c);
	ASSERT_INSIDE(c, SZ_1M, CWIN_START, CWIN_END);
	ASSERT_EQ(7, ((char *)c)[SZ_64K - 1]);

	n = map_anon(0, SZ_64K, PROT_READ | PROT_WRITE, 0);
	ASSERT_MAPPED(n);
	m = mremap(n, SZ_64K, SZ_1M, MREMAP_MAYMOVE);
	ASSERT_MAPPED(m);
	ASSERT_FALSE(overlaps((unsigned long)m, SZ_1M, CWIN_START, CWIN_END));
}

TEST_F(cwin, shmat)
{
	unsigned long c;
	void *n;
	int id;

	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	ASSERT_GE(id, 0);
	c = (unsigned long)(compat_syscall(C32_shmat, id, 0, 0));
	ASSERT_C32_OK(c);
	ASSERT_INSIDE(c, SZ_1M, CWIN_START, CWIN_END);
	n = shmat(id, NULL, 0);
	ASSERT_NE((void *)-1, n);
	ASSERT_FALSE(overlaps((unsigned long)n, SZ_1M, CWIN_START, CWIN_END));
	ASSERT_EQ(0, compat_syscall(C32_shmdt, c));
	ASSERT_EQ(0, maps_count(c, c + SZ_1M));
	ASSERT_EQ(0, shmdt(n));
	ASSERT_EQ(0, shmctl(id, IPC_RMID, NULL));
}

/* The aio context id is the address of its ring. */
TEST_F(cwin, io_setup)
{
	uint32_t *ctx32 = (uint32_t *)self->arena;
	unsigned long ctx = 0;

	*ctx32 = 0;
	ASSERT_EQ(0, compat_syscall(C32_io_setup, 16, ptr32(ctx32)));
	ASSERT_NE(0U, *ctx32);
	ASSERT_INSIDE(*ctx32, page_size(), CWIN_START, CWIN_END);
	ASSERT_EQ(1, maps_count(*ctx32, *ctx32 + 1));
	ASSERT_EQ(0, compat_syscall(C32_io_destroy, *ctx32));

	ASSERT_EQ(0, syscall(SYS_io_setup, 16, &ctx));
	ASSERT_FALSE(overlaps(ctx, page_size(), CWIN_START, CWIN_END));
	ASSERT_EQ(0, syscall(SYS_io_destroy, ctx));
}

#if defined(__aarch64__)
/* A native svc with any other immediate: x8 numbers it, x7 is ignored. */
static long svc_getpid(int imm1)
{
	register long x0 asm("x0");
	register long x7 asm("x7") = C32_getpid;
	register long x8 asm("x8") = SYS_getpid;

	if (imm1)
		asm volatile("svc #1" : "=r"(x0) : "r"(x7), "r"(x8) : "memory");
	else
		asm volatile("svc #0" : "=r"(x0) : "r"(x7), "r"(x8) : "memory");
	return x0;
}

TEST(svc0_unaffected)
{
	ASSERT_EQ(getpid(), svc_getpid(0));
	ASSERT_EQ(getpid(), svc_getpid(1));
}

/* AArch32 cannot set the upper halves of x0-x7: they are cleared. */
TEST(upper_halves_cleared)
{
	const unsigned long junk = 0xdeadbeefUL << 32;
	char *a = arena(_metadata), got[4];
	struct c32_regs r;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	memcpy(a, "abcd", 4);
	r = compat_syscall_regs(C32_write | junk, p[1] | junk, ptr32(a) | junk,
				4 | junk, junk, junk, junk);
	ASSERT_EQ(4, r.ret);
	ASSERT_EQ(ptr32(a), r.x1);
	ASSERT_EQ((unsigned long)C32_write, r.x7);
	ASSERT_EQ(4, read(p[0], got, 4));
	ASSERT_EQ(0, memcmp(got, "abcd", 4));
	close(p[0]);
	close(p[1]);
}

static unsigned long read_tpidr_el0(void)
{
	unsigned long v;

	asm volatile("mrs %0, tpidr_el0" : "=r"(v));
	return v;
}

static unsigned long read_tpidrro_el0(void)
{
	unsigned long v;

	asm volatile("mrs %0, tpidrro_el0" : "=r"(v));
	return v;
}

/*
 * The TLS registers are the AArch64 task's: the entry never loads the
 * guest's TLS into TPIDR_EL0 or TPIDRRO_EL0 (which the KPTI trampoline
 * uses for AArch64 tasks), not even through set_tls or clone.
 */
TEST(tls_registers_untouched)
{
	unsigned long tp = read_tpidr_el0(), tpro = read_tpidrro_el0();
	long ret;

	ASSERT_EQ(-ENOSYS, compat_syscall(C32_ARM_set_tls, 0x1234));
	ret = compat_syscall(C32_clone, CLONE_SETTLS | SIGCHLD, 0, 0,
			     0x5678);
	if (ret == 0)
		_exit(0);
	ASSERT_EQ(-ENOSYS, ret);
	ASSERT_EQ(getpid(), compat_syscall(C32_getpid));
	ASSERT_EQ(gettid(), compat_syscall(C32_gettid));
	usleep(1000);	/* a context switch or two */
	ASSERT_EQ(tp, read_tpidr_el0());
	ASSERT_EQ(tpro, read_tpidrro_el0());
}

/*
 * ptrace of a tracee in an AArch32 syscall made through the entry: the
 * AArch64 regset, the AArch32 number in x7, the stop direction in x12
 * (as for AArch32 tasks; x7 is the number register here).
 */
struct a64_regs {
	uint64_t x[31];
	uint64_t sp, pc, pstate;
};

static int get_a64_regs(pid_t pid, struct a64_regs *r)
{
	struct iovec iov = { r, sizeof(*r) };

	return ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, &iov);
}

static int set_a64_regs(pid_t pid, struct a64_regs *r)
{
	struct iovec iov = { r, sizeof(*r) };

	return ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, &iov);
}

static int get_syscall_nr(pid_t pid)
{
	int nr = -2;
	struct iovec iov = { &nr, sizeof(nr) };

	if (ptrace(PTRACE_GETREGSET, pid, NT_ARM_SYSTEM_CALL, &iov))
		return -3;
	return nr;
}

static int set_syscall_nr(pid_t pid, int nr)
{
	struct iovec iov = { &nr, sizeof(nr) };

	return ptrace(PTRACE_SETREGSET, pid, NT_ARM_SYSTEM_CALL, &iov);
}

#define X12_MARK	0x5a5a1212UL

/* Compat getpid with x12 = X12_MARK; *x12 is what x12 held afterwards. */
static long compat_getpid_x12(unsigned long *x12_after)
{
	register long x0 asm("x0") = 0;
	register unsigned long x7 asm("x7") = C32_getpid;
	register long x8 asm("x8") = -1;
	register unsigned long x12 asm("x12") = X12_MARK;

	asm volatile("svc #" C32_STR(__ARM64_SVC_COMPAT_IMM)
		     : "+r"(x0), "+r"(x7), "+r"(x12)
		     : "r"(x8)
		     : "memory", "cc", "x1", "x2", "x3", "x4", "x5");
	*x12_after = x12;
	return x0;
}

/*
 * A child that stops for its tracer, makes one compat getpid and exits
 * with 0 if the call returned @want_ppid ? getppid() : getpid() and x12
 * came back as it was, 2 if it returned getpid() instead of getppid(),
 * 1 otherwise.
 */
static pid_t traced_compat_getpid(int want_ppid)
{
	pid_t pid = fork();
	unsigned long x12;
	long ret;

	if (pid)
		return pid;
	if (ptrace(PTRACE_TRACEME, 0, 0, 0))
		_exit(1);
	raise(SIGSTOP);
	ret = compat_getpid_x12(&x12);
	if (x12 != X12_MARK)
		_exit(1);
	if (want_ppid)
		_exit(ret == getppid() ? 0 : ret == getpid() ? 2 : 1);
	_exit(ret == getpid() ? 0 : 1);
}

/*
 * Resume @pid to its next syscall stop and describe it in @info; false
 * once it has exited (its wait status in *status).
 */
static bool next_syscall_stop(pid_t pid, struct __ptrace_syscall_info *info,
			      int *status)
{
	int sig = 0;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, sig))
			return false;
		if (waitpid(pid, status, 0) != pid)
			return false;
		if (!WIFSTOPPED(*status))
			return false;
		if (WSTOPSIG(*status) == (SIGTRAP | 0x80))
			break;
		/* event stops, the first SIGSTOP: nothing to deliver */
		sig = (*status >> 16) || WSTOPSIG(*status) == SIGSTOP ?
		      0 : WSTOPSIG(*status);
	}
	return ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(*info), info) > 0;
}

static void start_tracing(struct __test_metadata *_metadata, pid_t pid)
{
	int status;

	ASSERT_GE(pid, 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, 0,
			    PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
}

static bool is_compat_entry(const struct __ptrace_syscall_info *info, long nr)
{
	return info->op == PTRACE_SYSCALL_INFO_ENTRY &&
	       info->arch == C32_AUDIT_ARCH && info->entry.nr == (uint64_t)nr;
}

/*
 * At both stops x7 holds the AArch32 number, x12 the direction (0 at
 * entry, 1 at exit), and NT_ARM_SYSTEM_CALL the number; afterwards the
 * tracee has its x12 back.
 */
TEST(ptrace_stops_keep_compat_number_in_x7)
{
	struct __ptrace_syscall_info info;
	struct a64_regs entry = { 0 }, ex = { 0 };
	int status, nr = -1;
	bool seen = false;
	pid_t pid = traced_compat_getpid(0);

	start_tracing(_metadata, pid);
	while (next_syscall_stop(pid, &info, &status)) {
		if (seen || !is_compat_entry(&info, C32_getpid))
			continue;
		seen = true;
		ASSERT_EQ(0, get_a64_regs(pid, &entry));
		nr = get_syscall_nr(pid);
		ASSERT_TRUE(next_syscall_stop(pid, &info, &status));
		ASSERT_EQ(PTRACE_SYSCALL_INFO_EXIT, info.op);
		ASSERT_EQ(0, get_a64_regs(pid, &ex));
	}
	ASSERT_TRUE(seen);
	TH_LOG("entry stop: x7 %#llx x12 %#llx nr %d; exit stop: x7 %#llx x12 %#llx",
	       (unsigned long long)entry.x[7], (unsigned long long)entry.x[12],
	       nr, (unsigned long long)ex.x[7],
	       (unsigned long long)ex.x[12]);
	EXPECT_EQ(C32_getpid, entry.x[7]);
	EXPECT_EQ(0, entry.x[12]);
	EXPECT_EQ(C32_getpid, nr);
	EXPECT_EQ(C32_getpid, ex.x[7]);
	EXPECT_EQ(1, ex.x[12]);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/*
 * The classic way to change a syscall from its entry stop: write the
 * number register, move the pc back over the svc and skip the current
 * call; the svc then runs again with the new number.  Here compat getpid
 * becomes compat getppid.
 */
TEST(ptrace_rewind_runs_rewritten_compat_number)
{
	struct __ptrace_syscall_info info;
	struct a64_regs r;
	bool rewound = false, rerun_seen = false;
	int status;
	pid_t pid = traced_compat_getpid(1);

	start_tracing(_metadata, pid);
	while (next_syscall_stop(pid, &info, &status)) {
		if (rewound && is_compat_entry(&info, C32_getppid))
			rerun_seen = true;
		if (rewound || !is_compat_entry(&info, C32_getpid))
			continue;
		ASSERT_EQ(0, get_a64_regs(pid, &r));
		r.x[7] = C32_getppid;
		r.pc -= 4;
		ASSERT_EQ(0, set_a64_regs(pid, &r));
		ASSERT_EQ(0, set_syscall_nr(pid, -1));
		rewound = true;
	}
	ASSERT_TRUE(rewound);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2)
		TH_LOG("the rerun svc made the old call, getpid");
	EXPECT_TRUE(rerun_seen);
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* NT_ARM_SYSTEM_CALL and the argument registers change a compat call. */
TEST(ptrace_changes_compat_number_and_arguments)
{
	struct __ptrace_syscall_info info;
	char *a = arena(_metadata), got[4];
	struct a64_regs r;
	int status, p[2], changed = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	memcpy(a, "abcd", 4);
	pid = fork();
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(1);
		raise(SIGSTOP);
		/* write 4 becomes write 2; getpid becomes getppid */
		if (compat_syscall(C32_write, p[1], ptr32(a), 4) != 2)
			_exit(2);
		_exit(compat_syscall(C32_getpid) == getppid() ? 0 : 3);
	}
	start_tracing(_metadata, pid);
	while (next_syscall_stop(pid, &info, &status)) {
		if (is_compat_entry(&info, C32_write)) {
			ASSERT_EQ(0, get_a64_regs(pid, &r));
			ASSERT_EQ(4, r.x[2]);
			r.x[2] = 2;
			ASSERT_EQ(0, set_a64_regs(pid, &r));
			changed++;
		} else if (is_compat_entry(&info, C32_getpid)) {
			ASSERT_EQ(0, set_syscall_nr(pid, C32_getppid));
			changed++;
		}
	}
	ASSERT_EQ(2, changed);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(2, read(p[0], got, 4));
	ASSERT_EQ(0, memcmp(got, "ab", 2));
	close(p[0]);
	close(p[1]);
}

/*
 * Compat sigaltstack would take a stack of COMPAT_MINSIGSTKSZ (2048)
 * bytes, where native sigaltstack wants MINSIGSTKSZ (5120): the AArch64
 * frames delivered on it would be written below it.  It is refused, and
 * the task's stack setting is left alone.
 */
TEST(sigaltstack_refused)
{
	char *a = arena(_metadata);
	uint32_t *css = (uint32_t *)a;	/* compat stack_t: sp, flags, size */
	stack_t ss = { .ss_sp = a + 4096, .ss_size = 2048 }, cur;

	css[0] = ptr32(a + 4096);
	css[1] = 0;
	css[2] = 2048;
	ASSERT_EQ(-ENOSYS, compat_syscall(C32_sigaltstack, ptr32(css), 0));
	ASSERT_EQ(0, sigaltstack(NULL, &cur));
	ASSERT_EQ(SS_DISABLE, cur.ss_flags);
	/* the native call refuses that size */
	ASSERT_EQ(-1, sigaltstack(&ss, NULL));
	ASSERT_EQ(ENOMEM, errno);
}

/*
 * personality() follows the AArch64 rules: PER_LINUX32 is refused where
 * there is no AArch32 EL0 (an AArch64-only CPU, or arm64.no32bit_el0), as
 * by the native call, instead of the generic compat entry's yes.
 */
TEST(personality_as_native)
{
	long old = syscall(SYS_personality, 0xffffffffUL), native, compat;
	int native_errno;

	ASSERT_GE(old, 0);
	native = syscall(SYS_personality, PER_LINUX32);
	native_errno = errno;
	syscall(SYS_personality, old);
	compat = compat_syscall(C32_personality, PER_LINUX32);
	syscall(SYS_personality, old);
	TH_LOG("PER_LINUX32: native %ld (%s), compat %ld", native,
	       native < 0 ? strerror(native_errno) : "ok", compat);
	ASSERT_EQ(native < 0 ? -native_errno : native, compat);
}

/*
 * A tracer that writes whole registers at the entry stop cannot hand the
 * native handlers in the compat table more than AArch32 could: the upper
 * halves of x0-x5 are cleared after the stop too.  A write of 4 bytes,
 * turned into one of 2 + 4 GiB with the count's upper half set, writes 2.
 */
TEST(ptrace_written_upper_halves_cleared)
{
	struct __ptrace_syscall_info info;
	char *a = arena(_metadata);
	struct a64_regs r;
	int status, fd, changed = 0;
	pid_t pid;

	fd = memfd_create("mmrange-upper", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	memcpy(a, "abcd", 4);
	pid = fork();
	if (pid == 0) {
		long ret;

		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(1);
		raise(SIGSTOP);
		ret = compat_syscall(C32_write, fd, ptr32(a), 4);
		if (ret != 2)
			child_log("compat write returned %ld", ret);
		_exit(ret == 2 ? 0 : 2);
	}
	start_tracing(_metadata, pid);
	while (next_syscall_stop(pid, &info, &status)) {
		if (changed || !is_compat_entry(&info, C32_write))
			continue;
		ASSERT_EQ(0, get_a64_regs(pid, &r));
		r.x[0] |= 1UL << 32;
		r.x[2] = (1UL << 32) | 2;
		ASSERT_EQ(0, set_a64_regs(pid, &r));
		changed = 1;
	}
	ASSERT_EQ(1, changed);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(2, lseek(fd, 0, SEEK_END));
	close(fd);
}

/*
 * execve() through the entry of an AArch64 program finishes as that
 * program's syscall: at the exit stop the number is the AArch64 execve's
 * and the architecture AArch64, as on x86 for int $0x80.  The program is
 * this test binary again, listing its tests (-l, which exits KSFT_SKIP).
 */
TEST(ptrace_execve_exit_is_native)
{
	struct __ptrace_syscall_info info;
	char *a = arena(_metadata);
	uint32_t *argv = (uint32_t *)(a + 256);
	bool entered = false, exited = false;
	int status, nr = -1;
	pid_t pid;

	memcpy(a, "/proc/self/exe", sizeof("/proc/self/exe"));
	memcpy(a + 64, "-l", sizeof("-l"));
	argv[0] = ptr32(a);
	argv[1] = ptr32(a + 64);
	argv[2] = 0;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull < 0 || dup2(devnull, 1) < 0 ||
		    dup2(devnull, 2) < 0 || ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(1);
		raise(SIGSTOP);
		compat_syscall(C32_execve, ptr32(a), ptr32(argv), ptr32(argv + 2));
		_exit(3);	/* the execve failed */
	}
	start_tracing(_metadata, pid);
	ASSERT_EQ(0, ptrace(PTRACE_SETOPTIONS, pid, 0,
			    PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL |
			    PTRACE_O_TRACEEXEC));
	while (next_syscall_stop(pid, &info, &status)) {
		if (!entered) {
			entered = is_compat_entry(&info, C32_execve);
			continue;
		}
		if (exited || info.op != PTRACE_SYSCALL_INFO_EXIT)
			continue;
		exited = true;
		nr = get_syscall_nr(pid);
		TH_LOG("execve exit stop: arch %#x, number %d, return %lld",
		       info.arch, nr, (long long)info.exit.rval);
		EXPECT_EQ(NATIVE_AUDIT_ARCH, info.arch);
		EXPECT_EQ(0, info.exit.rval);
	}
	ASSERT_TRUE(entered);
	ASSERT_TRUE(exited);
	EXPECT_EQ(SYS_execve, nr);
	/* the harness's -l exits with KSFT_SKIP; 3 would be a failed execve */
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(KSFT_SKIP, WEXITSTATUS(status));
}

/*
 * The prctl options that act on AArch64 state (the SVE vector length,
 * the pointer authentication keys, the tagged address ABI) are -EINVAL
 * from AArch32 syscalls, as for AArch32 tasks, and leave the task's own
 * settings alone.  Each is checked where its native call works here;
 * PR_PAC_RESET_KEYS is left out, which would break this very process if
 * it were not refused.
 */
TEST(aarch64_prctl_options_refused)
{
	long tagged = prctl(PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0);
	long sve = prctl(PR_SVE_GET_VL, 0, 0, 0, 0);
	long pac = prctl(PR_PAC_GET_ENABLED_KEYS, 0, 0, 0, 0);
	const struct {
		const char *name;
		long native;
		int option;
		unsigned long arg2;
	} t[] = {
		{ "PR_GET_TAGGED_ADDR_CTRL", tagged, PR_GET_TAGGED_ADDR_CTRL, 0 },
		{ "PR_SET_TAGGED_ADDR_CTRL", tagged, PR_SET_TAGGED_ADDR_CTRL,
		  (unsigned long)tagged },
		{ "PR_SVE_GET_VL", sve, PR_SVE_GET_VL, 0 },
		{ "PR_SVE_SET_VL", sve, PR_SVE_SET_VL,
		  (unsigned long)sve & PR_SVE_VL_LEN_MASK },
		{ "PR_PAC_GET_ENABLED_KEYS", pac, PR_PAC_GET_ENABLED_KEYS, 0 },
		{ "PR_PAC_SET_ENABLED_KEYS", pac, PR_PAC_SET_ENABLED_KEYS, 0 },
	};
	size_t i, checked = 0;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		long ret;

		if (t[i].native < 0) {
			TH_LOG("%s: not available natively here", t[i].name);
			continue;
		}
		ret = compat_syscall(C32_prctl, t[i].option, t[i].arg2);
		if (ret != -EINVAL)
			TH_LOG("compat %s returned %ld", t[i].name, ret);
		EXPECT_EQ(-EINVAL, ret);
		checked++;
	}
	ASSERT_EQ(tagged, prctl(PR_GET_TAGGED_ADDR_CTRL, 0, 0, 0, 0));
	ASSERT_EQ(sve, prctl(PR_SVE_GET_VL, 0, 0, 0, 0));
	ASSERT_EQ(pac, prctl(PR_PAC_GET_ENABLED_KEYS, 0, 0, 0, 0));
	ASSERT_LT(0, checked);
}

/*
 * Calls whose compat implementation works on AArch32 register state, or
 * would start AArch64 code with guest state, are -ENOSYS; the arguments
 * are ones with which each would otherwise succeed.
 */
TEST(enosys_list)
{
	char *a = arena(_metadata);
	const struct {
		const char *name;
		long nr;
		unsigned long a[4];
	} t[] = {
		{ "sigreturn", C32_sigreturn, { 0 } },
		{ "rt_sigreturn", C32_rt_sigreturn, { 0 } },
		{ "sigaction", C32_sigaction, { SIGUSR2 } },
		{ "rt_sigaction", C32_rt_sigaction, { SIGUSR2, 0, 0, 8 } },
		{ "ptrace", C32_ptrace, { PTRACE_TRACEME } },
		{ "clone", C32_clone, { SIGCHLD } },
		{ "clone3", C32_clone3, { ptr32(a), 64 } },
		{ "sigaltstack", C32_sigaltstack, { 0, ptr32(a + 128) } },
		{ "ARM breakpoint", C32_ARM_breakpoint, { 0 } },
		{ "ARM cacheflush", C32_ARM_cacheflush,
		  { ptr32(a), ptr32(a + 4096) } },
		{ "ARM usr26", C32_ARM_usr26, { 0 } },
		{ "ARM usr32", C32_ARM_usr32, { 0 } },
		{ "ARM set_tls", C32_ARM_set_tls, { 0x1234 } },
		{ "ARM get_tls", C32_ARM_get_tls, { 0 } },
		{ "past the table", 1000, { 0 } },
	};
	size_t i;

	/* clone3's struct clone_args: exit_signal SIGCHLD, nothing else. */
	((uint64_t *)a)[4] = SIGCHLD;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		long ret = compat_syscall(t[i].nr, t[i].a[0], t[i].a[1],
					  t[i].a[2], t[i].a[3]);

		if (ret == 0 && (t[i].nr == C32_clone || t[i].nr == C32_clone3))
			_exit(0);	/* a child that should not exist */
		if (ret != -ENOSYS)
			TH_LOG("compat %s returned %ld", t[i].name, ret);
		EXPECT_EQ(-ENOSYS, ret);
	}
}
#endif

TEST_HARNESS_MAIN
