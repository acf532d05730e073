/* SPDX-License-Identifier: MIT */
/*
 * A supervisor that runs a command in a memory cgroup of its own and keeps
 * a black box of it: libkmemsnap's watcher, in the supervisor's own poll()
 * loop, files a snapshot in a store when the command's cgroup runs out of
 * memory (and on memory pressure), with the kernel's OOM report in it.
 *
 *   supervisor --store DIR [--limit-mb N] [--name NAME] -- COMMAND [ARG...]
 *
 * The cgroup is made below the supervisor's own: cgroup v2 when the
 * memory controller can be enabled there, else the v1 memory hierarchy,
 * where libkmemsnap looks for them (/sys/fs/cgroup or
 * /sys/fs/cgroup/unified, else /sys/fs/cgroup/memory). The limit (v2
 * memory.max, v1 memory.limit_in_bytes, swap included) makes the command
 * the kernel's only choice when it outgrows it. Each watcher event is
 * logged to standard error; at the end the supervisor says how the command
 * ended and whether a snapshot with trigger oom was stored, removes the
 * cgroup and exits with the command's status (128 + signal when it was
 * killed).
 *
 * A supervisor running as a systemd service needs Delegate=yes to create
 * cgroups below its own. Under cgroup v2 the memory controller can only be
 * handed down from a cgroup without processes of its own (the "no internal
 * processes" rule), so run it from a cgroup where it can, or on v1.
 *
 * Build against an installed library with
 *   cc supervisor.c $(pkg-config --cflags --libs kmemsnap)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strsignal, signalfd */
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmemsnap/kmemsnap.h>

#define PROG "supervisor"

/* After the command was SIGKILLed (what the OOM killer sends), the watcher
 * gets this long to file the OOM snapshot: an OOM seen through the cgroup
 * waits up to oom_grace_ms (500 ms by default) for the kernel log's report
 * before it captures. */
#define LINGER_MS 3000

struct cgroup {
	int version;
	char dir[PATH_MAX];      /* the directory we made */
	char rel[PATH_MAX];      /* the same below the mount, for libkmemsnap */
};

struct state {
	pid_t child;
	bool child_done;
	int child_status;
	char oom_name[KMEMSNAP_STORE_NAME_MAX]; /* stored OOM snapshot */
};

static int usage(void)
{
	fprintf(stderr, "usage: " PROG " --store DIR [--limit-mb N] "
			"[--name NAME] -- COMMAND [ARG...]\n");
	return 2;
}

/* ---- cgroup files -------------------------------------------------------- */

/* out = a b c; false when it does not fit. */
static bool join(char *out, size_t cap, const char *a, const char *b,
		 const char *c)
{
	int n = snprintf(out, cap, "%s%s%s", a, b, c);

	return n >= 0 && (size_t)n < cap;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err = 0;

	if (!join(path, sizeof(path), dir, "/", name))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Whether the whitespace-separated list in dir/name has word. */
static bool file_lists(const char *dir, const char *name, const char *word)
{
	char path[PATH_MAX], buf[1024], *tok, *save;
	size_t n;
	FILE *f;

	if (!join(path, sizeof(path), dir, "/", name))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (strcmp(tok, word) == 0)
			return true;
	return false;
}

/* This process's cgroup in one hierarchy, from /proc/self/cgroup
 * (kernel/cgroup/cgroup.c: proc_cgroup_show): the v2 line "0::/path" or
 * the v1 line whose controllers include "memory". "/" comes out as "". */
static bool own_cgroup(int version, char *out, size_t cap)
{
	char line[PATH_MAX + 64];
	bool found = false;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *path, *c, *save;

		if (!ctrl || !(path = strchr(ctrl + 1, ':')))
			continue;
		*ctrl++ = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (version == 2)
			found = strcmp(line, "0") == 0 && *ctrl == '\0';
		else
			for (c = strtok_r(ctrl, ",", &save); c && !found;
			     c = strtok_r(NULL, ",", &save))
				found = strcmp(c, "memory") == 0;
		if (found && snprintf(out, cap, "%s",
				      strcmp(path, "/") ? path : "") >= (int)cap)
			found = false;
	}
	fclose(f);
	return found;
}

/* cgroup v2: the memory controller must be available in our own cgroup and
 * enabled for its children. */
