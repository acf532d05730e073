/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap collect-boot: after a reboot, file what pstore kept of the
 * previous boot (docs/PSTORE.md). Nothing runs at a kernel panic; pstore
 * (ramoops, efi-pstore) keeps the kernel log's tail across the reboot, and
 * the watcher mirrors each OOM snapshot to /dev/pmsg0, which comes back as
 * a pmsg record holding those blobs back to back.
 *
 * Run once per boot, before anything clears pstore: it feeds the log
 * records to an OOM-report parser, files every complete mirrored blob in
 * the store under its own name, and takes one boot-collect snapshot that
 * holds the records (its Pstore section), the parsed report and the
 * previous boot's id.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "snapfile.h"
#include "units.h"

typedef Kmemsnap__V1__BootCollect KsBootCollect;
typedef Kmemsnap__V1__BootCollectRecord KsBootRecord;
typedef Kmemsnap__V1__BootCollectBlob KsBootBlob;
typedef Kmemsnap__V1__PstoreKind KsPstoreKind;

#define DEFAULT_PSTORE_DIR "/sys/fs/pstore"
#define DEFAULT_ARCHIVE_DIR "/var/lib/systemd/pstore"
/* pstore records are at most a backend's zone (ramoops: mem_size, EFI:
 * 1 KiB variables); a larger file is read up to this. */
#define MAX_RECORD_FILE_BYTES (16u << 20)
/* The boot-collect recorder: its message holds the records' text. */
#define COLLECT_ARENA_BYTES (16u << 20)
#define COLLECT_MESSAGE_BYTES (8u << 20)
/* Store names: "<23 time chars>_<8 boot chars>_<trigger>[_N].kms". */
#define NAME_TIME_CHARS 23
#define NAME_BOOT_CHARS 8
/* Counters ks_store_write() appends to a taken name. */
#define NAME_COUNTER_MAX 99

static const char help[] =
	"usage: kmemsnap collect-boot --store DIR [--root DIR] [--pstore-dir DIR]\n"
	"                             [--archive-dir DIR] [--remove] [--always]\n"
	"                             [--json [--compact]]\n"
	"\n"
	"Files what pstore kept of the previous boot; run it once per boot\n"
	"(docs/PSTORE.md). It reads the pstore records (ramoops, efi-pstore)\n"
	"and the files systemd-pstore archived during this boot, and:\n"
	"  - feeds the kernel log records (dmesg, console) to the OOM-report\n"
	"    parser;\n"
	"  - files every complete snapshot the watcher mirrored to /dev/pmsg0\n"
	"    in the store, byte for byte, under its own name, so that ls and\n"
	"    timeline show them in the previous boot;\n"
	"  - takes a boot-collect snapshot that holds the records, the last\n"
	"    complete OOM report and the previous boot's id (from a mirrored\n"
	"    snapshot this run filed, else from the store's newest snapshot of\n"
	"    another boot).\n"
	"When pstore holds nothing it says \"nothing in pstore\" and stores\n"
	"nothing, unless --always is given.\n"
	"\n"
	"Options:\n"
	"      --store DIR        the store to file into (created if missing)\n"
	"      --root DIR         read the machine's files below DIR instead of /\n"
	"      --pstore-dir DIR   the pstore mount, below the root\n"
	"                         (default " DEFAULT_PSTORE_DIR ")\n"
	"      --archive-dir DIR  systemd-pstore's archive, below the root\n"
	"                         (default " DEFAULT_ARCHIVE_DIR ")\n"
	"                         whose files changed since this boot began\n"
	"                         (btime of /proc/stat) are read\n"
	"      --remove           after the snapshot is stored, delete the pstore\n"
	"                         records it holds in full, which frees the\n"
	"                         backend's room for the next panic (never\n"
	"                         files of the archive); run it before watch:\n"
	"                         removing the pmsg record erases what watch\n"
	"                         mirrored during this boot\n"
	"      --always           take the snapshot even when pstore is empty\n"
	"      --json             print what was done as JSON\n"
	"      --compact          JSON on one line (implies --json)\n"
	"  -h, --help             show this help\n";

struct collect_args {
	const char *store;
	const char *root;
	const char *pstore_dir; /* below root, without leading '/' */
	const char *archive_dir;
	bool remove;
	bool always;
	bool json;
	bool compact;
};

