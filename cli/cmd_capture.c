/* SPDX-License-Identifier: MIT */
/* kmemsnap capture: take a snapshot and write it to a file or to stdout. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"
#include "units.h"

static const char help[] =
	"usage: kmemsnap capture [-v] [-o FILE | --store DIR] [--root DIR]\n"
	"                        [--slab-top N] [--process-top N] [--trigger WHY]\n"
	"                        [--detail TEXT] [--kmsg | --kmsg-file FILE]\n"
	"                        [--cgroup PATH] [--kmemleak-scan]\n"
	"\n"
	"Takes a snapshot of this machine's memory and writes it to FILE, which is\n"
	"replaced atomically, into a store directory, or to standard output when\n"
	"that is not a terminal.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE    write to FILE (temporary file, fsync, rename)\n"
	"      --store DIR      write into the store DIR (created if missing) under\n"
	"                       a name that says when, in which boot and why, then\n"
	"                       apply its retention (docs/STORE.md; see kmemsnap ls)\n"
	"      --root DIR       read /proc and /sys below DIR instead of / (a copy\n"
	"                       of another machine's files, a test tree)\n"
	"      --slab-top N     slab caches kept in full, largest first\n"
	"                       (default 64; 0 keeps them all)\n"
	"      --process-top N  processes kept in full, highest OOM score first\n"
	"                       (default 32)\n"
	"      --trigger WHY    why the snapshot is taken: manual (default), timer,\n"
	"                       baseline, pressure, oom, crash, boot-collect\n"
	"      --detail TEXT    free text stored with the trigger (255 bytes kept)\n"
	"      --kmsg           embed the last complete OOM-killer report of the\n"
	"                       kernel log, read from /dev/kmsg\n"
	"      --kmsg-file FILE the same from a saved kernel log: dmesg, syslog,\n"
	"                       journalctl or /dev/kmsg text\n"
	"      --cgroup PATH    also record this memory cgroup (\"/system.slice/x\";\n"
	"                       v2 when mounted with the memory controller, else v1)\n"
	"      --kmemleak-scan  have kmemleak scan first (takes seconds) rather than\n"
	"                       reading the report of its last periodic scan\n"
	"  -v, --verbose        print the file, its size and the time taken to\n"
	"                       standard error\n"
	"  -h, --help           show this help\n";

enum {
	OPT_ROOT = 256,
	OPT_SLAB_TOP,
	OPT_PROCESS_TOP,
	OPT_TRIGGER,
	OPT_DETAIL,
	OPT_KMSG,
	OPT_KMSG_FILE,
	OPT_CGROUP,
	OPT_KMEMLEAK_SCAN,
	OPT_STORE,
};

struct capture_args {
	const char *output;
	const char *store;
	bool verbose;
	const char *kmsg; /* "/dev/kmsg" or a saved log, NULL: neither */
	bool kmsg_file;
	struct kmemsnap_recorder_opts rec;
	struct kmemsnap_capture_opts cap;
};

static bool parse_trigger(const char *prog, const char *word,
			  enum kmemsnap_trigger *out)
{
	const ProtobufCEnumDescriptor *d = &kmemsnap__v1__trigger__descriptor;
	int v = enum_from_word(d, word);
	unsigned i;