static bool setup_v2(struct cgroup *cg, const char *mount, const char *name)
{
	char own[PATH_MAX], own_dir[PATH_MAX];

	if (!file_lists(mount, "cgroup.controllers", "memory") ||
	    !own_cgroup(2, own, sizeof(own)))
		return false;
	if (!join(own_dir, sizeof(own_dir), mount, own, "") ||
	    !file_lists(own_dir, "cgroup.controllers", "memory"))
		return false;
	if (!file_lists(own_dir, "cgroup.subtree_control", "memory")) {
		int err = write_file(own_dir, "cgroup.subtree_control",
				     "+memory");

		if (err < 0) {
			/* EBUSY: this cgroup holds processes itself. */
			fprintf(stderr, PROG ": %s: cannot enable the memory "
					"controller for child cgroups: %s\n",
				own_dir, strerror(-err));
			return false;
		}
	}
	cg->version = 2;
	return join(cg->rel, sizeof(cg->rel), own, "/", name) &&
	       join(cg->dir, sizeof(cg->dir), mount, cg->rel, "");
}

static bool setup_v1(struct cgroup *cg, const char *name)
{
	static const char mount[] = "/sys/fs/cgroup/memory";
	char own[PATH_MAX];

	if (access(mount, W_OK) < 0 || !own_cgroup(1, own, sizeof(own)))
		return false;
	cg->version = 1;
	return join(cg->rel, sizeof(cg->rel), own, "/", name) &&
	       join(cg->dir, sizeof(cg->dir), mount, cg->rel, "");
}

/* Writes the limit; the swap limit too, so that the command is OOM-killed
 * rather than pushed into swap. */
static int set_limit(const struct cgroup *cg, uint64_t bytes)
{
	char text[32];
	int err;

	snprintf(text, sizeof(text), "%" PRIu64, bytes);
	if (cg->version == 2) {
		err = write_file(cg->dir, "memory.max", text);
		if (err == 0)
			err = write_file(cg->dir, "memory.swap.max", "0");
	} else {
		/* v1 refuses a memsw limit below the memory limit. */
		err = write_file(cg->dir, "memory.limit_in_bytes", text);
		if (err == 0)
			err = write_file(cg->dir, "memory.memsw.limit_in_bytes",
					 text);
	}
	/* No swap accounting: no swap file to limit. */
	return err == -ENOENT ? 0 : err;
}

static int make_cgroup(struct cgroup *cg, const char *name, uint64_t limit)
{
	static const char *const v2_mounts[] = { "/sys/fs/cgroup",
						 "/sys/fs/cgroup/unified" };
	bool ok = false;
	size_t i;
	int err;

	for (i = 0; i < sizeof(v2_mounts) / sizeof(v2_mounts[0]) && !ok; i++)
		ok = setup_v2(cg, v2_mounts[i], name);
	if (!ok)
		ok = setup_v1(cg, name);
	if (!ok) {
		fprintf(stderr, PROG ": no memory cgroup can be made below this "
				"process's own (cgroup v2 memory controller or "
				"v1 memory hierarchy)\n");
		return -ENOENT;
	}
	if (mkdir(cg->dir, 0755) < 0) {
		err = -errno;
		fprintf(stderr, PROG ": %s: %s\n", cg->dir, strerror(-err));
		return err;
	}
	if (limit) {
		err = set_limit(cg, limit);
		if (err < 0) {
			fprintf(stderr, PROG ": %s: cannot set the limit: %s\n",
				cg->dir, strerror(-err));
			rmdir(cg->dir);
			return err;
		}
	}
	return 0;
}

/* The kernel takes a dead task out of its cgroup asynchronously: rmdir
 * can fail with EBUSY for a moment after the last one exited. */
static void remove_cgroup(const struct cgroup *cg)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	int i;

	for (i = 0; i < 30; i++) {
		if (rmdir(cg->dir) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, PROG ": %s: cannot remove: %s\n", cg->dir,
		strerror(errno));
}

/* ---- the command --------------------------------------------------------- */

/* Forks the command; the child moves itself into the cgroup before it
 * executes anything, so every byte it allocates is charged there. */
