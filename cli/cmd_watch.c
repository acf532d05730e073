/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap watch: the watcher as a foreground daemon (docs/WATCH.md). It
 * logs to stderr, exits cleanly on SIGTERM or SIGINT, reopens its store on
 * SIGHUP, and tells systemd it is ready with --notify (Type=notify).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"
#include "units.h"

static const char help[] =
	"usage: kmemsnap watch --store DIR [--cgroup PATH]... [--psi TRIGGER]...\n"
	"                      [--no-psi] [--no-kmsg] [--period SECONDS]\n"
	"                      [--no-baseline] [options]\n"
	"\n"
	"Watches the kernel's memory events and files a snapshot in the store DIR\n"
	"when one fires: a PSI trigger, a watched cgroup's OOM (or max/high) event,\n"
	"an OOM kill in the kernel log; plus a periodic snapshot and a baseline of\n"
	"each boot. Event snapshots carry the samples of the minutes before them.\n"
	"Runs in the foreground and logs to standard error; SIGTERM or SIGINT stop\n"
	"it, SIGHUP reopens the store.\n"
	"\n"
	"Sources:\n"
	"      --psi TRIGGER     a PSI trigger on /proc/pressure/memory and on each\n"
	"                        v2 cgroup's memory.pressure, as \"some|full STALL_US\n"
	"                        WINDOW_US\" (repeatable, at most 8; default\n"
	"                        \"some 150000 2000000\"); windows must be multiples\n"
	"                        of 2 s without CAP_SYS_RESOURCE\n"
	"      --no-psi          no PSI triggers\n"
	"      --cgroup PATH     watch this memory cgroup (\"/system.slice/db\"):\n"
	"                        v2 memory.events and memory.pressure, else v1\n"
	"                        memory.oom_control (repeatable, at most 64). The\n"
	"                        first is also recorded in every snapshot\n"
	"      --no-kmsg         do not read the kernel log (/dev/kmsg)\n"
	"      --period SECONDS  periodic snapshots (default 600; 0: none)\n"
	"      --baseline-delay SECONDS\n"
	"                        when to take this boot's baseline if the store has\n"
	"                        no snapshot of it (1 or more; default 5)\n"
	"      --no-baseline     no baseline snapshot\n"
	"\n"
	"History and limits:\n"
	"      --sample-ms N     light samples every N ms (default 5000)\n"
	"      --history SECONDS samples kept for event snapshots (default 600)\n"
	"      --history-top N   largest processes per sample (1-16, default 5)\n"
	"      --burst N         event snapshots allowed at once (default 5)\n"
	"      --min-gap SECONDS one more allowed per this many seconds (default 30)\n"
	"      --oom-grace-ms N  how long a cgroup OOM event waits for the kernel\n"
	"                        log's report of it (default 500)\n"
	"\n"
	"pstore mirror:\n"
	"      --pmsg PATH       mirror OOM snapshots to PATH (default /dev/pmsg0,\n"
	"                        when it exists)\n"
	"      --pmsg-max-bytes N  bound of a mirrored snapshot (default 32K)\n"
	"      --no-pmsg         no mirror\n"
	"\n"
	"Store and process:\n"
	"      --store DIR       the store (created if missing; docs/STORE.md)\n"
	"      --max-bytes N     the store's byte budget (default 256M)\n"
	"      --max-files N     the store's count budget (default 2000); both\n"
	"                        are saved in the store for its other writers;\n"
	"                        without them, the saved budgets apply\n"
	"      --root DIR        read snapshots' /proc and /sys below DIR (tests)\n"
	"      --slab-top N      slab caches kept in full (default 64)\n"
	"      --process-top N   processes kept in full (default 32)\n"
	"      --oom-score-adj N the watcher's own oom_score_adj (default -900, so\n"
	"                        the kernel kills it last; needs CAP_SYS_RESOURCE)\n"
	"      --no-mlock        do not lock the watcher's memory (mlockall)\n"
	"      --notify          tell systemd when ready (Type=notify, through\n"
	"                        $NOTIFY_SOCKET)\n"
	"  -q, --quiet           log problems only, not each snapshot\n"
	"  -h, --help            show this help\n";

