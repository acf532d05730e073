/* SPDX-License-Identifier: MIT */
/* Slab caches: /proc/slabinfo across kernel eras
 * (tests/fixtures/samples/slabinfo), the top-N selection, and the SLUB sysfs
 * fallback (tests/fixtures/trees/sysfs-slab). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define PAGE 4096
#define STATE(s) KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_##s
#define SOURCE(s) KMEMSNAP__V1__SLAB_SOURCE__SLAB_SOURCE_##s

typedef Kmemsnap__V1__Slab KsSlab;
typedef Kmemsnap__V1__SlabCache KsSlabCache;

/* Parses path with the given bounds; reader buffer of cap bytes (0: 64 KiB). */
static KsSlab *parse_path(const char *path, uint32_t top, uint32_t max,
			  size_t cap, KsStatus *st)
{
	static KsSlab s;
	static struct ks_config cfg;
	struct ks_ctx ctx = { .root_fd = -1, .arena = tl_arena(),
			      .page_size = PAGE, .cfg = &cfg };
	struct ks_lines lr;

	cfg.slab_top_n = top;
	cfg.max_slab_caches = max;
	kmemsnap__v1__slab__init(&s);
	kmemsnap__v1__section_status__init(st);
	tl_open_lines(&lr, path, cap);
	ks_parse_slabinfo(&lr, &ctx, &s, st);
	ks_lines_close(&lr);
	return &s;
}

/* Keeps every cache (the recorder's default bound). */
static KsSlab *parse(const char *sample, KsStatus *st)
{
	char path[256];

	snprintf(path, sizeof(path), "samples/slabinfo/%s", sample);
	return parse_path(tl_fixture(path), 0, 4096, 0, st);
}

static const KsSlabCache *cache(const KsSlab *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_caches; i++)
		if (strcmp(s->caches[i]->name, name) == 0)
			return s->caches[i];
	return NULL;
}

static uint64_t footprint(const KsSlabCache *c)
{
	return c->num_slabs * c->pages_per_slab * PAGE;
}

/* A cache's head and slabdata columns, all present. */
static void check_row(const KsSlabCache *c, uint64_t active, uint64_t num,
		      uint32_t objsize, uint32_t per_slab, uint32_t pages,
		      uint64_t active_slabs, uint64_t num_slabs, int line)
{
	if (!c) {
		tl_fail(__FILE__, line, "cache missing");
		return;
	}
	if (!c->has_active_objs || c->active_objs != active ||
	    !c->has_num_objs || c->num_objs != num ||
	    !c->has_objsize_bytes || c->objsize_bytes != objsize ||
	    !c->has_objs_per_slab || c->objs_per_slab != per_slab ||
	    !c->has_pages_per_slab || c->pages_per_slab != pages ||
	    !c->has_active_slabs || c->active_slabs != active_slabs ||
	    !c->has_num_slabs || c->num_slabs != num_slabs)
		tl_fail(__FILE__, line, "%s: %llu %llu %u %u %u %llu %llu", c->name,
			(unsigned long long)c->active_objs,
			(unsigned long long)c->num_objs, c->objsize_bytes,
			c->objs_per_slab, c->pages_per_slab,
			(unsigned long long)c->active_slabs,
			(unsigned long long)c->num_slabs);
}
#define CHECK_ROW(c, ...) check_row(c, __VA_ARGS__, __LINE__)

/* Largest footprint first, ties by name (byte order). */
static bool sorted(const KsSlab *s)
{
	size_t i;

	for (i = 1; i < s->n_caches; i++) {
		uint64_t a = footprint(s->caches[i - 1]);
		uint64_t b = footprint(s->caches[i]);

		if (a < b || (a == b && strcmp(s->caches[i - 1]->name,
					       s->caches[i]->name) >= 0))
			return false;
	}
	return true;
}

/* Totals of every sample, computed independently with (mawk):
 *   awk 'NR>1 && $7==":" && $8=="tunables" && $12==":" && $13=="slabdata" &&
 *        (NF==16 || (NF==32 && $17==":")) {n++; a+=$2; o+=$3; b+=$2*$4;
 *        fp+=$15*$6*4096} END {printf "%d %.0f %.0f %.0f %.0f\n",n,a,o,b,fp}'
 * (the field-count test drops 7.txt's two console-broken lines). */
