// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into every program of the kernel's mm selftests (build-kselftests),
 * or preloaded into a fuzzer (built with -DIMPOSE_PRELOAD, selftests/fuzz):
 * with MMRANGE_IMPOSE=low or =high in the environment, set a PR_SET_MMAP_RANGE
 * window before main(), check every address the kernel chooses for one of
 * the program's mmap(), mremap() (a move, or a resize in place of a mapping
 * inside the window) and shmat() calls at once, and check at exit (exit()
 * and _exit(), in every process) that every page the process maps lies
 * inside the window, was placed by the program at an address it chose
 * (MAP_FIXED, MAP_FIXED_NOREPLACE, MREMAP_FIXED, shmat with an address, or
 * such a mapping resized in place) and not unmapped since, belongs to a
 * mapping that existed before the window was set, or is the [stack] or
 * [heap] of the process grown in place without crossing an edge.  Without MMRANGE_IMPOSE it does nothing,
 * so the same binaries serve the plain runs.  MMRANGE_IMPOSE_LOCK=1 also
 * locks the window (PR_MMAP_RANGE_LOCK); MMRANGE_IMPOSE_EXIT_CHECK=0 leaves
 * out the check at exit(), for programs that map with raw system calls.
 *
 * Output (stderr; run_vmtests.sh copies it into the log):
 *   MMRANGE-IMPOSED <window> <program>           window set (once per exec)
 *   MMRANGE-IMPOSE-FAILED <program> <errno>      prctl refused; exit(1)
 *   MMRANGE-EXIT-CHECK <program> <n> mappings    main process, all accounted
 *   MMRANGE-ESCAPE <program> pid <pid> <maps line>  a mapping not accounted for
 *   MMRANGE-ESCAPE <program> pid <pid> <call> placed [start, end)
 *                                the kernel chose an address outside for a call
 *   MMRANGE-ESCAPE <program> pid <pid> unchecked: ...  the records overflowed
 *   MMRANGE-IMPOSE-SKIPPED <program> high: 32-bit     no window (ILP32)
 *
 * The program calls mmap()/munmap()/mremap()/shmat()/_exit() through
 * -Wl,--wrap (see impose-cc); the C library's own calls are not wrapped, so
 * what it places (malloc arenas, thread stacks) must be inside the window.
 * The exit check reads /proc/self/maps with plain system calls and static
 * buffers: it also runs in children that _exit() after fork() or vfork().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <unistd.h>

#include "linux/mmrange.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The two windows: below 4 GiB, and 16 TiB to 32 TiB, away from the default layout */
#define LOW_START	0x100000ULL
#define LOW_END		0x100000000ULL
#define LOW_END_32	0xc0000000ULL
#define HIGH_START	0x100000000000ULL
#define HIGH_END	0x200000000000ULL

#define MAX_RANGES	8192

struct range {
	uint64_t start, end;
};

struct ranges {
	struct range r[MAX_RANGES];
	unsigned int n, overflow;
};

/*
 * One record per process image, in .bss: fork copies it, so a child knows
 * what its parent placed and what predates the window.
 */
static struct {
	int active;
	pid_t pid;		/* the process that set the window */
	uint64_t start, end;
	char prog[64];
	struct ranges before;	/* mappings when the window was set */
	struct ranges fixed;	/* placed at the program's address, not unmapped since */
	unsigned int nfixed;	/* fixed placements made */
} impose;

static int inside(uint64_t s, uint64_t e)
{
	return s >= impose.start && e <= impose.end;
}

static void ranges_add(struct ranges *rs, uint64_t s, uint64_t e)
{
	unsigned int i;

	if (s >= e)
		return;
	/* a slot ranges_remove() emptied: map/unmap cycles do not fill the table */
	for (i = 0; i < rs->n; i++) {
		if (rs->r[i].start >= rs->r[i].end) {
			rs->r[i].start = s;
			rs->r[i].end = e;
			return;
		}
	}
	if (rs->n == MAX_RANGES) {
		rs->overflow = 1;
		return;
	}
	rs->r[rs->n].start = s;
	rs->r[rs->n].end = e;
	rs->n++;
}

/* Take [s, e) out of every range, splitting those it cuts in two. */
static void ranges_remove(struct ranges *rs, uint64_t s, uint64_t e)
{
	unsigned int i, n = rs->n;

	for (i = 0; i < n; i++) {
		struct range *r = &rs->r[i];

		if (e <= r->start || r->end <= s)
			continue;
		if (r->start < s && e < r->end) {
			ranges_add(rs, e, r->end);
			r->end = s;
		} else if (r->start < s) {
			r->end = s;
		} else if (e < r->end) {
			r->start = e;
		} else {
			r->start = r->end = 0;	/* emptied */
		}
	}
}