enum {
	OPT_STORE = 256,
	OPT_CGROUP,
	OPT_PSI,
	OPT_NO_PSI,
	OPT_NO_KMSG,
	OPT_PERIOD,
	OPT_BASELINE_DELAY,
	OPT_NO_BASELINE,
	OPT_SAMPLE_MS,
	OPT_HISTORY,
	OPT_HISTORY_TOP,
	OPT_BURST,
	OPT_MIN_GAP,
	OPT_OOM_GRACE,
	OPT_PMSG,
	OPT_PMSG_MAX,
	OPT_NO_PMSG,
	OPT_MAX_BYTES,
	OPT_MAX_FILES,
	OPT_ROOT,
	OPT_SLAB_TOP,
	OPT_PROCESS_TOP,
	OPT_OOM_SCORE_ADJ,
	OPT_NO_MLOCK,
	OPT_NOTIFY,
};

#define MAX_PSI 8
#define MAX_CGROUPS 64

struct watch_args {
	const char *store;
	const char *psi[MAX_PSI];
	const char *cgroups[MAX_CGROUPS];
	int oom_score_adj;
	bool no_mlock;
	bool notify;
	bool quiet;
	/* Events the rate limit dropped since the last snapshot: only the
	 * first is logged, a cgroup at memory.max can fire 100 a second. */
	unsigned long dropped;
	struct kmemsnap_recorder_opts rec;
	struct kmemsnap_store_opts store_opts;
	struct kmemsnap_watch_opts watch;
};

/* What the signal handlers asked for; both may arrive before one
 * dispatch (they share the watcher's stop eventfd), so each has its flag.
 * running is NULL outside serve(): a signal then only sets the flag. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;
static struct kmemsnap_watcher *volatile running;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	kmemsnap_watcher_stop(running);
}

static void on_hup(int sig)
{
	(void)sig;
	reopen_requested = 1;
	kmemsnap_watcher_stop(running);
}

/* --period: seconds, 0 for none. */
static bool parse_period(const char *prog, const char *arg, uint32_t *out)
{
	uint32_t v;

	if (!cli_parse_u32(prog, "--period", arg, 0, 100u * 24 * 3600, &v))
		return false;
	*out = v == 0 ? KMEMSNAP_WATCH_NEVER : v;
	return true;
}

static bool parse_adj(const char *prog, const char *arg, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < -1000 || v > 1000) {
		cli_usage_error(prog, "--oom-score-adj: '%s' is not a number "
				      "from -1000 to 1000", arg);
		return false;
	}
	*out = (int)v;
	return true;
}

static int parse_numeric(int c, const char *prog, struct watch_args *a)
{
	struct kmemsnap_watch_opts *w = &a->watch;
	uint32_t n;

	switch (c) {
	case OPT_PERIOD:
		return parse_period(prog, optarg, &w->period_s);
	case OPT_BASELINE_DELAY:
		return cli_parse_u32(prog, "--baseline-delay", optarg, 1, 24 * 3600,
				     &w->baseline_delay_s);
	case OPT_SAMPLE_MS:
		return cli_parse_u32(prog, "--sample-ms", optarg, 100,
				     3600 * 1000, &w->sample_ms);
	case OPT_HISTORY:
		return cli_parse_u32(prog, "--history", optarg, 1, 7 * 24 * 3600,
				     &w->history_s);
	case OPT_HISTORY_TOP:
		return cli_parse_u32(prog, "--history-top", optarg, 1, 16,
				     &w->history_top_n);
	case OPT_BURST:
		return cli_parse_u32(prog, "--burst", optarg, 1, 1000, &w->burst);
	case OPT_MIN_GAP:
		if (!cli_parse_u32(prog, "--min-gap", optarg, 0, 24 * 3600, &n))
			return false;
		/* 0 would read as "default": 1 ms is no gap at all. */
		w->min_gap_ms = n ? n * 1000 : 1;
		return true;
	case OPT_OOM_GRACE:
		return cli_parse_u32(prog, "--oom-grace-ms", optarg, 1, 60000,
				     &w->oom_grace_ms);
	case OPT_PMSG_MAX:
		return cli_parse_u32(prog, "--pmsg-max-bytes", optarg, 1024,
				     16u << 20, &w->pmsg_max_bytes);
	case OPT_MAX_FILES:
		return cli_parse_u32(prog, "--max-files", optarg, 1, 1000000,
				     &a->store_opts.max_files);
	case OPT_MAX_BYTES:
		return cli_parse_bytes(prog, "--max-bytes", optarg,
				       &a->store_opts.max_bytes);
	case OPT_SLAB_TOP:
		if (!cli_parse_u32(prog, "--slab-top", optarg, 0,
				   KMEMSNAP_KEEP_ALL - 1, &n))
			return false;
		a->rec.slab_top_n = n ? n : KMEMSNAP_KEEP_ALL;
		return true;
	case OPT_PROCESS_TOP:
		return cli_parse_u32(prog, "--process-top", optarg, 1,
				     KMEMSNAP_KEEP_ALL - 1, &a->rec.process_top_n);
	case OPT_OOM_SCORE_ADJ:
		return parse_adj(prog, optarg, &a->oom_score_adj);
	}
	return false;
}

