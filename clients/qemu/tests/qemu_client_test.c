// SPDX-License-Identifier: GPL-2.0-only
/*
 * QEMU linux-user as a client of PR_SET_MMAP_RANGE, tested in the patched
 * guest kernel: every case runs a 32-bit guest program (guest_prog.c, or
 * Debian's busybox) under stock Debian QEMU 7.2 and under the same QEMU
 * with clients/qemu/patches, side by side: the variants are stock, and
 * the patched QEMU with -mmap-window on, with the default (auto) and with
 * -mmap-window off.  Where stock QEMU cannot do what the guest asks, the
 * variants without the window check that it fails the known way, so that
 * a change in either is seen.  In a boot with the compat entry switched
 * off (MMRANGE_EXPECT_COMPAT=0) no window can be had: auto must behave as
 * stock, and "on" must refuse to start.
 *
 * The files come from the initramfs, under /data/qemu: qemu-stock,
 * qemu-patched, guest_prog (static), guest_prog_low (static, linked at
 * 0x8000), guest_prog_pie (a dynamically linked PIE), root/ (Debian's
 * ld.so and libc for the guest) and busybox.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define DIR		"/data/qemu"
#define FOUR_GIB	(1ULL << 32)
#define OUT_MAX		(256 * 1024)

FIXTURE(qemu) {
	char out[OUT_MAX];
	char min_addr[32];	/* vm.mmap_min_addr to put back, or "" */
};

FIXTURE_VARIANT(qemu) {
	const char *qemu;
	const char *mode;	/* -mmap-window MODE, or none */
	bool window;		/* uses the window where the kernel allows */
};

FIXTURE_VARIANT_ADD(qemu, stock) { .qemu = DIR "/qemu-stock" };
FIXTURE_VARIANT_ADD(qemu, patched) {
	.qemu = DIR "/qemu-patched", .mode = "on", .window = true
};
FIXTURE_VARIANT_ADD(qemu, patched_auto) {
	.qemu = DIR "/qemu-patched", .window = true
};
FIXTURE_VARIANT_ADD(qemu, patched_off) {
	.qemu = DIR "/qemu-patched", .mode = "off"
};

/* A boot with the compat entry off: no window can be had. */
static bool no_compat_entry(void)
{
	const char *e = getenv("MMRANGE_EXPECT_COMPAT");

	return e && !strcmp(e, "0");
}

static bool window_on(const FIXTURE_VARIANT(qemu) *variant)
{
	return variant->mode && !strcmp(variant->mode, "on");
}

/* Whether this variant's QEMU places through the window in this boot. */
#define WINDOW	(variant->window && !no_compat_entry())

/* -mmap-window on cannot start without the entry (qemu_starts_...). */
#define NEEDS_START()							\
	do {								\
		if (window_on(variant) && no_compat_entry())		\
			SKIP(return, "-mmap-window on refuses to start here"); \
	} while (0)

FIXTURE_SETUP(qemu)
{
	FILE *f;

	/* The initramfs of check-qemu has both: a missing one is a failure. */
	ASSERT_EQ(0, access(variant->qemu, X_OK)) TH_LOG("%s", variant->qemu);
	/* Huge pages for the hugetlb case. */
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	if (f) {
		fputs("4", f);
		fclose(f);
	}
}

FIXTURE_TEARDOWN(qemu)
{
	FILE *f;

	if (!self->min_addr[0])
		return;
	f = fopen("/proc/sys/vm/mmap_min_addr", "w");
	if (f) {
		fputs(self->min_addr, f);
		fclose(f);
	}
}

/*
 * Start QEMU on the guest command @args (NULL-terminated) with a pipe on
 * its output (and on its input if @in); returns its pid.
 */
static pid_t start(const FIXTURE_VARIANT(qemu) *variant, char *const *args,
		   int *out, int *in)
{
	const char *argv[32];
	int po[2], pi[2], n = 0;
	pid_t pid;

	argv[n++] = variant->qemu;
	if (variant->mode) {
		argv[n++] = "-mmap-window";
		argv[n++] = variant->mode;
	}
	argv[n++] = "-L";
	argv[n++] = DIR "/root";
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(po) || (in && pipe(pi)))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(po[1], 1);
		dup2(po[1], 2);
		close(po[0]);
		close(po[1]);
		if (in) {
			/* The guest's stdin must see EOF when the test closes it. */
			dup2(pi[0], 0);
			close(pi[0]);
			close(pi[1]);
		} else {
			close(0);
		}
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(po[1]);
	*out = po[0];
	if (in) {
		close(pi[0]);
		*in = pi[1];
	}
	return pid;
}