/* One pstore file, read whole. */
struct record {
	char *name;	  /* "dmesg-ramoops-0", or "<subdir>/<file>" archived */
	const char *dir;  /* the pstore or archive directory, below root */
	const char *file; /* name past "<subdir>/" */
	KsPstoreKind kind;
	bool archived;
	uint8_t *data;
	size_t len;
	uint64_t size;
	int dump, part; /* "Panic#<dump> Part<part>", 0 when none */
	bool fed;
	uint32_t blobs;
};

struct collect {
	struct collect_args a;
	int root_fd;
	char current_boot[64];
	uint64_t boot_start_s; /* 0: unknown */
	bool pstore_missing;
	struct record *recs;
	size_t n_recs, cap_recs;
	uint32_t archived_older;
	struct kmemsnap_store *store;
	struct kmemsnap_oom_parser *parser;
	KsBootCollect msg;
	KsBootBlob **blobs;
	size_t cap_blobs;
	int rc;
};

static void *xgrow(void *p, size_t *cap, size_t elem)
{
	*cap = *cap ? *cap * 2 : 16;
	return cli_xrealloc(p, *cap, elem);
}

/* "<root>/<rel>" for messages: the path a person can look at. */
static const char *show_path(const struct collect *c, const char *rel)
{
	static char buf[2][4096];
	static int which;
	const char *root = c->a.root ? c->a.root : "";
	size_t rlen = strlen(root);

	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%s%s%s", root,
		 rlen && root[rlen - 1] == '/' ? "" : "/", rel);
	return buf[which];
}

/* A record's file, for messages. */
static const char *record_path(const struct collect *c, const struct record *r)
{
	char rel[4096];

	snprintf(rel, sizeof(rel), "%s/%s", r->dir, r->name);
	return show_path(c, rel);
}

/* ---- arguments ----------------------------------------------------------- */

enum {
	OPT_STORE = 256,
	OPT_ROOT,
	OPT_PSTORE_DIR,
	OPT_ARCHIVE_DIR,
	OPT_REMOVE,
	OPT_ALWAYS,
	OPT_JSON,
	OPT_COMPACT,
};

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct collect_args *a)
{
	static const struct option options[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "pstore-dir", required_argument, NULL, OPT_PSTORE_DIR },
		{ "archive-dir", required_argument, NULL, OPT_ARCHIVE_DIR },
		{ "remove", no_argument, NULL, OPT_REMOVE },
		{ "always", no_argument, NULL, OPT_ALWAYS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "compact", no_argument, NULL, OPT_COMPACT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *prog = argv[0];
	int c;

	a->pstore_dir = DEFAULT_PSTORE_DIR;
	a->archive_dir = DEFAULT_ARCHIVE_DIR;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_STORE: a->store = optarg; break;
		case OPT_ROOT: a->root = optarg; break;
		case OPT_PSTORE_DIR: a->pstore_dir = optarg; break;
		case OPT_ARCHIVE_DIR: a->archive_dir = optarg; break;
		case OPT_REMOVE: a->remove = true; break;
		case OPT_ALWAYS: a->always = true; break;
		case OPT_JSON: a->json = true; break;
		case OPT_COMPACT: a->json = a->compact = true; break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(prog, NULL);
		}
	}
	if (optind < argc)
		return cli_usage_error(prog, "unexpected argument '%s'",
				       argv[optind]);
	if (!a->store)
		return cli_usage_error(prog, "--store DIR is required");
	a->pstore_dir = ks_below_root(a->pstore_dir);
	a->archive_dir = ks_below_root(a->archive_dir);
	return -1;
}

/* ---- this boot ------------------------------------------------------------ */

/* fs/proc/stat.c: "btime %llu", the boot's start in seconds since the
 * epoch. 0 when the root has none (a tree without /proc/stat). */
