// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: the window under races, storms and fragmentation, each test for
 * MMRANGE_STRESS_SECONDS seconds (default 5, at most 600; the guest's
 * mmrange.stress=N sets it, make check-debug uses 60).
 *
 * Every address the kernel chooses (mmap without MAP_FIXED, mremap with
 * MREMAP_MAYMOVE, shmat(NULL)) is checked against the window that was in
 * effect when it was placed, ENOMEM only where the contract allows it.  Each
 * test logs how long it ran and how many placements it checked, and fails
 * when it checked none or ran for less than the requested time.
 *
 *  - window_changes_race_mappers: four threads map, unmap and grow with
 *    mremap while a fifth keeps setting, changing and clearing the window.
 *    A generation counter and a ring of the windows it stood for tell
 *    exactly which windows a call may have seen.
 *  - fork_exec_storm: children forked under the window (some lock their
 *    own) place inside it; execve'd children start without a window and
 *    without the lock, as DESIGN.md section 4.7 says.
 *  - fragmented_window: thousands of small holes; every success lands in
 *    the window on free pages, every ENOMEM is checked against the holes
 *    /proc/self/maps shows, a hint that fits is honoured.
 *  - shmat_races_shmdt_and_mmap: SysV attaches and detaches racing mmap
 *    and munmap in other threads.
 *  - mremap_growth_races_neighbour_munmap: a mapping at a window edge grows
 *    while its neighbour across the edge is unmapped: never in place across
 *    the edge, a move lands inside.
 *  - fork_copies_a_consistent_window: fork() while another thread keeps
 *    switching between two windows; every child has one of the two, never
 *    a mix of their fields.
 */
#include "mmrange_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>

#define STRESS_ENV		"MMRANGE_STRESS_SECONDS"
#define STRESS_DEFAULT_S	5U
#define STRESS_MAX_S		600U
/* D <= 600 s plus setup and teardown on a KASAN kernel under TCG. */
#define STRESS_TIMEOUT_S	900

/* argv[1] of a re-executed child of fork_exec_storm. */
#define EXEC_CHILD_MARK		"stress-exec-child"

/*
 * The duration from MMRANGE_STRESS_SECONDS: unset or empty gives the
 * default, anything but 1 to 9 decimal digits is rejected, 0 is rejected
 * (a stress test of no time checks nothing), above STRESS_MAX_S is capped.
 * Returns 0 or -1 with a reason in @why, which also tells of a cap.
 */
static int stress_seconds(unsigned int *secs, char *why, size_t size)
{
	const char *s = getenv(STRESS_ENV);
	unsigned long v = 0;
	size_t i, n;

	if (!s || !*s) {
		*secs = STRESS_DEFAULT_S;
		return 0;
	}
	n = strlen(s);
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (i != n || n > 9) {
		snprintf(why, size, "%s=\"%s\" is not a number of seconds", STRESS_ENV, s);
		return -1;
	}
	v = strtoul(s, NULL, 10);
	if (!v) {
		snprintf(why, size, "%s=0: a stress test needs at least 1 s", STRESS_ENV);
		return -1;
	}
	*secs = v > STRESS_MAX_S ? STRESS_MAX_S : (unsigned int)v;
	if (v > STRESS_MAX_S)
		snprintf(why, size, "%s=%lu capped to %u s", STRESS_ENV, v, STRESS_MAX_S);
	return 0;
}

static unsigned long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000UL + (unsigned long)ts.tv_nsec / 1000000UL;
}

/* xorshift64: a private, reproducible random stream per thread/child. */
static unsigned long rnd_next(unsigned long *s)
{
	unsigned long x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static unsigned long rnd_seed(unsigned long salt)
{
	struct timespec ts;
	unsigned long s;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s = ((unsigned long)ts.tv_nsec << 20) ^ (unsigned long)ts.tv_sec ^
	    ((unsigned long)getpid() << 40) ^ (salt * 0x9e3779b97f4a7c15UL);
	return s ? s : 1;
}

/*
 * The first failure seen by a thread, reported by the main thread after
 * joining (the harness' ASSERTs longjmp and work only on the main thread).
 * No malloc: a thread that mallocs gets a 64 MiB arena, inside the window.
 */
static struct {
	atomic_int count;
	char msg[1024];
} failure;

static __printf(1, 2) void fail_at(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failure.count, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(failure.msg, sizeof(failure.msg), fmt, ap);
	va_end(ap);
}

#define ASSERT_NO_FAILURE() do {						\
	int __n = atomic_load(&failure.count);					\
	if (__n)								\
		TH_LOG("%d failure(s), the first: %s", __n, failure.msg);	\
	ASSERT_EQ(0, __n);							\
} while (0)

/* The figures every test prints, and the two checks every test makes. */
#define ASSERT_RAN(_t0, _secs, _checked) do {					\
	unsigned long __ms = now_ms() - (_t0);					\
	unsigned long __c = (_checked);						\
	typeof(_secs) __secs = (_secs);						\
	TH_LOG("ran %lu.%03lu s (asked %u s), %lu placements checked",		\
	       __ms / 1000, __ms % 1000, __secs, __c);				\
	ASSERT_GE(__ms, (unsigned long)__secs * 1000UL);			\
	ASSERT_GT(__c, 0UL);							\
} while (0)

FIXTURE(stress) {
	unsigned int secs;
	unsigned long pg;
};

FIXTURE_SETUP(stress)
{
	char why[160] = "";
	int ret = stress_seconds(&self->secs, why, sizeof(why));

	if (why[0])
		TH_LOG("%s", why);
	ASSERT_EQ(0, ret);
	self->pg = page_size();
	ASSERT_WINDOW(0, 0, 0);
}

FIXTURE_TEARDOWN(stress)
{
	mmr_clear();
}

/* ------------------------------------------------------------------------
 * 1. Mapper threads against a thread that keeps changing the window.
 *
 * The control thread moves from epoch e-1 to epoch e like this:
 *
 *	ring[e % RING_SLOTS] = window of epoch e	(tag e + 1 once written)
 *	gen = 2e - 1
 *	prctl(PR_SET_MMAP_RANGE, window of epoch e)
 *	gen = 2e
 *
 * A mapper reads gen before (g0) and after (g1) its call, both seq_cst: the
 * window the kernel used is that of an epoch in [g0 / 2, (g1 + 1) / 2], and
 * the address must fit at least one of them (a cleared window fits all).
 * The ring slot of an epoch is written before gen shows the epoch; a slot
 * overwritten by a later epoch (the ring wrapped during a long call) fails
 * its tag check and the sample counts as unchecked, not as passed.
 */
#define RING_SLOTS	4096UL
#define MAPPERS		4
#define MAX_LIVE	12
#define MAX_GROW_LEN	(3 * SZ_1M)

struct win {
	unsigned long start, end;	/* 0, 0: no window */
};

/* Disjoint 256 MiB - 1 GiB windows below 4 GiB, one high, and none. */
static const struct win race_windows[] = {
	{ 0x10000000UL, 0x30000000UL },
	{ 0x40000000UL, 0x50000000UL },
	{ 0x80000000UL, 0xc0000000UL },
	{ 0xd0000000UL, SZ_4G },
	{ SZ_16G, SZ_16G + SZ_1G },
	{ 0, 0 },
};

#define NR_RACE_WINDOWS	ARRAY_SIZE(race_windows)

struct win_slot {
	atomic_ulong tag;	/* epoch + 1 when valid, 0 while written */
	atomic_ulong start;
	atomic_ulong end;
};

static struct {
	atomic_ulong gen;
	atomic_bool stop;
	struct win_slot ring[RING_SLOTS];
	/* what the mappers checked */
	atomic_ulong checked;		/* placements found inside */
	atomic_ulong single;		/* ... with one window possible */
	atomic_ulong constrained;	/* ... with no cleared state possible */
	atomic_ulong inplace;		/* in-place mremap growths checked */
	atomic_ulong moved;		/* mremap moves among checked */
	atomic_ulong unchecked;		/* ring wrapped under the call */
	atomic_ulong max_span;		/* most epochs one call overlapped */
	atomic_ulong changes;		/* window changes by the control thread */
	atomic_ulong clears;
} race;

