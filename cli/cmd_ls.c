/* SPDX-License-Identifier: MIT */
/* kmemsnap ls: the snapshots of a store directory (docs/STORE.md). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "figures.h"
#include "json.h"
#include "snapfile.h"
#include "units.h"

#define DEFAULT_STORE "/var/lib/kmemsnap"
#define NS_PER_MS 1000000u

static const char help[] =
	"usage: kmemsnap ls [--json [--compact]] [--color=WHEN] [DIR]\n"
	"\n"
	"Lists the snapshots in a store directory (default " DEFAULT_STORE
	"),\n"
	"oldest first: when each was taken (UTC), in which boot, why,\n"
	"MemAvailable, unreclaimable slab (SUnreclaim) and the size of the file.\n"
	"Boots are ordered by when they started (a snapshot's time minus its\n"
	"uptime) and numbered back from the newest one in the listing: current,\n"
	"-1, -2, ... A file that cannot be read is listed with what is wrong\n"
	"with it; it does not change the exit status.\n"
	"\n"
	"Options:\n"
	"  -j, --json           print the listing as JSON\n"
	"      --compact        JSON on one line\n"
	"      --color=WHEN     auto (default), always or never\n"
	"  -h, --help           show this help\n";

struct ls_args {
	const char *dir;
	bool json;
	bool compact;
};

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct ls_args *a)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "compact", no_argument, NULL, 'C' },
		{ "color", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int when = COLOR_AUTO;
	int c;

	while ((c = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (c) {
		case 'j': a->json = true; break;
		case 'C': a->compact = true; break;
		case 'c':
			when = color_parse(optarg);
			if (when < 0)
				return cli_usage_error(argv[0],
						       "--color takes auto, "
						       "always or never");
			break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(argv[0], NULL);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(argv[0], "one DIR only");
	a->dir = optind < argc ? argv[optind] : DEFAULT_STORE;
	color_setup((enum color_when)when);
	return -1;
}

/* ---- reading the directory ---------------------------------------------- */

struct ls_file {
	Kmemsnap__V1__StoreEntry e;
	uint64_t boot_start_ns; /* realtime - uptime, when both are known */
	bool has_boot_start;
};

struct listing {
	Kmemsnap__V1__StoreListing msg;
	struct ls_file *files;
	size_t n;
};

/* A store's snapshots are "*.kms"; hidden names are its temporary files. */
static bool is_snapshot_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".kms") == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The snapshot names in dir, sorted (the store's names sort by time).
 * Returns the count, or -errno when dir cannot be read. */
static long list_names(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_snapshot_name(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names) {
				cli_error(NULL, "out of memory");
				exit(CLI_FAIL);
			}
		}
		names[n++] = cli_xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	*out = names;
	return (long)n;
}

/* Copies what the listing shows out of the decoded snapshot, which is
 * released right after. */
static void fill_entry(struct ls_file *f, const KsSnapshot *snap)
{
	const Kmemsnap__V1__Header *h = snap->header;
	const Kmemsnap__V1__Meminfo *m = snap->meminfo;
	Kmemsnap__V1__StoreEntry *e = &f->e;

	if (h) {
		e->has_realtime_ns = h->has_realtime_ns;
		e->realtime_ns = h->realtime_ns;
		if (h->boot_id && *h->boot_id)
			e->boot_id = cli_xstrdup(h->boot_id);
		e->has_trigger = h->has_trigger;
		e->trigger = h->trigger;
		if (h->trigger_detail)
			e->trigger_detail = cli_xstrdup(h->trigger_detail);
		if (h->hostname)
			e->hostname = cli_xstrdup(h->hostname);
		f->has_boot_start = h->has_realtime_ns && h->has_uptime_ms &&
				    h->realtime_ns >= h->uptime_ms * NS_PER_MS;
		if (f->has_boot_start)
			f->boot_start_ns =
				h->realtime_ns - h->uptime_ms * NS_PER_MS;
	}
	if (m) {
		e->has_mem_total_kb = m->has_mem_total_kb;
		e->mem_total_kb = m->mem_total_kb;
		e->has_mem_available_kb = m->has_mem_available_kb;
		e->mem_available_kb = m->mem_available_kb;
		e->has_s_unreclaim_kb = m->has_s_unreclaim_kb;
		e->s_unreclaim_kb = m->s_unreclaim_kb;
	}
}

static void read_file(const char *dir, const char *name, struct ls_file *f)
{
	char *path = cli_xcalloc(strlen(dir) + strlen(name) + 2, 1);
	struct snapfile sf;
	struct stat st;

	kmemsnap__v1__store_entry__init(&f->e);
	f->e.file = cli_xstrdup(name);
	sprintf(path, "%s/%s", dir, name);
	if (stat(path, &st) == 0) {
		f->e.has_size_bytes = true;
		f->e.size_bytes = (uint64_t)st.st_size;
	}
	if (snapfile_open(&sf, path) < 0)
		f->e.problem = cli_xstrdup(sf.error);
	else
		fill_entry(f, sf.snap);
	snapfile_close(&sf);
	free(path);
}

/* ---- boots -------------------------------------------------------------- */

struct boot {
	const char *id;
	uint64_t start_ns;
};

/* A boot starts at the median of realtime - uptime over its snapshots
 * (robust to a clock stepped by NTP after boot), or without uptimes at its
 * first snapshot's time; as `kmemsnap timeline` orders boots. */
static uint64_t boot_start(const struct listing *l, const char *id,
			   uint64_t *tmp)
{
	uint64_t first = UINT64_MAX;
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		const struct ls_file *f = &l->files[i];

		if (!f->e.boot_id || strcmp(f->e.boot_id, id) != 0)
			continue;
		if (f->has_boot_start)
			tmp[k++] = f->boot_start_ns;
		if (f->e.has_realtime_ns && f->e.realtime_ns < first)
			first = f->e.realtime_ns;
	}
	return boot_start_median(tmp, k, first);
}