/* Is every byte of [s, e) in one of the ranges of @a or @b? */
static int covered(const struct ranges *a, const struct ranges *b, uint64_t s, uint64_t e)
{
	const struct ranges *sets[2] = { a, b };
	unsigned int i, k;
	int moved = 1;

	while (s < e && moved) {
		moved = 0;
		for (k = 0; k < 2; k++)
			for (i = 0; i < sets[k]->n; i++)
				if (sets[k]->r[i].start <= s && s < sets[k]->r[i].end) {
					s = sets[k]->r[i].end;
					moved = 1;
				}
	}
	return s >= e;
}

/*
 * Calls back for every line of /proc/self/maps; returns the line count.
 * Plain system calls and a static buffer, no stdio, no malloc.
 */
static unsigned int for_each_mapping(void (*fn)(uint64_t, uint64_t, const char *))
{
	static char buf[65536];
	size_t have = 0;
	unsigned int n = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line = buf, *nl;

		if (got <= 0)
			break;
		have += got;
		buf[have] = '\0';
		while ((nl = memchr(line, '\n', buf + have - line))) {
			char *end;
			uint64_t s, e;

			*nl = '\0';
			s = strtoull(line, &end, 16);
			if (*end == '-') {
				e = strtoull(end + 1, NULL, 16);
				fn(s, e, line);
				n++;
			}
			line = nl + 1;
		}
		have = buf + have - line;
		memmove(buf, line, have);
	}
	close(fd);
	return n;
}

static void record_before(uint64_t s, uint64_t e, const char *line)
{
	(void)line;
	ranges_add(&impose.before, s, e);
}

static unsigned int escapes;

static void check_mapping(uint64_t s, uint64_t e, const char *line)
{
	if (inside(s, e))
		return;
	/* vsyscall page: not a mapping of the mm, never placed */
	if (strstr(line, "[vsyscall]"))
		return;
	/*
	 * The stack and the brk heap: their bases were set at execve(), and
	 * growing in place is allowed as long as it crosses no edge of the
	 * window (Documentation/abi.md, "In-place growth").
	 */
	if ((strstr(line, "[stack]") || strstr(line, "[heap]")) &&
	    !(s < impose.start && impose.start < e) && !(s < impose.end && impose.end < e))
		return;
	/* the parts below and above the window must be accounted for */
	if ((s >= impose.start ||
	     covered(&impose.before, &impose.fixed, s, e < impose.start ? e : impose.start)) &&
	    (e <= impose.end ||
	     covered(&impose.before, &impose.fixed, s > impose.end ? s : impose.end, e)))
		return;
	dprintf(2, "MMRANGE-ESCAPE %s pid %d %s\n", impose.prog, (int)getpid(), line);
	escapes++;
}

/* An address the kernel chose for one of the program's calls, at once. */
static void check_placed(const char *call, void *p, uint64_t len)
{
	uint64_t s = (uintptr_t)p;

	if (!impose.active || inside(s, s + len))
		return;
	dprintf(2, "MMRANGE-ESCAPE %s pid %d %s placed [%#llx, %#llx)\n", impose.prog,
		(int)getpid(), call, (unsigned long long)s, (unsigned long long)(s + len));
}

static void exit_check(void)
{
	unsigned int n;

	if (!impose.active)
		return;
	impose.active = 0;	/* once per process */
	if (impose.before.overflow || impose.fixed.overflow) {
		dprintf(2, "MMRANGE-ESCAPE %s pid %d unchecked: more than %d records\n",
			impose.prog, (int)getpid(), MAX_RANGES);
		return;
	}
	escapes = 0;
	n = for_each_mapping(check_mapping);
	if (getpid() == impose.pid && !escapes)
		dprintf(2, "MMRANGE-EXIT-CHECK %s %u mappings, %u placed fixed\n",
			impose.prog, n, impose.nfixed);
}