static void race_record(unsigned long epoch, const struct win *w)
{
	struct win_slot *s = &race.ring[epoch % RING_SLOTS];

	atomic_store(&s->tag, 0);
	atomic_store(&s->start, w->start);
	atomic_store(&s->end, w->end);
	atomic_store(&s->tag, epoch + 1);
}

/*
 * What a call produced: a placement of [addr, addr + len), or with @old an
 * in-place growth from old to len bytes, which may not make the mapping
 * span an edge it did not span (patch 4): the VMA ended at addr + old, so
 * that is an edge in [addr + old, addr + len).
 */
struct sample {
	unsigned long addr, len, old;
	const char *what;
};

static bool win_allows(const struct sample *s, unsigned long ws, unsigned long we)
{
	unsigned long lo, hi;

	if (!ws && !we)
		return true;
	if (!s->old)
		return range_inside(s->addr, s->len, ws, we);
	lo = s->addr + s->old;
	hi = s->addr + s->len;
	return !(lo <= ws && ws < hi) && !(lo <= we && we < hi);
}

static void race_max(atomic_ulong *v, unsigned long n)
{
	unsigned long cur = atomic_load(v);

	while (n > cur && !atomic_compare_exchange_weak(v, &cur, n))
		;
}

/* Messages longer than a line, kept whole so that they can be grepped for. */
#define GREW_ACROSS_FMT		"%s grew [%#lx, +%#lx) in place to +%#lx across an edge of every window of gen %lu..%lu, epochs%s"
#define PLACED_OUTSIDE_FMT	"%s placed [%#lx, %#lx) outside every window of gen %lu..%lu, epochs%s"

static void race_judge(const struct sample *s, unsigned long g0, unsigned long g1)
{
	unsigned long lo = g0 / 2, hi = (g1 + 1) / 2, e;
	bool ok = false, cleared = false;
	char wins[320];
	size_t n = 0;

	if (hi - lo + 3 > RING_SLOTS) {
		atomic_fetch_add(&race.unchecked, 1);
		return;
	}
	wins[0] = '\0';
	for (e = lo; e <= hi; e++) {
		struct win_slot *slot = &race.ring[e % RING_SLOTS];
		unsigned long t1 = atomic_load(&slot->tag);
		unsigned long ws = atomic_load(&slot->start);
		unsigned long we = atomic_load(&slot->end);
		unsigned long t2 = atomic_load(&slot->tag);

		if (t1 != e + 1 || t2 != e + 1) {
			atomic_fetch_add(&race.unchecked, 1);
			return;
		}
		if (!ws && !we)
			cleared = true;
		if (win_allows(s, ws, we))
			ok = true;
		if (n + 48 < sizeof(wins))
			n += snprintf(wins + n, sizeof(wins) - n, " %lu:[%#lx,%#lx)",
				      e, ws, we);
	}
	race_max(&race.max_span, hi - lo + 1);
	if (!ok) {
		atomic_store(&race.stop, true);
		if (s->old)
			fail_at(GREW_ACROSS_FMT, s->what, s->addr, s->old, s->len,
				g0, g1, wins);
		else
			fail_at(PLACED_OUTSIDE_FMT, s->what, s->addr,
				s->addr + s->len, g0, g1, wins);
		return;
	}
	if (s->old) {
		atomic_fetch_add(&race.inplace, 1);
		return;
	}
	atomic_fetch_add(&race.checked, 1);
	if (lo == hi)
		atomic_fetch_add(&race.single, 1);
	if (!cleared)
		atomic_fetch_add(&race.constrained, 1);
}

struct live {
	unsigned long addr, len;
	unsigned char tag;
};

struct mapper {
	pthread_t thread;
	unsigned int id;
	pthread_barrier_t *go;
	unsigned long rnd, pg;
	struct live live[MAX_LIVE];
	unsigned int nlive;
	unsigned long ops;
};

/* 4 KiB .. 2 MiB, mostly small. */
static unsigned long rnd_len(unsigned long *rnd, unsigned long pg)
{
	unsigned long r = rnd_next(rnd) % 10, max = SZ_2M / pg;

	if (r < 6)
		return (1 + rnd_next(rnd) % 16) * pg;
	if (r < 9)
		return (1 + rnd_next(rnd) % (max / 4)) * pg;
	return (r & 1 ? max : max / 2 + rnd_next(rnd) % (max / 2)) * pg;
}

