// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into every program of the kernel's mm selftests (build-kselftests),
 * or preloaded into a fuzzer (built with -DIMPOSE_PRELOAD, selftests/fuzz):
 * with MMRANGE_IMPOSE=low or =high in the environment, set a PR_SET_MMAP_RANGE
 * window before main() and check at exit that every mapping of the process
 * lies inside it, was placed by the program with an address it chose
 * (MAP_FIXED, MAP_FIXED_NOREPLACE, MREMAP_FIXED, shmat with an address), or
 * existed before the window was set.  Without MMRANGE_IMPOSE it does nothing,
 * so the same binaries serve the plain runs.  MMRANGE_IMPOSE_LOCK=1 also
 * locks the window (PR_MMAP_RANGE_LOCK).
 *
 * Output (stderr; run_vmtests.sh copies it into the log):
 *   MMRANGE-IMPOSED <window> <program>           window set (once per exec)
 *   MMRANGE-IMPOSE-FAILED <program> <errno>      prctl refused; exit(1)
 *   MMRANGE-EXIT-CHECK <program> <n> mappings    main process, all accounted
 *   MMRANGE-ESCAPE <program> pid <pid> <maps line>  one per unaccounted mapping
 *   MMRANGE-ESCAPE <program> pid <pid> <call> placed [start, end)
 *                                the kernel chose an address outside for a call
 *
 * The program calls mmap()/mremap()/shmat() through -Wl,--wrap (see
 * build-kselftests); the C library's own calls are not wrapped, so what
 * it places (malloc arenas, thread stacks) must be inside the window.
 */
#define _GNU_SOURCE
#include <errno.h>
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

#define MAX_RANGES	4096

struct range {
	uint64_t start, end;
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
	struct range before[MAX_RANGES];	/* mappings when the window was set */
	unsigned int nbefore;
	struct range fixed[MAX_RANGES];		/* placements at the program's address */
	unsigned int nfixed, fixed_overflow;
} impose;

static void note_fixed(uint64_t start, uint64_t len)
{
	if (!impose.active)
		return;
	if (impose.nfixed == MAX_RANGES) {
		impose.fixed_overflow = 1;
		return;
	}
	impose.fixed[impose.nfixed].start = start;
	impose.fixed[impose.nfixed].end = start + len;
	impose.nfixed++;
}

static int overlaps(const struct range *r, unsigned int n, uint64_t s, uint64_t e)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (s < r[i].end && r[i].start < e)
			return 1;
	return 0;
}

/* Calls back for every line of /proc/self/maps; returns the line count. */
static unsigned int for_each_mapping(void (*fn)(uint64_t, uint64_t, const char *))
{
	char line[512];
	unsigned int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		line[strcspn(line, "\n")] = '\0';
		fn(s, e, line);
		n++;
	}
	fclose(f);
	return n;
}

static void record_before(uint64_t s, uint64_t e, const char *line)
{
	(void)line;
	if (impose.nbefore < MAX_RANGES) {
		impose.before[impose.nbefore].start = s;
		impose.before[impose.nbefore].end = e;
		impose.nbefore++;
	}
}

static unsigned int escapes;

static void check_mapping(uint64_t s, uint64_t e, const char *line)
{
	if (s >= impose.start && e <= impose.end)
		return;
	/* vsyscall page: not a mapping of the mm, never placed */
	if (strstr(line, "[vsyscall]"))
		return;
	/* grown or split from a mapping that predates the window */
	if (overlaps(impose.before, impose.nbefore, s, e))
		return;
	if (overlaps(impose.fixed, impose.nfixed, s, e) || impose.fixed_overflow)
		return;
	fprintf(stderr, "MMRANGE-ESCAPE %s pid %d %s\n", impose.prog, (int)getpid(), line);
	escapes++;
}

/* An address the kernel chose for one of the program's calls, at once. */
static void check_placed(const char *call, void *p, uint64_t len)
{
	uint64_t s = (uintptr_t)p;

	if (!impose.active || (s >= impose.start && s + len <= impose.end))
		return;
	fprintf(stderr, "MMRANGE-ESCAPE %s pid %d %s placed [%#llx, %#llx)\n", impose.prog,
		(int)getpid(), call, (unsigned long long)s, (unsigned long long)(s + len));
}

