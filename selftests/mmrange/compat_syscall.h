/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compat (32-bit ABI) system calls from a 64-bit test process:
 *
 *  - x86_64: int $0x80, number in eax, arguments in ebx, ecx, edx, esi, edi,
 *    ebp: the i386 ABI, run through the ia32 syscall table.
 *  - arm64: svc #__ARM64_SVC_COMPAT_IMM, number in w7, arguments in w0-w5:
 *    the AArch32 EABI, run through the compat syscall table.  x8 is -1 so
 *    that a kernel without the entry returns -ENOSYS.
 *
 * The numbers below are the i386 and the ARM EABI ones (they agree for the
 * old calls).  compat_syscall() returns what the kernel left in rax / x0,
 * -errno on failure, without touching errno.
 */
#ifndef MMRANGE_COMPAT_SYSCALL_H
#define MMRANGE_COMPAT_SYSCALL_H

#include <stdint.h>

#include <asm/unistd.h>	/* __ARM64_SVC_COMPAT_IMM on arm64 */

#define C32_restart_syscall	0
#define C32_exit		1
#define C32_fork		2
#define C32_read		3
#define C32_write		4
#define C32_execve		11
#define C32_getpid		20
#define C32_ptrace		26
#define C32_ioctl		54
#define C32_getppid		64
#define C32_sigaction		67
#define C32_munmap		91
#define C32_sigreturn		119
#define C32_clone		120
#define C32_personality		136
#define C32_readv		145
#define C32_writev		146
#define C32_nanosleep		162
#define C32_mremap		163
#define C32_prctl		172
#define C32_rt_sigreturn	173
#define C32_rt_sigaction	174
#define C32_pread64		180
#define C32_pwrite64		181
#define C32_sigaltstack		186
#define C32_mmap2		192
#define C32_gettid		224
#define C32_clone3		435

#if defined(__x86_64__)
#define C32_getdents64		220
#define C32_io_setup		245
#define C32_io_destroy		246
#define C32_set_robust_list	311
#define C32_get_robust_list	312
#define C32_shmget		395
#define C32_shmat		397
#define C32_shmdt		398
#define C32_AUDIT_ARCH		0x40000003	/* AUDIT_ARCH_I386 */
#define NATIVE_AUDIT_ARCH	0xc000003e	/* AUDIT_ARCH_X86_64 */
#elif defined(__aarch64__)
#define C32_getdents64		217
#define C32_io_setup		243
#define C32_io_destroy		244
#define C32_shmat		305
#define C32_shmdt		306
#define C32_shmget		307
#define C32_set_robust_list	338
#define C32_get_robust_list	339
#define C32_AUDIT_ARCH		0x40000028	/* AUDIT_ARCH_ARM */
#define NATIVE_AUDIT_ARCH	0xc00000b7	/* AUDIT_ARCH_AARCH64 */
/* The ARM private syscalls, __ARM_NR_BASE + n. */
#define C32_ARM_breakpoint	0x0f0001
#define C32_ARM_cacheflush	0x0f0002
#define C32_ARM_usr26		0x0f0003
#define C32_ARM_usr32		0x0f0004
#define C32_ARM_set_tls		0x0f0005
#define C32_ARM_get_tls		0x0f0006
#else
#error "compat syscalls are tested on x86_64 and arm64 only"
#endif

#define C32_STR_(x)	#x
#define C32_STR(x)	C32_STR_(x)

/*
 * The registers as the kernel left them after the call: ret, and for arm64
 * what x7 and x1 held on return (the restart and upper-half tests).
 */
struct c32_regs {
	long ret;
	unsigned long x7;
	unsigned long x1;
};

static inline struct c32_regs compat_syscall_regs(long nr, unsigned long a0,
						  unsigned long a1,
						  unsigned long a2,
						  unsigned long a3,
						  unsigned long a4,
						  unsigned long a5)
{
	struct c32_regs r = { 0 };
#if defined(__x86_64__)
	long ret = nr;

	/*
	 * ebp carries the sixth argument.  It may be the frame pointer, so
	 * save it on the stack, below the red zone the compiler may be using.
	 */
	asm volatile("sub $128, %%rsp\n\t"
		     "push %%rbp\n\t"
		     "mov %[a5], %%rbp\n\t"
		     "int $0x80\n\t"
		     "pop %%rbp\n\t"
		     "add $128, %%rsp"
		     : "+a"(ret)
		     : "b"(a0), "c"(a1), "d"(a2), "S"(a3), "D"(a4), [a5] "r"(a5)
		     : "memory", "cc", "r8", "r9", "r10", "r11");
	r.ret = ret;
#else
	register unsigned long x0 asm("x0") = a0;
	register unsigned long x1 asm("x1") = a1;
	register unsigned long x2 asm("x2") = a2;
	register unsigned long x3 asm("x3") = a3;
	register unsigned long x4 asm("x4") = a4;
	register unsigned long x5 asm("x5") = a5;
	register unsigned long x7 asm("x7") = (unsigned long)nr;
	register long x8 asm("x8") = -1;

	/* The entry clears the upper halves of x0-x5 and x7. */
	asm volatile("svc #" C32_STR(__ARM64_SVC_COMPAT_IMM)
		     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4),
		       "+r"(x5), "+r"(x7)
		     : "r"(x8)
		     : "memory", "cc");
	r.ret = (long)x0;
	r.x7 = x7;
	r.x1 = x1;
#endif
	return r;
}

static inline long compat_syscall_6(long nr, unsigned long a0,
				    unsigned long a1, unsigned long a2,
				    unsigned long a3, unsigned long a4,
				    unsigned long a5)
{
	return compat_syscall_regs(nr, a0, a1, a2, a3, a4, a5).ret;
}

/* compat_syscall(nr, args...): up to six arguments, the rest are 0. */
#define compat_syscall(nr, ...)						\
	compat_syscall_n(nr, ##__VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define compat_syscall_n(nr, a0, a1, a2, a3, a4, a5, ...)		\
	compat_syscall_6((nr), (unsigned long)(a0), (unsigned long)(a1),	\
			 (unsigned long)(a2), (unsigned long)(a3),	\
			 (unsigned long)(a4), (unsigned long)(a5))

/* A 32-bit user pointer: the tests keep compat buffers below 4 GiB. */
static inline uint32_t ptr32(const void *p)
{
	return (uint32_t)(uintptr_t)p;
}

/*
 * pread64/pwrite64 with a 64-bit offset split across two registers:
 * i386 passes (fd, buf, count, lo, hi), the ARM EABI aligns the pair to an
 * even register, (fd, buf, count, pad, lo, hi).
 */
static inline long compat_prw64(long nr, int fd, void *buf, uint32_t count,
				uint64_t off)
{
	uint32_t lo = (uint32_t)off, hi = (uint32_t)(off >> 32);

#if defined(__x86_64__)
	return compat_syscall(nr, fd, ptr32(buf), count, lo, hi);
#else
	return compat_syscall(nr, fd, ptr32(buf), count, 0, lo, hi);
#endif
}

#endif /* MMRANGE_COMPAT_SYSCALL_H */
