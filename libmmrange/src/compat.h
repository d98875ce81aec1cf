/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* The per-architecture compat entry, MMR_HAVE_COMPAT where there is one. */
#ifndef MMR_COMPAT_H
#define MMR_COMPAT_H

#if defined(__x86_64__)
#include "arch/x86_64/compat.h"
#define MMR_HAVE_COMPAT 1
#elif defined(__aarch64__)
#include "arch/aarch64/compat.h"
#define MMR_HAVE_COMPAT 1
#endif

#endif /* MMR_COMPAT_H */
