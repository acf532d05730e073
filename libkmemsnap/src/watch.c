/* SPDX-License-Identifier: MIT */
/*
 * The watcher (docs/WATCH.md): one epoll set over the kernel's memory
 * events, so that a daemon can run it with kmemsnap_watcher_run() and a
 * supervisor can put its fd into its own event loop.
 *
 * Sources, each registered once at creation:
 * - PSI triggers (kernel/sched/psi.c: psi_trigger_create, psi_trigger_poll):
 *   the trigger text is written to an open /proc/pressure/memory or
 *   <cgroup>/memory.pressure; the fd then polls EPOLLPRI, at most once per
 *   window, while the trigger stays registered (until close).
 * - cgroup v2 memory.events (mm/memcontrol.c: memory_events_show): a change
 *   generates a file modified event (cgroup-v2.rst), watched with inotify.
 * - cgroup v1 memory.oom_control (cgroup-v1/memory.rst, "OOM Control"): an
 *   eventfd registered by writing "<eventfd> <oom_control fd>" to
 *   cgroup.event_control is signalled when the group goes under OOM.
 * - /dev/kmsg (Documentation/ABI/testing/dev-kmsg), from the end: the OOM
 *   killer's report, fed to an OOM parser.
 * - timerfds for the samples, the periodic snapshot, the baseline and the
 *   grace period of a cgroup OOM event waiting for the kernel log's report.
 *
 * Everything is allocated in kmemsnap_watcher_new(); dispatching reads into
 * buffers of the watcher and captures with the caller's recorder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "recorder.h"
#include "watch.h"

#define MAX_TRIGGERS 8
#define MAX_CGROUPS 64
#define MAX_COUNTERS 8
#define TRIGGER_BYTES 64
#define PATH_BYTES 512
#define DETAIL_BYTES 256
/* kernel/printk: CONSOLE_EXT_LOG_MAX, the longest /dev/kmsg record. */
#define KMSG_RECORD_BYTES 8192
#define READ_BYTES 4096

#define DEFAULT_TRIGGER "some 150000 2000000"
#define DEFAULT_PERIOD_S 600
#define DEFAULT_BASELINE_DELAY_S 5
#define DEFAULT_SAMPLE_MS 5000
#define DEFAULT_HISTORY_S 600
#define DEFAULT_HISTORY_TOP_N 5
#define DEFAULT_BURST 5
#define DEFAULT_MIN_GAP_MS 30000
#define DEFAULT_OOM_GRACE_MS 500
#define DEFAULT_PMSG_PATH "/dev/pmsg0"
#define DEFAULT_PMSG_MAX_BYTES (32u << 10)
/* The pmsg copy carries the last minute of history at most. */
#define PMSG_HISTORY_SAMPLES 12

/* What an epoll event's data says: the source kind, and an index. */
enum tag {
	TAG_STOP = 1,
	TAG_SAMPLE,
	TAG_PERIOD,
	TAG_BASELINE,
	TAG_GRACE,
	TAG_KMSG,
	TAG_INOTIFY,
	TAG_PSI,
	TAG_OOM_CONTROL,
};

struct counter {
	char name[24];
	uint64_t value;
};

struct psi_watch {
	int fd;
	const char *trigger;
	char path[PATH_BYTES];
};

struct cgroup_watch {
	char path[PATH_BYTES]; /* memory.events (v2) or memory.oom_control (v1) */
	int fd;		       /* that file, re-read with pread */
	int wd;		       /* v2: its inotify watch */
	int efd;	       /* v1: the eventfd */
	uint32_t n_counters;
	struct counter counters[MAX_COUNTERS];
};

struct moved {
	char name[24];
	uint64_t before;
	uint64_t after;
};

/* The event a snapshot is being taken for. */
struct event {
	bool active;
	struct cgroup_watch *cg; /* the cgroup it came from, or NULL */
	enum kmemsnap_watch_source source;
	enum kmemsnap_trigger trigger;
	const char *path;
	const char *psi_trigger;
	uint32_t n_moved;
	struct moved moved[MAX_COUNTERS];
	int32_t victim_pid;
	const char *victim_comm; /* in the OOM parser's report */
	bool with_report;
	uint64_t boottime_ns;
	uint32_t coalesced;
	char detail[DETAIL_BYTES];
};

/* A token bucket in milliseconds: each snapshot costs min_gap_ms. */
struct bucket {
	uint64_t level_ms;
	uint64_t last_ns;
};

struct kmemsnap_watcher {
	struct kmemsnap_recorder *rec;
	struct kmemsnap_store *store;
	struct kmemsnap_recorder *compact; /* the pmsg copy's, or NULL */
	/* The recorder's root without a trailing '/' ("" for "/"): event
	 * sources are found below it too, so a test tree can stand in. */
	char root[PATH_BYTES];
	struct kmemsnap_oom_parser *oom;
	int epfd, stop_fd, sample_fd, period_fd, baseline_fd, grace_fd;
	int kmsg_fd, inotify_fd, pmsg_fd;
	bool stopped;

	char triggers[MAX_TRIGGERS][TRIGGER_BYTES];
	size_t n_triggers;
	struct psi_watch *psi;
	size_t n_psi, psi_cap;
	struct cgroup_watch *cg;
	size_t n_cg;

	struct ks_history hist;
	uint32_t history_limit; /* samples the running capture embeds */
	bool embed_history;

	struct event ev;
	struct bucket oom_bucket, pressure_bucket;
	uint32_t burst, min_gap_ms, oom_grace_ms, pmsg_max_bytes;
	uint32_t suppressed;
	uint64_t last_oom_ns; /* CLOCK_MONOTONIC of the last OOM snapshot */

	void (*on_event)(const struct kmemsnap_watch_event *ev, void *arg);
	void (*on_setup)(const char *what, int err, void *arg);
	void *arg;

	char read_buf[READ_BYTES];
	char kmsg_buf[KMSG_RECORD_BYTES + 1];
};

/* ---- small helpers ------------------------------------------------------ */

static void setup_problem(struct kmemsnap_watcher *w, const char *what, int err)
{
	if (w->on_setup)
		w->on_setup(what, err, w->arg);
}

/* A source set up, in words, for on_setup with err 0 (set-up time only:
 * it formats with stdio). */