static void test_all_samples_totals(void)
{
	static const struct {
		const char *file;
		uint32_t caches, skipped;
		uint64_t active, num, active_bytes, footprint;
	} want[] = {
		{ "1.txt", 300, 0, 1079909, 1122240, 636586840, 684130304 },
		{ "2.txt", 4, 0, 2362, 2652, 2655616, 2957312 },
		{ "3.txt", 145, 0, 972095, 993261, 284918944, 296488960 },
		{ "4.txt", 10, 0, 1584, 1584, 359808, 360448 },
		{ "5.txt", 3, 0, 3175292, 3175512, 2514369376ull, 2515795968ull },
		{ "6.txt", 21, 0, 51060, 70002, 25538824, 32251904 },
		{ "7.txt", 131, 2, 14023, 16664, 2054960, 2379776 },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		KsStatus st;
		KsSlab *s = parse(want[i].file, &st);

		if (s->caches_total != want[i].caches ||
		    st.lines_skipped != want[i].skipped ||
		    s->n_caches != want[i].caches ||
		    s->active_objs_total != want[i].active ||
		    s->num_objs_total != want[i].num ||
		    s->active_bytes_total != want[i].active_bytes ||
		    s->footprint_bytes_total != want[i].footprint ||
		    st.has_state || !sorted(s) || s->top_n != 0 ||
		    s->source != SOURCE(PROC_SLABINFO))
			tl_fail(__FILE__, __LINE__,
				"slabinfo/%s: %u caches (%zu kept), %u skipped, "
				"%llu %llu %llu %llu",
				want[i].file, s->caches_total, s->n_caches,
				st.lines_skipped,
				(unsigned long long)s->active_objs_total,
				(unsigned long long)s->num_objs_total,
				(unsigned long long)s->active_bytes_total,
				(unsigned long long)s->footprint_bytes_total);
		CHECK_EQ_S(s->version, i == 5 ? "2.1 (statistics)" : "2.1");
	}
}

/* SLUB, 300 caches: long names, colons in names, slub_debug objsize. */
static void test_slub_modern(void)
{
	KsStatus st;
	KsSlab *s = parse("1.txt", &st);
	const KsSlabCache *c;

	c = cache(s, "iwl_cmd_pool:0000:04:00.0");
	CHECK_ROW(c, 0, 128, 512, 32, 4, 4, 4);
	c = cache(s, "nvidia_stack_cache");
	CHECK_ROW(c, 321, 326, 12624, 2, 8, 163, 163);
	c = cache(s, "dma-kmalloc-8k");
	CHECK_ROW(c, 0, 0, 24576, 1, 8, 0, 0);
	c = cache(s, "ext4_inode_cache");
	CHECK_ROW(c, 84136, 84755, 1400, 23, 8, 3685, 3685);
	/* SLUB's zero tunables stay unset. */
	CHECK(c && !c->has_limit && !c->has_batchcount &&
	      !c->has_shared_factor && !c->has_shared_avail);
	CHECK(c && c->n_globalstat == 0 && c->n_cpustat == 0);
	CHECK(c && !c->has_aliases && !c->has_order);
	CHECK(cache(s, "nvidia_p2p_page_cache") != NULL);
}

/* SLAB 3.13 on a UP ARM box: real tunables, a 7-digit objsize, and a
 * console message that broke one row across two lines. */
static void test_slab_old(void)
{
	KsStatus st;
	KsSlab *s = parse("7.txt", &st);
	const KsSlabCache *c;

	CHECK_EQ_U(st.lines_skipped, 2); /* "sgpool-32 ... random: ..." and " 1      0" */
	CHECK(st.has_lines_skipped);
	CHECK(cache(s, "sgpool-32") == NULL);
	CHECK_ROW(cache(s, "sgpool-16"), 2, 15, 256, 15, 1, 1, 1); /* resynced */
	c = cache(s, "fib6_nodes");
	CHECK_ROW(c, 1, 113, 32, 113, 1, 1, 1);
	CHECK(c && c->has_limit && c->has_batchcount && c->has_shared_factor &&
	      c->has_shared_avail);
	if (c) {
		CHECK_EQ_U(c->limit, 120);
		CHECK_EQ_U(c->batchcount, 60);
		CHECK_EQ_U(c->shared_factor, 0);
		CHECK_EQ_U(c->shared_avail, 0);
	}
	c = cache(s, "kmalloc-4194304");
	CHECK_ROW(c, 0, 0, 4194304, 1, 1024, 0, 0);
	CHECK(c && c->has_limit && c->limit == 1 && c->batchcount == 1);
	c = cache(s, "TCPv6");
	CHECK(c && c->limit == 24 && c->batchcount == 12);
	CHECK(cache(s, "inotify_event_private_data") != NULL);
}