static uint64_t read_btime(int root_fd)
{
	FILE *f;
	char line[256];
	unsigned long long v = 0;
	int fd = openat(root_fd, "proc/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* ---- reading the records ------------------------------------------------- */

/* fs/pstore/platform.c: pstore_dump() starts each dmesg part with
 * "%s#%d Part%u\n" (reason, dump count, part; Part1 is the newest). */
static void parse_part_line(struct record *r)
{
	const char *p = memchr(r->data, '#', r->len < 32 ? r->len : 32);
	int dump, part;

	if (p && sscanf(p, "#%d Part%d", &dump, &part) == 2) {
		r->dump = dump;
		r->part = part;
	}
}

/* Reads fd whole, up to MAX_RECORD_FILE_BYTES; the size stat gave is
 * where it starts, not a bound. The byte after the data is 0, so that the
 * text can be scanned as a string. */
static int read_all(int fd, struct record *r)
{
	size_t cap = r->size < 4096 ? 4096 : (size_t)r->size + 1;

	if (cap > MAX_RECORD_FILE_BYTES)
		cap = MAX_RECORD_FILE_BYTES;
	r->data = cli_xcalloc(1, cap + 1);
	for (;;) {
		long n = ks_read_fd(fd, r->data + r->len, cap - r->len);

		if (n < 0)
			return (int)n;
		r->len += (size_t)n;
		/* Short of the room: the end of the file. */
		if (r->len < cap || cap == MAX_RECORD_FILE_BYTES)
			break;
		cap = cap * 2 < MAX_RECORD_FILE_BYTES ? cap * 2 :
							MAX_RECORD_FILE_BYTES;
		r->data = cli_xrealloc(r->data, cap + 1, 1);
	}
	r->data[r->len] = 0;
	return 0;
}

/* One record of the walk (ks_pstore_walk, the Pstore section's), read
 * whole. */
static void add_record(void *arg, int fd, const char *name, bool archived,
		       const struct stat *st)
{
	struct collect *c = arg;
	const char *dir = archived ? c->a.archive_dir : c->a.pstore_dir;
	const char *slash = strrchr(name, '/');
	char rel[4096];
	struct record *r;
	int err, len;

	len = snprintf(rel, sizeof(rel), "%s%s%s", dir, *name ? "/" : "", name);
	/* The record's name is rel past dir: it must be whole. */
	if (len < 0 || (size_t)len >= sizeof(rel)) {
		cli_error(show_path(c, dir),
			  "cannot read %s: the path is too long", name);
		c->rc = CLI_FAIL;
		return;
	}
	if (fd < 0) {
		cli_error(show_path(c, rel), "cannot read: %s", strerror(-fd));
		c->rc = CLI_FAIL;
		return;
	}
	if (c->n_recs == c->cap_recs)
		c->recs = xgrow(c->recs, &c->cap_recs, sizeof(*c->recs));
	r = &c->recs[c->n_recs];
	memset(r, 0, sizeof(*r));
	r->size = (uint64_t)st->st_size;
	err = read_all(fd, r);
	if (err < 0) {
		cli_error(show_path(c, rel), "cannot read: %s", strerror(-err));
		free(r->data);
		c->rc = CLI_FAIL;
		return;
	}
	if (r->len == MAX_RECORD_FILE_BYTES)
		cli_error(show_path(c, rel),
			  "larger than %s: only its start "
			  "is read",
			  human_bytes(MAX_RECORD_FILE_BYTES).s);
	r->name = cli_xstrdup(name);
	r->file = r->name + (slash ? slash - name + 1 : 0);
	r->kind = ks_pstore_kind(r->file);
	r->archived = archived;
	r->dir = dir;
	if (r->kind == KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_DMESG)
		parse_part_line(r);
	c->n_recs++;
}

/* pstore's records, then the archive's, each by name: listing order is
 * the file system's. */
static int record_cmp(const void *pa, const void *pb)
{
	const struct record *a = pa, *b = pb;

	if (a->archived != b->archived)
		return a->archived - b->archived;
	return strcmp(a->name, b->name);
}

/* Returns false when a directory exists but cannot be read. */
static bool read_records(struct collect *c)
{
	char dents[32768];
	struct ks_pstore_walk w = { .dir = c->a.pstore_dir,
				    .dents = dents,
				    .dents_cap = sizeof(dents),
				    .visit = add_record,
				    .arg = c };
	int err = ks_pstore_walk(c->root_fd, &w);

	if (err == -ENOENT) {
		c->pstore_missing = true;
	} else if (err < 0) {
		cli_error(show_path(c, w.dir), "cannot list: %s",
			  strerror(-err));
		return false;
	}
	/* Archived files of boots before this one were collected then. */
	w.dir = c->a.archive_dir;
	w.archived = true;
	w.archive_since_s = c->boot_start_s;
	err = ks_pstore_walk(c->root_fd, &w);
	if (err < 0 && err != -ENOENT) {
		cli_error(show_path(c, w.dir), "cannot list: %s",
			  strerror(-err));
		return false;
	}
	c->archived_older = w.archived_older;
	if (c->n_recs)
		qsort(c->recs, c->n_recs, sizeof(*c->recs), record_cmp);
	return true;
}

/* ---- the OOM report ------------------------------------------------------ */

static bool is_log(const struct record *r)
{
	return r->kind == KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_DMESG ||
	       r->kind == KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_CONSOLE;
}

/* Whether a and b are in the same archive subdirectory, or both in none:
 * their names start with the same "<subdir>/", or have none. */
static bool same_subdir(const struct record *a, const struct record *b)
{
	return a->file - a->name == b->file - b->name &&
	       strncmp(a->name, b->name, (size_t)(a->file - a->name)) == 0;
}

/* systemd-pstore joins an archived group's dmesg parts into dmesg.txt:
 * read that rather than the parts again. */
static bool joined_part(const struct collect *c, const struct record *r)
{
	size_t i;

	if (!r->archived ||
	    r->kind != KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_DMESG ||
	    strcmp(r->file, "dmesg.txt") == 0)
		return false;
	for (i = 0; i < c->n_recs; i++) {
		const struct record *o = &c->recs[i];

		if (o->archived && strcmp(o->file, "dmesg.txt") == 0 &&
		    same_subdir(o, r))
			return true;
	}
	return false;
}

/* Log records in the order their lines were written, so that the last
 * complete report is the newest: consoles first (a quiet console holds
 * only the worst lines of a report, and the dmesg dump has them all),
 * then archived dmesg, then the dmesg records, each dump's parts oldest
 * (highest part number) first. */
static int feed_rank(const struct record *r)
{
	if (r->kind == KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_CONSOLE)
		return 0;
	return r->archived ? 1 : 2;
}

static int feed_cmp(const void *pa, const void *pb)
{
	const struct record *a = *(const struct record *const *)pa;
	const struct record *b = *(const struct record *const *)pb;

	if (feed_rank(a) != feed_rank(b))
		return feed_rank(a) - feed_rank(b);
	if (a->dump != b->dump)
		return a->dump - b->dump;
	if (a->part != b->part)
		return b->part - a->part;
	return strcmp(a->name, b->name);
}

static void feed_record(struct kmemsnap_oom_parser *p, const struct record *r)
{
	const char *s = (const char *)r->data;
	size_t left = r->len;

	while (left > 0) {
		const char *nl = memchr(s, '\n', left);
		size_t n = nl ? (size_t)(nl - s) : left;

		kmemsnap_oom_parser_feed(p, s, n);
		if (!nl)
			break;
		s = nl + 1;
		left -= n + 1;
	}
}

static void feed_logs(struct collect *c)
{
	struct record **order = cli_xcalloc(1, c->n_recs * sizeof(*order));
	size_t i, n = 0;

	for (i = 0; i < c->n_recs; i++) {
		struct record *r = &c->recs[i];

		if (!is_log(r) || joined_part(c, r))
			continue;
		order[n++] = r;
	}
	qsort(order, n, sizeof(*order), feed_cmp);
	for (i = 0; i < n; i++) {
		feed_record(c->parser, order[i]);
		order[i]->fed = true;
	}
	free(order);
}

/* ---- mirrored snapshots -------------------------------------------------- */

/* Whether the store already holds these bytes under name or a counted
 * variant of it (an earlier run of this command). */
static bool already_stored(const struct collect *c, const char *name,
			   const uint8_t *blob, size_t len)
{
	char path[4096], counted[KMEMSNAP_STORE_NAME_MAX + 8];
	size_t base = strlen(name) - 4; /* without ".kms" */
	unsigned i;

	for (i = 0; i <= NAME_COUNTER_MAX; i++) {
		FILE *f;
		uint8_t *got;
		bool same;

		if (i == 0)
			snprintf(counted, sizeof(counted), "%s", name);
		else
			snprintf(counted, sizeof(counted), "%.*s_%u.kms",
				 (int)base, name, i);
		snprintf(path, sizeof(path), "%s/%s", c->a.store, counted);
		f = fopen(path, "rb");
		if (!f)
			return false;
		got = cli_xcalloc(1, len + 1);
		same = fread(got, 1, len + 1, f) == len &&
		       memcmp(got, blob, len) == 0;
		free(got);
		fclose(f);
		if (same)
			return true;
	}
	return false;
}

/* Checks a candidate in full and reads its header. Returns 0, or -1 with
 * b->problem set. */
static int decode_blob(const uint8_t *blob, size_t len, KsBootBlob *b)
{
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	KsSnapshot *snap;
	uint8_t *msg;
	int err = kmemsnap_blob_extract(blob, len, NULL, 0, &info);

	if (err != -ENOBUFS) {
		b->problem = cli_xstrdup(info.problem ? info.problem :
						    cli_strerror(err));
		return -1;
	}
	msg = cli_xcalloc(1, info.message_bytes);
	err = kmemsnap_blob_extract(blob, len, msg, info.message_bytes, &info);
	snap = err == 0 ?
		       kmemsnap__v1__snapshot__unpack(NULL, info.message_bytes,
						      msg) :
		       NULL;
	free(msg);
	if (!snap) {
		b->problem = cli_xstrdup(err < 0 && info.problem ?
					     info.problem :
					     "corrupted: the snapshot message "
					     "does not decode (protobuf)");
		return -1;
	}
	if (snap->header) {
		const Kmemsnap__V1__Header *h = snap->header;

		b->boot_id = h->boot_id ? cli_xstrdup(h->boot_id) : NULL;
		b->has_trigger = h->has_trigger;
		b->trigger = h->trigger;
		b->has_realtime_ns = h->has_realtime_ns;
		b->realtime_ns = h->realtime_ns;
	}
	kmemsnap__v1__snapshot__free_unpacked(snap, NULL);
	return 0;
}

static void file_blob(struct collect *c, const struct record *r, size_t start,
		      size_t len)
{
	const uint8_t *blob = r->data + start;
	KsBootBlob *b = cli_xcalloc(1, sizeof(*b));
	char name[KMEMSNAP_STORE_NAME_MAX], stored[KMEMSNAP_STORE_NAME_MAX];
	int err;

	kmemsnap__v1__boot_collect_blob__init(b);
	b->record = r->name;
	b->has_offset = b->has_size_bytes = true;
	b->offset = start;
	b->size_bytes = len;
	if (c->msg.n_blobs == c->cap_blobs)
		c->blobs = xgrow(c->blobs, &c->cap_blobs, sizeof(*c->blobs));
	c->blobs[c->msg.n_blobs++] = b;
	if (decode_blob(blob, len, b) < 0) {
		cli_error(record_path(c, r),
			  "snapshot at byte %zu: %s; not filed", start,
			  b->problem);
		return;
	}
	ks_store_name(name, b->realtime_ns, b->boot_id, (int)b->trigger);
	if (already_stored(c, name, blob, len)) {
		b->has_already_stored = b->already_stored = true;
		return;
	}
	err = ks_store_write(c->store, name, blob, len, stored, sizeof(stored));
	if (err < 0) {
		cli_error(c->a.store, "cannot file %s: %s", name,
			  cli_strerror(err));
		b->problem = cli_xstrdup(cli_strerror(err));
		c->rc = CLI_FAIL;
		return;
	}
	b->file = cli_xstrdup(stored);
}

static void file_blobs(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->n_recs; i++) {
		struct record *r = &c->recs[i];
		size_t from = 0, start, len;

		while ((len = ks_blob_find(r->data, r->len, from, &start))) {
			r->blobs++;
			file_blob(c, r, start, len);
			from = start + len;
		}
	}
	c->msg.blobs = c->blobs;
}

/* ---- the previous boot ---------------------------------------------------- */

static bool same_boot8(const char *a, const char *b)
{
	return a && b && strncasecmp(a, b, NAME_BOOT_CHARS) == 0;
}

/* The boot of the newest mirrored snapshot this run filed, when it is
 * another boot's. Blobs the store already held were filed by an earlier
 * run: ramoops does not clear the pmsg zone, so they may be from a boot
 * before the previous one (an OOM in boot A, a panic without one in B:
 * in C, the pmsg record still holds A's blob). */
static const char *boot_from_blobs(const struct collect *c)
{
	const KsBootBlob *best = NULL;
	size_t i;

	for (i = 0; i < c->msg.n_blobs; i++) {
		const KsBootBlob *b = c->blobs[i];

		if (!b->file || !b->boot_id || !*b->boot_id ||
		    same_boot8(b->boot_id, c->current_boot))
			continue;
		if (!best || b->realtime_ns > best->realtime_ns)
			best = b;
	}
	return best ? best->boot_id : NULL;
}

static int name_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* The boot id of the store's newest snapshot of another boot (names sort
 * by time and carry the boot's first 8 hex digits; the full id is in the
 * file's header). NULL when there is none. */
static char *boot_from_store(const struct collect *c)
{
	DIR *d = opendir(c->a.store);
	struct dirent *de;
	char **names = NULL, *found = NULL;
	size_t n = 0, cap = 0, i;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		const char *boot = de->d_name + NAME_TIME_CHARS + 1;

		if (!ks_store_name_valid(de->d_name) ||
		    same_boot8(boot, c->current_boot) ||
		    strncmp(boot, "noboot00", NAME_BOOT_CHARS) == 0)
			continue;
		if (n == cap)
			names = xgrow(names, &cap, sizeof(*names));
		names[n++] = cli_xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_desc);
	for (i = 0; i < n && !found; i++) {
		char path[4096];
		struct snapfile sf;

		snprintf(path, sizeof(path), "%s/%s", c->a.store, names[i]);
		if (snapfile_open(&sf, path) == 0 && sf.snap->header &&
		    sf.snap->header->boot_id &&
		    !same_boot8(sf.snap->header->boot_id, c->current_boot))
			found = cli_xstrdup(sf.snap->header->boot_id);
		snapfile_close(&sf);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return found;
}

static void previous_boot(struct collect *c)
{
	const char *id = boot_from_blobs(c);

	if (id) {
		c->msg.previous_boot_id = cli_xstrdup(id);
		c->msg.previous_boot_source = "mirrored snapshot";
		return;
	}
	c->msg.previous_boot_id = boot_from_store(c);
	if (c->msg.previous_boot_id)
		c->msg.previous_boot_source = "store";
}

/* ---- the boot-collect snapshot -------------------------------------------- */

static int take_snapshot(struct collect *c, char *name)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts, .root = c->a.root,
		      .arena_bytes = COLLECT_ARENA_BYTES,
		      .max_message_bytes = COLLECT_MESSAGE_BYTES);
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts,
		      .trigger = KMEMSNAP_TRIGGER_BOOT_COLLECT,
		      .collect_pstore = 1, .pstore_dir = c->a.pstore_dir,
		      .pstore_archive_dir = c->a.archive_dir,
		      .previous_boot_id = c->msg.previous_boot_id,
		      .pstore_archive_since_s = c->boot_start_s);
	struct kmemsnap_recorder *rec;
	char detail[128];
	size_t i, filed = 0;
	int err;

	for (i = 0; i < c->msg.n_blobs; i++)
		filed += c->blobs[i]->file || c->blobs[i]->already_stored;
	snprintf(detail, sizeof(detail),
		 "pstore: %zu records, %zu mirrored snapshots", c->n_recs,
		 filed);
	/* The section skips the same files; say so where the snapshot
	 * shows it. */
	if (c->archived_older)
		snprintf(detail + strlen(detail),
			 sizeof(detail) - strlen(detail),
			 "; %u archived files of earlier boots skipped",
			 c->archived_older);
	copts.trigger_detail = detail;
	if (c->msg.oom_report)
		copts.oom_report = c->parser;
	err = kmemsnap_recorder_new(&rec, &ropts);
	if (err < 0) {
		cli_error(c->a.root ? c->a.root : "/",
			  "cannot prepare the capture: %s", cli_strerror(err));
		return err;
	}
	err = kmemsnap_capture_to_store(rec, &copts, c->store, name,
					KMEMSNAP_STORE_NAME_MAX);
	kmemsnap_recorder_free(rec);
	if (err < 0)
		cli_error(c->a.store, "cannot store the snapshot: %s",
			  cli_strerror(err));
	else if (err > 0)
		cli_error(c->a.store, "snapshot stored, but the retention "
				      "pass did not complete");
	return err < 0 ? err : 0;
}

