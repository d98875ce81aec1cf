// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest side of the QEMU client tests: a 32-bit program (i386 or
 * armhf) that qemu_client_test.c runs under stock and patched QEMU.
 * "guest_prog CASE" runs one case and exits 0 when it worked; on a failed
 * call it prints "CASE: CALL errno=NAME" and exits 1, so the test can tell
 * what stock QEMU cannot do from a bug.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE	4096UL
#define SZ_1M	(1UL << 20)
#define SZ_2M	(2UL << 20)

static const char *errname(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	}
	return "other";
}

static int fail(const char *what)
{
	int e = errno;

	printf("%s errno=%s (%d)\n", what, errname(e), e);
	return 1;
}

static int check(int ok, const char *what)
{
	if (ok)
		return 0;
	printf("%s: wrong result\n", what);
	return 1;
}

/*
 * Thousands of live mappings with holes between them: map 4000 of 1 to 4
 * pages, unmap every third, write a pattern into each that is left and
 * read it back after all are made.
 */
static int case_mmap(void)
{
	enum { N = 4000 };
	static char *p[N];
	static size_t len[N];
	int i;

	for (i = 0; i < N; i++) {
		len[i] = PAGE * (1 + i % 4);
		p[i] = mmap(NULL, len[i], PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p[i] == MAP_FAILED)
			return fail("mmap");
		if (i % 3 == 2 && munmap(p[i - 1], len[i - 1]))
			return fail("munmap");
	}
	for (i = 0; i < N; i++)
		if (i % 3 != 1)
			memset(p[i], i & 0xff, len[i]);
	for (i = 0; i < N; i++) {
		if (i % 3 == 1)
			continue;
		if (p[i][0] != (char)(i & 0xff) ||
		    p[i][len[i] - 1] != (char)(i & 0xff))
			return check(0, "mmap pattern");
	}
	printf("mmap: %d mappings, %d live\n", N, N - N / 3);
	return 0;
}

/* A free hint is where the mapping goes. */
static int case_hint(void)
{
	char *want = (char *)0x50000000UL, *p;

	p = mmap(want, 16 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	printf("hint: %p for %p\n", (void *)p, (void *)want);
	return check(p == want, "hint");
}

/* A file mapped at an offset shows the file's bytes from there. */
static int case_file(void)
{
	char path[] = "/tmp/guest_prog.XXXXXX", buf[3 * PAGE], *p;
	size_t i;
	int fd = mkstemp(path);

	if (fd < 0)
		return fail("mkstemp");
	unlink(path);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i / PAGE + 'a');
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return fail("write");
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
	if (p == MAP_FAILED)
		return fail("mmap");
	return check(p[0] == 'b' && p[PAGE] == 'c' && p[2 * PAGE - 1] == 'c',
		     "file contents");
}

/*
 * A hugetlb mapping needs an address aligned to its page size; one of a
 * single 4 KiB page is a whole huge page long, and a system call may pass
 * any part of it.
 */
static int case_hugetlb(void)
{
	char *p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	int fds[2];

	if (p == MAP_FAILED)
		return fail("mmap(MAP_HUGETLB)");
	memset(p, 0x5a, SZ_2M);
	printf("hugetlb: %p\n", (void *)p);
	if (check(((uintptr_t)p & (SZ_2M - 1)) == 0 && p[SZ_2M - 1] == 0x5a,
		  "hugetlb alignment"))
		return 1;
	munmap(p, SZ_2M);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap(MAP_HUGETLB, 4096)");
	memset(p, 0x33, SZ_2M);
	if (pipe(fds))
		return fail("pipe");
	if (write(fds[1], p + PAGE, 16) != 16)
		return fail("write from the huge page's second 4 KiB");
	return 0;
}

/* shmat(NULL) attaches; the data is the segment's; shmdt detaches. */
static int case_shm(void)
{
	int id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	char *a, *b;

	if (id < 0)
		return fail("shmget");
	a = shmat(id, NULL, 0);
	b = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (a == (void *)-1 || b == (void *)-1)
		return fail("shmat");
	memcpy(a + SZ_1M - 16, "segment", sizeof("segment"));
	if (check(a != b && !strcmp(b + SZ_1M - 16, "segment"), "shm data"))
		return 1;
	if (shmdt(a) || shmdt(b))
		return fail("shmdt");
	return 0;
}