static void mapper_map(struct mapper *m)
{
	unsigned long len = rnd_len(&m->rnd, m->pg), hint = 0, g0, g1;
	unsigned long kind = rnd_next(&m->rnd) % 6;
	int flags = MAP_ANONYMOUS | (kind >= 3 ? MAP_SHARED : MAP_PRIVATE);
	struct sample s = { .len = len, .what = "mmap" };
	const struct win *w;
	struct live *l;
	char *p;

	if (kind == 1 || kind == 4) {
		/* outside every window */
		hint = OUTSIDE + (rnd_next(&m->rnd) % 1024) * SZ_1M;
	} else if (kind == 2 || kind == 5) {
		/* inside some window, maybe not the one in effect */
		w = &race_windows[rnd_next(&m->rnd) % (NR_RACE_WINDOWS - 1)];
		hint = w->start + (rnd_next(&m->rnd) % ((w->end - w->start - len) / m->pg)) * m->pg;
	}
	g0 = atomic_load(&race.gen);
	p = mmap((void *)hint, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	g1 = atomic_load(&race.gen);
	if (p == MAP_FAILED) {
		/* The live mappings cannot fill even the smallest window. */
		atomic_store(&race.stop, true);
		fail_at("mapper %u: mmap(%#lx, %#lx, %s): %s", m->id, hint, len,
			flags & MAP_SHARED ? "shared" : "private", strerror(errno));
		return;
	}
	s.addr = (unsigned long)p;
	race_judge(&s, g0, g1);
	l = &m->live[m->nlive++];
	l->addr = s.addr;
	l->len = len;
	l->tag = (unsigned char)rnd_next(&m->rnd);
	p[0] = (char)l->tag;
}

static void mapper_unmap(struct mapper *m, unsigned int i)
{
	struct live *l = &m->live[i];

	if (read_byte(l->addr) != l->tag) {
		atomic_store(&race.stop, true);
		fail_at("mapper %u: [%#lx, +%#lx) lost its contents", m->id,
			l->addr, l->len);
	}
	if (munmap((void *)l->addr, l->len)) {
		atomic_store(&race.stop, true);
		fail_at("mapper %u: munmap(%#lx, %#lx): %s", m->id, l->addr,
			l->len, strerror(errno));
	}
	*l = m->live[--m->nlive];
}

/*
 * Grow a live mapping with MREMAP_MAYMOVE.  Half the time only all but its
 * last page is remapped: the VMA then goes on past the old range and the
 * mapping must move, to a place the kernel chooses.  Otherwise it may grow
 * in place, within the edge rule, or move.
 */
static void mapper_remap(struct mapper *m, unsigned int i)
{
	struct live *l = &m->live[i];
	unsigned long old = l->len, len, g0, g1;
	bool force = l->len >= 2 * m->pg && rnd_next(&m->rnd) % 2;
	struct sample s = { .what = "mremap" };
	char *q;

	if (force)
		old -= m->pg;
	len = old + (1 + rnd_next(&m->rnd) % 256) * m->pg;
	if (len > MAX_GROW_LEN) {
		mapper_unmap(m, i);
		return;
	}
	g0 = atomic_load(&race.gen);
	q = mremap((void *)l->addr, old, len, MREMAP_MAYMOVE);
	g1 = atomic_load(&race.gen);
	if (q == MAP_FAILED || ((unsigned long)q == l->addr && force)) {
		atomic_store(&race.stop, true);
		fail_at("mapper %u: mremap(%#lx, %#lx, %#lx, MAYMOVE)%s: %s", m->id,
			l->addr, old, len, force ? " (must move)" : "",
			q == MAP_FAILED ? strerror(errno) : "grew in place");
		return;
	}
	if ((unsigned long)q == l->addr) {
		s.addr = l->addr;
		s.old = old;
		s.len = len;
	} else {
		s.addr = (unsigned long)q;
		s.len = len;
		atomic_fetch_add(&race.moved, 1);
	}
	race_judge(&s, g0, g1);
	if (force && munmap((void *)(l->addr + old), l->len - old)) {
		atomic_store(&race.stop, true);
		fail_at("mapper %u: munmap of the last page at %#lx: %s", m->id,
			l->addr + old, strerror(errno));
	}
	l->addr = (unsigned long)q;
	l->len = len;
	if (read_byte((unsigned long)q) != l->tag) {
		atomic_store(&race.stop, true);
		fail_at("mapper %u: mremap to %p lost the contents", m->id, q);
	}
}

static void *mapper_fn(void *arg)
{
	struct mapper *m = arg;

	pthread_barrier_wait(m->go);
	while (!atomic_load(&race.stop)) {
		unsigned long op = rnd_next(&m->rnd) % 8;

		m->ops++;
		if (!m->nlive || (op < 4 && m->nlive < MAX_LIVE))
			mapper_map(m);
		else if (op < 6)
			mapper_remap(m, rnd_next(&m->rnd) % m->nlive);
		else
			mapper_unmap(m, rnd_next(&m->rnd) % m->nlive);
	}
	while (m->nlive)
		mapper_unmap(m, 0);
	return NULL;
}

struct control {
	pthread_barrier_t *go;
	unsigned long deadline, rnd;
	unsigned long epoch;
};

static void *control_fn(void *arg)
{
	struct control *c = arg;
	unsigned int cur = NR_RACE_WINDOWS - 1;

	pthread_barrier_wait(c->go);
	while (!atomic_load(&race.stop) && now_ms() < c->deadline) {
		unsigned int next = rnd_next(&c->rnd) % NR_RACE_WINDOWS;
		const struct win *w;
		unsigned long r;
		int ret;

		if (next == cur)
			next = (next + 1) % NR_RACE_WINDOWS;
		w = &race_windows[next];
		c->epoch++;
		race_record(c->epoch, w);
		atomic_store(&race.gen, 2 * c->epoch - 1);
		ret = w->end ? mmr_set(w->start, w->end, 0) : mmr_clear();
		if (ret) {
			atomic_store(&race.stop, true);
			fail_at("control: PR_SET_MMAP_RANGE [%#lx, %#lx): %s",
				w->start, w->end, strerror(errno));
			break;
		}
		atomic_store(&race.gen, 2 * c->epoch);
		atomic_fetch_add(&race.changes, 1);
		if (!w->end)
			atomic_fetch_add(&race.clears, 1);
		cur = next;
		/* Back to back, after a yield, or after up to 2 ms. */
		r = rnd_next(&c->rnd) % 4;
		if (r == 1)
			sched_yield();
		else if (r >= 2)
			usleep(rnd_next(&c->rnd) % 2000);
	}
	atomic_store(&race.stop, true);
	return NULL;
}

#define PLACEMENTS_FMT	"placements inside: %lu (%lu under one window, %lu with no cleared state possible, %lu mremap moves)"
#define GROWTHS_FMT	"in-place growths checked %lu; unchecked (ring wrapped) %lu; most epochs in one call %lu"

TEST_F_TIMEOUT(stress, window_changes_race_mappers, STRESS_TIMEOUT_S)
{
	static struct mapper mappers[MAPPERS];
	struct control ctl = { 0 };
	struct prctl_mmap_range r;
	pthread_barrier_t go;
	pthread_attr_t attr;
	unsigned long t0, ops = 0, unchecked, total;
	unsigned int i;
	pthread_t ct;

	/* epoch 0: no window; threads and their stacks exist before any */
	race_record(0, &race_windows[NR_RACE_WINDOWS - 1]);
	ASSERT_EQ(0, pthread_barrier_init(&go, NULL, MAPPERS + 2));
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 256 << 10));
	for (i = 0; i < MAPPERS; i++) {
		mappers[i].id = i;
		mappers[i].go = &go;
		mappers[i].pg = self->pg;
		mappers[i].rnd = rnd_seed(i + 1);
		ASSERT_EQ(0, pthread_create(&mappers[i].thread, &attr, mapper_fn,
					    &mappers[i]));
	}
	t0 = now_ms();
	ctl.go = &go;
	ctl.deadline = t0 + self->secs * 1000UL;
	ctl.rnd = rnd_seed(99);
	ASSERT_EQ(0, pthread_create(&ct, &attr, control_fn, &ctl));
	pthread_barrier_wait(&go);
	ASSERT_EQ(0, pthread_join(ct, NULL));
	for (i = 0; i < MAPPERS; i++) {
		ASSERT_EQ(0, pthread_join(mappers[i].thread, NULL));
		ops += mappers[i].ops;
	}
	unchecked = atomic_load(&race.unchecked);
	total = atomic_load(&race.checked) + atomic_load(&race.inplace) + unchecked;
	TH_LOG("%lu window changes (%lu clears) in %lu epochs, %lu mapper ops",
	       atomic_load(&race.changes), atomic_load(&race.clears), ctl.epoch, ops);
	TH_LOG(PLACEMENTS_FMT, atomic_load(&race.checked), atomic_load(&race.single),
	       atomic_load(&race.constrained), atomic_load(&race.moved));
	TH_LOG(GROWTHS_FMT, atomic_load(&race.inplace), unchecked,
	       atomic_load(&race.max_span));
	ASSERT_NO_FAILURE();
	/* The window of the last epoch is the one in effect. */
	ASSERT_EQ(0, mmr_get(&r));
	ASSERT_EQ(atomic_load(&race.ring[ctl.epoch % RING_SLOTS].start), r.start);
	ASSERT_EQ(atomic_load(&race.ring[ctl.epoch % RING_SLOTS].end), r.end);
	ASSERT_EQ(0ULL, r.flags);
	ASSERT_GT(atomic_load(&race.changes), 0UL);
	/* Some checks must have been against a set window only. */
	ASSERT_GT(atomic_load(&race.constrained), 0UL);
	/* At most 1% of the samples may go unchecked. */
	ASSERT_LE(unchecked * 100, total);
	ASSERT_RAN(t0, self->secs, atomic_load(&race.checked));
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&go);
}

/* ------------------------------------------------------------------------
 * 2. Fork and exec storm under a window.
 */
#define STORM_INFLIGHT		4
#define STORM_W_START		SZ_1G
#define STORM_W_END		(SZ_1G + 512 * SZ_1M)
/* a fork child's own window, and a locking child's */
#define STORM_W2_START		(0x80000000UL)
#define STORM_W2_END		(0x80000000UL + 256 * SZ_1M)
#define STORM_W3_START		(0xc0000000UL)
#define STORM_W3_END		(0xc0000000UL + 256 * SZ_1M)
/* the window an exec'd child sets for itself */
#define STORM_W4_START		(0x90000000UL)
#define STORM_W4_END		(0x90000000UL + 256 * SZ_1M)
/* Free in a fresh process and outside every storm window. */
#define STORM_EXEC_HINT		OUTSIDE

/* Placements child_place() checks besides its @nmaps mmaps. */
#define CHILD_EXTRA		3

/*
 * @nmaps mmaps of varied sizes and kinds, a mapping moved by mremap (two
 * placements) and a shmat(NULL), all inside [start, end).  Returns the
 * placements checked (nmaps + CHILD_EXTRA) or -1 after a child_log().
 */