/* --remove: the records the stored snapshot holds in full, read back from
 * the store, so that nothing is deleted that the store does not have. */
static void remove_records(struct collect *c, const char *stored)
{
	const Kmemsnap__V1__Pstore *ps;
	char path[4096];
	struct snapfile sf;
	char **removed;
	size_t i, n = 0;
	int dirfd;

	snprintf(path, sizeof(path), "%s/%s", c->a.store, stored);
	if (snapfile_open(&sf, path) < 0 || !sf.snap->pstore) {
		cli_error(path,
			  "cannot read back the snapshot (%s): nothing "
			  "removed",
			  sf.snap ? "no pstore section" : sf.error);
		snapfile_close(&sf);
		c->rc = CLI_FAIL;
		return;
	}
	ps = sf.snap->pstore;
	removed = cli_xcalloc(1, ps->n_records * sizeof(*removed));
	dirfd = openat(c->root_fd, c->a.pstore_dir,
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; dirfd >= 0 && i < ps->n_records; i++) {
		const Kmemsnap__V1__PstoreRecord *r = ps->records[i];
		char rel[4096];

		if (r->archived || r->truncated || !r->name ||
		    strchr(r->name, '/'))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", c->a.pstore_dir, r->name);
		if (unlinkat(dirfd, r->name, 0) < 0) {
			cli_error(show_path(c, rel), "cannot remove: %s",
				  strerror(errno));
			c->rc = CLI_FAIL;
		} else {
			removed[n++] = cli_xstrdup(r->name);
		}
	}
	if (dirfd >= 0)
		close(dirfd);
	snapfile_close(&sf);
	c->msg.removed = removed;
	c->msg.n_removed = n;
}