static int add_listed(const char *prog, const char *opt, const char **list,
		      size_t *n, size_t cap)
{
	if (*n == cap)
		return cli_usage_error(prog, "%s: at most %zu", opt, cap);
	list[(*n)++] = optarg;
	return -1;
}

static int parse_args(int argc, char **argv, struct watch_args *a)
{
	static const struct option options[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "psi", required_argument, NULL, OPT_PSI },
		{ "no-psi", no_argument, NULL, OPT_NO_PSI },
		{ "no-kmsg", no_argument, NULL, OPT_NO_KMSG },
		{ "period", required_argument, NULL, OPT_PERIOD },
		{ "baseline-delay", required_argument, NULL, OPT_BASELINE_DELAY },
		{ "no-baseline", no_argument, NULL, OPT_NO_BASELINE },
		{ "sample-ms", required_argument, NULL, OPT_SAMPLE_MS },
		{ "history", required_argument, NULL, OPT_HISTORY },
		{ "history-top", required_argument, NULL, OPT_HISTORY_TOP },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "min-gap", required_argument, NULL, OPT_MIN_GAP },
		{ "oom-grace-ms", required_argument, NULL, OPT_OOM_GRACE },
		{ "pmsg", required_argument, NULL, OPT_PMSG },
		{ "pmsg-max-bytes", required_argument, NULL, OPT_PMSG_MAX },
		{ "no-pmsg", no_argument, NULL, OPT_NO_PMSG },
		{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
		{ "max-files", required_argument, NULL, OPT_MAX_FILES },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "slab-top", required_argument, NULL, OPT_SLAB_TOP },
		{ "process-top", required_argument, NULL, OPT_PROCESS_TOP },
		{ "oom-score-adj", required_argument, NULL, OPT_OOM_SCORE_ADJ },
		{ "no-mlock", no_argument, NULL, OPT_NO_MLOCK },
		{ "notify", no_argument, NULL, OPT_NOTIFY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct kmemsnap_watch_opts *w = &a->watch;
	const char *prog = argv[0];
	int c, rc;

	while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
		rc = -1;
		switch (c) {
		case OPT_STORE: a->store = optarg; break;
		case OPT_CGROUP:
			rc = add_listed(prog, "--cgroup", a->cgroups,
					&w->n_cgroups, MAX_CGROUPS);
			break;
		case OPT_PSI:
			rc = add_listed(prog, "--psi", a->psi,
					&w->n_psi_triggers, MAX_PSI);
			break;
		case OPT_NO_PSI: w->no_psi = 1; break;
		case OPT_NO_KMSG: w->no_kmsg = 1; break;
		case OPT_NO_BASELINE: w->baseline_delay_s = KMEMSNAP_WATCH_NEVER; break;
		case OPT_PMSG: w->pmsg_path = optarg; break;
		case OPT_NO_PMSG: w->no_pmsg = 1; break;
		case OPT_ROOT: a->rec.root = optarg; break;
		case OPT_NO_MLOCK: a->no_mlock = true; break;
		case OPT_NOTIFY: a->notify = true; break;
		case 'q': a->quiet = true; break;
		case 'h': return cli_help(help);
		case '?': return cli_usage_error(prog, NULL);
		default:
			if (!parse_numeric(c, prog, a))
				return CLI_USAGE;
		}
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error(prog, "unexpected argument '%s'",
				       argv[optind]);
	if (!a->store)
		return cli_usage_error(prog, "--store DIR is required");
	if (w->no_psi && w->n_psi_triggers)
		return cli_usage_error(prog, "give --psi or --no-psi, not both");
	if (w->n_psi_triggers)
		w->psi_triggers = a->psi;
	if (w->n_cgroups) {
		w->cgroups = a->cgroups;
		a->rec.cgroup = a->cgroups[0];
	}
	return -1;
}

/* ---- the daemon's own standing ------------------------------------------- */

/* A low oom_score_adj, so that the kernel kills the recorder last. Going
 * below the current value needs CAP_SYS_RESOURCE (fs/proc/base.c:
 * __set_oom_adj); without it the watcher runs at its inherited value. */
