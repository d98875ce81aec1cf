/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libmmrange: keep a 32-bit guest's address space inside a window.
 *
 * A binary translator sets a window (usually [64 KiB, 4 GiB)) in which the
 * kernel places every mapping it chooses (PR_SET_MMAP_RANGE), reserves a
 * region above it for its own memory (code cache, heap), and maps guest
 * memory through mmr_guest_*().  On kernels without PR_SET_MMAP_RANGE the
 * library falls back to what QEMU linux-user does: it reserves the window
 * PROT_NONE and places guest mappings inside with MAP_FIXED, or, with
 * MMR_GUEST_RESERVE_OUTSIDE, to what FEX does: it reserves everything
 * outside the window, so that the kernel has nowhere else to place.
 * mmr_guest_confines() says which kernel-chosen mappings each mode keeps
 * inside.  The library records the guest mappings it makes, for a
 * translator's /proc/self/maps, shmdt() and access checks.
 *
 * Every function returns 0 (or a pointer / value) on success.  Functions
 * returning int return a negative errno value on failure; functions
 * returning a pointer return NULL and set errno.  Nothing is printed.
 * All functions are thread-safe.
 */
#ifndef MMRANGE_H
#define MMRANGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The window: PR_SET_MMAP_RANGE / PR_GET_MMAP_RANGE ------------------ */

/* Flags of mmr_window_set() (the PR_MMAP_RANGE_* values). */
#define MMR_WINDOW_COMPAT	(1U << 0)	/* confine compat syscalls only */
#define MMR_WINDOW_LOCK		(1U << 1)	/* no change until execve() */
/* With MMR_WINDOW_COMPAT: the window is the compat syscalls' alone. */
#define MMR_WINDOW_EXCLUSIVE	(1U << 2)

/*
 * The smallest window the kernel accepts, in pages of the running kernel
 * (sysconf(_SC_PAGESIZE)): 16 MiB with 4 KiB pages, 256 MiB with 64 KiB.
 */
#define MMR_WINDOW_MIN_PAGES	4096U

struct mmr_window {
	uint64_t start;		/* first address of the window */
	uint64_t end;		/* end (exclusive); 0 when no window is set */
	uint64_t flags;		/* MMR_WINDOW_* */
};

int mmr_window_set(uint64_t start, uint64_t end, unsigned int flags);
int mmr_window_get(struct mmr_window *window);
int mmr_window_clear(void);

/* ---- What this kernel offers --------------------------------------------- */

#define MMR_FEAT_WINDOW		(1U << 0)	/* PR_SET_MMAP_RANGE */
#define MMR_FEAT_COMPAT_WINDOW	(1U << 1)	/* MMR_WINDOW_COMPAT accepted */
#define MMR_FEAT_COMPAT_SYSCALL	(1U << 2)	/* mmr_compat_syscall() works */
#define MMR_FEAT_EXCLUSIVE_WINDOW (1U << 3)	/* MMR_WINDOW_EXCLUSIVE accepted */
#define MMR_FEAT_SEAL		(1U << 4)	/* mseal(): MMR_HIGH_SEAL works */

unsigned int mmr_features(void);

/* ---- Compat (32-bit ABI) syscalls ---------------------------------------- */

/*
 * Run a 32-bit ABI syscall from this 64-bit process: int $0x80 (i386
 * numbers) on x86_64, svc #0xa32 (AArch32 EABI numbers) on arm64.  Returns
 * what the kernel returns: a value, or -errno (-ENOSYS without the entry).
 */
long mmr_compat_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
			long a5);

/* ---- The high region: the translator's own memory above the window ------ */

struct mmr_high;

/* Flags of mmr_high_alloc(). */
#define MMR_HIGH_GUARD		(1U << 0)	/* a PROT_NONE page on each side */
/* mseal() the allocation: no munmap, mremap, mprotect or MAP_FIXED over it. */
#define MMR_HIGH_SEAL		(1U << 1)

int mmr_high_reserve(struct mmr_high **high, uint64_t start, uint64_t size);
void mmr_high_release(struct mmr_high *high);
void *mmr_high_alloc(struct mmr_high *high, size_t len, int prot,
		     unsigned int flags);
int mmr_high_free(struct mmr_high *high, void *addr);
void *mmr_high_resize(struct mmr_high *high, void *addr, size_t new_len);
size_t mmr_high_size(struct mmr_high *high, const void *addr);

/* ---- Guest memory inside the window -------------------------------------- */

struct mmr_guest;

/* Flags of mmr_guest_open(). */
#define MMR_GUEST_COMPAT	(1U << 0)	/* window for compat syscalls only */
#define MMR_GUEST_LOCK		(1U << 1)	/* lock the window */
#define MMR_GUEST_FALLBACK	(1U << 2)	/* do not use the kernel window */
/* With MMR_GUEST_COMPAT: keep the translator's own placements out. */
#define MMR_GUEST_EXCLUSIVE	(1U << 3)
/*
 * The fallback reserves every free gap outside the window, as FEX does,
 * instead of the free space inside it, as QEMU does.
 */