/* SLAB with statistics (2.6.1x): globalstat holds literal TABs. */
static void test_slab_statistics(void)
{
	static const uint64_t scsi_global[] = { 271823, 2040, 19045, 331,
						0,      0,    0,     267119 };
	static const uint64_t scsi_cpu[] = { 7820052, 27928, 7578980, 279 };
	KsStatus st;
	KsSlab *s = parse("6.txt", &st);
	const KsSlabCache *c = cache(s, "scsi_cmd_cache");
	size_t i;

	CHECK_EQ_S(s->version, "2.1 (statistics)");
	CHECK_ROW(c, 1649, 1704, 488, 8, 1, 209, 213);
	CHECK(c && c->n_globalstat == 8 && c->n_cpustat == 4);
	if (c && c->n_globalstat == 8 && c->n_cpustat == 4) {
		for (i = 0; i < 8; i++)
			CHECK_EQ_U(c->globalstat[i], scsi_global[i]);
		for (i = 0; i < 4; i++)
			CHECK_EQ_U(c->cpustat[i], scsi_cpu[i]);
	}
	c = cache(s, "as_arq");
	CHECK(c && c->has_shared_avail && c->shared_avail == 128 &&
	      c->limit == 32 && c->batchcount == 16 && c->shared_factor == 8);
	c = cache(s, "qla2xxx_srbs");
	CHECK(c && c->n_cpustat == 4 && c->cpustat[0] == 15170681);
	CHECK(c && c->n_globalstat == 8 && c->globalstat[7] == 254141);
}

/* Five largest of 1.txt, by
 *   awk 'NR>2 {print $15*$6*4096, $1}' 1.txt | sort -k1,1nr | head -5 */
static void test_top_n(void)
{
	static const char *const names[] = { "ext4_inode_cache", "buffer_head",
					     "dentry", "lsm_inode_cache",
					     "ext4_extent_status" };
	static const uint64_t fps[] = { 120750080, 113836032, 89358336,
					50110464, 30982144 };
	char path[256];
	KsStatus st;
	KsSlab *s;
	size_t i;

	snprintf(path, sizeof(path), "%s", tl_fixture("samples/slabinfo/1.txt"));
	s = parse_path(path, 5, 4096, 0, &st);
	CHECK_EQ_U(s->n_caches, 5);
	CHECK_EQ_U(s->top_n, 5);
	CHECK(!st.has_state); /* selection, not truncation */
	for (i = 0; i < 5 && i < s->n_caches; i++) {
		CHECK_EQ_S(s->caches[i]->name, names[i]);
		CHECK_EQ_U(footprint(s->caches[i]), fps[i]);
	}
	/* Totals still cover all 300 caches. */
	CHECK_EQ_U(s->caches_total, 300);
	CHECK_EQ_U(s->footprint_bytes_total, 684130304);

	/* Keep all: 300 kept, sorted; 140 caches share footprint 0, so the
	 * name tie-break is exercised. */
	s = parse_path(path, 0, 4096, 0, &st);
	CHECK_EQ_U(s->n_caches, 300);
	CHECK_EQ_U(s->top_n, 0);
	CHECK(sorted(s));

	/* The keep-all bound: truncated, the ten largest kept, totals whole. */
	s = parse_path(path, 0, 10, 0, &st);
	CHECK_EQ_U(s->n_caches, 10);
	CHECK_EQ_U(s->top_n, 10);
	CHECK_EQ_U(st.state, STATE(TRUNCATED));
	CHECK_EQ_U(s->caches_total, 300);
	CHECK_EQ_U(s->active_objs_total, 1079909);
	CHECK_EQ_U(s->footprint_bytes_total, 684130304);
	CHECK(sorted(s));
	if (s->n_caches == 10) {
		CHECK_EQ_S(s->caches[0]->name, "ext4_inode_cache");
		CHECK_EQ_S(s->caches[9]->name, "radix_tree_node");
		CHECK_EQ_U(footprint(s->caches[9]), 22511616);
	}

	/* top_n above the bound: the bound wins and says so. */
	s = parse_path(path, 50, 10, 0, &st);
	CHECK_EQ_U(s->n_caches, 10);
	CHECK_EQ_U(st.state, STATE(TRUNCATED));

	/* A bound of zero keeps nothing but still counts. */
	s = parse_path(path, 0, 0, 0, &st);
	CHECK_EQ_U(s->n_caches, 0);
	CHECK_EQ_U(s->caches_total, 300);
	CHECK_EQ_U(st.state, STATE(TRUNCATED));
}

/* Writes text to a fresh temp file and returns its path (static). */
static const char *temp_file(const void *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/kmemsnap-slab-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror("temp file");
		exit(2);
	}
	close(fd);
	return path;
}

static KsSlab *parse_text(const char *text, size_t cap, KsStatus *st)
{
	const char *path = temp_file(text, strlen(text));
	KsSlab *s = parse_path(path, 0, 4096, cap, st);

	unlink(path);
	return s;
}

/* A file without a "slabinfo - version: 2.x" header is refused with EPROTO
 * rather than parsed: 1.x had other columns, and anything else is not
 * slabinfo. */