static void set_oom_score_adj(int adj)
{
	char text[16], now[16] = "";
	int len = snprintf(text, sizeof(text), "%d", adj);
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, now, sizeof(now) - 1);

	/* Already set (systemd's OOMScoreAdjust=): nothing to ask for. */
	if (n > 0 && atoi(now) == adj) {
		close(fd);
		return;
	}
	if (fd < 0 || write(fd, text, (size_t)len) != len)
		cli_error("/proc/self/oom_score_adj",
			  "cannot set %d: %s (needs CAP_SYS_RESOURCE); the "
			  "kernel may kill the watcher before the process that "
			  "runs the host out of memory", adj, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Locks what is mapped now and later, so the watcher is not paged out
 * (and stalls) exactly when memory runs out. */
static void lock_memory(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		cli_error("mlockall", "cannot lock the watcher's memory: %s; it "
				      "may stall under memory pressure",
			  strerror(errno));
}

/* sd_notify(3)'s protocol without libsystemd: one datagram to the socket
 * named by $NOTIFY_SOCKET ('@' for the abstract namespace). */
static int notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = path ? strlen(path) : 0;
	int fd, err = 0;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(addr.sun_path))
		return -EINVAL;
	memcpy(addr.sun_path, path, len);
	if (addr.sun_path[0] == '@')
		addr.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), 0, (struct sockaddr *)&addr,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* ---- logging --------------------------------------------------------------- */

static void log_event(const struct kmemsnap_watch_event *ev, void *arg)
{
	struct watch_args *a = arg;
	struct human word = enum_word(&kmemsnap__v1__trigger__descriptor,
				      (int)ev->trigger);
	const char *trigger = word.s;

	if (ev->result == -EAGAIN) {
		if (a->dropped++ == 0 && !a->quiet)
			fprintf(stderr, "kmemsnap watch: %s event dropped by "
					"the rate limit: %s (more drops are "
					"counted until the next snapshot)\n",
				trigger, ev->detail);
		return;
	}
	if (ev->result == -EALREADY) {
		if (!a->quiet)
			fprintf(stderr, "kmemsnap watch: %s event folded into "
					"the last snapshot: %s\n",
				trigger, ev->detail);
		return;
	}
	if (ev->result < 0) {
		cli_error(a->store, "cannot store the %s snapshot: %s (%s)",
			  trigger, cli_strerror(ev->result), ev->detail);
		return;
	}
	if (a->dropped > 1 && !a->quiet)
		fprintf(stderr, "kmemsnap watch: %lu events were dropped by the "
				"rate limit before this snapshot\n", a->dropped);
	a->dropped = 0;
	if (ev->result > 0)
		cli_error(a->store, "snapshot stored, but the retention pass "
				    "did not complete");
	if (!a->quiet)
		fprintf(stderr, "kmemsnap watch: %s: stored %s in %llu ms: %s\n",
			trigger, ev->name,
			(unsigned long long)(ev->capture_ns / 1000000),
			ev->detail);
	if (ev->pmsg_result == 0 && !a->quiet)
		fprintf(stderr, "kmemsnap watch: mirrored to pmsg (%zu bytes)\n",
			ev->pmsg_bytes);
	else if (ev->pmsg_result < 0 && ev->pmsg_result != -ENOENT)
		cli_error(a->watch.pmsg_path ? a->watch.pmsg_path : "/dev/pmsg0",
			  "cannot mirror the snapshot: %s",
			  cli_strerror(ev->pmsg_result));
}

static void log_setup(const char *what, int err, void *arg)
{
	const struct watch_args *a = arg;

	if (err == 0) {
		if (!a->quiet)
			fprintf(stderr, "kmemsnap watch: watching %s\n", what);
		return;
	}
	if (err == -ENODEV)
		cli_error(what, "no longer watched: its cgroup was removed");
	else if (err == -EOPNOTSUPP && strstr(what, "pressure"))
		cli_error(what, "not the kernel's PSI file (a copy below "
				"--root?): no trigger set");
	else if (err == -EINVAL && strstr(what, "pressure"))
		cli_error(what, "cannot add the PSI trigger: %s (without "
				"CAP_SYS_RESOURCE the window must be a multiple "
				"of 2 s)", cli_strerror(err));
	else
		cli_error(what, "cannot watch: %s", cli_strerror(err));
}

/* ---- running ------------------------------------------------------------- */