static void exit_check(void)
{
	unsigned int n;

	if (!impose.active)
		return;
	escapes = 0;
	n = for_each_mapping(check_mapping);
	if (getpid() == impose.pid && !escapes)
		fprintf(stderr, "MMRANGE-EXIT-CHECK %s %u mappings, %u placed fixed\n",
			impose.prog, n, impose.nfixed);
}

__attribute__((constructor)) static void impose_window(void)
{
	const char *mode = getenv("MMRANGE_IMPOSE");
	const char *p;
	char exe[256];
	ssize_t len;

	if (!mode || !*mode)
		return;
	if (!strcmp(mode, "low")) {
		impose.start = LOW_START;
		impose.end = LOW_END;
		if (sizeof(long) == 4)	/* a 32-bit program: below its 3 GiB */
			impose.end = LOW_END_32;
	} else if (!strcmp(mode, "high")) {
		if (sizeof(long) == 4) {
			fprintf(stderr, "MMRANGE-IMPOSE-SKIPPED high: 32-bit program\n");
			return;
		}
		impose.start = HIGH_START;
		impose.end = HIGH_END;
	} else {
		fprintf(stderr, "MMRANGE-IMPOSE-FAILED unknown MMRANGE_IMPOSE=%s\n", mode);
		exit(1);
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	p = strrchr(exe, '/');
	snprintf(impose.prog, sizeof(impose.prog), "%.63s", p ? p + 1 : exe);

	for_each_mapping(record_before);
	/* MMRANGE_IMPOSE_LOCK=1: a fuzzer's random prctl() cannot move it */
	p = getenv("MMRANGE_IMPOSE_LOCK");
	if (prctl(PR_SET_MMAP_RANGE, (unsigned long)impose.start, (unsigned long)impose.end,
		  p && *p == '1' ? PR_MMAP_RANGE_LOCK : 0UL, 0UL)) {
		fprintf(stderr, "MMRANGE-IMPOSE-FAILED %s %s\n", impose.prog, strerror(errno));
		exit(1);
	}
	impose.pid = getpid();
	impose.active = 1;
	atexit(exit_check);
	fprintf(stderr, "MMRANGE-IMPOSED %s [%#llx, %#llx) %s\n", mode,
		(unsigned long long)impose.start, (unsigned long long)impose.end,
		impose.prog);
}

/*
 * The program's own calls: through -Wl,--wrap=mmap,--wrap=mremap,--wrap=shmat
 * in a static program, or, built with -DIMPOSE_PRELOAD as a shared object
 * for LD_PRELOAD (a dynamic program such as a fuzzer), by interposing the
 * C library's symbols.
 */
#ifdef IMPOSE_PRELOAD
#include <dlfcn.h>
#define WRAP(f)		f
#define REAL(f)		((__typeof__(&f))dlsym(RTLD_NEXT, #f))
#else
#define WRAP(f)		__wrap_##f
#define REAL(f)		__real_##f
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__real_mremap(void *old, size_t old_len, size_t new_len, int flags, ...);
void *__real_shmat(int id, const void *addr, int flg);
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

void *WRAP(mremap)(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL, *p;
	va_list ap;

	va_start(ap, flags);
	if (flags & MREMAP_FIXED)
		new_addr = va_arg(ap, void *);
	va_end(ap);
	p = REAL(mremap)(old, old_len, new_len, flags, new_addr);
	/*
	 * A mapping resized in place is not recorded: if it was outside the
	 * window its old record covers it, and if it was inside, growing out
	 * of the window is exactly what the check must catch.
	 */
	if (p == MAP_FAILED)
		return p;
	if (flags & MREMAP_FIXED)
		note_fixed((uintptr_t)p, new_len);
	else if (p != old)
		check_placed("mremap", p, new_len);
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

#if defined(IMPOSE_PRELOAD) && __SIZEOF_LONG__ == 8
/* LP64 glibc: mmap64 is mmap, but a program may bind to either name */
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}
#endif