static void test_header_rejected(void)
{
	static const char *const bad[] = {
		"",
		"hello\nkmalloc-64 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n",
		"slabinfo - version: 1.1\nsize-64 1 2 3 4 5\n",
		"# name <active_objs>\nkmalloc-64 1 2 64 64 1 : tunables 0 0 0 : slabdata 1 1 0\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KsStatus st;
		KsSlab *s = parse_text(bad[i], 0, &st);

		CHECK_EQ_U(st.state, STATE(UNAVAILABLE));
		CHECK_EQ_U(st.error_number, EPROTO);
		CHECK_EQ_S(st.path, "proc/slabinfo");
		CHECK(!s->has_source && !s->has_caches_total && s->n_caches == 0);
	}
}

/* Malformed rows are counted and skipped; good rows around them parse. */
static void test_malformed_rows(void)
{
	static const char text[] =
		"slabinfo - version: 2.1\n"
		"# name            <active_objs> ...\n"
		"good-1 10 20 64 64 1 : tunables 0 0 0 : slabdata 1 1 0\n"
		"\n"
		"nocolon 10 20 64 64 1 tunables 0 0 0 slabdata 1 1 0\n"
		"short 10 20 64 : tunables 0 0 0 : slabdata 1 1 0\n"
		"twotun 1 2 3 4 5 : tunables 1 2 : slabdata 1 2 3\n"
		"noslabdata 1 2 3 4 5 : tunables 0 0 0\n"
		"overflow 99999999999999999999999 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n"
		"bigobj 1 2 4294967296 4 5 : tunables 0 0 0 : slabdata 1 1 0\n"
		"negative -1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n"
		"trailing 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0 :\n"
		"emptystat 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0 : globalstat\n"
		": tunables 0 0 0 : slabdata 1 1 0\n"
		":\n"
		"\x01\x02\xff\xfe : : : :\n"
		"my cache 3 4 8 512 1 : tunables 0 0 0 : slabdata 2 2 0\n"
		"vendor 5 6 16 256 1 : tunables 0 0 0 : slabdata 3 3 0 : shrinker stat 7 8\n"
		"good-2 1 1 4096 1 2 : tunables 0 0 0 : slabdata 1 1 0";
	KsStatus st;
	KsSlab *s = parse_text(text, 0, &st);
	const KsSlabCache *c;

	CHECK_EQ_U(s->caches_total, 4);
	CHECK_EQ_U(st.lines_skipped, 12);
	CHECK(!st.has_state);
	CHECK_ROW(cache(s, "good-1"), 10, 20, 64, 64, 1, 1, 1);
	CHECK_ROW(cache(s, "my cache"), 3, 4, 8, 512, 1, 2, 2);
	CHECK_ROW(cache(s, "vendor"), 5, 6, 16, 256, 1, 3, 3);
	c = cache(s, "good-2"); /* last line without '\n' */
	CHECK_ROW(c, 1, 1, 4096, 1, 2, 1, 1);
	CHECK_EQ_U(s->footprint_bytes_total, (1 + 2 + 3 + 2) * PAGE);
}

/* A row longer than the reader's buffer is cut: it is skipped, and the next
 * line parses. A name longer than the slot is cut to 63 bytes. */
static void test_long_lines(void)
{
	char text[4096];
	char longname[201];
	KsStatus st;
	KsSlab *s;
	size_t n;

	memset(longname, 'n', 200);
	longname[200] = '\0';
	n = (size_t)snprintf(text, sizeof(text),
			     "slabinfo - version: 2.1\n"
			     "%s 1 2 3 4 6 : tunables 0 0 0 : slabdata 1 1 0\n"
			     "after 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n",
			     longname);
	CHECK(n < sizeof(text));
	/* 128-byte reader: the 245-byte row is cut. */
	s = parse_text(text, 128, &st);
	CHECK_EQ_U(s->caches_total, 1);
	CHECK_EQ_U(st.lines_skipped, 1);
	CHECK(cache(s, "after") != NULL);
	/* A cut whose head would still parse (inside globalstat) is skipped
	 * too: the values after the cut are lost. */
	s = parse_text("slabinfo - version: 2.1 (statistics)\n"
		       "cut 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0 : globalstat"
		       "       1       2       3       4       5       6       7"
		       "       8       9 : cpustat 1 2 3 4\n"
		       "after 1 2 3 4 5 : tunables 0 0 0 : slabdata 1 1 0\n",
		       128, &st);
	CHECK_EQ_U(s->caches_total, 1);
	CHECK_EQ_U(st.lines_skipped, 1);
	CHECK(cache(s, "cut") == NULL);
	/* Big reader: the row parses and its name is cut to 63 bytes. */
	s = parse_text(text, 0, &st);
	CHECK_EQ_U(s->caches_total, 2);
	CHECK_EQ_U(st.lines_skipped, 0);
	CHECK(s->n_caches == 2 && strlen(s->caches[0]->name) == 63 &&
	      strspn(s->caches[0]->name, "n") == 63);
}