	if (v > 0) {
		*out = (enum kmemsnap_trigger)v;
		return true;
	}
	/* The schema's enum is the list: a new trigger needs no edit here. */
	fprintf(stderr, "%s: --trigger: '%s' is not one of:", prog, word);
	for (i = 0; i < d->n_values; i++)
		if (d->values[i].value > 0)
			fprintf(stderr, " %s",
				enum_word(d, d->values[i].value).s);
	fputc('\n', stderr);
	return false;
}

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct capture_args *a)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "slab-top", required_argument, NULL, OPT_SLAB_TOP },
		{ "process-top", required_argument, NULL, OPT_PROCESS_TOP },
		{ "trigger", required_argument, NULL, OPT_TRIGGER },
		{ "detail", required_argument, NULL, OPT_DETAIL },
		{ "kmsg", no_argument, NULL, OPT_KMSG },
		{ "kmsg-file", required_argument, NULL, OPT_KMSG_FILE },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "kmemleak-scan", no_argument, NULL, OPT_KMEMLEAK_SCAN },
		{ "store", required_argument, NULL, OPT_STORE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *prog = argv[0];
	uint32_t n;
	int c;

	while ((c = getopt_long(argc, argv, "o:vh", options, NULL)) != -1) {
		switch (c) {
		case 'o': a->output = optarg; break;
		case OPT_ROOT: a->rec.root = optarg; break;
		case OPT_SLAB_TOP:
			if (!cli_parse_u32(prog, "--slab-top", optarg, 0,
					   KMEMSNAP_KEEP_ALL - 1, &n))
				return CLI_USAGE;
			a->rec.slab_top_n = n ? n : KMEMSNAP_KEEP_ALL;
			break;
		case OPT_PROCESS_TOP:
			if (!cli_parse_u32(prog, "--process-top", optarg, 1,
					   KMEMSNAP_KEEP_ALL - 1,
					   &a->rec.process_top_n))
				return CLI_USAGE;
			break;
		case OPT_TRIGGER:
			if (!parse_trigger(prog, optarg, &a->cap.trigger))
				return cli_usage_error(prog, NULL);
			break;
		case OPT_DETAIL: a->cap.trigger_detail = optarg; break;
		case OPT_KMSG:
		case OPT_KMSG_FILE:
			if (a->kmsg)
				return cli_usage_error(prog, "give --kmsg or "
							     "--kmsg-file once");
			a->kmsg_file = c == OPT_KMSG_FILE;
			a->kmsg = a->kmsg_file ? optarg : "/dev/kmsg";
			break;
		case OPT_CGROUP: a->rec.cgroup = optarg; break;
		case OPT_KMEMLEAK_SCAN: a->rec.kmemleak_scan = 1; break;
		case OPT_STORE: a->store = optarg; break;
		case 'v': a->verbose = true; break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(prog, NULL);
		}
	}
	if (optind < argc)
		return cli_usage_error(prog, "unexpected argument '%s'",
				       argv[optind]);
	if (a->output && a->store)
		return cli_usage_error(prog, "give -o or --store, not both");
	/* A snapshot is binary: it would garble the terminal. */
	if (!a->output && !a->store && isatty(STDOUT_FILENO))
		return cli_usage_error(prog, "standard output is a terminal; "
					     "give -o FILE or redirect it");
	return -1;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* /dev/kmsg hands out one record per read(), oldest first
 * (Documentation/ABI/testing/dev-kmsg): EPIPE means records were
 * overwritten meanwhile, EAGAIN that none are left. */
static int feed_kmsg(struct kmemsnap_oom_parser *p)
{
	char rec[8192]; /* CONSOLE_EXT_LOG_MAX: the longest record */
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec));

		if (n > 0) {
			kmemsnap_oom_parser_feed(p, rec, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;
		if (n < 0 && errno != EAGAIN)
			err = -errno;
		break;
	}
	close(fd);
	return err;
}

static int feed_log_file(struct kmemsnap_oom_parser *p, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0)
		kmemsnap_oom_parser_feed(p, line, (size_t)n);
	err = ferror(f) ? -EIO : 0;
	free(line);
	fclose(f);
	return err;
}

/* Reads the kernel log named by --kmsg/--kmsg-file into a parser whose last
 * complete report the capture embeds. Returns 0 or -errno. */
static int read_oom_report(const struct capture_args *a,
			   struct kmemsnap_oom_parser **out)
{
	int err = kmemsnap_oom_parser_new(out);

	if (err < 0)
		return err;
	err = a->kmsg_file ? feed_log_file(*out, a->kmsg) : feed_kmsg(*out);
	if (err == 0 && a->verbose && !kmemsnap_oom_parser_last(*out, NULL))
		fprintf(stderr, "kmemsnap: %s: no complete OOM report\n",
			a->kmsg);
	return err;
}

