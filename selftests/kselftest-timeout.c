// SPDX-License-Identifier: GPL-2.0
/*
 * /bin/timeout of the test guests, with the coreutils behaviour that
 * kselftest/runner.sh, guest-init and fuzz-mm rely on:
 *
 *   timeout [--foreground] [-s SIG] [-k KILL_AFTER] DURATION COMMAND [ARG]...
 *
 * COMMAND runs in a process group of its own.  When DURATION seconds pass,
 * SIG (default SIGTERM) goes to the whole group, and SIGKILL KILL_AFTER
 * seconds later; the exit status is then 124, whatever COMMAND returned.
 * Otherwise it is COMMAND's (128 + N for signal N).  When COMMAND exits,
 * what it left running in its group is killed, so that no leftover holds
 * the runner's pipes open.  A SIGTERM or SIGINT sent to timeout itself
 * goes on to the group (runner.sh nests two timeouts).  --foreground is
 * accepted and ignored: there is no terminal.
 *
 * busybox's timeout, which this replaces, signals only COMMAND, never
 * SIGKILLs it unless asked, and exits with COMMAND's status: a test that
 * catches SIGTERM and exits 0 after its deadline would pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_TIMEDOUT	124
#define EXIT_CANNOT_RUN	125

static volatile sig_atomic_t alarms, forwarded;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void on_term(int sig)
{
	forwarded = sig;
}

static int parse_seconds(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || (*end && strcmp(end, "s")) || v > 1000000)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "TERM", SIGTERM }, { "INT", SIGINT }, { "KILL", SIGKILL },
		{ "HUP", SIGHUP }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
	};
	unsigned int i;
	char *end;
	long v;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(s, sigs[i].name))
			return sigs[i].sig;
	v = strtol(s, &end, 10);
	return (*s && !*end && v > 0 && v < NSIG) ? (int)v : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: timeout [--foreground] [-s SIG] [-k KILL_AFTER] DURATION COMMAND [ARG]...\n");
	exit(EXIT_CANNOT_RUN);
}

int main(int argc, char **argv)
{
	unsigned int duration, kill_after = 0;
	int sig = SIGTERM, i = 1, status, timed_out = 0, killed = 0;
	struct sigaction sa;
	pid_t pid;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--foreground"))
			continue;
		if (!strcmp(argv[i], "--"))  {
			i++;
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "-s")) {
			sig = parse_signal(argv[++i]);
			if (sig < 0)
				usage();
		} else if (!strcmp(argv[i], "-k")) {
			if (parse_seconds(argv[++i], &kill_after))
				usage();
		} else {
			usage();
		}
	}
	if (i + 1 >= argc || parse_seconds(argv[i], &duration))
		usage();
	i++;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	pid = fork();
	if (pid < 0) {
		perror("timeout: fork");
		return EXIT_CANNOT_RUN;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execvp(argv[i], argv + i);
		fprintf(stderr, "timeout: %s: %s\n", argv[i], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(pid, pid);
	if (duration)
		alarm(duration);

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("timeout: waitpid");
			return EXIT_CANNOT_RUN;
		}
		if (forwarded) {
			kill(-pid, forwarded);
			forwarded = 0;
		}
		if (alarms == 1 && !timed_out) {
			timed_out = 1;
			kill(-pid, sig);
			if (kill_after)
				alarm(kill_after);
		} else if (alarms >= 2 && !killed) {
			killed = 1;
			kill(-pid, SIGKILL);
		}
	}
	/* whatever the command left behind in its group */
	kill(-pid, SIGKILL);

	if (timed_out)
		return EXIT_TIMEDOUT;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