#define MMR_GUEST_RESERVE_OUTSIDE (1U << 4)
/*
 * The translator keeps its own record of the guest's mappings (QEMU's page
 * flags): the library keeps none, so the guest's munmap, mprotect and
 * MAP_FIXED calls may be made directly, and mmr_guest_lookup(),
 * mmr_guest_next(), mmr_guest_access(), mmr_guest_record() and
 * mmr_guest_forget() return -EOPNOTSUPP.  Needs the kernel's window:
 * mmr_guest_open() returns -EOPNOTSUPP where it would fall back.
 */
#define MMR_GUEST_NO_RECORD	(1U << 5)

/* What stays inside the window (mmr_guest_confines()). */
#define MMR_CONFINES_GUEST_MMAP	(1U << 0)	/* mmr_guest_mmap/mremap */
#define MMR_CONFINES_MMAP	(1U << 1)	/* any mmap/mremap without MAP_FIXED */
#define MMR_CONFINES_SHMAT	(1U << 2)	/* shmat(id, NULL, ...) */
#define MMR_CONFINES_IO_SETUP	(1U << 3)	/* the io_setup() ring */
#define MMR_CONFINES_IO_URING	(1U << 4)	/* io_uring rings */
#define MMR_CONFINES_DRIVER	(1U << 5)	/* mappings drivers make (vm_mmap) */
#define MMR_CONFINES_ALIGNED	(1U << 6)	/* hugetlbfs/THP alignment kept */
#define MMR_CONFINES_ALL	((1U << 7) - 1)
/*
 * Not a placement kept inside but the converse: what the translator's own
 * (native) calls place without MAP_FIXED never lands inside the window.
 */
#define MMR_CONFINES_NATIVE_OUTSIDE (1U << 7)

int mmr_guest_open(struct mmr_guest **guest, uint64_t start, uint64_t end,
		   unsigned int flags);
void mmr_guest_close(struct mmr_guest *guest);
unsigned int mmr_guest_confines(const struct mmr_guest *guest);
const char *mmr_confines_name(unsigned int bit);
void *mmr_guest_mmap(struct mmr_guest *guest, void *addr, size_t len,
		     int prot, int flags, int fd, off_t offset);
int mmr_guest_munmap(struct mmr_guest *guest, void *addr, size_t len);
void *mmr_guest_mremap(struct mmr_guest *guest, void *old_addr,
		       size_t old_len, size_t new_len, int flags);
/* mremap(2) with its fifth argument: @new_addr counts with MREMAP_FIXED. */
void *mmr_guest_mremap_to(struct mmr_guest *guest, void *old_addr,
			  size_t old_len, size_t new_len, int flags,
			  void *new_addr);
int mmr_guest_mprotect(struct mmr_guest *guest, void *addr, size_t len,
		       int prot);
void *mmr_guest_shmat(struct mmr_guest *guest, int shmid, const void *addr,
		      int shmflg);
int mmr_guest_shmdt(struct mmr_guest *guest, const void *addr);
/* With MMR_GUEST_RESERVE_OUTSIDE: reserve the gaps outside opened since. */
int mmr_guest_refill(struct mmr_guest *guest);

/* ---- The guest's mappings, as the library made them ---------------------- */

/* Kinds of mapping (struct mmr_mapping). */
#define MMR_KIND_ANON		0	/* anonymous memory */
#define MMR_KIND_FILE		1	/* a file (offset holds its offset) */
#define MMR_KIND_SHM		2	/* a System V segment (mmr_guest_shmat) */
#define MMR_KIND_RING		3	/* placed by the kernel (io_setup, ...) */

struct mmr_mapping {
	uint64_t start;		/* first address */
	uint64_t end;		/* end (exclusive) */
	int prot;		/* PROT_* */
	int flags;		/* MAP_SHARED or MAP_PRIVATE */
	unsigned int kind;	/* MMR_KIND_* */
	int shmid;		/* MMR_KIND_SHM: the segment, else -1 */
	uint64_t offset;	/* MMR_KIND_FILE: file offset of start */
	uint64_t attach;	/* MMR_KIND_SHM: the address shmat returned */
	uint64_t reserved[2];	/* 0; for what later versions add */
};

int mmr_guest_lookup(struct mmr_guest *guest, uint64_t addr,
		     struct mmr_mapping *mapping);
int mmr_guest_next(struct mmr_guest *guest, uint64_t addr,
		   struct mmr_mapping *mapping);
int mmr_guest_access(struct mmr_guest *guest, uint64_t addr, uint64_t len,
		     int prot);
int mmr_guest_record(struct mmr_guest *guest, uint64_t addr, uint64_t len,
		     int prot, unsigned int kind);
int mmr_guest_forget(struct mmr_guest *guest, uint64_t addr, uint64_t len);

/* ---- Errors -------------------------------------------------------------- */

const char *mmr_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* MMRANGE_H */