static pid_t start_child(const struct cgroup *cg, char **argv,
			 const sigset_t *old_mask)
{
	char path[PATH_MAX], pid_text[24];
	int procs, len;
	pid_t pid;

	procs = join(path, sizeof(path), cg->dir, "/cgroup.procs", "") ?
			open(path, O_WRONLY | O_CLOEXEC) : -1;
	if (procs < 0) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		len = snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
		if (write(procs, pid_text, (size_t)len) != len) {
			perror(PROG ": joining the cgroup");
			_exit(127);
		}
		sigprocmask(SIG_SETMASK, old_mask, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, PROG ": %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		perror(PROG ": fork");
	close(procs);
	return pid;
}

/* ---- the watcher's callbacks --------------------------------------------- */

static const char *source_name(enum kmemsnap_watch_source s)
{
	switch (s) {
	case KMEMSNAP_WATCH_PSI: return "psi";
	case KMEMSNAP_WATCH_MEMORY_EVENTS: return "memory.events";
	case KMEMSNAP_WATCH_OOM_CONTROL: return "memory.oom_control";
	case KMEMSNAP_WATCH_KMSG: return "kmsg";
	case KMEMSNAP_WATCH_TIMER: return "timer";
	case KMEMSNAP_WATCH_BASELINE: return "baseline";
	}
	return "unknown";
}

static const char *trigger_name(enum kmemsnap_trigger t)
{
	switch (t) {
	case KMEMSNAP_TRIGGER_MANUAL: return "manual";
	case KMEMSNAP_TRIGGER_TIMER: return "timer";
	case KMEMSNAP_TRIGGER_BASELINE: return "baseline";
	case KMEMSNAP_TRIGGER_PRESSURE: return "pressure";
	case KMEMSNAP_TRIGGER_OOM: return "oom";
	case KMEMSNAP_TRIGGER_CRASH: return "crash";
	case KMEMSNAP_TRIGGER_BOOT_COLLECT: return "boot-collect";
	}
	return "unknown";
}

static void on_event(const struct kmemsnap_watch_event *ev, void *arg)
{
	struct state *s = arg;
	bool stored = ev->result == 0 || ev->result == 1;

	fprintf(stderr, PROG ": event: %s, trigger %s: %s: ",
		source_name(ev->source), trigger_name(ev->trigger),
		ev->detail ? ev->detail : "");
	if (stored)
		fprintf(stderr, "stored %s%s\n", ev->name,
			ev->result == 1 ? " (retention pass incomplete)" : "");
	else if (ev->result == -EAGAIN)
		fprintf(stderr, "dropped by the rate limit\n");
	else if (ev->result == -EALREADY)
		fprintf(stderr, "folded into the previous snapshot\n");
	else
		fprintf(stderr, "not stored: %s\n",
			kmemsnap_strerror(ev->result));
	if (stored && ev->trigger == KMEMSNAP_TRIGGER_OOM && ev->name)
		snprintf(s->oom_name, sizeof(s->oom_name), "%s", ev->name);
}

static void on_setup(const char *what, int err, void *arg)
{
	(void)arg;
	if (err == 0)
		fprintf(stderr, PROG ": watching %s\n", what);
	else
		fprintf(stderr, PROG ": %s: not watched: %s\n", what,
			kmemsnap_strerror(err));
}

/* ---- the loop ------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sfd, struct state *s)
{
	struct signalfd_siginfo si;
	int status;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			/* SIGTERM, SIGINT: pass them on; the command's
			 * exit ends the loop. */
			if (!s->child_done)
				kill(s->child, (int)si.ssi_signo);
			continue;
		}
		/* Signals coalesce: one SIGCHLD may stand for several. */
		if (!s->child_done && waitpid(s->child, &status, WNOHANG) ==
					      s->child) {
			s->child_done = true;
			s->child_status = status;
		}
	}
}

/* Polls the watcher's fd next to the signalfd until the command has ended
 * and, when it was killed, a little longer, until its OOM snapshot is
 * stored. */
static int run(struct kmemsnap_watcher *w, int sfd, struct state *s)
{
	struct pollfd fds[2] = {
		{ .fd = kmemsnap_watcher_fd(w), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	int64_t deadline = -1;
	int n, err;

	for (;;) {
		int timeout = -1;

		if (s->child_done) {
			if (!WIFSIGNALED(s->child_status) ||
			    WTERMSIG(s->child_status) != SIGKILL)
				return 0;
			if (deadline < 0)
				deadline = now_ms() + LINGER_MS;
			if (s->oom_name[0] || now_ms() >= deadline)
				return 0;
			timeout = (int)(deadline - now_ms());
		}
		n = poll(fds, 2, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror(PROG ": poll");
			return -errno;
		}
		if (fds[0].revents & POLLIN) {
			err = kmemsnap_watcher_dispatch(w, 0);
			if (err < 0 && err != -EINTR)
				fprintf(stderr, PROG ": watcher: %s\n",
					kmemsnap_strerror(err));
		}
		if (fds[1].revents & POLLIN)
			on_signal(sfd, s);
	}
}

/* ---- main ---------------------------------------------------------------- */

struct args {
	const char *store;
	const char *name;
	uint64_t limit;
	char **command;
};

static bool parse_args(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "store", required_argument, NULL, 's' },
		{ "limit-mb", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	unsigned long long mb;
	char *end;
	int c;

	/* "+": stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case 's': a->store = optarg; break;
		case 'n': a->name = optarg; break;
		case 'l':
			errno = 0;
			mb = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || mb > (1ull << 40))
				return false;
			a->limit = (uint64_t)mb << 20;
			break;
		default: return false;
		}
	}
	a->command = argv + optind;
	return a->store && optind < argc && !strchr(a->name ? a->name : "", '/');
}

/* Blocks the signals the loop reads from a signalfd; *old gets the mask the
 * command is started with. */
static int signal_fd(sigset_t *old)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, old) < 0)
		return -1;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		perror(PROG ": signalfd");
	return fd;
}