static int child_place(unsigned long start, unsigned long end, int nmaps,
		       unsigned long *rnd)
{
	unsigned long pg = page_size(), len, hint;
	int i, id, done = 0;
	char *p, *q;

	for (i = 0; i < nmaps; i++) {
		int flags = MAP_ANONYMOUS | (i % 2 ? MAP_SHARED : MAP_PRIVATE);

		len = (1 + rnd_next(rnd) % 64) * pg;
		hint = 0;
		if (i % 4 == 1)
			hint = OUTSIDE + (rnd_next(rnd) % 64) * SZ_1M;
		else if (i % 4 == 2)
			hint = start + (rnd_next(rnd) % ((end - start - len) / pg)) * pg;
		else if (i % 4 == 3)
			hint = start >= SZ_16M ? start - SZ_16M : end;
		p = mmap((void *)hint, len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p == MAP_FAILED) {
			child_log("mmap(%#lx, %#lx): %s", hint, len, strerror(errno));
			return -1;
		}
		if (!range_inside((unsigned long)p, len, start, end)) {
			child_log("mmap(%#lx, %#lx) gave [%p, +%#lx) outside [%#lx, %#lx)",
				  hint, len, p, len, start, end);
			return -1;
		}
		p[0] = 1;
		if (munmap(p, len)) {
			child_log("munmap: %s", strerror(errno));
			return -1;
		}
		done++;
	}

	/* Remap all but the last page: the mapping has to move. */
	p = map_anon(0, 4 * pg, PROT_READ | PROT_WRITE, 0);
	if (p == MAP_FAILED || !range_inside((unsigned long)p, 4 * pg, start, end)) {
		child_log("mmap for mremap: %p", p);
		return -1;
	}
	done++;
	p[0] = 'm';
	q = mremap(p, 3 * pg, 32 * pg, MREMAP_MAYMOVE);
	if (q == MAP_FAILED || q == p ||
	    !range_inside((unsigned long)q, 32 * pg, start, end) || q[0] != 'm') {
		child_log("mremap MAYMOVE of %p gave %p (%s), window [%#lx, %#lx)",
			  p, q, q == MAP_FAILED ? strerror(errno) : "-", start, end);
		return -1;
	}
	done++;
	munmap(q, 32 * pg);
	munmap(p + 3 * pg, pg);

	len = SZ_64K << (rnd_next(rnd) % 4);
	id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
	if (id < 0) {
		child_log("shmget: %s", strerror(errno));
		return -1;
	}
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (p == (void *)-1 || !range_inside((unsigned long)p, len, start, end) ||
	    ((unsigned long)p & (SHMLBA - 1))) {
		child_log("shmat(%#lx bytes) gave %p (%s), window [%#lx, %#lx)", len,
			  p, p == (void *)-1 ? strerror(errno) : "-", start, end);
		return -1;
	}
	if (shmdt(p)) {
		child_log("shmdt: %s", strerror(errno));
		return -1;
	}
	return done + 1;
}

/* 0 when PR_GET_MMAP_RANGE reports exactly this window. */
static int child_window_is(unsigned long start, unsigned long end,
			   unsigned long flags)
{
	struct prctl_mmap_range r;

	if (mmr_get(&r)) {
		child_log("PR_GET_MMAP_RANGE: %s", strerror(errno));
		return -1;
	}
	if (r.start != start || r.end != end || r.flags != flags) {
		child_log("window [%#llx, %#llx) flags %#llx, want [%#lx, %#lx) flags %#lx",
			  (unsigned long long)r.start, (unsigned long long)r.end,
			  (unsigned long long)r.flags, start, end, flags);
		return -1;
	}
	return 0;
}

enum storm_kind { STORM_FORK, STORM_EXEC, STORM_LOCK_EXEC, STORM_KINDS };

/* Placements a child of each kind checks when it exits 0. */
#define FORK_MAPS		8
#define FORK_OWN_MAPS		2
#define LOCK_MAPS		4
#define EXEC_MAPS		6
static const unsigned int storm_placements[STORM_KINDS] = {
	[STORM_FORK] = FORK_MAPS + FORK_OWN_MAPS + 2 * CHILD_EXTRA,
	[STORM_EXEC] = EXEC_MAPS + CHILD_EXTRA,
	[STORM_LOCK_EXEC] = LOCK_MAPS + EXEC_MAPS + 2 * CHILD_EXTRA,
};

static const char *const storm_names[STORM_KINDS] = {
	"fork", "exec", "lock+exec",
};

/*
 * An execve'd child (argv[2]: "locked" when the window it was exec'd from
 * was locked): no window and no lock after execve (section 4.7), so a free
 * hint outside the old window is honoured, and it may set its own.
 */
static int exec_child_main(int argc, char **argv)
{
	bool was_locked = argc > 2 && !strcmp(argv[2], "locked");
	unsigned long rnd = rnd_seed(7), pg = page_size(), flags;
	char status[128];
	void *p;

	if (child_window_is(0, 0, 0)) {
		child_log("the window survived execve (was locked: %d)", was_locked);
		return 10;
	}
	if (proc_mmap_range(0, status, sizeof(status)) || strcmp(status, "0-0 0")) {
		child_log("MmapRange: \"%s\" after execve", status);
		return 11;
	}
	p = map_anon(STORM_EXEC_HINT, pg, PROT_READ, 0);
	if (p != (void *)STORM_EXEC_HINT) {
		child_log("hint %#lx without a window gave %p: an old window is in force",
			  STORM_EXEC_HINT, p);
		return 12;
	}
	munmap(p, pg);
	flags = rnd_next(&rnd) % 2 ? PR_MMAP_RANGE_LOCK : 0;
	if (mmr_set(STORM_W4_START, STORM_W4_END, flags)) {
		child_log("PR_SET_MMAP_RANGE after execve (was locked: %d): %s",
			  was_locked, strerror(errno));
		return 13;
	}
	if (child_window_is(STORM_W4_START, STORM_W4_END, flags))
		return 14;
	if ((flags & PR_MMAP_RANGE_LOCK) &&
	    (mmr_set(STORM_W_START, STORM_W_END, 0) != -1 || errno != EPERM)) {
		child_log("a locked window could be changed");
		return 15;
	}
	if (child_place(STORM_W4_START, STORM_W4_END, EXEC_MAPS, &rnd) != EXEC_MAPS + CHILD_EXTRA)
		return 16;
	return 0;
}

static void storm_exec(bool locked)
{
	char *const argv[] = { "/proc/self/exe", EXEC_CHILD_MARK,
			       locked ? "locked" : "unlocked", NULL };

	execv(argv[0], argv);
	child_log("execv %s: %s", argv[0], strerror(errno));
	_exit(127);
}

/* A forked child of @kind; exits 0 when all its checks passed. */
static void storm_child(enum storm_kind kind, unsigned long seed)
{
	unsigned long rnd = seed;

	/* A hung child becomes a failure, not a test timeout (kept by execve). */
	alarm(300);
	if (child_window_is(STORM_W_START, STORM_W_END, 0))
		_exit(2);
	switch (kind) {
	case STORM_FORK:
		if (child_place(STORM_W_START, STORM_W_END, FORK_MAPS, &rnd) !=
		    FORK_MAPS + CHILD_EXTRA)
			_exit(3);
		/* Its own window is its own; the parent checks its own. */
		if (mmr_set(STORM_W2_START, STORM_W2_END, 0)) {
			child_log("PR_SET_MMAP_RANGE: %s", strerror(errno));
			_exit(4);
		}
		if (child_place(STORM_W2_START, STORM_W2_END, FORK_OWN_MAPS, &rnd) !=
		    FORK_OWN_MAPS + CHILD_EXTRA)
			_exit(5);
		_exit(0);
	case STORM_EXEC:
		storm_exec(false);
		break;
	case STORM_LOCK_EXEC:
		if (mmr_set(STORM_W3_START, STORM_W3_END, PR_MMAP_RANGE_LOCK)) {
			child_log("PR_SET_MMAP_RANGE with LOCK: %s", strerror(errno));
			_exit(6);
		}
		if (mmr_set(STORM_W_START, STORM_W_END, 0) != -1 || errno != EPERM ||
		    mmr_clear() != -1 || errno != EPERM) {
			child_log("a locked window could be changed or cleared");
			_exit(7);
		}
		if (child_window_is(STORM_W3_START, STORM_W3_END, PR_MMAP_RANGE_LOCK))
			_exit(8);
		if (child_place(STORM_W3_START, STORM_W3_END, LOCK_MAPS, &rnd) !=
		    LOCK_MAPS + CHILD_EXTRA)
			_exit(9);
		storm_exec(true);
		break;
	default:
		break;
	}
	_exit(126);
}