/* A mapping that cannot grow in place moves, and keeps its data. */
static int case_mremap(void)
{
	char *p, *q, *block;

	p = mmap(NULL, 32 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	/* Keep the upper half so that growing in place is impossible. */
	if (munmap(p, 16 * PAGE))
		return fail("munmap");
	block = p + 16 * PAGE;
	p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	memset(p, 0x77, 16 * PAGE);
	q = mremap(p, 16 * PAGE, 256 * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return fail("mremap");
	if (check(q != p, "mremap moved"))
		return 1;
	q[256 * PAGE - 1] = 1;
	printf("mremap: %p -> %p (block at %p)\n", (void *)p, (void *)q,
	       (void *)block);
	return check(q[0] == 0x77 && q[16 * PAGE - 1] == 0x77, "mremap data");
}

/*
 * io_setup, io_submit of a read, io_getevents, io_destroy: the data read
 * is the file's, and the event names the request.
 */
static int case_aio(void)
{
	char path[] = "/tmp/guest_prog.XXXXXX", want[PAGE], got[PAGE];
	aio_context_t ctx = 0;
	struct io_event ev;
	struct iocb cb, *cbs[1] = { &cb };
	struct timespec ts = { 5, 0 };
	long r;
	int fd = mkstemp(path);

	if (fd < 0)
		return fail("mkstemp");
	unlink(path);
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (char)(i * 7);
	if (write(fd, want, sizeof(want)) != (ssize_t)sizeof(want))
		return fail("write");
	if (syscall(SYS_io_setup, 8, &ctx))
		return fail("io_setup");
	memset(&cb, 0, sizeof(cb));
	cb.aio_data = 0x1234;
	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_fildes = fd;
	cb.aio_buf = (uintptr_t)got;
	cb.aio_nbytes = sizeof(got);
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return fail("io_submit");
	r = syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts);
	if (r != 1)
		return fail("io_getevents");
	if (check(ev.data == 0x1234 && ev.obj == (uintptr_t)&cb &&
		  ev.res == sizeof(got) && !memcmp(want, got, sizeof(got)),
		  "aio event and data"))
		return 1;
	if (syscall(SYS_io_destroy, ctx))
		return fail("io_destroy");
	printf("aio: ring at %#lx\n", (unsigned long)ctx);
	return 0;
}

/*
 * A read request whose buffer shares a page with code the guest has run:
 * the kernel writes it at completion (QEMU write-protects such pages).
 */
static int case_aio_code(void)
{
#if defined(__i386__)
	static const unsigned char fn[] = { 0xb8, 0x2a, 0, 0, 0, 0xc3 };
#else	/* ARM mode: mov r0, #42; bx lr */
	static const uint32_t fn[] = { 0xe3a0002a, 0xe12fff1e };
#endif
	char path[] = "/tmp/guest_prog.XXXXXX", want[256];
	aio_context_t ctx = 0;
	struct io_event ev;
	struct iocb cb, *cbs[1] = { &cb };
	struct timespec ts = { 5, 0 };
	int (*call)(void);
	char *page;
	int fd = mkstemp(path);

	if (fd < 0)
		return fail("mkstemp");
	unlink(path);
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (char)(i ^ 0x5c);
	if (write(fd, want, sizeof(want)) != (ssize_t)sizeof(want))
		return fail("write");
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return fail("mmap");
	memcpy(page, fn, sizeof(fn));
	__builtin___clear_cache(page, page + sizeof(fn));
	call = (int (*)(void))(uintptr_t)page;
	if (check(call() == 42, "code on the page"))
		return 1;
	if (syscall(SYS_io_setup, 4, &ctx))
		return fail("io_setup");
	memset(&cb, 0, sizeof(cb));
	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_fildes = fd;
	cb.aio_buf = (uintptr_t)(page + 2048);
	cb.aio_nbytes = sizeof(want);
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return fail("io_submit");
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, &ts) != 1)
		return fail("io_getevents");
	printf("aio_code: res=%lld\n", (long long)ev.res);
	syscall(SYS_io_destroy, ctx);
	return check(ev.res == sizeof(want) && !memcmp(page + 2048, want,
							sizeof(want)),
		     "aio read into a code page");
}