static void setup_done(struct kmemsnap_watcher *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void setup_done(struct kmemsnap_watcher *w, const char *fmt, ...)
{
	char what[PATH_BYTES + 128];
	va_list ap;

	if (!w->on_setup)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	w->on_setup(what, 0, w->arg);
}

static int watch_fd(struct kmemsnap_watcher *w, int fd, uint32_t events,
		    enum tag tag, uint32_t index)
{
	struct epoll_event e = {
		.events = events,
		.data.u64 = (uint64_t)tag << 32 | index,
	};

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

static int new_timer(struct kmemsnap_watcher *w, enum tag tag)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (watch_fd(w, fd, EPOLLIN, tag, 0) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Arms a timer to fire after first_ms and then every interval_ms (0: once). */
static void arm(int fd, uint64_t first_ms, uint64_t interval_ms)
{
	struct itimerspec its = {
		.it_value = { (time_t)(first_ms / 1000),
			      (long)(first_ms % 1000) * 1000000 + 1 },
		.it_interval = { (time_t)(interval_ms / 1000),
				 (long)(interval_ms % 1000) * 1000000 },
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static void disarm(int fd)
{
	struct itimerspec its = { 0 };

	timerfd_settime(fd, 0, &its, NULL);
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Bounded string building for the detail text, without stdio. */
struct text {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (n > t->cap - 1 - t->len)
		n = t->cap - 1 - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void put_u64(struct text *t, uint64_t v)
{
	char digits[24];

	digits[ks_format_u64(digits, v)] = '\0';
	put(t, digits);
}

/* ---- rate limit --------------------------------------------------------- */

static bool take_token(struct kmemsnap_watcher *w, struct bucket *b)
{
	uint64_t now = ks_now_ns(CLOCK_MONOTONIC);
	uint64_t full = (uint64_t)w->burst * w->min_gap_ms;

	b->level_ms += (now - b->last_ns) / 1000000;
	if (b->level_ms > full)
		b->level_ms = full;
	b->last_ns = now;
	if (b->level_ms < w->min_gap_ms)
		return false;
	b->level_ms -= w->min_gap_ms;
	return true;
}

/* ---- the messages a watcher capture adds --------------------------------- */

static Kmemsnap__V1__EventSource source_enum(enum kmemsnap_watch_source s)
{
	return (Kmemsnap__V1__EventSource)s;
}

static Kmemsnap__V1__WatchEvent *event_message(const struct event *ev,
					       uint32_t suppressed,
					       struct ks_arena *a)
{
	Kmemsnap__V1__WatchEvent *m = ks_arena_alloc(a, sizeof(*m));
	uint32_t i;

	if (!m)
		return NULL;
	kmemsnap__v1__watch_event__init(m);
	m->has_source = true;
	m->source = source_enum(ev->source);
	m->path = (char *)ev->path;
	m->psi_trigger = (char *)ev->psi_trigger;
	m->has_event_boottime_ns = true;
	m->event_boottime_ns = ev->boottime_ns;
	m->has_coalesced = ev->coalesced > 0;
	m->coalesced = ev->coalesced;
	m->has_suppressed = suppressed > 0;
	m->suppressed = suppressed;
	if (ev->victim_pid) {
		m->has_victim_pid = true;
		m->victim_pid = ev->victim_pid;
		m->victim_comm = (char *)ev->victim_comm;
	}
	if (ev->n_moved &&
	    !(m->counters = ks_arena_alloc(a, ev->n_moved * sizeof(*m->counters))))
		return m;
	for (i = 0; i < ev->n_moved; i++) {
		Kmemsnap__V1__EventCounter *c = ks_arena_alloc(a, sizeof(*c));

		if (!c)
			break;
		kmemsnap__v1__event_counter__init(c);
		c->name = (char *)ev->moved[i].name;
		c->has_before = c->has_after = true;
		c->before = ev->moved[i].before;
		c->after = ev->moved[i].after;
		m->counters[m->n_counters++] = c;
	}
	return m;
}

/* rec->extend: runs inside the capture, on its arena. */
static void extend_snapshot(void *arg, struct ks_arena *a, KsSnapshot *snap)
{
	struct kmemsnap_watcher *w = arg;

	snap->event = event_message(&w->ev, w->suppressed, a);
	if (w->embed_history)
		snap->history = ks_history_message(&w->hist, w->history_limit, a);
}

/* ---- taking the snapshot ------------------------------------------------ */

static void describe_moves(struct event *ev);
static void refresh_moves(struct kmemsnap_watcher *w);

static bool is_oom_event(const struct event *ev)
{
	return ev->trigger == KMEMSNAP_TRIGGER_OOM;
}

static bool is_scheduled(const struct event *ev)
{
	return ev->source == KMEMSNAP_WATCH_TIMER ||
	       ev->source == KMEMSNAP_WATCH_BASELINE;
}

static void finish_detail(struct kmemsnap_watcher *w)
{
	struct text t = { w->ev.detail, sizeof(w->ev.detail),
			  strlen(w->ev.detail) };

	if (w->ev.victim_pid) {
		put(&t, "; killed pid ");
		put_u64(&t, (uint64_t)w->ev.victim_pid);
		if (w->ev.victim_comm) {
			put(&t, " (");
			put(&t, w->ev.victim_comm);
			put(&t, ")");
		}
	}
	if (w->ev.coalesced) {
		put(&t, "; ");
		put_u64(&t, w->ev.coalesced);
		put(&t, " more event(s) folded in");
	}
	if (w->suppressed && !is_scheduled(&w->ev)) {
		put(&t, "; ");
		put_u64(&t, w->suppressed);
		put(&t, " event(s) dropped by the rate limit before");
	}
}

static int capture(struct kmemsnap_recorder *rec, struct kmemsnap_watcher *w,
		   const struct kmemsnap_capture_opts *o, const void **blob,
		   size_t *len, struct kmemsnap_store *store, char *name)
{
	int err;

	rec->extend = extend_snapshot;
	rec->extend_arg = w;
	err = store ? kmemsnap_capture_to_store(rec, o, store, name,
						KMEMSNAP_STORE_NAME_MAX)
		    : kmemsnap_capture(rec, o, blob, len);
	rec->extend = NULL;
	rec->extend_arg = NULL;
	return err;
}

/* The compact copy for pstore's pmsg zone: bounded top-N tables (the
 * compact recorder's options) and a minute of history, or none if that
 * does not fit. */
static int mirror_to_pmsg(struct kmemsnap_watcher *w,
			  const struct kmemsnap_capture_opts *o, size_t *out_len)
{
	const void *blob = NULL;
	size_t len = 0;
	int err;

	if (w->pmsg_fd < 0 || !w->compact)
		return -ENOENT;
	w->history_limit = PMSG_HISTORY_SAMPLES;
	err = capture(w->compact, w, o, &blob, &len, NULL, NULL);
	if ((err == 0 && len > w->pmsg_max_bytes) || err == -EMSGSIZE) {
		w->embed_history = false;
		err = capture(w->compact, w, o, &blob, &len, NULL, NULL);
	}
	if (err == 0 && len > w->pmsg_max_bytes)
		err = -EMSGSIZE;
	if (err == 0)
		err = ks_write_all(w->pmsg_fd, blob, len);
	*out_len = err == 0 ? len : 0;
	return err;
}

static void report(struct kmemsnap_watcher *w, int result, const char *name,
		   int pmsg_result, size_t pmsg_bytes, uint64_t took_ns)
{
	struct kmemsnap_watch_event e = {
		.sz = sizeof(e),
		.source = w->ev.source,
		.trigger = w->ev.trigger,
		.detail = w->ev.detail,
		.result = result,
		.name = name,
		.pmsg_result = pmsg_result,
		.pmsg_bytes = pmsg_bytes,
		.capture_ns = took_ns,
	};

	if (w->on_event)
		w->on_event(&e, w->arg);
}

/* Takes the snapshot for w->ev. Returns 1 when one was stored. */
static int fire(struct kmemsnap_watcher *w)
{
	struct bucket *b = is_oom_event(&w->ev) ? &w->oom_bucket
						: &w->pressure_bucket;
	char name[KMEMSNAP_STORE_NAME_MAX] = "";
	uint64_t start = ks_now_ns(CLOCK_MONOTONIC);
	size_t pmsg_bytes = 0;
	int pmsg = -ENOENT;
	uint32_t limit;
	int err;
	KMEMSNAP_OPTS(kmemsnap_capture_opts, o, .trigger = w->ev.trigger,
		      .trigger_detail = w->ev.detail);

	w->ev.active = false;
	disarm(w->grace_fd);
	if (!is_scheduled(&w->ev) && !take_token(w, b)) {
		w->suppressed++;
		report(w, -EAGAIN, NULL, pmsg, 0, 0);
		return 0;
	}
	refresh_moves(w);
	if (w->ev.n_moved)
		describe_moves(&w->ev);
	finish_detail(w);
	if (w->ev.with_report)
		o.oom_report = w->oom;
	w->embed_history = !is_scheduled(&w->ev);
	w->history_limit = 0;
	err = capture(w->rec, w, &o, NULL, NULL, w->store, name);
	/* A long ring with many processes a sample can outgrow the message:
	 * keep the newest half, then none, rather than lose the event. */
	for (limit = w->hist.count / 2; err == -EMSGSIZE && w->embed_history;
	     limit /= 2) {
		w->history_limit = limit;
		w->embed_history = limit > 0;
		err = capture(w->rec, w, &o, NULL, NULL, w->store, name);
	}
	if (is_oom_event(&w->ev)) {
		w->last_oom_ns = ks_now_ns(CLOCK_MONOTONIC);
		pmsg = mirror_to_pmsg(w, &o, &pmsg_bytes);
	}
	if (err >= 0 && !is_scheduled(&w->ev))
		w->suppressed = 0;
	report(w, err, err >= 0 ? name : NULL, pmsg, pmsg_bytes,
	       ks_now_ns(CLOCK_MONOTONIC) - start);
	return err >= 0;
}

/* Starts describing a new event (the one before it was handled). */
static void begin(struct kmemsnap_watcher *w, enum kmemsnap_watch_source src,
		  enum kmemsnap_trigger trigger, const char *path)
{
	memset(&w->ev, 0, sizeof(w->ev));
	w->ev.active = true;
	w->ev.source = src;
	w->ev.trigger = trigger;
	w->ev.path = path;
	w->ev.boottime_ns = ks_now_ns(CLOCK_BOOTTIME);
}

/* An OOM seen through a cgroup: the kernel log's report of it is usually
 * a few milliseconds away; wait for it (up to the grace period) so one
 * snapshot carries both. A second event of the same OOM is folded in. */
static bool folded_into_last(struct kmemsnap_watcher *w)
{
	return w->last_oom_ns &&
	       ks_now_ns(CLOCK_MONOTONIC) - w->last_oom_ns <
		       (uint64_t)w->oom_grace_ms * 1000000;
}

/* ---- sources ------------------------------------------------------------ */

static int on_psi(struct kmemsnap_watcher *w, struct psi_watch *p)
{
	struct text t;

	if (w->ev.active) {
		w->ev.coalesced++;
		return 0;
	}
	begin(w, KMEMSNAP_WATCH_PSI, KMEMSNAP_TRIGGER_PRESSURE, p->path);
	w->ev.psi_trigger = p->trigger;
	t = (struct text){ w->ev.detail, sizeof(w->ev.detail), 0 };
	put(&t, "psi \"");
	put(&t, p->trigger);
	put(&t, "\" on ");
	put(&t, p->path);
	return fire(w);
}

/* A trigger whose cgroup was removed polls EPOLLERR for ever
 * (psi_trigger_poll without a trigger): stop watching it. */
static int drop_psi(struct kmemsnap_watcher *w, struct psi_watch *p)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	close_fd(&p->fd);
	setup_problem(w, p->path, -ENODEV);
	return 0;
}

/* "name value" lines, as memory.events and memory.oom_control print. */
static uint32_t parse_counters(char *text, struct counter *out)
{
	uint32_t n = 0;
	char *line = text;

	while (*line && n < MAX_COUNTERS) {
		char *end = strchr(line, '\n');
		const char *p, *tok;
		size_t len;

		if (end)
			*end = '\0';
		p = line;
		if (ks_next_token(&p, &tok, &len) && len < sizeof(out->name) &&
		    ks_parse_u64(&p, &out[n].value)) {
			memcpy(out[n].name, tok, len);
			out[n].name[len] = '\0';
			n++;
		}
		if (!end)
			break;
		line = end + 1;
	}
	return n;
}

static int read_counters(struct kmemsnap_watcher *w, struct cgroup_watch *cg,
			 struct counter *out)
{
	ssize_t n = pread(cg->fd, w->read_buf, sizeof(w->read_buf) - 1, 0);

	if (n < 0)
		return -errno;
	w->read_buf[n] = '\0';
	return (int)parse_counters(w->read_buf, out);
}

/* The counters that make a snapshot: a kill or an OOM is an OOM event;
 * hitting max or high (v2) is pressure. low is a protection, not news. */
static int counter_class(const char *name)
{
	static const char *const oom_names[] = { "oom", "oom_kill",
						 "oom_group_kill", "under_oom" };
	size_t i;

	for (i = 0; i < sizeof(oom_names) / sizeof(oom_names[0]); i++)
		if (strcmp(name, oom_names[i]) == 0)
			return KMEMSNAP_TRIGGER_OOM;
	if (strcmp(name, "max") == 0 || strcmp(name, "high") == 0)
		return KMEMSNAP_TRIGGER_PRESSURE;
	return 0;
}

/* Adds (or updates) a moved counter of ev. */
static void add_moved(struct event *ev, const struct moved *m)
{
	uint32_t i;

	for (i = 0; i < ev->n_moved; i++)
		if (strcmp(ev->moved[i].name, m->name) == 0) {
			ev->moved[i].after = m->after;
			return;
		}
	if (ev->n_moved < MAX_COUNTERS)
		ev->moved[ev->n_moved++] = *m;
}

/* Compares a cgroup's new counters with the last ones, collecting the
 * moves that matter into moves; returns the trigger they call for, or 0. */
static int compare_counters(const struct cgroup_watch *cg,
			    const struct counter *now, int n,
			    struct event *moves)
{
	int trigger = 0;
	uint32_t j;
	int i;

	for (i = 0; i < n; i++)
		for (j = 0; j < cg->n_counters; j++) {
			const struct counter *old = &cg->counters[j];
			struct moved m = { .before = old->value,
					   .after = now[i].value };
			int c;

			if (strcmp(now[i].name, old->name) != 0 ||
			    now[i].value == old->value)
				continue;
			c = counter_class(now[i].name);
			/* under_oom going back to 0 is the end of one. */
			if (!c || (strcmp(now[i].name, "under_oom") == 0 &&
				   now[i].value == 0))
				continue;
			if (c == KMEMSNAP_TRIGGER_OOM || !trigger)
				trigger = c;
			memcpy(m.name, old->name, sizeof(m.name));
			add_moved(moves, &m);
		}
	return trigger;
}

static void describe_moves(struct event *ev)
{
	struct text t = { ev->detail, sizeof(ev->detail), 0 };
	uint32_t i;

	put(&t, ev->path);
	if (ev->n_moved == 0)
		put(&t, ": the group is under OOM");
	for (i = 0; i < ev->n_moved; i++) {
		put(&t, i ? ", " : ": ");
		put(&t, ev->moved[i].name);
		put(&t, " ");
		put_u64(&t, ev->moved[i].before);
		put(&t, " -> ");
		put_u64(&t, ev->moved[i].after);
	}
}

/* Reads a cgroup's counters again and remembers them; the moves go to
 * moves. Returns the trigger they call for, or 0. */
static int update_counters(struct kmemsnap_watcher *w, struct cgroup_watch *cg,
			   struct event *moves)
{
	struct counter now[MAX_COUNTERS];
	int n = read_counters(w, cg, now);
	int trigger;

	/* A file that reads empty, or not at all, is no change to compare. */
	if (n <= 0)
		return 0;
	trigger = compare_counters(cg, now, n, moves);
	memcpy(cg->counters, now, sizeof(now));
	cg->n_counters = (uint32_t)n;
	return trigger;
}

/* Just before the capture: what the event's cgroup counted since (the v1
 * eventfd fires before the kill; oom_kill moves after it). */
static void refresh_moves(struct kmemsnap_watcher *w)
{
	if (w->ev.cg && w->ev.cg->fd >= 0)
		update_counters(w, w->ev.cg, &w->ev);
}

/* A cgroup's counters changed (or, signalled, its v1 group went under
 * OOM): compare, remember, and decide. */
static int on_counters(struct kmemsnap_watcher *w, struct cgroup_watch *cg,
		       enum kmemsnap_watch_source src, bool signalled)
{
	struct event moves = { .n_moved = 0 };
	int trigger = update_counters(w, cg, &moves);
	uint32_t i;

	/* memory.oom_control's eventfd is signalled when the group goes
	 * under OOM, before the kill: under_oom is back to 0 by the time it
	 * is read, and oom_kill has not moved yet. The signal is the event. */
	if (signalled)
		trigger = KMEMSNAP_TRIGGER_OOM;
	if (!trigger)
		return 0;
	if (w->ev.active) {
		/* Counters of another cgroup (a parent counts a child's
		 * OOM too) are not merged under this one's path. */
		for (i = 0; w->ev.cg == cg && i < moves.n_moved; i++)
			add_moved(&w->ev, &moves.moved[i]);
		w->ev.coalesced++;
		return 0;
	}
	begin(w, src, (enum kmemsnap_trigger)trigger, cg->path);
	w->ev.cg = cg;
	for (i = 0; i < moves.n_moved; i++)
		add_moved(&w->ev, &moves.moved[i]);
	describe_moves(&w->ev);
	if (trigger == KMEMSNAP_TRIGGER_OOM && folded_into_last(w)) {
		w->ev.active = false;
		report(w, -EALREADY, NULL, -ENOENT, 0, 0);
		return 0;
	}
	if (trigger == KMEMSNAP_TRIGGER_OOM && w->kmsg_fd >= 0) {
		arm(w->grace_fd, w->oom_grace_ms, 0);
		return 0;
	}
	return fire(w);
}

/* The kernel log: records from "now" on, one per read(). An OOM report
 * that completes is the kill itself: capture now, folding in a cgroup
 * event that was waiting for it. */
static const char *victim_comm(const struct kmemsnap_watcher *w)
{
	const Kmemsnap__V1__OomReport *r = ks_oom_parser_report(w->oom);

	return r && r->killed ? r->killed->comm : NULL;
}

static int on_report(struct kmemsnap_watcher *w)
{
	int pid = 0;
	struct text t;

	kmemsnap_oom_parser_last(w->oom, &pid);
	if (w->ev.active) {
		w->ev.coalesced++;
	} else {
		begin(w, KMEMSNAP_WATCH_KMSG, KMEMSNAP_TRIGGER_OOM, "/dev/kmsg");
		t = (struct text){ w->ev.detail, sizeof(w->ev.detail), 0 };
		put(&t, "kernel OOM report on /dev/kmsg");
	}
	w->ev.with_report = true;
	w->ev.victim_pid = pid;
	w->ev.victim_comm = victim_comm(w);
	return fire(w);
}

static int on_kmsg(struct kmemsnap_watcher *w)
{
	int stored = 0;
	ssize_t n;

	for (;;) {
		n = read(w->kmsg_fd, w->kmsg_buf, KMSG_RECORD_BYTES);
		if (n < 0 && errno == EPIPE)
			continue; /* records were overwritten: go on */
		if (n <= 0)
			break;
		if (kmemsnap_oom_parser_feed(w->oom, w->kmsg_buf, (size_t)n) == 1)
			stored += on_report(w);
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* Not readable any more: stop watching it rather than spin. */
		int err = -errno;

		epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->kmsg_fd, NULL);
		close_fd(&w->kmsg_fd);
		setup_problem(w, "/dev/kmsg", err);
	}
	return stored;
}

static int on_inotify(struct kmemsnap_watcher *w)
{
	char *buf = w->kmsg_buf; /* free outside on_kmsg */
	int stored = 0;
	ssize_t n;

	while ((n = read(w->inotify_fd, buf, KMSG_RECORD_BYTES)) > 0) {
		ssize_t off = 0;

		while (off < n) {
			const struct inotify_event *ie = (const void *)(buf + off);
			size_t i;

			off += (ssize_t)(sizeof(*ie) + ie->len);
			for (i = 0; i < w->n_cg; i++) {
				struct cgroup_watch *cg = &w->cg[i];

				/* The queue overflowed: events were lost,
				 * so every cgroup is read again. */
				if (cg->wd < 0 ||
				    (cg->wd != ie->wd && !(ie->mask & IN_Q_OVERFLOW)))
					continue;
				if (ie->mask & IN_IGNORED) {
					cg->wd = -1; /* the cgroup is gone */
					close_fd(&cg->fd);
					setup_problem(w, cg->path, -ENODEV);
					continue;
				}
				stored += on_counters(w, cg,
						      KMEMSNAP_WATCH_MEMORY_EVENTS,
						      false);
			}
		}
	}
	return stored;
}

/* The eventfd is also signalled when the cgroup is removed
 * (mm/memcontrol-v1.c: memcg_event_remove): its file then reads no more. */
static int on_oom_control(struct kmemsnap_watcher *w, struct cgroup_watch *cg)
{
	char c;

	drain(cg->efd);
	if (pread(cg->fd, &c, 1, 0) < 0) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, cg->efd, NULL);
		close_fd(&cg->efd);
		setup_problem(w, cg->path, -ENODEV);
		return 0;
	}
	return on_counters(w, cg, KMEMSNAP_WATCH_OOM_CONTROL, true);
}

static int on_grace(struct kmemsnap_watcher *w)
{
	drain(w->grace_fd);
	return w->ev.active ? fire(w) : 0;
}

static int on_scheduled(struct kmemsnap_watcher *w,
			enum kmemsnap_watch_source src,
			enum kmemsnap_trigger trigger, const char *what)
{
	struct text t;

	if (w->ev.active)
		return 0; /* an OOM is waiting for its report: it goes first */
	begin(w, src, trigger, NULL);
	t = (struct text){ w->ev.detail, sizeof(w->ev.detail), 0 };
	put(&t, what);
	return fire(w);
}

/* The baseline is the first snapshot of a boot; a watcher restarted later
 * in the same boot finds it in the store and takes none. */
static int on_baseline(struct kmemsnap_watcher *w)
{
	char boot_id[40];
	long n;

	drain(w->baseline_fd);
	if (w->ev.active) {
		/* An OOM is waiting for its report; the baseline follows it. */
		arm(w->baseline_fd, (uint64_t)w->oom_grace_ms + 100, 0);
		return 0;
	}
	n = ks_read_small(w->rec->root_fd, "proc/sys/kernel/random/boot_id",
			  boot_id, sizeof(boot_id));
	if (n > 0 && ks_store_holds_boot(w->store, boot_id) == 1)
		return 0;
	return on_scheduled(w, KMEMSNAP_WATCH_BASELINE,
			    KMEMSNAP_TRIGGER_BASELINE,
			    "baseline: the first snapshot of this boot");
}

static int handle(struct kmemsnap_watcher *w, const struct epoll_event *e)
{
	uint32_t index = (uint32_t)e->data.u64;

	switch ((enum tag)(e->data.u64 >> 32)) {
	case TAG_STOP:
		drain(w->stop_fd);
		w->stopped = true;
		return 0;
	case TAG_SAMPLE:
		drain(w->sample_fd);
		ks_history_sample(&w->hist);
		return 0;
	case TAG_PERIOD:
		drain(w->period_fd);
		return on_scheduled(w, KMEMSNAP_WATCH_TIMER,
				    KMEMSNAP_TRIGGER_TIMER, "periodic snapshot");
	case TAG_BASELINE:
		return on_baseline(w);
	case TAG_GRACE:
		return on_grace(w);
	case TAG_KMSG:
		return w->kmsg_fd >= 0 ? on_kmsg(w) : 0;
	case TAG_INOTIFY:
		return on_inotify(w);
	case TAG_PSI:
		if (e->events & EPOLLERR)
			return drop_psi(w, &w->psi[index]);
		return on_psi(w, &w->psi[index]);
	case TAG_OOM_CONTROL:
		return on_oom_control(w, &w->cg[index]);
	}
	return 0;
}

KMEMSNAP_API int kmemsnap_watcher_dispatch(struct kmemsnap_watcher *w,
					   int timeout_ms)
{
	struct epoll_event events[16];
	int stored = 0;
	int n, i;

	if (!w)
		return -EINVAL;
	n = epoll_wait(w->epfd, events, 16, timeout_ms);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++)
		stored += handle(w, &events[i]);
	return stored;
}

KMEMSNAP_API int kmemsnap_watcher_run(struct kmemsnap_watcher *w)
{
	int r;

	if (!w)
		return -EINVAL;
	w->stopped = false;
	while (!w->stopped) {
		r = kmemsnap_watcher_dispatch(w, -1);
		if (r < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

KMEMSNAP_API void kmemsnap_watcher_stop(struct kmemsnap_watcher *w)
{
	uint64_t one = 1;
	ssize_t n;

	if (!w)
		return;
	n = write(w->stop_fd, &one, sizeof(one));
	(void)n;
}

KMEMSNAP_API int kmemsnap_watcher_fd(const struct kmemsnap_watcher *w)
{
	return w ? w->epfd : -EINVAL;
}

KMEMSNAP_API int kmemsnap_watcher_set_store(struct kmemsnap_watcher *w,
					    struct kmemsnap_store *store)
{
	if (!w || !store)
		return -EINVAL;
	w->store = store;
	return 0;
}

/* ---- set-up ------------------------------------------------------------- */

/* PSI files live in procfs and cgroup2 only: include/uapi/linux/magic.h. */
#define KS_PROC_SUPER_MAGIC 0x9fa0
#define KS_CGROUP2_SUPER_MAGIC 0x63677270

static bool is_kernel_psi_file(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 &&
	       (sfs.f_type == KS_PROC_SUPER_MAGIC ||
		sfs.f_type == KS_CGROUP2_SUPER_MAGIC);
}

/* Registers each trigger on one PSI file. Problems are reported and the
 * trigger skipped: a host without PSI still has its other sources. */
static void add_psi(struct kmemsnap_watcher *w, const char *path)
{
	size_t i;

	for (i = 0; i < w->n_triggers && w->n_psi < w->psi_cap; i++) {
		struct psi_watch *p = &w->psi[w->n_psi];
		const char *t = w->triggers[i];

		p->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (p->fd < 0) {
			setup_problem(w, path, -errno);
			return;
		}
		/* Anywhere else it is a copy of /proc (a test tree), not
		 * the kernel's: writing a trigger would only change it. */
		if (!is_kernel_psi_file(p->fd)) {
			close_fd(&p->fd);
			setup_problem(w, path, -EOPNOTSUPP);
			return;
		}
		/* EINVAL for a window that is not a multiple of 2 s without
		 * CAP_SYS_RESOURCE (6.5+), or for a malformed trigger. */
		if (write(p->fd, t, strlen(t) + 1) < 0 ||
		    watch_fd(w, p->fd, EPOLLPRI, TAG_PSI, (uint32_t)w->n_psi) < 0) {
			setup_problem(w, path, -errno);
			close_fd(&p->fd);
			continue;
		}
		p->trigger = t;
		memcpy(p->path, path, strnlen(path, PATH_BYTES - 1));
		w->n_psi++;
		setup_done(w, "PSI trigger \"%s\" on %s", t, path);
	}
}

/* Joins a, b and c into out; false when it does not fit. */
static bool join(char *out, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc >= PATH_BYTES)
		return false;
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return true;
}

static int add_v2(struct kmemsnap_watcher *w, struct cgroup_watch *cg,
		  const char *mount, const char *group)
{
	char pressure[PATH_BYTES];
	struct counter first[MAX_COUNTERS];
	int n;

	if (!join(cg->path, mount, group, "/memory.events"))
		return -ENAMETOOLONG;
	cg->fd = open(cg->path, O_RDONLY | O_CLOEXEC);
	if (cg->fd < 0)
		return -errno;
	if (w->inotify_fd < 0) {
		int err;

		w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->inotify_fd < 0)
			return -errno;
		err = watch_fd(w, w->inotify_fd, EPOLLIN, TAG_INOTIFY, 0);
		if (err < 0) {
			close_fd(&w->inotify_fd);
			return err;
		}
	}
	cg->wd = inotify_add_watch(w->inotify_fd, cg->path, IN_MODIFY);
	if (cg->wd < 0)
		return -errno;
	n = read_counters(w, cg, first);
	cg->n_counters = n > 0 ? (uint32_t)n : 0;
	memcpy(cg->counters, first, sizeof(first));
	if (join(pressure, mount, group, "/memory.pressure"))
		add_psi(w, pressure);
	return 0;
}

static int add_v1(struct kmemsnap_watcher *w, struct cgroup_watch *cg,
		  const char *group, uint32_t index)
{
	char control[PATH_BYTES], line[32];
	struct counter first[MAX_COUNTERS];
	size_t len;
	int fd, n;

	char base[PATH_BYTES];

	if (!join(base, w->root, "/sys/fs/cgroup/memory", "") ||
	    !join(cg->path, base, group, "/memory.oom_control") ||
	    !join(control, base, group, "/cgroup.event_control"))
		return -ENAMETOOLONG;
	cg->fd = open(cg->path, O_RDONLY | O_CLOEXEC);
	if (cg->fd < 0)
		return -errno;
	cg->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (cg->efd < 0)
		return -errno;
	fd = open(control, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = ks_format_u64(line, (uint64_t)cg->efd);
	line[len++] = ' ';
	len += ks_format_u64(line + len, (uint64_t)cg->fd);
	n = write(fd, line, len) < 0 ? -errno : 0;
	close(fd);
	if (n < 0)
		return n;
	n = read_counters(w, cg, first);
	cg->n_counters = n > 0 ? (uint32_t)n : 0;
	memcpy(cg->counters, first, sizeof(first));
	return watch_fd(w, cg->efd, EPOLLIN, TAG_OOM_CONTROL, index);
}

/* A cgroup path as given ("/system.slice/db.service" or "db"), made to
 * start with '/' and end without one; "" for the root. */
static bool normalize_group(char *out, const char *in)
{
	size_t n = strlen(in);

	while (n && in[n - 1] == '/')
		n--;
	while (n && *in == '/')
		in++, n--;
	if (n + 2 > PATH_BYTES)
		return false;
	out[0] = '\0';
	if (n) {
		out[0] = '/';
		memcpy(out + 1, in, n);
		out[n + 1] = '\0';
	}
	return true;
}

/* v2 where the v2 memory controller is (unified, or hybrid's
 * sys/fs/cgroup/unified), else v1's memory hierarchy. */
static void add_cgroup(struct kmemsnap_watcher *w, const char *given)
{
	const char *v2 = ks_cgroup_v2_memory_mount(w->rec->root_fd);
	struct cgroup_watch *cg = &w->cg[w->n_cg];
	char group[PATH_BYTES], mount[PATH_BYTES];
	int err = -ENOENT;

	cg->fd = cg->wd = cg->efd = -1;
	if (!normalize_group(group, given)) {
		setup_problem(w, given, -ENAMETOOLONG);
		return;
	}
	if (v2)
		err = join(mount, w->root, "/", v2) ? add_v2(w, cg, mount, group)
						    : -ENAMETOOLONG;
	else
		err = add_v1(w, cg, group, (uint32_t)w->n_cg);
	if (err < 0) {
		setup_problem(w, cg->path[0] ? cg->path : given, err);
		close_fd(&cg->fd);
		close_fd(&cg->efd);
		return;
	}
	w->n_cg++;
	setup_done(w, "cgroup %s (%s)", cg->path,
		   cg->efd >= 0 ? "v1 eventfd" : "v2 inotify");
}

/* /dev/kmsg from its end: only what the kernel prints from now on. */
static void open_kmsg(struct kmemsnap_watcher *w)
{
	int err = kmemsnap_oom_parser_new(&w->oom);

	if (err == 0) {
		char path[PATH_BYTES];

		err = join(path, w->root, "/dev/kmsg", "") ? 0 : -ENAMETOOLONG;
		if (err == 0)
			w->kmsg_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (err == 0 && w->kmsg_fd < 0)
			err = -errno;
	}
	if (err == 0 && lseek(w->kmsg_fd, 0, SEEK_END) < 0)
		err = -errno;
	if (err == 0)
		err = watch_fd(w, w->kmsg_fd, EPOLLIN, TAG_KMSG, 0);
	if (err < 0) {
		setup_problem(w, "/dev/kmsg", err);
		close_fd(&w->kmsg_fd);
		return;
	}
	setup_done(w, "the kernel log's OOM reports (/dev/kmsg)");
}

/* The pmsg device and the compact recorder that fills it. The default
 * device missing is normal (no ramoops): no problem is reported. */
static void open_pmsg(struct kmemsnap_watcher *w,
		      const struct kmemsnap_watch_opts *o)
{
	const char *path = KS_OPT(o, pmsg_path, NULL);
	struct kmemsnap_recorder *rec = w->rec;
	int err;
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ro, .root = rec->root_label,
		      .cgroup = rec->cgroup, .slab_top_n = 16,
		      .process_top_n = 16, .max_vmalloc_callers = 64,
		      .max_kmemleak_groups = 8, .arena_bytes = 2u << 20,
		      .max_message_bytes = 512u << 10);

	w->pmsg_fd = open(path ? path : DEFAULT_PMSG_PATH,
			  O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
	if (w->pmsg_fd < 0) {
		if (path || errno != ENOENT)
			setup_problem(w, path ? path : DEFAULT_PMSG_PATH, -errno);
		return;
	}
	err = kmemsnap_recorder_new(&w->compact, &ro);
	if (err < 0) {
		setup_problem(w, "pmsg recorder", err);
		close_fd(&w->pmsg_fd);
		return;
	}
	setup_done(w, "pmsg mirror of OOM snapshots to %s (at most %u bytes)",
		   path ? path : DEFAULT_PMSG_PATH, w->pmsg_max_bytes);
}

static int copy_triggers(struct kmemsnap_watcher *w,
			 const struct kmemsnap_watch_opts *o)
{
	const char *const *list = KS_OPT(o, psi_triggers, NULL);
	size_t n = list ? KS_OPT(o, n_psi_triggers, 0) : 1;
	size_t i;

	if (KS_OPT(o, no_psi, 0))
		return 0;
	if (n == 0 || n > MAX_TRIGGERS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		const char *t = list ? list[i] : DEFAULT_TRIGGER;

		if (!t || strlen(t) >= TRIGGER_BYTES)
			return -EINVAL;
		memcpy(w->triggers[i], t, strlen(t) + 1);
	}
	w->n_triggers = n;
	return 0;
}

/* The recorder's root as a prefix for absolute paths. */
static int set_root(struct kmemsnap_watcher *w)
{
	const char *root = w->rec->root_label ? w->rec->root_label : "";
	size_t n = strlen(root);

	while (n && root[n - 1] == '/')
		n--;
	if (n >= sizeof(w->root))
		return -ENAMETOOLONG;
	memcpy(w->root, root, n);
	w->root[n] = '\0';
	return 0;
}

static int apply_opts(struct kmemsnap_watcher *w,
		      const struct kmemsnap_watch_opts *o, size_t *n_cgroups)
{
	w->rec = KS_OPT(o, recorder, NULL);
	w->store = KS_OPT(o, store, NULL);
	*n_cgroups = KS_OPT(o, cgroups, NULL) ? KS_OPT(o, n_cgroups, 0) : 0;
	w->burst = KS_OPT(o, burst, DEFAULT_BURST);
	w->min_gap_ms = KS_OPT(o, min_gap_ms, DEFAULT_MIN_GAP_MS);
	w->oom_grace_ms = KS_OPT(o, oom_grace_ms, DEFAULT_OOM_GRACE_MS);
	w->pmsg_max_bytes = KS_OPT(o, pmsg_max_bytes, DEFAULT_PMSG_MAX_BYTES);
	w->on_event = KS_OPT(o, on_event, NULL);
	w->on_setup = KS_OPT(o, on_setup, NULL);
	w->arg = KS_OPT(o, arg, NULL);
	if (!w->rec || !w->store || *n_cgroups > MAX_CGROUPS ||
	    KS_OPT(o, history_top_n, 0) > KS_HISTORY_TOP_MAX ||
	    KS_OPT(o, sample_ms, DEFAULT_SAMPLE_MS) < 100 ||
	    w->pmsg_max_bytes < 1024)
		return -EINVAL;
	return set_root(w) < 0 ? -EINVAL : copy_triggers(w, o);
}

static int start_history(struct kmemsnap_watcher *w,
			 const struct kmemsnap_watch_opts *o)
{
	uint32_t sample_ms = KS_OPT(o, sample_ms, DEFAULT_SAMPLE_MS);
	uint64_t history_ms =
		(uint64_t)KS_OPT(o, history_s, DEFAULT_HISTORY_S) * 1000;
	uint64_t cap = history_ms / sample_ms;
	int err;

	if (cap == 0)
		cap = 1;
	if (cap > KS_HISTORY_SAMPLES_MAX)
		cap = KS_HISTORY_SAMPLES_MAX;
	err = ks_history_init(&w->hist, w->rec->root_fd, w->rec->page_size,
			      (uint32_t)cap,
			      KS_OPT(o, history_top_n, DEFAULT_HISTORY_TOP_N),
			      sample_ms);
	if (err < 0)
		return err;
	w->sample_fd = new_timer(w, TAG_SAMPLE);
	if (w->sample_fd < 0)
		return w->sample_fd;
	ks_history_sample(&w->hist);
	arm(w->sample_fd, sample_ms, sample_ms);
	return 0;
}

static int start_timers(struct kmemsnap_watcher *w,
			const struct kmemsnap_watch_opts *o)
{
	uint32_t period = KS_OPT(o, period_s, DEFAULT_PERIOD_S);
	uint32_t baseline = KS_OPT(o, baseline_delay_s, DEFAULT_BASELINE_DELAY_S);

	w->grace_fd = new_timer(w, TAG_GRACE);
	if (w->grace_fd < 0)
		return w->grace_fd;
	if (period != KMEMSNAP_WATCH_NEVER) {
		w->period_fd = new_timer(w, TAG_PERIOD);
		if (w->period_fd < 0)
			return w->period_fd;
		arm(w->period_fd, (uint64_t)period * 1000,
		    (uint64_t)period * 1000);
		setup_done(w, "a periodic snapshot every %u s", period);
	}
	if (baseline != KMEMSNAP_WATCH_NEVER) {
		w->baseline_fd = new_timer(w, TAG_BASELINE);
		if (w->baseline_fd < 0)
			return w->baseline_fd;
		arm(w->baseline_fd, (uint64_t)baseline * 1000, 0);
		setup_done(w, "a baseline in %u s unless the store has one of "
			      "this boot", baseline);
	}
	return 0;
}

static int start_sources(struct kmemsnap_watcher *w,
			 const struct kmemsnap_watch_opts *o, size_t n_cgroups)
{
	const char *const *groups = KS_OPT(o, cgroups, NULL);
	char psi[PATH_BYTES];
	size_t i;

	w->psi_cap = w->n_triggers * (1 + n_cgroups);
	w->psi = calloc(w->psi_cap ? w->psi_cap : 1, sizeof(*w->psi));
	w->cg = calloc(n_cgroups ? n_cgroups : 1, sizeof(*w->cg));
	if (!w->psi || !w->cg)
		return -ENOMEM;
	if (w->n_triggers && join(psi, w->root, "/proc/pressure/memory", ""))
		add_psi(w, psi);
	for (i = 0; i < n_cgroups; i++) {
		if (!groups[i])
			return -EINVAL;
		add_cgroup(w, groups[i]);
	}
	if (!KS_OPT(o, no_kmsg, 0))
		open_kmsg(w);
	if (!KS_OPT(o, no_pmsg, 0))
		open_pmsg(w, o);
	return 0;
}

static bool has_sources(const struct kmemsnap_watcher *w)
{
	return w->n_psi || w->n_cg || w->kmsg_fd >= 0 || w->period_fd >= 0 ||
	       w->baseline_fd >= 0;
}

KMEMSNAP_API int kmemsnap_watcher_new(struct kmemsnap_watcher **out,
				      const struct kmemsnap_watch_opts *opts)
{
	struct kmemsnap_watcher *w;
	size_t n_cgroups = 0;
	int err;

	if (!out || !opts || !ks_opts_valid(opts, opts->sz, sizeof(*opts)))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->epfd = w->stop_fd = w->sample_fd = w->period_fd = -1;
	w->baseline_fd = w->grace_fd = w->kmsg_fd = -1;
	w->inotify_fd = w->pmsg_fd = -1;
	w->hist.proc_fd = -1;
	err = apply_opts(w, opts, &n_cgroups);
	if (err == 0) {
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		err = w->epfd < 0 || w->stop_fd < 0 ? -errno : 0;
	}
	if (err == 0)
		err = watch_fd(w, w->stop_fd, EPOLLIN, TAG_STOP, 0);
	if (err == 0)
		err = start_history(w, opts);
	if (err == 0)
		err = start_timers(w, opts);
	if (err == 0)
		err = start_sources(w, opts, n_cgroups);
	if (err == 0 && !has_sources(w))
		err = -ENOENT;
	if (err < 0) {
		kmemsnap_watcher_free(w);
		return err;
	}
	w->oom_bucket.level_ms = w->pressure_bucket.level_ms =
		(uint64_t)w->burst * w->min_gap_ms;
	w->oom_bucket.last_ns = w->pressure_bucket.last_ns =
		ks_now_ns(CLOCK_MONOTONIC);
	(void)mlock(w, sizeof(*w));
	*out = w;
	return 0;
}

KMEMSNAP_API void kmemsnap_watcher_free(struct kmemsnap_watcher *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->n_psi; i++)
		close_fd(&w->psi[i].fd);
	for (i = 0; i < w->n_cg; i++) {
		close_fd(&w->cg[i].fd);
		close_fd(&w->cg[i].efd);
	}
	close_fd(&w->epfd);
	close_fd(&w->stop_fd);
	close_fd(&w->sample_fd);
	close_fd(&w->period_fd);
	close_fd(&w->baseline_fd);
	close_fd(&w->grace_fd);
	close_fd(&w->kmsg_fd);
	close_fd(&w->inotify_fd);
	close_fd(&w->pmsg_fd);
	kmemsnap_recorder_free(w->compact);
	kmemsnap_oom_parser_free(w->oom);
	ks_history_free(&w->hist);
	free(w->psi);
	free(w->cg);
	munlock(w, sizeof(*w));
	free(w);
}