TEST_F_TIMEOUT(stress, fork_exec_storm, STRESS_TIMEOUT_S)
{
	struct { pid_t pid; enum storm_kind kind; } slot[STORM_INFLIGHT] = { 0 };
	unsigned long ok[STORM_KINDS] = { 0 }, bad[STORM_KINDS] = { 0 };
	unsigned long t0, deadline, placements = 0, parent_checks = 0;
	unsigned long spawned = 0, failed = 0, rnd = rnd_seed(3);
	unsigned int inflight = 0, i;

	ASSERT_SET(STORM_W_START, STORM_W_END, 0);
	t0 = now_ms();
	deadline = t0 + self->secs * 1000UL;
	for (;;) {
		int status, rc;
		pid_t pid;
		char *p;

		/* After the first failure, only collect what is running. */
		while (inflight < STORM_INFLIGHT && !failed && now_ms() < deadline) {
			enum storm_kind kind = spawned % 4 == 3 ? STORM_LOCK_EXEC :
					       spawned % 4 == 2 ? STORM_EXEC : STORM_FORK;
			unsigned long seed = rnd_next(&rnd);

			/* inflight < STORM_INFLIGHT: a free slot exists */
			for (i = 0; i < STORM_INFLIGHT - 1 && slot[i].pid; i++)
				;
			fflush(NULL);
			pid = fork();
			ASSERT_GE(pid, 0);
			if (pid == 0)
				storm_child(kind, seed);
			slot[i].pid = pid;
			slot[i].kind = kind;
			inflight++;
			spawned++;
		}
		if (!inflight)
			break;
		pid = waitpid(-1, &status, 0);
		ASSERT_GT(pid, 0);
		for (i = 0; i < STORM_INFLIGHT - 1 && slot[i].pid != pid; i++)
			;
		ASSERT_EQ(pid, slot[i].pid);
		slot[i].pid = 0;
		inflight--;
		rc = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		if (rc) {
			if (!failed++)
				TH_LOG("%s child %d exited %d: stopping the storm",
				       storm_names[slot[i].kind], (int)pid, rc);
			bad[slot[i].kind]++;
		} else {
			ok[slot[i].kind]++;
			placements += storm_placements[slot[i].kind];
		}
		/* Nothing a child did reached the parent; it still places inside. */
		ASSERT_WINDOW(STORM_W_START, STORM_W_END, 0);
		p = map_anon(0, self->pg, PROT_READ, 0);
		ASSERT_MAPPED(p);
		ASSERT_INSIDE(p, self->pg, STORM_W_START, STORM_W_END);
		munmap(p, self->pg);
		parent_checks++;
	}
	for (i = 0; i < STORM_KINDS; i++)
		TH_LOG("%-9s children: %lu passed, %lu failed", storm_names[i], ok[i],
		       bad[i]);
	TH_LOG("%lu children, %lu placements checked in children, %lu in the parent",
	       spawned, placements, parent_checks);
	for (i = 0; i < STORM_KINDS; i++) {
		ASSERT_EQ(0UL, bad[i]);
		ASSERT_GT(ok[i], 0UL);
	}
	ASSERT_RAN(t0, self->secs, placements + parent_checks);
}

/* ------------------------------------------------------------------------
 * 3. A window of thousands of small holes, churned for D seconds.  Rounds
 * of: random sizes with and without hints, a third of them unmapped again;
 * then every size from the largest down to one page until ENOMEM, which
 * leaves the window full; then half of what was placed unmapped.
 *
 * The test keeps its own map of the window's pages; /proc/self/maps, read
 * with read(2) into a static buffer (malloc's own mmaps would land in the
 * window), is the authority whenever the kernel says ENOMEM or does not
 * honour a hint the map says fits.
 */
#define FRAG_START		0x50000000UL
/* 16384 pages: 64 MiB with 4 KiB pages, 1 GiB with 64 KiB pages */
#define FRAG_MAX_PAGES		16384UL
#define FRAG_SIZE		(FRAG_MAX_PAGES * page_size())
#define FRAG_END		(FRAG_START + FRAG_SIZE)
#define FRAG_MAX_REQ		10	/* pages; holes are 1..8 */
#define FRAG_CHURN		2000	/* calls per round before exhausting */

static unsigned char frag_used[FRAG_MAX_PAGES];
/* Each result takes at least a page of the window. */
static struct live frag_res[FRAG_MAX_PAGES];
static char maps_buf[1 << 16];

/*
 * Scan /proc/self/maps: the largest free gap inside [start, end), how many
 * VMAs overlap it and how many there are in all.  0 or -1.
 */
static int maps_scan(unsigned long start, unsigned long end, unsigned long *gap,
		     unsigned long *overlap, unsigned long *total)
{
	unsigned long prev = start, lo, hi;
	size_t have = 0;
	int fd, ret = 0;

	*gap = 0;
	*overlap = 0;
	*total = 0;
	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, maps_buf + have, sizeof(maps_buf) - 1 - have);
		char *line = maps_buf, *nl;

		if (n < 0) {
			ret = -1;
			break;
		}
		have += n;
		maps_buf[have] = '\0';
		while ((nl = memchr(line, '\n', maps_buf + have - line))) {
			char *dash;

			lo = strtoul(line, &dash, 16);
			hi = *dash == '-' ? strtoul(dash + 1, NULL, 16) : 0;
			line = nl + 1;
			if (!hi)
				continue;
			++*total;
			if (hi <= start || lo >= end)
				continue;
			++*overlap;
			if (lo > prev && lo - prev > *gap)
				*gap = lo - prev;
			if (hi > prev)
				prev = hi;
		}
		have = maps_buf + have - line;
		memmove(maps_buf, line, have);
		if (n == 0)
			break;
	}
	close(fd);
	if (end > prev && end - prev > *gap)
		*gap = end - prev;
	return ret;
}

struct frag {
	unsigned long pg, pages, nres, rnd;
	unsigned long checked, enomem, hinted, honoured, unmaps;
	unsigned long full, max_vmas, max_live;
};

/* Mark [addr, addr + len) used (1) or free (0); returns pages already so. */
static unsigned long frag_mark(const struct frag *f, unsigned long addr,
			       unsigned long len, unsigned char used)
{
	unsigned long i, first = (addr - FRAG_START) / f->pg, same = 0;

	for (i = first; i < first + len / f->pg; i++) {
		same += frag_used[i] == used;
		frag_used[i] = used;
	}
	return same;
}

static bool frag_free(const struct frag *f, unsigned long addr, unsigned long len)
{
	unsigned long i, first = (addr - FRAG_START) / f->pg;

	for (i = first; i < first + len / f->pg; i++)
		if (frag_used[i])
			return false;
	return true;
}

#define FRAG_HOLE_FMT	"mmap(%#lx, %lu pages): ENOMEM, but /proc/self/maps has a %lu page hole in the window"

/*
 * mmap(@hint, @len) without MAP_FIXED, checked: inside the window, on pages
 * free before, at @hint if @hint was inside and free; or ENOMEM with no
 * hole of @len in the window.  Returns whether it placed a mapping.
 */