/* Read @fd until EOF, or until a line @stop, into @buf. */
static size_t slurp(int fd, char *buf, const char *stop)
{
	size_t n = 0;
	ssize_t r;

	while (n < OUT_MAX - 1 && (r = read(fd, buf + n, OUT_MAX - 1 - n)) > 0) {
		n += r;
		buf[n] = 0;
		if (stop && strstr(buf, stop))
			break;
	}
	buf[n] = 0;
	return n;
}

/* Run the guest command to its end: its exit status (-1: not exited). */
static int run(const FIXTURE_VARIANT(qemu) *variant, char *out,
	       char *const *args)
{
	int fd, status;
	pid_t pid = start(variant, args, &fd, NULL);

	if (pid < 0)
		return -1;
	slurp(fd, out, NULL);
	close(fd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* What the guest said, on one line, for the log of a passing case. */
static const char *said(char *out)
{
	static char line[512];
	size_t i, n = 0;

	for (i = 0; out[i] && n < sizeof(line) - 2; i++)
		line[n++] = out[i] == '\n' ? ';' : out[i];
	while (n && (line[n - 1] == ';' || line[n - 1] == ' '))
		n--;
	line[n] = 0;
	return line;
}

#define GUEST(...)	((char *const[]){ __VA_ARGS__, NULL })
#define RUN(...)	run(variant, self->out, GUEST(__VA_ARGS__))

TEST_F_TIMEOUT(qemu, mmap_thousands_with_holes, 300)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "mmap")) TH_LOG("%s", self->out);
}

TEST_F_TIMEOUT(qemu, mmap_free_hint_honoured, 120)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "hint")) TH_LOG("%s", self->out);
	TH_LOG("guest: %s", said(self->out));
}

TEST_F_TIMEOUT(qemu, mmap_file_at_offset, 120)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "file")) TH_LOG("%s", self->out);
}

/*
 * Stock QEMU chooses a 4 KiB aligned address itself and maps it MAP_FIXED:
 * qemu-i386 on x86_64 gets EINVAL, qemu-arm on arm64 a mapping at that
 * address, not aligned to the huge page.
 */
TEST_F_TIMEOUT(qemu, mmap_hugetlb_aligned, 120)
{
	int rc;

	NEEDS_START();
	rc = RUN(DIR "/guest_prog", "hugetlb");

	if (WINDOW) {
		ASSERT_EQ(0, rc) TH_LOG("%s", self->out);
	} else {
		ASSERT_EQ(1, rc) TH_LOG("%s", self->out);
#ifdef __x86_64__
		ASSERT_NE(NULL, strstr(self->out, "errno=EINVAL"))
			TH_LOG("%s", self->out);
#else
		ASSERT_NE(NULL, strstr(self->out, "hugetlb alignment: wrong"))
			TH_LOG("%s", self->out);
#endif
	}
	TH_LOG("guest: %s", said(self->out));
}

TEST_F_TIMEOUT(qemu, shmat_null_then_shmdt, 120)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "shm")) TH_LOG("%s", self->out);
}

TEST_F_TIMEOUT(qemu, mremap_grow_moves_with_data, 120)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "mremap")) TH_LOG("%s", self->out);
	TH_LOG("guest: %s", said(self->out));
}

/*
 * Stock QEMU 7.2 does not implement io_setup: ENOSYS.  aio_code reads into
 * a page that also holds code the guest ran, which QEMU write-protects.
 */
TEST_F_TIMEOUT(qemu, aio_read_returns_the_data, 120)
{
	int rc;

	NEEDS_START();
	rc = RUN(DIR "/guest_prog", "aio", "aio_code");

	if (WINDOW) {
		ASSERT_EQ(0, rc) TH_LOG("%s", self->out);
	} else {
		ASSERT_EQ(1, rc) TH_LOG("%s", self->out);
		ASSERT_NE(NULL, strstr(self->out, "io_setup errno=ENOSYS"))
			TH_LOG("%s", self->out);
	}
	TH_LOG("guest: %s", said(self->out));
}

