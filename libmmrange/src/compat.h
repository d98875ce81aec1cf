/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The per-architecture compat entry, MMR_HAVE_COMPAT where there is one. */
#ifndef MMR_COMPAT_H
#define MMR_COMPAT_H

/* The i386 and the ARM EABI agree on these numbers. */
#define MMR_NR_getpid	20
#define MMR_NR_munmap	91
#define MMR_NR_mremap	163
#define MMR_NR_mmap2	192

#if defined(__x86_64__)
#include "arch/x86_64/compat.h"
#define MMR_HAVE_COMPAT 1
#elif defined(__aarch64__)
#include "arch/aarch64/compat.h"
#define MMR_HAVE_COMPAT 1
#endif

#include <stdbool.h>
#include "mmrange.h"

/*
 * Whether this kernel runs compat syscalls for this process, asked afresh
 * (in a child: see compat.c); mmr_compat_syscall() then trusts the answer.
 */
bool mmr_compat_works(void);

#endif /* MMR_COMPAT_H */