static bool frag_map(struct __test_metadata *_metadata, struct frag *f,
		     unsigned long len, unsigned long hint)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_NONE };
	bool fits = range_inside(hint, len, FRAG_START, FRAG_END) &&
		    frag_free(f, hint, len);
	unsigned long addr, busy, gap, overlap, vmas;
	char *p = map_anon(hint, len, prots[rnd_next(&f->rnd) % 3], 0);

	if (p == MAP_FAILED) {
		int err = errno;

		if (err != ENOMEM)
			TH_LOG("mmap(%#lx, %#lx): %s", hint, len, strerror(err));
		ASSERT_EQ(ENOMEM, err);
		ASSERT_EQ(0, maps_scan(FRAG_START, FRAG_END, &gap, &overlap, &vmas));
		if (gap >= len)
			TH_LOG(FRAG_HOLE_FMT, hint, len / f->pg, gap / f->pg);
		ASSERT_LT(gap, len);
		f->enomem++;
		if (vmas > f->max_vmas)
			f->max_vmas = vmas;
		return false;
	}
	addr = (unsigned long)p;
	ASSERT_INSIDE(addr, len, FRAG_START, FRAG_END);
	busy = frag_mark(f, addr, len, 1);
	if (busy)
		TH_LOG("mmap(%#lx, %#lx) gave %#lx over %lu mapped page(s)", hint,
		       len, addr, busy);
	ASSERT_EQ(0UL, busy);
	if (fits && addr != hint) {
		/* Did something the map does not know take it? */
		ASSERT_EQ(0, maps_scan(hint, hint + len, &gap, &overlap, &vmas));
		if (!overlap)
			TH_LOG("free hint %#lx (%lu pages) inside the window not honoured: %#lx",
			       hint, len / f->pg, addr);
		ASSERT_NE(0UL, overlap);
	}
	f->honoured += fits;
	f->checked++;
	frag_res[f->nres].addr = addr;
	frag_res[f->nres].len = len;
	f->nres++;
	if (f->nres > f->max_live)
		f->max_live = f->nres;
	return true;
}

static void frag_unmap(struct __test_metadata *_metadata, struct frag *f,
		       unsigned long i)
{
	struct live *l = &frag_res[i];
	int ret = munmap((void *)l->addr, l->len);

	if (ret)
		TH_LOG("munmap(%#lx, %#lx): %s", l->addr, l->len, strerror(errno));
	ASSERT_EQ(0, ret);
	frag_mark(f, l->addr, l->len, 0);
	*l = frag_res[--f->nres];
	f->unmaps++;
}

TEST_F_TIMEOUT(stress, fragmented_window, STRESS_TIMEOUT_S)
{
	const unsigned long pg = self->pg, pages = FRAG_SIZE / pg;
	/* Hints outside, or straddling an edge for most lengths: no hint. */
	const unsigned long outs[] = {
		OUTSIDE, FRAG_START - 4 * pg, FRAG_END - 2 * pg, FRAG_END, SZ_4G,
	};
	struct frag f = { .pg = pg, .pages = pages, .rnd = rnd_seed(5) };
	unsigned long a = 0, nmaps = 0, nholes = 0, hist[9] = { 0 };
	unsigned long gap, overlap, vmas, t0, t_setup, deadline, max_count = 0;
	unsigned long i, n;
	char *p;

	ASSERT_LE(pages, FRAG_MAX_PAGES);
	if (!read_ulong("/proc/sys/vm/max_map_count", &max_count))
		TH_LOG("vm.max_map_count %lu", max_count);
	ASSERT_EQ(0, maps_count(FRAG_START, FRAG_END));
	ASSERT_SET(FRAG_START, FRAG_END, 0);

	/* Mappings of 1..4 pages between holes of 1..8 pages, edge to edge. */
	t_setup = now_ms();
	while (a < pages) {
		unsigned long m = 1 + rnd_next(&f.rnd) % 4, h = 1 + rnd_next(&f.rnd) % 8;

		if (a || rnd_next(&f.rnd) % 2) {
			if (a + m > pages)
				m = pages - a;
			p = map_fixed(FRAG_START + a * pg, m * pg, PROT_READ);
			ASSERT_MAPPED(p);
			frag_mark(&f, (unsigned long)p, m * pg, 1);
			nmaps++;
			a += m;
		}
		if (a + h > pages)
			h = pages - a;
		if (h) {
			hist[h]++;
			nholes++;
		}
		a += h;
	}
	ASSERT_EQ(0, maps_scan(FRAG_START, FRAG_END, &gap, &overlap, &vmas));
	TH_LOG("window [%#lx, %#lx): %lu mappings, %lu VMAs in all, built in %lu ms",
	       FRAG_START, FRAG_END, nmaps, vmas, now_ms() - t_setup);
	TH_LOG("%lu holes (1..8 pages: %lu %lu %lu %lu %lu %lu %lu %lu), largest %lu pages",
	       nholes, hist[1], hist[2], hist[3], hist[4], hist[5], hist[6],
	       hist[7], hist[8], gap / pg);
	ASSERT_EQ(8 * pg, gap);
	ASSERT_EQ(nmaps, overlap);
	/* No hole holds 9 pages: ENOMEM, and no placement anywhere else. */
	ASSERT_FALSE(frag_map(_metadata, &f, 9 * pg, 0));

	t0 = now_ms();
	deadline = t0 + self->secs * 1000UL;
	while (now_ms() < deadline) {
		for (n = 0; n < FRAG_CHURN && now_ms() < deadline; n++) {
			unsigned long len = (1 + rnd_next(&f.rnd) % FRAG_MAX_REQ) * pg;
			unsigned long kind = rnd_next(&f.rnd) % 4, hint = 0;

			if (f.nres && rnd_next(&f.rnd) % 3 == 0) {
				frag_unmap(_metadata, &f, rnd_next(&f.rnd) % f.nres);
				continue;
			}
			if (kind == 1) {
				hint = FRAG_START +
				       (rnd_next(&f.rnd) % (pages - len / pg + 1)) * pg;
				f.hinted++;
			} else if (kind == 2) {
				hint = outs[rnd_next(&f.rnd) % 5];
			}
			frag_map(_metadata, &f, len, hint);
		}
		/* Bounded work, done even past the deadline: the window fills. */
		for (n = FRAG_MAX_REQ; n; n--)
			while (frag_map(_metadata, &f, n * pg, 0))
				;
		f.full++;
		for (i = f.nres; i-- > 0;)
			if (rnd_next(&f.rnd) % 2)
				frag_unmap(_metadata, &f, i);
	}
	ASSERT_EQ(0, maps_scan(FRAG_START, FRAG_END, &gap, &overlap, &vmas));
	TH_LOG("%lu placed inside (%lu hinted inside, %lu at a free hint), %lu justified ENOMEM",
	       f.checked, f.hinted, f.honoured, f.enomem);
	TH_LOG("%lu unmapped, filled up %lu times; at most %lu live, peak %lu VMAs in all",
	       f.unmaps, f.full, f.max_live, f.max_vmas);
	ASSERT_GT(f.honoured, 0UL);
	ASSERT_GT(f.full, 0UL);
	ASSERT_RAN(t0, self->secs, f.checked);
	munmap((void *)FRAG_START, FRAG_SIZE);
}

/* ------------------------------------------------------------------------
 * 4. shmat(NULL) and shmdt racing mmap and munmap.
 */
#define SHM_W_START		SZ_1G
#define SHM_W_END		(SZ_1G + 256 * SZ_1M)
#define SHM_SEGS		4
#define SHM_THREADS		2
#define MMAP_THREADS		2
#define SHM_LIVE		8

static struct {
	int id[SHM_SEGS];
	unsigned long len[SHM_SEGS];
	atomic_bool stop;
	atomic_ulong attaches, maps;
} shm_race;

struct shm_worker {
	pthread_t thread;
	unsigned int id;
	pthread_barrier_t *go;
	unsigned long rnd, pg;
};

#define SHMAT_OUTSIDE_FMT	"shmat(segment %u of %#lx bytes) at %p: outside [%#lx, %#lx) or not SHMLBA aligned"