/* ---- output --------------------------------------------------------------- */

static void fill_records(struct collect *c)
{
	size_t i;

	c->msg.records = cli_xcalloc(1, c->n_recs * sizeof(*c->msg.records));
	for (i = 0; i < c->n_recs; i++) {
		const struct record *r = &c->recs[i];
		KsBootRecord *m = cli_xcalloc(1, sizeof(*m));

		kmemsnap__v1__boot_collect_record__init(m);
		m->name = r->name;
		m->has_kind = true;
		m->kind = r->kind;
		m->has_size_bytes = true;
		m->size_bytes = r->size;
		m->has_archived = m->archived = r->archived;
		m->has_fed = m->fed = r->fed;
		m->has_kmemsnap_blobs = r->blobs > 0;
		m->kmemsnap_blobs = r->blobs;
		c->msg.records[c->msg.n_records++] = m;
	}
}

static void fill_report(struct collect *c)
{
	const Kmemsnap__V1__OomReport *r = ks_oom_parser_report(c->parser);

	c->msg.has_oom_report = true;
	c->msg.oom_report = r != NULL;
	if (r && r->killed) {
		c->msg.has_victim_pid = true;
		c->msg.victim_pid = r->killed->pid;
		c->msg.victim_comm = r->killed->comm;
	}
}

