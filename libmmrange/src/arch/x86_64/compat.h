/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* x86_64: int $0x80 runs the i386 syscall table for a 64-bit process. */
#ifndef MMR_ARCH_COMPAT_H
#define MMR_ARCH_COMPAT_H

/* i386's own shmat syscall (Linux 5.1+; before, only ipc(2)). */
#define MMR_NR_shmat	397

static inline long arch_compat_syscall(long nr, long a0, long a1, long a2,
				       long a3, long a4, long a5)
{
	long ret = nr;

	/*
	 * ebp carries the sixth argument.  It may be the frame pointer, so it
	 * is saved on the stack, below the red zone the compiler may use.
	 */
	__asm__ volatile("sub $128, %%rsp\n\t"
			 "push %%rbp\n\t"
			 "mov %[a5], %%rbp\n\t"
			 "int $0x80\n\t"
			 "pop %%rbp\n\t"
			 "add $128, %%rsp"
			 : "+a"(ret)
			 : "b"(a0), "c"(a1), "d"(a2), "S"(a3), "D"(a4),
			   [a5] "r"(a5)
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return ret;
}

#endif /* MMR_ARCH_COMPAT_H */