TEST_F_TIMEOUT(qemu, threads_map_and_malloc, 300)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "threads")) TH_LOG("%s", self->out);
}

TEST_F_TIMEOUT(qemu, fork_child_maps_and_exits, 120)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "fork")) TH_LOG("%s", self->out);
}

/* Debian's ld.so and libc, loaded by the guest's own dynamic linker. */
TEST_F_TIMEOUT(qemu, dynamic_pie_with_debian_libc, 600)
{
	int rc;

	NEEDS_START();
	rc = RUN(DIR "/guest_prog_pie", "file", "shm", "mremap", "threads",
		     "fork");

	ASSERT_EQ(0, rc) TH_LOG("%s", self->out);
	if (WINDOW) {
		ASSERT_EQ(0, RUN(DIR "/guest_prog_pie", "aio"))
			TH_LOG("%s", self->out);
	}
}

/* Debian's static busybox, unchanged, running a small script. */
TEST_F_TIMEOUT(qemu, debian_busybox_runs_a_script, 600)
{
	const char *script =
		"set -e; cd /tmp; i=0; while [ $i -lt 20 ]; do "
		"echo line$i >> bb.txt; i=$((i + 1)); done; "
		"sum=$(wc -l < bb.txt); echo \"lines=$sum\"; "
		"sort -r bb.txt | head -n 1; sed -n 's/line1\\(9\\)/nine:\\1/p' bb.txt; "
		"rm bb.txt";
	int rc;

	NEEDS_START();
	rc = RUN(DIR "/busybox", "sh", "-c", (char *)script);
	ASSERT_EQ(0, rc) TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "lines=20")) TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "line9")) TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "nine:9")) TH_LOG("%s", self->out);
}

/* munmap and shmat of the last guest page: refused, QEMU intact. */
TEST_F_TIMEOUT(qemu, last_guest_page_refused, 120)
{
	NEEDS_START();
	ASSERT_EQ(0, RUN(DIR "/guest_prog", "lastpage")) TH_LOG("%s", self->out);
	TH_LOG("guest: %s", said(self->out));
}

/*
 * An image linked at 0x8000, below mmap_min_addr: the window cannot hold
 * it, so auto goes on as stock does (a guest_base above it), and "on"
 * refuses.
 */
TEST_F_TIMEOUT(qemu, fixed_image_below_mmap_min_addr, 120)
{
	FILE *f;
	int rc;

	NEEDS_START();
	f = fopen("/proc/sys/vm/mmap_min_addr", "r+");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(self->min_addr, sizeof(self->min_addr), f));
	rewind(f);
	fputs("65536", f);
	rc = fclose(f);
	ASSERT_EQ(0, rc);
	rc = RUN(DIR "/guest_prog_low", "file", "mremap");
	if (window_on(variant)) {
		ASSERT_EQ(1, rc) TH_LOG("%s", self->out);
		ASSERT_NE(NULL, strstr(self->out, "outside the mmap window"))
			TH_LOG("%s", self->out);
	} else {
		ASSERT_EQ(0, rc) TH_LOG("%s", self->out);
	}
	TH_LOG("guest: %s", said(self->out));
}

/*
 * -mmap-window on starts only where the window can be had: on the patched
 * kernel with its compat entry; the other modes always start.
 */
TEST_F_TIMEOUT(qemu, qemu_starts_as_the_kernel_allows, 120)
{
	int rc = RUN(DIR "/guest_prog", "hint");

	if (window_on(variant) && no_compat_entry()) {
		ASSERT_EQ(1, rc) TH_LOG("%s", self->out);
		ASSERT_NE(NULL, strstr(self->out, "no mmap window"))
			TH_LOG("%s", self->out);
	} else {
		ASSERT_EQ(0, rc) TH_LOG("%s", self->out);
	}
}

struct range {
	uint64_t lo, hi;
	char name[128];
};