/* The name column as wide as the longest name, so that systemd-pstore's
 * "<id>/dmesg-efi_pstore-<id>" keeps the rows aligned; within 36..64, a
 * longer name pushes only its own row. */
static int name_width(const KsBootCollect *m)
{
	size_t i, w = 36;

	for (i = 0; i < m->n_records; i++) {
		size_t len = strlen(human_text(m->records[i]->name).s);

		if (len > w)
			w = len;
	}
	return (int)(w < 64 ? w : 64);
}

static void print_text(const struct collect *c)
{
	const KsBootCollect *m = &c->msg;
	const Kmemsnap__V1__OomReport *r = ks_oom_parser_report(c->parser);
	size_t i, filed = 0, present = 0, bad = 0, archived = 0;
	int width = name_width(m);

	for (i = 0; i < m->n_records; i++)
		archived += m->records[i]->archived;
	printf("pstore records: %zu in %s, %zu archived in %s\n",
	       m->n_records - archived, show_path(c, m->pstore_dir), archived,
	       show_path(c, m->archive_dir));
	for (i = 0; i < m->n_records; i++) {
		const KsBootRecord *rec = m->records[i];
		char note[64] = "";

		if (rec->kmemsnap_blobs)
			snprintf(note, sizeof(note), "  %u mirrored snapshot%s",
				 rec->kmemsnap_blobs,
				 rec->kmemsnap_blobs == 1 ? "" : "s");
		printf("  %-*s %-7s %10s%s%s\n", width, human_text(rec->name).s,
		       enum_word(&kmemsnap__v1__pstore_kind__descriptor,
				 rec->kind)
			       .s,
		       human_bytes(rec->size_bytes).s,
		       rec->fed ? "  read for an OOM report" : "", note);
	}
	if (m->archived_older)
		printf("  (%u archived files of earlier boots skipped)\n",
		       m->archived_older);
	for (i = 0; i < m->n_blobs; i++) {
		filed += m->blobs[i]->file != NULL;
		present += m->blobs[i]->already_stored;
		bad += m->blobs[i]->problem != NULL;
	}
	printf("mirrored snapshots: %zu filed, %zu already in the store, "
	       "%zu damaged\n",
	       filed, present, bad);
	for (i = 0; i < m->n_blobs; i++)
		if (m->blobs[i]->file)
			printf("  %s\n", m->blobs[i]->file);
	if (!r)
		printf("OOM report: none complete\n");
	else if (r->killed)
		printf("OOM report: %s invoked the OOM killer; victim %d (%s)\n",
		       human_text(r->invoker_comm).s, r->killed->pid,
		       human_text(r->killed->comm).s);
	else
		printf("OOM report: %s invoked the OOM killer; no victim\n",
		       human_text(r->invoker_comm).s);
	if (m->previous_boot_id)
		printf("previous boot: %s (from the %s)\n",
		       human_text(m->previous_boot_id).s,
		       m->previous_boot_source);
	else
		printf("previous boot: unknown\n");
	if (m->stored)
		printf("stored: %s/%s\n", c->a.store, m->stored);
	if (c->a.remove)
		printf("removed: %zu files from %s\n", m->n_removed,
		       show_path(c, m->pstore_dir));
}