/* Random bytes and random tokens after a valid header: no crash (run it
 * under valgrind or ASan), and every line is either a cache or skipped. */
static void test_garbage(void)
{
	static const char *const words[] = { ":", "tunables", "slabdata",
					     "globalstat", "cpustat", "0", "7",
					     "4294967295", "18446744073709551615",
					     "x", "\t", " ", "#" };
	static char text[1 << 16];
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 200; round++) {
		size_t len = (size_t)snprintf(text, sizeof(text),
					      "slabinfo - version: 2.1\n");
		unsigned lines = 0;
		KsStatus st;
		KsSlab *s;

		while (len < sizeof(text) - 64) {
			seed = seed * 1103515245u + 12345u;
			if (round % 2) {
				text[len++] = (char)(seed >> 16);
			} else {
				const char *w = words[(seed >> 16) % 13];

				memcpy(text + len, w, strlen(w));
				len += strlen(w);
				text[len++] = (seed >> 8) % 9 ? ' ' : '\n';
			}
			if (text[len - 1] == '\0')
				text[len - 1] = 'z';
		}
		text[len] = '\0';
		s = parse_text(text, round % 4 ? 0 : 100, &st);
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		if (s->caches_total + st.lines_skipped > lines + 1)
			tl_fail(__FILE__, __LINE__, "round %d: %u + %u > %u lines",
				round, s->caches_total, st.lines_skipped, lines);
		CHECK(!st.has_state || st.state != STATE(UNAVAILABLE));
	}
}

static KsSnapshot *capture_tree(const char *tree)
{
	char path[256];

	snprintf(path, sizeof(path), "trees/%s", tree);
	return tl_capture(tl_fixture(path), NULL);
}

/* The SLUB sysfs fallback on trees/sysfs-slab: 7 cache directories and 5
 * alias symlinks. Expected values from the first number of objects,
 * total_objects, slab_size, order and slabs of each directory that is not a
 * symlink (find sys/kernel/slab -mindepth 1 -maxdepth 1 -type d), summed
 * with awk: 7 caches, 58408 active, 59628 objects, 22706752 active bytes,
 * footprint 5706 pages (23371776 bytes at 4 KiB). */
static void test_sysfs_fallback(void)
{
	static const char *const order[] = { "ext4_inode_cache", "dentry",
					     "kmalloc-512", "task_struct",
					     ":A-0000192", ":0000064",
					     "inode_cache" };
	KsSnapshot *snap = capture_tree("sysfs-slab");
	const KsSlab *s = snap ? snap->slab : NULL;
	uint64_t page;
	const KsSlabCache *c;
	size_t i;

	CHECK(s != NULL && s->status != NULL);
	if (!s || !s->status)
		return;
	page = snap->header->page_size_bytes;
	CHECK_EQ_U(s->status->state, STATE(OK));
	CHECK_EQ_U(s->source, SOURCE(SYSFS));
	CHECK(s->has_slabinfo_errno);
	CHECK_EQ_U(s->slabinfo_errno, ENOENT);
	CHECK_EQ_U(s->caches_total, 7); /* not 12: symlinks skipped */
	CHECK_EQ_U(s->n_caches, 7);
	CHECK_EQ_U(s->top_n, 0);
	CHECK_EQ_U(s->active_objs_total, 58408);
	CHECK_EQ_U(s->num_objs_total, 59628);
	CHECK_EQ_U(s->active_bytes_total, 22706752);
	CHECK_EQ_U(s->footprint_bytes_total, 5706 * page);
	CHECK(s->version == NULL);
	CHECK_EQ_U(s->status->lines_skipped, 0);
	/* find . -mindepth 1 -maxdepth 1 -type d | while read d; do cat
	 * $d/{objects,total_objects,slab_size,objs_per_slab,order,slabs,aliases}
	 * 2>/dev/null; done | wc -c  (687 if the symlinks were read too) */
	CHECK_EQ_U(s->status->source_bytes, 402);
	for (i = 0; i < 7 && i < s->n_caches; i++)
		CHECK_EQ_S(s->caches[i]->name, order[i]);

	c = cache(s, ":0000064"); /* NUMA "2048 N0=1024 N1=1024" */
	CHECK_ROW(c, 2048, 2176, 64, 64, 1, 34, 34);
	CHECK(c && c->has_aliases && c->aliases == 2 && c->has_order &&
	      c->order == 0);
	c = cache(s, "task_struct");
	CHECK_ROW(c, 110, 120, 5888, 5, 8, 24, 24);
	CHECK(c && c->order == 3 && c->has_aliases && c->aliases == 0);
	CHECK(c && !c->has_limit && c->n_globalstat == 0);
	c = cache(s, "ext4_inode_cache");
	CHECK_ROW(c, 10300, 10416, 1168, 28, 8, 372, 372);
	c = cache(s, "inode_cache"); /* no CONFIG_SLUB_DEBUG files */
	CHECK(c && !c->has_active_objs && !c->has_num_objs &&
	      !c->has_num_slabs && !c->has_active_slabs);
	CHECK(c && c->has_objsize_bytes && c->objsize_bytes == 656 &&
	      c->objs_per_slab == 24 && c->order == 2 && c->pages_per_slab == 4);
	CHECK(cache(s, "kmalloc-64") == NULL);
}