static int boot_cmp(const void *pa, const void *pb)
{
	const struct boot *a = pa, *b = pb;

	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* Numbers every entry's boot: 0 for the newest, -1 for the one before. */
static void number_boots(struct listing *l)
{
	struct boot *boots = cli_xcalloc(l->n, sizeof(*boots));
	uint64_t *tmp = cli_xcalloc(l->n, sizeof(*tmp));
	size_t n = 0, i, j;

	for (i = 0; i < l->n; i++) {
		const char *id = l->files[i].e.boot_id;

		if (!id)
			continue;
		for (j = 0; j < n && strcmp(boots[j].id, id) != 0; j++)
			;
		if (j == n)
			boots[n++].id = id;
	}
	for (j = 0; j < n; j++)
		boots[j].start_ns = boot_start(l, boots[j].id, tmp);
	qsort(boots, n, sizeof(*boots), boot_cmp);
	for (i = 0; i < l->n; i++) {
		Kmemsnap__V1__StoreEntry *e = &l->files[i].e;

		for (j = 0; e->boot_id && strcmp(boots[j].id, e->boot_id); j++)
			;
		e->has_boot = e->boot_id != NULL;
		e->boot = e->has_boot ? (int32_t)j - (int32_t)(n - 1) : 0;
	}
	l->msg.has_boots = true;
	l->msg.boots = (uint32_t)n;
	free(tmp);
	free(boots);
}

static int load(const char *dir, struct listing *l)
{
	char **names = NULL;
	long n = list_names(dir, &names);
	size_t i;

	if (n < 0) {
		cli_error(dir, "cannot read the store: %s", strerror((int)-n));
		return -1;
	}
	l->n = (size_t)n;
	l->files = cli_xcalloc(l->n, sizeof(*l->files));
	kmemsnap__v1__store_listing__init(&l->msg);
	l->msg.dir = (char *)dir;
	l->msg.n_entries = l->n;
	l->msg.entries = cli_xcalloc(l->n, sizeof(*l->msg.entries));
	l->msg.has_total_bytes = true;
	for (i = 0; i < l->n; i++) {
		read_file(dir, names[i], &l->files[i]);
		l->msg.entries[i] = &l->files[i].e;
		l->msg.total_bytes += l->files[i].e.size_bytes;
		free(names[i]);
	}
	free(names);
	number_boots(l);
	return 0;
}

static void release(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		Kmemsnap__V1__StoreEntry *e = &l->files[i].e;

		free(e->file);
		free(e->problem);
		free(e->boot_id);
		free(e->trigger_detail);
		free(e->hostname);
	}
	free(l->msg.entries);
	free(l->files);
}

/* ---- printing ----------------------------------------------------------- */

static struct human boot_label(const Kmemsnap__V1__StoreEntry *e)
{
	struct human h;

	if (!e->has_boot)
		snprintf(h.s, sizeof(h.s), "-");
	else if (e->boot == 0)
		snprintf(h.s, sizeof(h.s), "current");
	else
		snprintf(h.s, sizeof(h.s), "%d", e->boot);
	return h;
}

static struct human kb_or_dash(bool has, uint64_t kb)
{
	struct human h = { "-" };

	return has ? human_kb(kb) : h;
}

static struct human trigger_word(const Kmemsnap__V1__StoreEntry *e)
{
	struct human h = { "-" };

	if (!e->has_trigger)
		return h;
	return enum_word(&kmemsnap__v1__trigger__descriptor, e->trigger);
}

static void print_entry(const Kmemsnap__V1__StoreEntry *e)
{
	printf("%-24s  %-7s  %-12s  %12s  %12s  %10s  ",
	       e->has_realtime_ns ? human_time_utc(e->realtime_ns).s : "-",
	       boot_label(e).s, trigger_word(e).s,
	       kb_or_dash(e->has_mem_available_kb, e->mem_available_kb).s,
	       kb_or_dash(e->has_s_unreclaim_kb, e->s_unreclaim_kb).s,
	       e->has_size_bytes ? human_bytes(e->size_bytes).s : "-");
	if (e->problem)
		printf("%s%s: %s%s\n", color(COLOR_RED), human_text(e->file).s,
		       human_text(e->problem).s, color(COLOR_RESET));
	else
		printf("%s\n", human_text(e->file).s);
}

static void print_human(const struct listing *l)
{
	size_t i, bad = 0;

	printf("%s%-24s  %-7s  %-12s  %12s  %12s  %10s  %s%s\n",
	       color(COLOR_BOLD), "time (UTC)", "boot", "trigger",
	       "MemAvailable", "SUnreclaim", "size", "file",
	       color(COLOR_RESET));
	for (i = 0; i < l->n; i++) {
		print_entry(&l->files[i].e);
		bad += l->files[i].e.problem != NULL;
	}
	printf("%zu snapshot%s in %u boot%s, %s", l->n, l->n == 1 ? "" : "s",
	       l->msg.boots, l->msg.boots == 1 ? "" : "s",
	       human_bytes(l->msg.total_bytes).s);
	if (bad)
		printf("; %s%zu unreadable%s", color(COLOR_RED), bad,
		       color(COLOR_RESET));
	putchar('\n');
}

int cmd_ls(int argc, char **argv)
{
	struct ls_args a = { 0 };
	struct listing l = { 0 };
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (load(a.dir, &l) < 0)
		return CLI_FAIL;
	if (a.json)
		json_print(stdout, &l.msg.base, !a.compact);
	else
		print_human(&l);
	release(&l);
	return CLI_OK;
}