static void *shm_attach_fn(void *arg)
{
	struct shm_worker *w = arg;
	struct { char *p; unsigned int seg; } att[2];
	unsigned int n = 0;

	pthread_barrier_wait(w->go);
	while (!atomic_load(&shm_race.stop)) {
		unsigned int seg = rnd_next(&w->rnd) % SHM_SEGS;
		int flags = rnd_next(&w->rnd) % 3 ? 0 : SHM_RDONLY;
		unsigned long len = shm_race.len[seg];
		char *p;

		if (n == 2 || (n && rnd_next(&w->rnd) % 2)) {
			n--;
			if (att[n].p[0] != (char)(0xa0 + att[n].seg) ||
			    att[n].p[shm_race.len[att[n].seg] - 1] != (char)att[n].seg) {
				fail_at("shm %u at %p: wrong contents", att[n].seg, att[n].p);
				break;
			}
			if (shmdt(att[n].p)) {
				fail_at("shmdt(%p): %s", att[n].p, strerror(errno));
				break;
			}
			continue;
		}
		p = shmat(shm_race.id[seg], NULL, flags);
		if (p == (void *)-1) {
			fail_at("shmat(segment %u, NULL): %s", seg, strerror(errno));
			break;
		}
		if (!range_inside((unsigned long)p, len, SHM_W_START, SHM_W_END) ||
		    ((unsigned long)p & (SHMLBA - 1))) {
			fail_at(SHMAT_OUTSIDE_FMT, seg, len, p, SHM_W_START,
				SHM_W_END);
			break;
		}
		atomic_fetch_add(&shm_race.attaches, 1);
		att[n].p = p;
		att[n].seg = seg;
		n++;
	}
	while (n--)
		if (shmdt(att[n].p))
			fail_at("shmdt(%p): %s", att[n].p, strerror(errno));
	atomic_store(&shm_race.stop, true);
	return NULL;
}

static void *shm_mmap_fn(void *arg)
{
	struct shm_worker *w = arg;
	struct live live[SHM_LIVE];
	unsigned int n = 0;

	pthread_barrier_wait(w->go);
	while (!atomic_load(&shm_race.stop)) {
		unsigned long len;
		int flags;
		char *p;

		if (n == SHM_LIVE || (n && rnd_next(&w->rnd) % 2)) {
			struct live *l = &live[rnd_next(&w->rnd) % n];

			if (read_byte(l->addr) != l->tag) {
				fail_at("mapping [%#lx, +%#lx) lost its contents", l->addr, l->len);
				break;
			}
			if (munmap((void *)l->addr, l->len)) {
				fail_at("munmap(%#lx, %#lx): %s", l->addr, l->len, strerror(errno));
				break;
			}
			*l = live[--n];
			continue;
		}
		len = rnd_len(&w->rnd, w->pg);
		flags = MAP_ANONYMOUS | (rnd_next(&w->rnd) % 2 ? MAP_SHARED : MAP_PRIVATE);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p == MAP_FAILED) {
			fail_at("mmap(%#lx): %s", len, strerror(errno));
			break;
		}
		if (!range_inside((unsigned long)p, len, SHM_W_START, SHM_W_END)) {
			fail_at("mmap(%#lx) at %p: outside [%#lx, %#lx)", len, p,
				SHM_W_START, SHM_W_END);
			break;
		}
		atomic_fetch_add(&shm_race.maps, 1);
		live[n].addr = (unsigned long)p;
		live[n].len = len;
		live[n].tag = (unsigned char)(w->id * 16 + n);
		p[0] = (char)live[n].tag;
		n++;
	}
	while (n--)
		if (munmap((void *)live[n].addr, live[n].len))
			fail_at("munmap(%#lx): %s", live[n].addr, strerror(errno));
	atomic_store(&shm_race.stop, true);
	return NULL;
}

TEST_F_TIMEOUT(stress, shmat_races_shmdt_and_mmap, STRESS_TIMEOUT_S)
{
	static struct shm_worker workers[SHM_THREADS + MMAP_THREADS];
	const unsigned int nw = SHM_THREADS + MMAP_THREADS;
	char *hold[SHM_SEGS];
	pthread_barrier_t go;
	pthread_attr_t attr;
	unsigned long t0;
	unsigned int i;

	/*
	 * Segments of 64 KiB .. 2 MiB, removed at once: an attachment held
	 * here (placed before the window, outside it) keeps each alive.
	 */
	for (i = 0; i < SHM_SEGS; i++) {
		shm_race.len[i] = SZ_64K << (2 * i) > SZ_2M ? SZ_2M : SZ_64K << (2 * i);
		shm_race.id[i] = shmget(IPC_PRIVATE, shm_race.len[i], IPC_CREAT | 0600);
		if (shm_race.id[i] < 0)
			TH_LOG("shmget(%#lx): %s", shm_race.len[i], strerror(errno));
		ASSERT_GE(shm_race.id[i], 0);
		hold[i] = shmat(shm_race.id[i], NULL, 0);
		shmctl(shm_race.id[i], IPC_RMID, NULL);
		ASSERT_MAPPED((void *)hold[i]);
		hold[i][0] = (char)(0xa0 + i);
		hold[i][shm_race.len[i] - 1] = (char)i;
	}
	ASSERT_EQ(0, pthread_barrier_init(&go, NULL, nw + 1));
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 256 << 10));
	for (i = 0; i < nw; i++) {
		workers[i].id = i;
		workers[i].go = &go;
		workers[i].pg = self->pg;
		workers[i].rnd = rnd_seed(i + 11);
		ASSERT_EQ(0, pthread_create(&workers[i].thread, &attr,
					    i < SHM_THREADS ? shm_attach_fn : shm_mmap_fn,
					    &workers[i]));
	}
	ASSERT_SET(SHM_W_START, SHM_W_END, 0);
	t0 = now_ms();
	pthread_barrier_wait(&go);
	while (!atomic_load(&shm_race.stop) && now_ms() < t0 + self->secs * 1000UL)
		usleep(10000);
	atomic_store(&shm_race.stop, true);
	for (i = 0; i < nw; i++)
		ASSERT_EQ(0, pthread_join(workers[i].thread, NULL));
	TH_LOG("%lu shmat attaches and %lu mmaps inside [%#lx, %#lx)",
	       atomic_load(&shm_race.attaches), atomic_load(&shm_race.maps),
	       SHM_W_START, SHM_W_END);
	ASSERT_NO_FAILURE();
	ASSERT_GT(atomic_load(&shm_race.attaches), 0UL);
	ASSERT_GT(atomic_load(&shm_race.maps), 0UL);
	for (i = 0; i < SHM_SEGS; i++) {
		ASSERT_EQ((char)(0xa0 + i), hold[i][0]);
		ASSERT_EQ(0, shmdt(hold[i]));
	}
	ASSERT_RAN(t0, self->secs,
		   atomic_load(&shm_race.attaches) + atomic_load(&shm_race.maps));
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&go);
}

/* ------------------------------------------------------------------------
 * 5. mremap growth of X racing munmap of its neighbour Y.  X sits just
 * inside the window's top edge with Y across it, or just below the bottom
 * edge with Y inside, or in the middle.  At an edge, growing in place would
 * make X span it: whichever call runs first, X must move into the window.
 * In the middle it may grow in place once Y is gone.
 */
#define EDGE_W_START		SZ_16G
#define EDGE_W_END		(SZ_16G + window_size(64 * SZ_1M))

enum edge_case { EDGE_TOP, EDGE_BOTTOM, EDGE_MIDDLE, EDGE_CASES };

static struct {
	pthread_barrier_t bar;
	unsigned long x, y, len;
	bool yield, quit;
	void *result;
	int err, unmap_ret, unmap_err;
} edge;

static void *edge_grow_fn(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&edge.bar);
		if (edge.quit)
			return NULL;
		if (edge.yield)
			sched_yield();
		edge.result = mremap((void *)edge.x, edge.len, 2 * edge.len, MREMAP_MAYMOVE);
		edge.err = errno;
		pthread_barrier_wait(&edge.bar);
	}
}

static void *edge_unmap_fn(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&edge.bar);
		if (edge.quit)
			return NULL;
		edge.unmap_ret = munmap((void *)edge.y, edge.len);
		edge.unmap_err = errno;
		pthread_barrier_wait(&edge.bar);
	}
}

#define EDGE_GREW_FMT	"[%#lx, +%#lx) grew in place to +%#lx across the %s edge of [%#lx, %#lx)"