/* Captures into the store; its path goes to stored (for -v). A retention
 * pass that could not complete leaves the snapshot stored: a warning. */
static int write_to_store(struct kmemsnap_recorder *rec,
			  const struct capture_args *a, char *stored,
			  size_t cap, long long *bytes)
{
	KMEMSNAP_OPTS(kmemsnap_store_opts, opts, .create = 1);
	char name[KMEMSNAP_STORE_NAME_MAX];
	struct kmemsnap_store *store;
	struct stat st;
	int err = kmemsnap_store_open(&store, a->store, &opts);

	*bytes = -1;
	if (err < 0)
		return err;
	err = kmemsnap_capture_to_store(rec, &a->cap, store, name, sizeof(name));
	kmemsnap_store_close(store);
	if (err < 0)
		return err;
	if (err > 0)
		cli_error(a->store, "snapshot stored, but the retention pass "
				    "did not complete");
	snprintf(stored, cap, "%s/%s", a->store, name);
	*bytes = stat(stored, &st) == 0 ? st.st_size : -1;
	return 0;
}

/* Captures to the file, or to stdout; *bytes is the blob's size when it
 * can be known (not for a pipe), else -1. */
static int write_snapshot(struct kmemsnap_recorder *rec,
			  const struct capture_args *a, long long *bytes)
{
	struct stat st;
	off_t before, after;
	int err;

	if (a->output) {
		err = kmemsnap_capture_to_file(rec, &a->cap, a->output);
		*bytes = err == 0 && stat(a->output, &st) == 0 ? st.st_size :
								 -1;
		return err;
	}
	before = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	err = kmemsnap_capture_to_fd(rec, &a->cap, STDOUT_FILENO);
	after = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	*bytes = before >= 0 && after >= before ? after - before : -1;
	return err;
}

int cmd_capture(int argc, char **argv)
{
	struct capture_args a = {
		.rec = { .sz = sizeof(a.rec) },
		.cap = { .sz = sizeof(a.cap) },
	};
	const char *dest;
	char stored[PATH_MAX + KMEMSNAP_STORE_NAME_MAX];
	struct kmemsnap_recorder *rec;
	struct kmemsnap_oom_parser *oom = NULL;
	uint64_t start, elapsed;
	long long bytes;
	int rc = parse_args(argc, argv, &a);
	int err;

	if (rc >= 0)
		return rc;
	dest = a.output ? a.output : a.store ? a.store : "<stdout>";
	if (a.kmsg) {
		err = read_oom_report(&a, &oom);
		if (err < 0) {
			cli_error(a.kmsg, "cannot read the kernel log: %s",
				  cli_strerror(err));
			kmemsnap_oom_parser_free(oom);
			return CLI_FAIL;
		}
		a.cap.oom_report = oom;
	}
	err = kmemsnap_recorder_new(&rec, &a.rec);
	if (err < 0) {
		cli_error(a.rec.root ? a.rec.root : "/",
			  "cannot prepare the capture: %s",
			  cli_strerror(err));
		kmemsnap_oom_parser_free(oom);
		return CLI_FAIL;
	}
	start = monotonic_ns();
	err = a.store ? write_to_store(rec, &a, stored, sizeof(stored), &bytes)
		      : write_snapshot(rec, &a, &bytes);
	elapsed = monotonic_ns() - start;
	kmemsnap_recorder_free(rec);
	kmemsnap_oom_parser_free(oom);
	if (err < 0) {
		cli_error(dest, "cannot write the snapshot: %s",
			  cli_strerror(err));
		return CLI_FAIL;
	}
	if (a.verbose) {
		fprintf(stderr, "kmemsnap: wrote %s", a.store ? stored : dest);
		if (bytes >= 0)
			fprintf(stderr, " (%s)",
				human_bytes((uint64_t)bytes).s);
		fprintf(stderr, " in %s\n", human_duration_ns(elapsed).s);
	}
	return CLI_OK;
}