/* Parse "lo-hi perms off dev inode [name]" lines prefixed by @prefix. */
static int parse_maps(const char *text, const char *prefix, struct range *r,
		      int max)
{
	size_t pl = strlen(prefix);
	const char *l = text;
	int n = 0;

	while (l && *l && n < max) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char one[512], name[128] = "";
		unsigned long long lo, hi;

		/* One line at a time: sscanf's blanks would cross newlines. */
		snprintf(one, sizeof(one), "%.*s", (int)len, l);
		if (!strncmp(one, prefix, pl)) {
			if (sscanf(one + pl, "%llx-%llx %*s %*s %*s %*s %127[^\n]",
				   &lo, &hi, name) >= 2) {
				r[n].lo = lo;
				r[n].hi = hi;
				snprintf(r[n].name, sizeof(r[n].name), "%s", name);
				n++;
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

/*
 * From outside: with the window, each of QEMU's host mappings below 4 GiB
 * lies in a mapping the guest's own /proc/self/maps shows (QEMU builds
 * that view from the host's, filtered by its page flags: so each is in
 * the guest's page flags), and QEMU's binary, heap and stack lie above.  Stock QEMU holds the guest's whole space instead (reserved_va):
 * from its lowest guest page to 4 GiB every page is mapped, the guest's
 * mappings and PROT_NONE reservation around them.
 */
TEST_F_TIMEOUT(qemu, host_maps_below_4g_in_guest_page_flags, 300)
{
	NEEDS_START();
	static struct range guest[4096], host[4096];
	static char hostmaps[OUT_MAX];
	int fd, in, ng, nh, i, j, below = 0, status;
	char path[64];
	FILE *f;
	size_t n;
	pid_t pid;

	pid = start(variant, GUEST(DIR "/guest_prog", "maps"), &fd, &in);
	ASSERT_GT(pid, 0);
	slurp(fd, self->out, "READY\n");
	ASSERT_NE(NULL, strstr(self->out, "READY")) TH_LOG("%s", self->out);
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	n = fread(hostmaps, 1, sizeof(hostmaps) - 1, f);
	hostmaps[n] = 0;
	fclose(f);
	close(in);
	slurp(fd, self->out + strlen(self->out), NULL);
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("%s", self->out);

	ng = parse_maps(self->out, "GUEST ", guest, 4096);
	nh = parse_maps(hostmaps, "", host, 4096);
	ASSERT_GT(ng, 3);
	ASSERT_GT(nh, 3);
	if (!WINDOW) {
		uint64_t base = 0, end = 0;

		/* The reservation: contiguous mappings over nearly 4 GiB. */
		for (i = 0; i < nh; i++) {
			base = end = host[i].lo;
			for (j = i; j < nh && host[j].lo == end; j++)
				end = host[j].hi;
			if (end - base >= FOUR_GIB - (1ULL << 28))
				break;
		}
		ASSERT_LT(i, nh) TH_LOG("stock QEMU without its reservation?\n%s",
					hostmaps);
		TH_LOG("stock QEMU: guest space held at %#" PRIx64 "-%#" PRIx64
		       " in %d mappings", base, end, j - i);
		return;
	}
	for (i = 0; i < nh; i++) {
		if (host[i].lo >= FOUR_GIB) {
			/* QEMU's own: never its binary or heap below. */
			continue;
		}
		below++;
		for (j = 0; j < ng; j++)
			if (guest[j].lo <= host[i].lo && host[i].hi <= guest[j].hi)
				break;
		EXPECT_LT(j, ng) TH_LOG("host %#" PRIx64 "-%#" PRIx64
					" %s below 4 GiB is not the guest's",
					host[i].lo, host[i].hi, host[i].name);
		EXPECT_EQ(NULL, strstr(host[i].name, "[heap]"));
		EXPECT_EQ(NULL, strstr(host[i].name, "qemu-patched"));
	}
	ASSERT_GT(below, 3);
	TH_LOG("%d host mappings below 4 GiB, all the guest's", below);
	for (i = 0; i < nh; i++) {
		if (strstr(host[i].name, "[heap]") || strstr(host[i].name, "[stack]") ||
		    strstr(host[i].name, "qemu-patched"))
			ASSERT_GE(host[i].lo, FOUR_GIB)
				TH_LOG("%s at %#" PRIx64, host[i].name, host[i].lo);
	}
}

TEST_HARNESS_MAIN