/*
 * The last guest page is not the guest's: munmap and shmat there are
 * refused, as for any range the guest cannot have.
 */
static int case_lastpage(void)
{
	void *last = (void *)(uintptr_t)0xfffff000UL;
	int id = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	void *a;

	if (munmap(last, PAGE) == 0)
		return check(0, "munmap of the last page");
	printf("lastpage: munmap errno=%s\n", errname(errno));
	if (id < 0)
		return fail("shmget");
	a = shmat(id, last, 0);
	shmctl(id, IPC_RMID, NULL);
	if (a != (void *)-1)
		return check(0, "shmat at the last page");
	printf("lastpage: shmat errno=%s\n", errname(errno));
	return 0;
}

static void *thread_fn(void *arg)
{
	uintptr_t n = (uintptr_t)arg, i;
	char *p = mmap(NULL, SZ_1M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *m = malloc(100000);

	if (p == MAP_FAILED || !m) {
		free(m);
		return (void *)1;
	}
	for (i = 0; i < 64; i++) {
		p[i * PAGE] = (char)n;
		m[i * 1000] = (char)n;
	}
	for (i = 0; i < 64; i++)
		if (p[i * PAGE] != (char)n || m[i * 1000] != (char)n)
			return (void *)1;
	free(m);
	return munmap(p, SZ_1M) ? (void *)1 : NULL;
}

/* Eight threads, each with its own mmap and malloc memory. */
static int case_threads(void)
{
	pthread_t t[8];
	void *ret;
	uintptr_t i;
	int bad = 0;

	for (i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, thread_fn, (void *)(i + 1)))
			return fail("pthread_create");
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], &ret);
		bad |= ret != NULL;
	}
	return check(!bad, "threads");
}

/* A child maps memory of its own and exits with a status from it. */
static int case_fork(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return fail("fork");
	if (!pid) {
		char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(1);
		p[7 * PAGE] = 42;
		_exit(p[7 * PAGE]);
	}
	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid");
	return check(WIFEXITED(status) && WEXITSTATUS(status) == 42, "fork");
}

static void *blocked_thread(void *arg)
{
	int *fds = arg;
	char c;

	return read(fds[0], &c, 1) < 0 ? (void *)1 : NULL;
}

/*
 * For the host-side check: make mappings of every kind, start a thread,
 * print the guest's own /proc/self/maps, then "READY", and wait for
 * standard input to close.
 */
static int case_maps(void)
{
	char line[512];
	aio_context_t ctx = 0;
	pthread_t t;
	int fds[2], id;
	FILE *f;

	if (case_file() || pipe(fds))
		return 1;
	if (mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return fail("mmap");
	id = shmget(IPC_PRIVATE, SZ_1M, IPC_CREAT | 0600);
	if (id >= 0) {
		shmat(id, NULL, 0);
		shmctl(id, IPC_RMID, NULL);
	}
	syscall(SYS_io_setup, 4, &ctx);
	if (pthread_create(&t, NULL, blocked_thread, fds))
		return fail("pthread_create");
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return fail("fopen");
	while (fgets(line, sizeof(line), f))
		printf("GUEST %s", line);
	fclose(f);
	printf("READY\n");
	fflush(stdout);
	while (fgetc(stdin) != EOF)
		;
	close(fds[1]);
	pthread_join(t, NULL);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "mmap", case_mmap }, { "hint", case_hint }, { "file", case_file },
	{ "hugetlb", case_hugetlb }, { "shm", case_shm },
	{ "mremap", case_mremap }, { "aio", case_aio },
	{ "aio_code", case_aio_code }, { "lastpage", case_lastpage },
	{ "threads", case_threads }, { "fork", case_fork },
	{ "maps", case_maps },
};

int main(int argc, char **argv)
{
	size_t i;
	int rc = 0, n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: %s CASE...\n", argv[0]);
		return 2;
	}
	for (n = 1; n < argc; n++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (!strcmp(argv[n], cases[i].name))
				break;
		if (i == sizeof(cases) / sizeof(cases[0])) {
			fprintf(stderr, "%s: no case %s\n", argv[0], argv[n]);
			return 2;
		}
		rc |= cases[i].fn();
	}
	return rc;
}