static void install_signals(void)
{
	struct sigaction stop = { .sa_handler = on_stop_signal };
	struct sigaction hup = { .sa_handler = on_hup };

	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGHUP, &hup, NULL);
}

/* Runs until a stop signal; SIGHUP swaps in a freshly opened store. */
static int serve(struct watch_args *a, struct kmemsnap_store **store)
{
	struct kmemsnap_store *fresh;
	int err;

	while (!stop_requested) {
		err = kmemsnap_watcher_run(running);
		if (err < 0 || stop_requested || !reopen_requested)
			return err;
		reopen_requested = 0;
		err = kmemsnap_store_open(&fresh, a->store, &a->store_opts);
		if (err < 0) {
			cli_error(a->store, "cannot reopen the store: %s; "
					    "keeping the old one",
				  cli_strerror(err));
			continue;
		}
		kmemsnap_watcher_set_store(running, fresh);
		kmemsnap_store_close(*store);
		*store = fresh;
		if (!a->quiet)
			fprintf(stderr, "kmemsnap watch: reopened %s\n", a->store);
	}
	return 0;
}

static int start(struct watch_args *a, struct kmemsnap_recorder **rec,
		 struct kmemsnap_store **store, struct kmemsnap_watcher **w)
{
	int err = kmemsnap_recorder_new(rec, &a->rec);

	if (err < 0) {
		cli_error(a->rec.root ? a->rec.root : "/",
			  "cannot prepare the capture: %s", cli_strerror(err));
		return err;
	}
	err = kmemsnap_store_open(store, a->store, &a->store_opts);
	if (err < 0) {
		cli_error(a->store, "cannot open the store: %s",
			  cli_strerror(err));
		return err;
	}
	a->watch.recorder = *rec;
	a->watch.store = *store;
	err = kmemsnap_watcher_new(w, &a->watch);
	if (err < 0)
		cli_error(a->store, "cannot start watching: %s%s",
			  cli_strerror(err),
			  err == -ENOENT ? " (no source could be set up)" : "");
	return err;
}

int cmd_watch(int argc, char **argv)
{
	struct watch_args a = {
		.oom_score_adj = -900,
		.rec = { .sz = sizeof(a.rec) },
		.store_opts = { .sz = sizeof(a.store_opts), .create = 1 },
		.watch = { .sz = sizeof(a.watch) },
	};
	struct kmemsnap_recorder *rec = NULL;
	struct kmemsnap_store *store = NULL;
	struct kmemsnap_watcher *w = NULL;
	int rc = parse_args(argc, argv, &a);
	sigset_t ours, old;
	int err;

	if (rc >= 0)
		return rc;
	a.watch.on_event = log_event;
	a.watch.on_setup = log_setup;
	a.watch.arg = &a;
	/* From here a stop signal ends the daemon cleanly, even during
	 * set-up (serve() then returns at once). */
	install_signals();
	set_oom_score_adj(a.oom_score_adj);
	err = start(&a, &rec, &store, &w);
	/* After set-up: everything is mapped by now, and MCL_FUTURE cannot
	 * make set-up's own mappings fail against RLIMIT_MEMLOCK. */
	if (err == 0 && !a.no_mlock)
		lock_memory();
	if (err == 0) {
		running = w;
		/* Signals during set-up only set their flags: act on them. */
		if (stop_requested || reopen_requested)
			kmemsnap_watcher_stop(w);
		if (!a.quiet)
			fprintf(stderr, "kmemsnap watch: ready; snapshots go "
					"to %s\n", a.store);
		if (a.notify && notify_systemd("READY=1") < 0)
			cli_error("$NOTIFY_SOCKET", "cannot notify systemd");
		err = serve(&a, &store);
		if (a.notify)
			notify_systemd("STOPPING=1");
		if (err < 0)
			cli_error(a.store, "watching failed: %s", cli_strerror(err));
	}
	/* No handler may reach the watcher while it is freed. */
	sigemptyset(&ours);
	sigaddset(&ours, SIGTERM);
	sigaddset(&ours, SIGINT);
	sigaddset(&ours, SIGHUP);
	sigprocmask(SIG_BLOCK, &ours, &old);
	running = NULL;
	kmemsnap_watcher_free(w);
	sigprocmask(SIG_SETMASK, &old, NULL);
	kmemsnap_store_close(store);
	kmemsnap_recorder_free(rec);
	return err < 0 ? CLI_FAIL : CLI_OK;
}