/* Builds a temp root holding proc/slabinfo with the given text (NULL: no
 * proc at all) and, when slab_dir is set, sys/kernel/slab as a symlink to
 * it. */
static void make_root(char *root, const char *slabinfo, const char *slab_dir)
{
	char path[512];
	int fd;

	strcpy(root, "/tmp/kmemsnap-slabroot-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	if (slabinfo) {
		snprintf(path, sizeof(path), "%s/proc", root);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/proc/slabinfo", root);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		CHECK(fd >= 0 && write(fd, slabinfo, strlen(slabinfo)) ==
					 (ssize_t)strlen(slabinfo));
		close(fd);
	}
	if (slab_dir) {
		snprintf(path, sizeof(path), "%s/sys", root);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/sys/kernel", root);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/sys/kernel/slab", root);
		CHECK(symlink(slab_dir, path) == 0);
	}
}

static void remove_root(const char *root)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/proc/slabinfo", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys/kernel/slab", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sys/kernel", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys", root);
	rmdir(path);
	rmdir(root);
}

/* A slabinfo that is not 2.x is unusable: sysfs is read instead, and the
 * reason is kept. With neither, the section is unavailable. */
static void test_fallback_reasons(void)
{
	char root[64], slab_dir[4096];
	KsSnapshot *snap;

	snprintf(slab_dir, sizeof(slab_dir), "%s",
		 tl_fixture("trees/sysfs-slab/sys/kernel/slab"));
	if (slab_dir[0] != '/') {
		char cwd[2048];

		CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
		snprintf(slab_dir, sizeof(slab_dir), "%s/%s", cwd,
			 tl_fixture("trees/sysfs-slab/sys/kernel/slab"));
	}
	make_root(root, "not slabinfo\n", slab_dir);
	snap = tl_capture(root, NULL);
	CHECK(snap && snap->slab);
	if (snap && snap->slab) {
		CHECK_EQ_U(snap->slab->status->state, STATE(OK));
		CHECK_EQ_U(snap->slab->source, SOURCE(SYSFS));
		CHECK_EQ_U(snap->slab->slabinfo_errno, EPROTO);
		CHECK_EQ_U(snap->slab->caches_total, 7);
	}
	remove_root(root);

	make_root(root, "slabinfo - version: 1.1\n", NULL);
	snap = tl_capture(root, NULL);
	CHECK(snap && snap->slab);
	if (snap && snap->slab) {
		CHECK_EQ_U(snap->slab->status->state, STATE(UNAVAILABLE));
		CHECK_EQ_U(snap->slab->status->error_number, EPROTO);
		CHECK_EQ_S(snap->slab->status->path, "proc/slabinfo");
		CHECK_EQ_U(snap->slab->slabinfo_errno, EPROTO);
		CHECK(!snap->slab->has_source && snap->slab->n_caches == 0);
	}
	remove_root(root);

	make_root(root, NULL, NULL);
	snap = tl_capture(root, NULL);
	CHECK(snap && snap->slab);
	if (snap && snap->slab) {
		CHECK_EQ_U(snap->slab->status->state, STATE(UNAVAILABLE));
		CHECK_EQ_U(snap->slab->status->error_number, ENOENT);
		CHECK_EQ_S(snap->slab->status->path, "proc/slabinfo");
	}
	remove_root(root);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* A temp root with sys/kernel/slab holding the given cache directories. */
static void make_sysfs_root(char *root, char *slab, size_t cap)
{
	char path[512];

	strcpy(root, "/tmp/kmemsnap-sysfs-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(path, sizeof(path), "%s/sys", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel", root);
	mkdir(path, 0755);
	snprintf(slab, cap, "%s/sys/kernel/slab", root);
	mkdir(slab, 0755);
}

static void remove_tree(const char *root)
{
	tl_remove_tree(root);
}

/* Unparsable attribute files are counted and leave their field unset; a
 * stray regular file and a symlink are not caches. */
static void test_sysfs_malformed(void)
{
	char root[64], slab[128], dir[256];
	KsSnapshot *snap;
	const KsSlabCache *c;

	make_sysfs_root(root, slab, sizeof(slab));
	snprintf(dir, sizeof(dir), "%s/good", slab);
	mkdir(dir, 0755);
	write_file(dir, "objects", "5\n");
	write_file(dir, "total_objects", "8 N0=8\n");
	write_file(dir, "slab_size", "128\n");
	write_file(dir, "objs_per_slab", "32\n");
	write_file(dir, "order", "0\n");
	write_file(dir, "slabs", "1\n");
	write_file(dir, "aliases", "1\n");
	snprintf(dir, sizeof(dir), "%s/bad", slab);
	mkdir(dir, 0755);
	write_file(dir, "objects", "12x\n");
	write_file(dir, "total_objects", "\n");
	write_file(dir, "slab_size", "99999999999\n");
	write_file(dir, "objs_per_slab", "4\n");
	write_file(dir, "order", "40\n");
	write_file(dir, "slabs", "3\n");
	write_file(slab, "stray", "1\n");
	snprintf(dir, sizeof(dir), "%s/alias", slab);
	CHECK(symlink("good", dir) == 0);

	snap = tl_capture(root, NULL);
	CHECK(snap && snap->slab);
	if (snap && snap->slab) {
		const KsSlab *s = snap->slab;

		CHECK_EQ_U(s->status->state, STATE(OK));
		CHECK_EQ_U(s->caches_total, 2);
		CHECK_EQ_U(s->status->lines_skipped, 4);
		CHECK_EQ_U(s->active_objs_total, 5);
		CHECK_EQ_U(s->num_objs_total, 8);
		CHECK_EQ_U(s->active_bytes_total, 5 * 128);
		CHECK_ROW(cache(s, "good"), 5, 8, 128, 32, 1, 1, 1);
		c = cache(s, "bad");
		CHECK(c && !c->has_active_objs && !c->has_num_objs &&
		      !c->has_objsize_bytes && !c->has_order &&
		      !c->has_pages_per_slab && !c->has_aliases);
		CHECK(c && c->objs_per_slab == 4 && c->num_slabs == 3);
	}
	remove_tree(root);

	/* Cache directories without a readable value (as for a non-root
	 * reader: the attributes are 0400): the section is unavailable. */
	make_sysfs_root(root, slab, sizeof(slab));
	snprintf(dir, sizeof(dir), "%s/empty_cache", slab);
	mkdir(dir, 0755);
	snap = tl_capture(root, NULL);
	CHECK(snap && snap->slab);
	if (snap && snap->slab) {
		CHECK_EQ_U(snap->slab->status->state, STATE(UNAVAILABLE));
		CHECK_EQ_U(snap->slab->status->error_number, ENOENT);
		CHECK_EQ_S(snap->slab->status->path, "proc/slabinfo");
		CHECK(snap->slab->n_caches == 0 && !snap->slab->has_caches_total);
	}
	remove_tree(root);
}

/* Captures of the fixture trees go through the whole pipeline: pack,
 * LZ4, unpack. */
static void test_tree_captures(void)
{
	KsSnapshot *snap = capture_tree("modern");
	const KsSlab *s = snap ? snap->slab : NULL;
	const KsSlabCache *c;

	CHECK(s && s->status);
	if (!s || !s->status)
		return;
	CHECK_EQ_U(s->status->state, STATE(OK));
	CHECK_EQ_U(s->source, SOURCE(PROC_SLABINFO));
	CHECK(!s->has_slabinfo_errno);
	CHECK_EQ_S(s->version, "2.1");
	CHECK_EQ_U(s->caches_total, 300);
	CHECK_EQ_U(s->n_caches, 64); /* the recorder's default top N */
	CHECK_EQ_U(s->top_n, 64);
	CHECK_EQ_U(s->status->source_bytes, 32459); /* wc -c 1.txt */
	CHECK(!s->status->has_lines_skipped);
	CHECK(s->n_caches > 0 && strcmp(s->caches[0]->name, "ext4_inode_cache") == 0);

	snap = capture_tree("slab-old");
	s = snap ? snap->slab : NULL;
	CHECK(s && s->status);
	if (s && s->status) {
		CHECK_EQ_U(s->status->state, STATE(OK));
		CHECK_EQ_U(s->caches_total, 131);
		CHECK_EQ_U(s->status->lines_skipped, 2);
	}

	snap = capture_tree("el7");
	s = snap ? snap->slab : NULL;
	CHECK(s && s->status);
	if (s && s->status) {
		CHECK_EQ_U(s->caches_total, 10);
		CHECK_EQ_U(s->n_caches, 10);
		CHECK_EQ_U(s->top_n, 0);
		c = cache(s, "UDP");
		CHECK_ROW(c, 120, 120, 1088, 30, 8, 4, 4);
	}

	snap = capture_tree("slab-stats");
	s = snap ? snap->slab : NULL;
	CHECK(s && s->status);
	if (s && s->status) {
		CHECK_EQ_S(s->version, "2.1 (statistics)");
		c = cache(s, "as_arq");
		CHECK(c && c->n_globalstat == 8 && c->globalstat[0] == 7302594 &&
		      c->globalstat[7] == 7028907);
		CHECK(c && c->n_cpustat == 4 && c->cpustat[3] == 21516);
	}
}

/* Data lines of /proc/slabinfo (not the two header lines). */
static long count_slabinfo_rows(void)
{
	char line[4096];
	FILE *f = fopen("/proc/slabinfo", "r");
	long rows = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && strncmp(line, "slabinfo", 8) != 0)
			rows++;
	fclose(f);
	return rows;
}