TEST_F_TIMEOUT(stress, mremap_growth_races_neighbour_munmap, STRESS_TIMEOUT_S)
{
	static const char *const names[EDGE_CASES] = { "top", "bottom", "middle" };
	unsigned long moved[EDGE_CASES] = { 0 }, inplace[EDGE_CASES] = { 0 };
	unsigned long rnd = rnd_seed(13), t0, deadline, it = 0;
	const unsigned long pg = self->pg;
	pthread_t grow, unmap;
	unsigned int c;
	char *p;

	ASSERT_EQ(0, maps_count(EDGE_W_START - SZ_1M, EDGE_W_END + SZ_1M));
	ASSERT_EQ(0, pthread_barrier_init(&edge.bar, NULL, 3));
	ASSERT_EQ(0, pthread_create(&grow, NULL, edge_grow_fn, NULL));
	ASSERT_EQ(0, pthread_create(&unmap, NULL, edge_unmap_fn, NULL));
	ASSERT_SET(EDGE_W_START, EDGE_W_END, 0);
	t0 = now_ms();
	deadline = t0 + self->secs * 1000UL;
	while (now_ms() < deadline) {
		unsigned long len = (1 + rnd_next(&rnd) % 16) * pg, x, q;
		enum edge_case ec = it++ % EDGE_CASES;
		char tag = (char)it;

		x = ec == EDGE_TOP ? EDGE_W_END - len :
		    ec == EDGE_BOTTOM ? EDGE_W_START - len :
		    EDGE_W_START + 32 * SZ_1M + (rnd_next(&rnd) % 64) * pg;
		p = map_fixed(x, len, PROT_READ | PROT_WRITE);
		ASSERT_MAPPED(p);
		/* Same protection: one VMA with X; other: two VMAs. */
		p = map_fixed(x + len, len, rnd_next(&rnd) % 2 ? PROT_READ :
			      PROT_READ | PROT_WRITE);
		ASSERT_MAPPED(p);
		((char *)x)[0] = tag;
		edge.x = x;
		edge.y = x + len;
		edge.len = len;
		edge.yield = rnd_next(&rnd) % 2;
		pthread_barrier_wait(&edge.bar);	/* go */
		pthread_barrier_wait(&edge.bar);	/* done */
		if (edge.unmap_ret)
			TH_LOG("munmap of the neighbour: %s", strerror(edge.unmap_err));
		ASSERT_EQ(0, edge.unmap_ret);
		if (edge.result == MAP_FAILED)
			TH_LOG("mremap(%#lx, %#lx, %#lx, MAYMOVE) at the %s: %s", x, len,
			       2 * len, names[ec], strerror(edge.err));
		ASSERT_MAPPED(edge.result);
		q = (unsigned long)edge.result;
		if (q == x) {
			if (ec != EDGE_MIDDLE)
				TH_LOG(EDGE_GREW_FMT, x, len, 2 * len, names[ec],
				       EDGE_W_START, EDGE_W_END);
			ASSERT_EQ(EDGE_MIDDLE, ec);
			inplace[ec]++;
		} else {
			ASSERT_INSIDE(q, 2 * len, EDGE_W_START, EDGE_W_END);
			moved[ec]++;
		}
		ASSERT_EQ(tag, ((char *)q)[0]);
		ASSERT_EQ(0, munmap((void *)q, 2 * len));
		if (q != x)
			ASSERT_EQ(0, munmap((void *)x, 2 * len));
	}
	edge.quit = true;
	pthread_barrier_wait(&edge.bar);
	ASSERT_EQ(0, pthread_join(grow, NULL));
	ASSERT_EQ(0, pthread_join(unmap, NULL));
	for (c = 0; c < EDGE_CASES; c++)
		TH_LOG("%-6s: %lu moved inside, %lu grown in place", names[c], moved[c],
		       inplace[c]);
	ASSERT_GT(moved[EDGE_TOP], 0UL);
	ASSERT_GT(moved[EDGE_BOTTOM], 0UL);
	ASSERT_RAN(t0, self->secs, moved[0] + moved[1] + moved[2]);
	pthread_barrier_destroy(&edge.bar);
}

/* ------------------------------------------------------------------------
 * 6. fork() racing a thread that keeps changing the window.
 *
 * The child's mm is a copy of the parent's; the copy of the window must be
 * one that the parent really had, never the start of one window with the
 * end or the flags of the other (which can be reversed, or carry a flag
 * nobody set).  The setter alternates two windows that differ in every
 * field; each child reads its window with PR_GET_MMAP_RANGE, reports it in
 * a shared page if it is neither, and exits.  Needs two CPUs to race at all.
 */
static const struct prctl_mmap_range fork_windows[2] = {
	{ 0x10000000UL, 0x30000000UL, 0 },
	{ 0x40000000UL, 0xc0000000UL, PR_MMAP_RANGE_COMPAT },
};

static struct {
	atomic_bool stop;
	atomic_ulong sets;
	atomic_int err;
} forkrace;

static void *fork_window_setter(void *arg)
{
	unsigned long i = 0;

	(void)arg;
	while (!atomic_load(&forkrace.stop)) {
		const struct prctl_mmap_range *w = &fork_windows[i++ & 1];

		if (mmr_set(w->start, w->end, w->flags)) {
			atomic_store(&forkrace.err, errno);
			break;
		}
		atomic_fetch_add(&forkrace.sets, 1);
	}
	return NULL;
}

static bool same_window(const struct prctl_mmap_range *a,
			const struct prctl_mmap_range *b)
{
	return a->start == b->start && a->end == b->end && a->flags == b->flags;
}

TEST_F_TIMEOUT(stress, fork_copies_a_consistent_window, STRESS_TIMEOUT_S)
{
	unsigned long forks = 0, seen[2] = { 0 }, torn = 0, t0, deadline;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct prctl_mmap_range *report;
	pthread_t setter;

	TH_LOG("%ld CPUs online", cpus);
	/* One CPU cannot interleave the copy with a set: the test would prove nothing. */
	ASSERT_GE(cpus, 2);
	report = mmap(NULL, self->pg, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_MAPPED(report);
	ASSERT_EQ(0, pthread_create(&setter, NULL, fork_window_setter, NULL));
	/* Before the first set there is no window, which is neither A nor B. */
	while (!atomic_load(&forkrace.sets) && !atomic_load(&forkrace.err))
		sched_yield();
	t0 = now_ms();
	deadline = t0 + self->secs * 1000UL;
	while (now_ms() < deadline && !atomic_load(&forkrace.err)) {
		pid_t pid = fork();
		int rc;

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			struct prctl_mmap_range r;

			if (prctl(PR_GET_MMAP_RANGE, &r, sizeof(r), 0UL, 0UL))
				_exit(3);
			if (same_window(&r, &fork_windows[0]))
				_exit(0);
			if (same_window(&r, &fork_windows[1]))
				_exit(1);
			*report = r;
			_exit(2);
		}
		rc = wait_child(pid);
		forks++;
		if (rc == 0 || rc == 1) {
			seen[rc]++;
			continue;
		}
		if (rc == 2 && torn++ < 5)
			TH_LOG("fork %lu: child got [%#llx, %#llx) flags %#llx", forks,
			       (unsigned long long)report->start,
			       (unsigned long long)report->end,
			       (unsigned long long)report->flags);
		if (rc != 2)
			TH_LOG("fork %lu: child exit %d", forks, rc);
		ASSERT_EQ(2, rc);
	}
	atomic_store(&forkrace.stop, true);
	ASSERT_EQ(0, pthread_join(setter, NULL));
	ASSERT_EQ(0, atomic_load(&forkrace.err));
	TH_LOG("%lu forks, %lu window changes: %lu children with A, %lu with B, %lu torn",
	       forks, atomic_load(&forkrace.sets), seen[0], seen[1], torn);
	ASSERT_EQ(0UL, torn);
	ASSERT_GT(seen[0], 0UL);
	ASSERT_GT(seen[1], 0UL);
	ASSERT_RAN(t0, self->secs, forks);
	munmap(report, self->pg);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], EXEC_CHILD_MARK))
		return exec_child_main(argc, argv);
	return test_harness_run(argc, argv);
}
