// SPDX-License-Identifier: GPL-2.0
/*
 * aarch32_svc=: the switch of the arm64 AArch32 syscall entry
 * (Documentation/arch/arm64/aarch32-syscalls.rst).  The test reads the
 * setting from the kernel command line, so it checks whichever setting
 * the kernel was booted with; the test setup boots the arm64 guest with
 * both.  Kernels built with ARM64_AARCH32_SVC_DEFAULT_DISABLED must be
 * booted with an explicit aarch32_svc= for this test.
 */
#include "mmrange_test.h"
#include "compat_syscall.h"

#include <strings.h>
#include <sys/syscall.h>

/*
 * The last aarch32_svc= of the command line as the kernel's kstrtobool()
 * reads it: 1 on, 0 off, -1 if absent or not a boolean.
 */
static int cmdline_aarch32_svc(void)
{
	char buf[4096], *tok, *save = NULL;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC), on = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (tok = strtok_r(buf, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save)) {
		const char *v;

		if (strncmp(tok, "aarch32_svc=", 12))
			continue;
		v = tok + 12;
		if (strchr("yYtT1", v[0]) || !strcasecmp(v, "on"))
			on = 1;
		else if (strchr("nNfF0", v[0]) || !strcasecmp(v, "off"))
			on = 0;
	}
	return on;
}

/* svc #0xa32 with w7 = AArch32 getpid and x8 = @x8. */
static long svc_compat_imm(long x8_nr)
{
	register long x0 asm("x0") = 0;
	register unsigned long x7 asm("x7") = C32_getpid;
	register long x8 asm("x8") = x8_nr;

	asm volatile("svc #" C32_STR(__ARM64_SVC_COMPAT_IMM)
		     : "+r"(x0), "+r"(x7)
		     : "r"(x8)
		     : "memory", "cc", "x1", "x2", "x3", "x4", "x5");
	return x0;
}

/*
 * On: the AArch32 call numbered by w7, whatever x8 holds.  Off: an
 * ordinary AArch64 syscall numbered by x8, so the probe (x8 = -1) gets
 * -ENOSYS and no signal.
 */
TEST(svc_0xa32_follows_aarch32_svc)
{
	int on = cmdline_aarch32_svc();

	if (on < 0)
		on = 1;	/* the default of the test kernels */
	TH_LOG("aarch32_svc=%d", on);
	if (on) {
		ASSERT_EQ(getpid(), svc_compat_imm(-1));
		ASSERT_EQ(getpid(), svc_compat_imm(SYS_getppid));
	} else {
		ASSERT_EQ(-ENOSYS, svc_compat_imm(-1));
		ASSERT_EQ(getppid(), svc_compat_imm(SYS_getppid));
	}
}

TEST_HARNESS_MAIN