/* Real directories (not alias symlinks) in /sys/kernel/slab. */
static long count_sysfs_caches(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		struct stat sb;

		if (e->d_name[0] != '.' &&
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode))
			n++;
	}
	closedir(d);
	return n;
}

/* Caches are created and destroyed while we read (the file is not atomic,
 * nor is a directory listing), so the count is bracketed by counts taken
 * before and after, with a slack of 2 for a cache that came and went. */
static bool within(long got, long before, long after)
{
	long lo = before < after ? before : after;
	long hi = before < after ? after : before;

	return got >= lo - 2 && got <= hi + 2;
}

static void test_live(void)
{
	long before = count_slabinfo_rows(), after;
	KsSnapshot *snap = tl_capture("/", NULL);
	const KsSlab *s = snap ? snap->slab : NULL;

	after = count_slabinfo_rows();
	CHECK(s && s->status);
	if (!s || !s->status)
		return;
	if (before < 0) {
		/* Not root or no CONFIG_SLUB_DEBUG on 6.8+: sysfs, or nothing. */
		printf("     /proc/slabinfo unreadable: %s\n", strerror(errno));
		CHECK(s->status->state != STATE(OK) || s->source == SOURCE(SYSFS));
		return;
	}
	CHECK_EQ_U(s->status->state, STATE(OK));
	CHECK_EQ_U(s->source, SOURCE(PROC_SLABINFO));
	CHECK_EQ_U(s->status->lines_skipped, 0);
	if (!within((long)s->caches_total, before, after))
		tl_fail(__FILE__, __LINE__, "live: %u caches, /proc/slabinfo had %ld then %ld",
			s->caches_total, before, after);
	CHECK(s->n_caches == (s->caches_total < 64 ? s->caches_total : 64));
	CHECK(s->footprint_bytes_total > 0 && s->active_bytes_total > 0);
}