static int report(const struct state *s, const char *store)
{
	int st = s->child_status, code;

	if (WIFSIGNALED(st)) {
		code = 128 + WTERMSIG(st);
		fprintf(stderr, PROG ": pid %d was killed by signal %d (%s)\n",
			(int)s->child, WTERMSIG(st), strsignal(WTERMSIG(st)));
	} else {
		code = WEXITSTATUS(st);
		fprintf(stderr, PROG ": pid %d exited with status %d\n",
			(int)s->child, code);
	}
	if (s->oom_name[0])
		fprintf(stderr, PROG ": OOM snapshot stored: %s/%s\n", store,
			s->oom_name);
	else
		fprintf(stderr, PROG ": no OOM snapshot was stored\n");
	return code;
}

/* Creates the recorder (recording the command's cgroup), the store and
 * the watcher of that cgroup, before the command runs: the watcher reads
 * the kernel log from "now" on. */
static int start_watching(const struct args *a, const struct cgroup *cg,
			  struct state *s, struct kmemsnap_recorder **rec,
			  struct kmemsnap_store **store,
			  struct kmemsnap_watcher **w)
{
	const char *groups[1] = { cg->rel };
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts, .cgroup = cg->rel);
	KMEMSNAP_OPTS(kmemsnap_store_opts, sopts, .create = 1);
	/* No periodic or baseline snapshots: the host's kmemsnap watch takes
	 * those; this one records what happens to the command. The strings
	 * are copied by kmemsnap_watcher_new(). */
	KMEMSNAP_OPTS(kmemsnap_watch_opts, wopts, .cgroups = groups,
		      .n_cgroups = 1, .period_s = KMEMSNAP_WATCH_NEVER,
		      .baseline_delay_s = KMEMSNAP_WATCH_NEVER,
		      .on_event = on_event, .on_setup = on_setup, .arg = s);
	int err = kmemsnap_recorder_new(rec, &ropts);

	if (err == 0)
		err = kmemsnap_store_open(store, a->store, &sopts);
	if (err == 0) {
		wopts.recorder = *rec;
		wopts.store = *store;
		err = kmemsnap_watcher_new(w, &wopts);
	}
	if (err < 0)
		fprintf(stderr, PROG ": %s: cannot set up the watcher: %s\n",
			a->store, kmemsnap_strerror(err));
	return err;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct state s = { 0 };
	struct cgroup cg = { 0 };
	struct kmemsnap_recorder *rec = NULL;
	struct kmemsnap_store *store = NULL;
	struct kmemsnap_watcher *w = NULL;
	char name[64];
	sigset_t old_mask;
	int sfd = -1, code = 1;

	if (!parse_args(argc, argv, &a))
		return usage();
	if (!a.name) {
		snprintf(name, sizeof(name), "kmemsnap-supervisor.%d",
			 (int)getpid());
		a.name = name;
	}
	if (make_cgroup(&cg, a.name, a.limit) < 0)
		return 1;
	fprintf(stderr, PROG ": cgroup v%d %s\n", cg.version, cg.dir);

	if (start_watching(&a, &cg, &s, &rec, &store, &w) < 0)
		goto out;
	sfd = signal_fd(&old_mask);
	if (sfd < 0)
		goto out;
	s.child = start_child(&cg, a.command, &old_mask);
	if (s.child < 0)
		goto out;
	if (run(w, sfd, &s) == 0)
		code = report(&s, a.store);
out:
	if (s.child > 0 && !s.child_done) {
		kill(s.child, SIGKILL);
		waitpid(s.child, NULL, 0);
	}
	if (sfd >= 0)
		close(sfd);
	kmemsnap_watcher_free(w);
	kmemsnap_store_close(store);
	kmemsnap_recorder_free(rec);
	remove_cgroup(&cg);
	return code;
}
