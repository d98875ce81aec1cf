// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
/*
 * The window checks of impose_window.c, tested on the build machine: the
 * prctl is stubbed (its kernel need not have the series), so the kernel
 * places freely and each case makes one known escape, or none.
 */
int __wrap_prctl(int o, ...) { (void)o; return 0; }
static void *kmap(void *hint, size_t len) /* unwrapped: as libc's own calls */
{ return (void *)syscall(SYS_mmap, hint, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); }
int main(int argc, char **argv)
{
	long pg = getpagesize();
	const char *t = argc > 1 ? argv[1] : "";
	char *f;
	if (!strcmp(t, "lone")) kmap(NULL, pg);            /* kernel placed outside [1M,4G) */
	if (!strcmp(t, "hole")) { f = mmap((void *)0x700000000000, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); munmap(f, 4 * pg); kmap(f, pg); }
	if (!strcmp(t, "merge")) { f = mmap((void *)0x700000000000, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); kmap(f + 4 * pg, pg); }
	if (!strcmp(t, "grow")) { f = mmap((void *)0x700000000000, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); mremap(f, 4 * pg, 8 * pg, 0); }
	if (!strcmp(t, "immediate")) mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!strcmp(t, "child")) { if (!fork()) { kmap(NULL, pg); _exit(0); } wait(NULL); }
	if (!strcmp(t, "cycles")) { for (int i = 0; i < 9000; i++) { f = mmap((void *)0x700000000000, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); munmap(f, pg); } }
	if (!strcmp(t, "overflow")) { for (int i = 0; i < 9000; i++) mmap((void *)(0x700000000000 + 2 * i * pg), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); }
	return 0;
}
