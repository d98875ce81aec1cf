// SPDX-License-Identifier: GPL-2.0
/*
 * PR_MMAP_RANGE_COMPAT in a native 32-bit x86 process (built with -m32,
 * run on the x86_64 kernel through IA32_EMULATION).  Every syscall of such
 * a process is a compat one, so the window confines all its placements;
 * in-place growth is checked against the window outside syscalls too: a
 * stack that a page fault expands never crosses an edge, as on arm64 and
 * as for 64-bit tasks (mmrange_growth_test).
 */
#include "mmrange_test.h"

#define WIN_START	0x40000000UL
#define WIN_END		0x50000000UL

FIXTURE(ia32) {
	unsigned long pg;
};

FIXTURE_SETUP(ia32)
{
	self->pg = page_size();
	ASSERT_EQ(4U, sizeof(void *));
	ASSERT_SET(WIN_START, WIN_END, PR_MMAP_RANGE_COMPAT);
}

FIXTURE_TEARDOWN(ia32)
{
	mmr_clear();
}

TEST_F(ia32, compat_window_confines_mmap)
{
	char *p = map_anon(0, 4 * self->pg, PROT_READ | PROT_WRITE, 0);

	ASSERT_MAPPED(p);
	ASSERT_INSIDE(p, 4 * self->pg, WIN_START, WIN_END);
	munmap(p, 4 * self->pg);
}

TEST_F(ia32, compat_window_mremap_grow_across_end_enomem)
{
	ASSERT_GROW_IN_PLACE_ENOMEM(WIN_END - 2 * self->pg);
}

/* Stack growth from a page fault: no syscall, so no compat syscall either. */
TEST_F(ia32, growsdown_fault_across_compat_window_end_sigsegv)
{
	ASSERT_EQ(128 + SIGSEGV, touch_below_growsdown(WIN_END, 4));
}

TEST_F(ia32, growsdown_fault_across_compat_window_start_sigsegv)
{
	ASSERT_EQ(128 + SIGSEGV, touch_below_growsdown(WIN_START, 4));
}

TEST_F(ia32, growsdown_fault_inside_compat_window_grows)
{
	ASSERT_EQ(0, touch_below_growsdown(WIN_START + SZ_16M, 4));
}

TEST_HARNESS_MAIN