static void free_collect(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->n_recs; i++) {
		free(c->recs[i].data);
		free(c->recs[i].name);
	}
	free(c->recs);
	for (i = 0; i < c->msg.n_records; i++)
		free(c->msg.records[i]);
	free(c->msg.records);
	for (i = 0; i < c->msg.n_blobs; i++) {
		free(c->blobs[i]->file);
		free(c->blobs[i]->problem);
		free(c->blobs[i]->boot_id);
		free(c->blobs[i]);
	}
	free(c->blobs);
	for (i = 0; i < c->msg.n_removed; i++)
		free(c->msg.removed[i]);
	free(c->msg.removed);
	free(c->msg.previous_boot_id);
	free(c->msg.stored);
	kmemsnap_oom_parser_free(c->parser);
	kmemsnap_store_close(c->store);
	if (c->root_fd >= 0)
		close(c->root_fd);
}

static void print_result(const struct collect *c)
{
	if (c->a.json)
		json_print(stdout, &c->msg.base, !c->a.compact);
	else if (c->msg.nothing)
		printf("nothing in pstore%s\n",
		       c->pstore_missing ? " (it is not mounted)" : "");
	else
		print_text(c);
}

static int collect(struct collect *c)
{
	KMEMSNAP_OPTS(kmemsnap_store_opts, sopts, .create = 1);
	char name[KMEMSNAP_STORE_NAME_MAX];
	int err;

	c->root_fd = open(c->a.root ? c->a.root : "/",
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->root_fd < 0) {
		cli_error(c->a.root ? c->a.root : "/", "cannot open: %s",
			  strerror(errno));
		return CLI_FAIL;
	}
	/* "" when the root has none */
	if (ks_read_small(c->root_fd, "proc/sys/kernel/random/boot_id",
			  c->current_boot, sizeof(c->current_boot)) < 0)
		c->current_boot[0] = '\0';
	c->current_boot[strcspn(c->current_boot, "\n")] = '\0';
	c->boot_start_s = read_btime(c->root_fd);
	if (!read_records(c))
		return CLI_FAIL;
	c->msg.has_archived_older = c->archived_older > 0;
	c->msg.archived_older = c->archived_older;
	if (c->n_recs == 0 && !c->a.always) {
		c->msg.has_nothing = c->msg.nothing = true;
		print_result(c);
		return c->rc;
	}
	err = kmemsnap_oom_parser_new(&c->parser);
	if (err == 0)
		err = kmemsnap_store_open(&c->store, c->a.store, &sopts);
	if (err < 0) {
		cli_error(c->a.store, "cannot open the store: %s",
			  cli_strerror(err));
		return CLI_FAIL;
	}
	feed_logs(c);
	fill_report(c);
	file_blobs(c);
	previous_boot(c);
	fill_records(c);
	if (take_snapshot(c, name) < 0)
		return CLI_FAIL;
	c->msg.stored = cli_xstrdup(name);
	if (c->a.remove)
		remove_records(c, name);
	print_result(c);
	return c->rc;
}

int cmd_collect_boot(int argc, char **argv)
{
	struct collect c = { .root_fd = -1 };
	int rc = parse_args(argc, argv, &c.a);

	if (rc >= 0)
		return rc;
	kmemsnap__v1__boot_collect__init(&c.msg);
	c.msg.store = (char *)c.a.store;
	c.msg.pstore_dir = (char *)c.a.pstore_dir;
	c.msg.archive_dir = (char *)c.a.archive_dir;
	rc = collect(&c);
	free_collect(&c);
	return rc;
}