/* The fallback on this machine's real sysfs: a root whose sys/kernel/slab
 * is the live one and which has no proc/slabinfo. */
static void test_live_sysfs(void)
{
	char root[64];
	long before = count_sysfs_caches(), after;
	KsSnapshot *snap;

	if (before < 0 || count_slabinfo_rows() < 0) {
		printf("     no /sys/kernel/slab or not root: skipped\n");
		return;
	}
	make_root(root, NULL, "/sys/kernel/slab");
	snap = tl_capture(root, NULL);
	after = count_sysfs_caches();
	CHECK(snap && snap->slab);
	if (snap && snap->slab) {
		const KsSlab *s = snap->slab;

		CHECK_EQ_U(s->status->state, STATE(OK));
		CHECK_EQ_U(s->source, SOURCE(SYSFS));
		CHECK_EQ_U(s->slabinfo_errno, ENOENT);
		CHECK_EQ_U(s->status->lines_skipped, 0);
		if (!within((long)s->caches_total, before, after))
			tl_fail(__FILE__, __LINE__, "live sysfs: %u caches, %ld then %ld dirs",
				s->caches_total, before, after);
		CHECK(s->n_caches > 0 && s->caches[0]->has_num_slabs &&
		      s->caches[0]->has_order);
		CHECK(s->footprint_bytes_total > 0);
	}
	remove_root(root);
}

int main(void)
{
	RUN(test_all_samples_totals);
	RUN(test_slub_modern);
	RUN(test_slab_old);
	RUN(test_slab_statistics);
	RUN(test_top_n);
	RUN(test_header_rejected);
	RUN(test_malformed_rows);
	RUN(test_long_lines);
	RUN(test_garbage);
	RUN(test_sysfs_fallback);
	RUN(test_fallback_reasons);
	RUN(test_sysfs_malformed);
	RUN(test_tree_captures);
	RUN(test_live);
	RUN(test_live_sysfs);
	return tl_summary();
}