__attribute__((constructor)) static void impose_window(void)
{
	const char *mode = getenv("MMRANGE_IMPOSE");
	const char *lock = getenv("MMRANGE_IMPOSE_LOCK");
	const char *no_exit = getenv("MMRANGE_IMPOSE_EXIT_CHECK");
	int exit_check_off = no_exit && !strcmp(no_exit, "0");

	if (!mode || !*mode)
		return;
	/* argv[0]'s name, also when a loader runs the program (fuzz-mm) */
	snprintf(impose.prog, sizeof(impose.prog), "%.63s", program_invocation_short_name);
	if (!strcmp(mode, "low")) {
		impose.start = LOW_START;
		impose.end = LOW_END;
		if (sizeof(long) == 4)	/* a 32-bit program: below its 3 GiB */
			impose.end = LOW_END_32;
	} else if (!strcmp(mode, "high")) {
		if (sizeof(long) == 4) {
			fprintf(stderr, "MMRANGE-IMPOSE-SKIPPED %s high: 32-bit\n", impose.prog);
			return;
		}
		impose.start = HIGH_START;
		impose.end = HIGH_END;
	} else {
		fprintf(stderr, "MMRANGE-IMPOSE-FAILED unknown MMRANGE_IMPOSE=%s\n", mode);
		exit(1);
	}

	for_each_mapping(record_before);
	/* MMRANGE_IMPOSE_LOCK=1: a fuzzer's random prctl() cannot move it */
	if (prctl(PR_SET_MMAP_RANGE, (unsigned long)impose.start, (unsigned long)impose.end,
		  lock && *lock == '1' ? PR_MMAP_RANGE_LOCK : 0UL, 0UL)) {
		fprintf(stderr, "MMRANGE-IMPOSE-FAILED %s %s\n", impose.prog, strerror(errno));
		exit(1);
	}
	impose.pid = getpid();
	impose.active = 1;
	/*
	 * MMRANGE_IMPOSE_EXIT_CHECK=0: a program that maps with raw system
	 * calls at addresses of its own (trinity) would be blamed for them.
	 */
	if (!exit_check_off)
		atexit(exit_check);
	fprintf(stderr, "MMRANGE-IMPOSED %s [%#llx, %#llx) %s\n", mode,
		(unsigned long long)impose.start, (unsigned long long)impose.end,
		impose.prog);
}

static void note_fixed(uint64_t start, uint64_t len)
{
	if (!impose.active)
		return;
	impose.nfixed++;
	ranges_add(&impose.fixed, start, start + len);
}

static void note_unmapped(uint64_t start, uint64_t len)
{
	if (!impose.active)
		return;
	len = (len + getpagesize() - 1) & ~(uint64_t)(getpagesize() - 1);
	ranges_remove(&impose.fixed, start, start + len);
	ranges_remove(&impose.before, start, start + len);
}

/*
 * The program's own calls: through -Wl,--wrap=... in a static program, or,
 * built with -DIMPOSE_PRELOAD as a shared object for LD_PRELOAD (a dynamic
 * program such as a fuzzer), by interposing the C library's symbols.
 */
#ifdef IMPOSE_PRELOAD
#include <dlfcn.h>
#define WRAP(f)		f
#define REAL(f)		((__typeof__(&f))dlsym(RTLD_NEXT, #f))
#else
#define WRAP(f)		__wrap_##f
#define REAL(f)		__real_##f
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
void *__real_mremap(void *old, size_t old_len, size_t new_len, int flags, ...);
void *__real_shmat(int id, const void *addr, int flg);
void __real__exit(int status) __attribute__((noreturn));
#endif

void *WRAP(mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = REAL(mmap)(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return p;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		note_fixed((uintptr_t)p, len);
	else
		check_placed("mmap", p, len);
	return p;
}

int WRAP(munmap)(void *addr, size_t len)
{
	int ret = REAL(munmap)(addr, len);

	if (!ret)
		note_unmapped((uintptr_t)addr, len);
	return ret;
}

void *WRAP(mremap)(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	uint64_t o = (uintptr_t)old;
	void *new_addr = NULL, *p;
	va_list ap;
	int was_ours;

	va_start(ap, flags);
	if (flags & MREMAP_FIXED)
		new_addr = va_arg(ap, void *);
	va_end(ap);
	/* an old range outside the window: the program's (or predating) */
	was_ours = impose.active && !inside(o, o + old_len);
	p = REAL(mremap)(old, old_len, new_len, flags, new_addr);
	if (p == MAP_FAILED)
		return p;
	if (p != old && !(flags & MREMAP_DONTUNMAP))
		note_unmapped(o, old_len);
	if (flags & MREMAP_FIXED)
		note_fixed((uintptr_t)p, new_len);
	else if (p == old && was_ours)
		note_fixed(o, new_len);		/* the program's mapping, resized in place */
	else
		check_placed("mremap", p, new_len);	/* moved, or resized in the window */
	return p;
}

void *WRAP(shmat)(int id, const void *addr, int flg)
{
	void *p = REAL(shmat)(id, addr, flg);
	struct shmid_ds ds;

	if (p == (void *)-1 || shmctl(id, IPC_STAT, &ds))
		return p;
	if (addr)
		note_fixed((uintptr_t)p, ds.shm_segsz);
	else
		check_placed("shmat", p, ds.shm_segsz);
	return p;
}

#ifdef IMPOSE_PRELOAD
#if __SIZEOF_LONG__ == 8
/* LP64 glibc: mmap64 is mmap, but a program may bind to either name */
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}
#endif
#else
/* Children of fork() that leave with _exit() (the kselftest harness does) */
void __wrap__exit(int status)
{
	exit_check();
	__real__exit(status);
}
#endif
