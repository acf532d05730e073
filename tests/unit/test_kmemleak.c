/* SPDX-License-Identifier: MIT */
/*
 * kmemleak reports (tests/fixtures/samples/kmemleak, MANIFEST.md lists each
 * sample's quirks), backtrace grouping and its bound on fixture trees
 * (tests/fixtures/trees/kmemleak-*), and why the report is absent, on trees
 * and on this machine.
 *
 * Counts were taken from the samples by hand and checked with:
 *   grep -ci 'unreferenced object' N.txt                      (objects)
 *   grep -cE '^\s*(\[<[0-9a-f]+>\] )?([A-Za-z_.][A-Za-z0-9_.]*\+0x|0x[0-9a-f]+$)' N.txt
 *                                       (frame lines, terminators included)
 *   grep -c '0xffffffffffffffff$' N.txt                        (terminators)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

typedef Kmemsnap__V1__Kmemleak KsKmemleak;
typedef Kmemsnap__V1__KmemleakGroup KsLeakGroup;

#define ST_OK KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK
#define ST_UNAVAILABLE KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE
#define ST_TRUNCATED KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED

#define NOT_MOUNTED "debugfs not mounted"
#define DISABLED "kmemleak not compiled in or disabled"
#define NO_PERMISSION "no permission"

/* Runs the parser over a file with the given group bound and reader buffer
 * (0: 64 KiB). The result lives in tl_arena() until the next call. */
static KsKmemleak *parse_path(const char *path, uint32_t max_groups, size_t cap,
			      KsStatus *st)
{
	static KsKmemleak k;
	static struct ks_config cfg;
	struct ks_ctx ctx = { .root_fd = -1, .arena = tl_arena(), .cfg = &cfg };
	struct ks_lines lr;

	cfg.max_kmemleak_groups = max_groups;
	kmemsnap__v1__kmemleak__init(&k);
	kmemsnap__v1__section_status__init(st);
	tl_open_lines(&lr, path, cap);
	ks_parse_kmemleak(&lr, &ctx, &k, st);
	ks_lines_close(&lr);
	return &k;
}

static KsKmemleak *parse(const char *sample, KsStatus *st)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "samples/kmemleak/%s", sample);
	return parse_path(tl_fixture(rel), 256, 0, st);
}

/* Frame i of a group as text, through the symbol table. */
static const char *frame(const KsKmemleak *k, const KsLeakGroup *g, size_t i)
{
	if (i >= g->n_frames || g->frames[i] >= k->n_symbols)
		return NULL;
	return k->symbols[g->frames[i]];
}

static const KsLeakGroup *only_group(const KsKmemleak *k)
{
	CHECK_EQ_U(k->n_groups, 1);
	return k->n_groups == 1 ? k->groups[0] : NULL;
}

static bool hex_is(const KsLeakGroup *g, const char *bytes, size_t len)
{
	const ProtobufCBinaryData *h = &g->sample->hex_dump;

	return g->sample->has_hex_dump && h->len == len &&
	       memcmp(h->data, bytes, len) == 0;
}

static void check_status_ok(const KsStatus *st, uint32_t skipped)
{
	CHECK(!st->has_state);
	CHECK_EQ_U(st->lines_skipped, skipped);
}

/* ---- one sample each ---------------------------------------------------- */

/* 3.12: age, "backtrace:", raw addresses, ULONG_MAX terminator (pre-5.2). */
static void test_sample1_old_terminator(void)
{
	KsStatus st;
	KsKmemleak *k = parse("1.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->objects_total, 1);
	CHECK_EQ_U(k->bytes_total, 8);
	CHECK_EQ_U(k->groups_total, 1);
	if (!g)
		return;
	/* 15 frame lines, the terminator dropped. */
	CHECK_EQ_U(g->n_frames, 14);
	CHECK_EQ_U(k->n_symbols, 14);
	CHECK_EQ_S(frame(k, g, 0), "kmemleak_alloc+0x5e/0xc0");
	CHECK_EQ_S(frame(k, g, 13), "stub_clone+0x69/0x90");
	CHECK(!g->has_crc);
	CHECK_EQ_U(g->objects, 1);
	CHECK_EQ_U(g->bytes, 8);
	CHECK_EQ_U(g->oldest_age_ms, 105641);
	CHECK_EQ_U(g->newest_age_ms, 105641);
	CHECK_EQ_U(g->min_jiffies, 4295238251ull);
	CHECK_EQ_U(g->max_jiffies, 4295238251ull);
	CHECK_EQ_U(g->sample->address, 0xffff88006ada3bd0ull);
	CHECK_EQ_U(g->sample->size_bytes, 8);
	CHECK_EQ_S(g->sample->comm, "criu");
	CHECK_EQ_U(g->sample->pid, 14781);
	CHECK_EQ_U(g->sample->age_ms, 105641);
	CHECK(hex_is(g, "\0\0\0\0\0\0\0\0", 8));
}

/* 2.6.31: no age yet; an unresolved module frame is its bare address. */
static void test_sample2_unresolved_frame(void)
{
	KsStatus st;
	KsKmemleak *k = parse("2.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	if (!g)
		return;
	CHECK_EQ_U(g->n_frames, 6);
	CHECK_EQ_S(frame(k, g, 2), "0xffffffffa000a07f");
	CHECK_EQ_S(frame(k, g, 5), "system_call_fastpath+0x16/0x1b");
	CHECK(!g->has_oldest_age_ms && !g->sample->has_age_ms);
	CHECK_EQ_S(g->sample->comm, "insmod");
	CHECK_EQ_U(g->sample->pid, 7449);
	CHECK_EQ_U(g->sample->jiffies, 4296458482ull);
	CHECK(hex_is(g, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16));
}

/* 6.8: "backtrace (crc %x):" and bracketed raw addresses. */
static void test_sample3_crc(void)
{
	KsStatus st;
	KsKmemleak *k = parse("3.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->bytes_total, 1024);
	if (!g)
		return;
	CHECK(g->has_crc);
	CHECK_EQ_U(g->crc, 0x8836a742u);
	CHECK_EQ_U(g->n_frames, 16);
	CHECK_EQ_S(frame(k, g, 0), "kmalloc_trace+0x29d/0x340");
	CHECK_EQ_S(frame(k, g, 15), "ret_from_fork+0x2d/0x50");
	CHECK_EQ_S(g->sample->comm, "swapper/0");
	CHECK_EQ_U(g->sample->pid, 1);
	CHECK(!g->sample->has_age_ms);
	CHECK(g->sample->hex_dump.len == 32 &&
	      g->sample->hex_dump.data[4] == 0x0b);
}

/* Whole record indented by two extra spaces, hashed [<..>] column. */
static void test_sample4_indented(void)
{
	KsStatus st;
	KsKmemleak *k = parse("4.txt", &st);
	const KsLeakGroup *g = only_group(k);
	static const char head[] = "\x80\xbf\x76\x02\x81\x88\xff\xff";

	check_status_ok(&st, 0);
	if (!g)
		return;
	CHECK_EQ_U(g->crc, 0x1d0b936au);
	CHECK_EQ_U(g->n_frames, 14);
	CHECK_EQ_S(frame(k, g, 0), "kmem_cache_alloc+0x196/0x310");
	CHECK_EQ_S(frame(k, g, 13), "entry_SYSCALL_64_afer_hwframe+0x6e/0x76");
	CHECK_EQ_S(g->sample->comm, "fssum");
	CHECK_EQ_U(g->sample->pid, 2428);
	CHECK_EQ_U(g->bytes, 128);
	CHECK(g->sample->hex_dump.len == 32 &&
	      memcmp(g->sample->hex_dump.data, head, 8) == 0);
}

/* 6.14+: bare "%pS" frames, crc 0 (printed, so kept). */
static void test_sample5_bare_frames(void)
{
	KsStatus st;
	KsKmemleak *k = parse("5.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	if (!g)
		return;
	CHECK(g->has_crc);
	CHECK_EQ_U(g->crc, 0);
	CHECK_EQ_U(g->n_frames, 6);
	CHECK_EQ_S(frame(k, g, 0), "__kmalloc_cache_noprof+0x2df/0x390");
	CHECK_EQ_S(frame(k, g, 5), "entry_SYSCALL_64_after_hwframe+0x77/0x7f");
	CHECK_EQ_S(g->sample->comm, "tap");
	CHECK_EQ_U(g->sample->jiffies, 4299141559ull);
	CHECK(hex_is(g, "\0\0\0\0\0\0\0\0", 8));
}

/* Two records back to back, same trace: one group of two. */
static void test_sample6_two_records_one_group(void)
{
	KsStatus st;
	KsKmemleak *k = parse("6.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->objects_total, 2);
	CHECK_EQ_U(k->bytes_total, 16384);
	CHECK_EQ_U(k->groups_total, 1);
	if (!g)
		return;
	CHECK_EQ_U(g->objects, 2);
	CHECK_EQ_U(g->bytes, 16384);
	CHECK_EQ_U(g->n_frames, 8);
	CHECK_EQ_U(k->n_symbols, 8);
	CHECK_EQ_S(frame(k, g, 3), "flow_cache_cpu_prepare.clone.1+0x58/0xc0");
	CHECK_EQ_U(g->oldest_age_ms, 445740);
	CHECK_EQ_U(g->newest_age_ms, 445740);
	CHECK_EQ_U(g->sample->address, 0xffff880073a70000ull);
	CHECK_EQ_S(g->sample->comm, "swapper");
}

/* 7.0-rc: module suffixes; same frames, different crc (the crc is of the
 * object's contents): still one group, the first crc kept. */
static void test_sample7_modules_crc_differs(void)
{
	KsStatus st;
	KsKmemleak *k = parse("7.txt", &st);
	const KsLeakGroup *g = only_group(k);
	static const char head[] = "\x02\x81\xaa\x09\x00\xea\xff\xff";

	check_status_ok(&st, 0);
	if (!g)
		return;
	CHECK_EQ_U(g->objects, 2);
	CHECK_EQ_U(g->bytes, 64);
	CHECK_EQ_U(g->crc, 0xe5de3e0cu);
	CHECK_EQ_U(g->n_frames, 12);
	CHECK_EQ_U(k->n_symbols, 12);
	CHECK_EQ_S(frame(k, g, 2), "nvmet_req_alloc_sgls+0x294/0x4f0 [nvmet]");
	CHECK_EQ_S(frame(k, g, 3),
		   "nvmet_rdma_map_sgl_keyed+0x25a/0x940 [nvmet_rdma]");
	CHECK_EQ_S(frame(k, g, 11), "ret_from_fork_asm+0x1a/0x30");
	CHECK_EQ_U(g->min_jiffies, 4303559899ull);
	CHECK_EQ_U(g->max_jiffies, 4303559900ull);
	CHECK(!g->has_oldest_age_ms);
	CHECK_EQ_S(g->sample->comm, "kworker/0:0H");
	CHECK_EQ_U(g->sample->pid, 36658);
	CHECK(g->sample->hex_dump.len == 32 &&
	      memcmp(g->sample->hex_dump.data, head, 8) == 0 &&
	      g->sample->hex_dump.data[17] == 0x40);
}

/* syzkaller-symbolized ("file.c:line" kept as printed), cut mid-trace by
 * the quoter: the object still counts, with the frames that were there. */
static void test_sample8_truncated_trace(void)
{
	KsStatus st;
	KsKmemleak *k = parse("8.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->objects_total, 1);
	if (!g)
		return;
	CHECK_EQ_U(g->n_frames, 7);
	CHECK_EQ_S(frame(k, g, 0),
		   "__kmalloc_track_caller+0x1b0/0x320 mm/slub.c:4068");
	CHECK_EQ_S(frame(k, g, 6), "sysfs_do_create_link_sd.isra.2+0x8b/0x120");
	CHECK_EQ_U(g->sample->age_ms, 930839);
	CHECK(hex_is(g, "ttySLM8", 8));
}

/* Hashed column + unresolved module frames; ASCII column that reads as hex
 * ("DHHC-1:00:e6+AcD") must not be taken for bytes. */
static void test_sample9_unresolved_hashed(void)
{
	KsStatus st;
	KsKmemleak *k = parse("9.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	if (!g)
		return;
	CHECK_EQ_U(g->n_frames, 8);
	CHECK_EQ_S(frame(k, g, 0), "kstrdup+0x2e/0x60");
	CHECK_EQ_S(frame(k, g, 1), "0xffffffffc0cceec6");
	CHECK_EQ_S(frame(k, g, 2), "0xffffffffc0cc6783");
	CHECK_EQ_U(g->sample->age_ms, 2913583);
	CHECK_EQ_U(g->sample->jiffies, 4305092436ull);
	CHECK(hex_is(g, "DHHC-1:00:e6+AcD9vGMRWYxgTGDQYGx", 32));
}

/* Hand-edited "Unreferenced", 7-digit crc, bare unresolved frame. */
static void test_sample10_capitalised_short_crc(void)
{
	KsStatus st;
	KsKmemleak *k = parse("10.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->bytes_total, 192);
	if (!g)
		return;
	CHECK_EQ_U(g->crc, 0x838fb36u);
	CHECK_EQ_U(g->n_frames, 8);
	CHECK_EQ_S(frame(k, g, 3), "0xffffffffc040a54d");
	CHECK_EQ_S(g->sample->comm, "cryptomgr_probe");
	CHECK_EQ_U(g->sample->pid, 157);
}

/* Mail-wrapped: "(age" / "220778.420s)" split, last frame unindented. The
 * age is lost, the continuation line is the one skipped line. */
static void test_sample11_wrapped(void)
{
	KsStatus st;
	KsKmemleak *k = parse("11.txt", &st);
	const KsLeakGroup *g = only_group(k);

	CHECK(!st.has_state);
	CHECK(st.has_lines_skipped);
	CHECK_EQ_U(st.lines_skipped, 1);
	CHECK_EQ_U(k->objects_total, 1);
	if (!g)
		return;
	CHECK(!g->sample->has_age_ms);
	CHECK_EQ_U(g->sample->jiffies, 4294959326ull);
	CHECK_EQ_S(g->sample->comm, "gem_tiled_fence");
	CHECK_EQ_U(g->n_frames, 9);
	CHECK_EQ_S(frame(k, g, 1), "drm_vma_node_allow+0x2c/0xe0 [drm]");
	CHECK_EQ_S(frame(k, g, 8), "entry_SYSCALL_64_after_hwframe+0x44/0xae");
	CHECK(g->sample->hex_dump.len == 32 &&
	      g->sample->hex_dump.data[25] == 0xbe);
}

/* Second record cut after its hex dump: an object with no trace is a group
 * of its own (the kernel prints an empty trace when the depot has none).
 * Equal bytes and objects: the older allocation ranks first. */
static void test_sample12_no_trace(void)
{
	KsStatus st;
	KsKmemleak *k = parse("12.txt", &st);

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->objects_total, 2);
	CHECK_EQ_U(k->bytes_total, 2048);
	CHECK_EQ_U(k->n_groups, 2);
	if (k->n_groups != 2)
		return;
	CHECK_EQ_U(k->groups[0]->n_frames, 15);
	CHECK_EQ_U(k->groups[0]->crc, 0x8c508e7u);
	CHECK_EQ_S(frame(k, k->groups[0], 3),
		   "mm2m_open+0x3f/0x120 [minimal_m2m_device]");
	CHECK_EQ_S(k->groups[0]->sample->comm, "v4l_id");
	CHECK_EQ_U(k->groups[1]->n_frames, 0);
	CHECK(!k->groups[1]->has_crc);
	CHECK_EQ_S(k->groups[1]->sample->comm, "wireplumber");
	CHECK_EQ_U(k->groups[1]->sample->hex_dump.len, 32);
}

/* 32-bit: 8-digit object address and hashed column. */
static void test_sample13_32bit(void)
{
	KsStatus st;
	KsKmemleak *k = parse("13.txt", &st);
	const KsLeakGroup *g = only_group(k);

	check_status_ok(&st, 0);
	if (!g)
		return;
	CHECK_EQ_U(g->sample->address, 0xc3a34e00u);
	CHECK_EQ_U(g->sample->age_ms, 199080);
	CHECK_EQ_U(g->n_frames, 4);
	CHECK_EQ_S(frame(k, g, 0), "__kmalloc+0xf0/0x140");
	CHECK_EQ_S(
		frame(k, g, 3),
		"devm_of_pci_get_host_bridge_resources.constprop.0+0xb0/0x390");
}

/* ---- grouping ----------------------------------------------------------- */

static const char *tree_report(const char *tree)
{
	static char path[512];
	char rel[256];

	snprintf(rel, sizeof(rel), "trees/%s/sys/kernel/debug/kmemleak", tree);
	snprintf(path, sizeof(path), "%s", tl_fixture(rel));
	return path;
}

/* 4.15..5.1 style: 5 objects over 2 traces (A B A A B), every object with
 * its own [<hash>] column and terminator hash. A: 3 x 64 bytes, B: 2 x 256. */
static void test_group_old_format(void)
{
	KsStatus st;
	KsKmemleak *k =
		parse_path(tree_report("kmemleak-group-old"), 256, 0, &st);
	const KsLeakGroup *a, *b;

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->objects_total, 5);
	CHECK_EQ_U(k->bytes_total, 704);
	CHECK_EQ_U(k->groups_total, 2);
	CHECK_EQ_U(k->n_symbols, 9);
	CHECK_EQ_U(k->n_groups, 2);
	if (k->n_groups != 2)
		return;
	b = k->groups[0];
	a = k->groups[1];
	CHECK_EQ_U(b->objects, 2);
	CHECK_EQ_U(b->bytes, 512);
	CHECK_EQ_U(b->n_frames, 5);
	CHECK_EQ_S(frame(k, b, 1), "demo_alloc_ring+0x2e/0x90 [demo]");
	CHECK_EQ_U(b->oldest_age_ms, 119700);
	CHECK_EQ_U(b->newest_age_ms, 108500);
	CHECK_EQ_U(b->min_jiffies, 4294901200ull);
	CHECK_EQ_U(b->max_jiffies, 4294904000ull);
	CHECK_EQ_U(b->sample->pid, 977);
	CHECK_EQ_U(a->objects, 3);
	CHECK_EQ_U(a->bytes, 192);
	CHECK_EQ_U(a->n_frames, 4);
	CHECK_EQ_S(frame(k, a, 0), "kmem_cache_alloc_trace+0x15c/0x2c0");
	CHECK_EQ_S(frame(k, a, 3), "driver_probe_device+0x4f/0xc0");
	CHECK_EQ_U(a->oldest_age_ms, 120500);
	CHECK_EQ_U(a->newest_age_ms, 110500);
	CHECK_EQ_U(a->min_jiffies, 4294901000ull);
	CHECK_EQ_U(a->max_jiffies, 4294903500ull);
	CHECK_EQ_U(a->sample->address, 0xffff8880a1b2c340ull);
	CHECK_EQ_U(a->sample->pid, 412);
	CHECK(a->sample->hex_dump.len == 32 &&
	      a->sample->hex_dump.data[0] == 0x6b &&
	      a->sample->hex_dump.data[31] == 0xa5);
}

/* 6.8 style: crc headers, hashed columns, 5 objects (C D C D C) over 2
 * traces sharing their last three frames: C 3 x 96, D 2 x 2048. 6 + 7
 * frames, 3 shared: 10 symbols. */
static void test_group_new_format(void)
{
	KsStatus st;
	KsKmemleak *k =
		parse_path(tree_report("kmemleak-group-new"), 256, 0, &st);
	const KsLeakGroup *c, *d;

	check_status_ok(&st, 0);
	CHECK_EQ_U(k->objects_total, 5);
	CHECK_EQ_U(k->bytes_total, 4384);
	CHECK_EQ_U(k->groups_total, 2);
	CHECK_EQ_U(k->n_symbols, 10);
	CHECK_EQ_U(k->n_groups, 2);
	if (k->n_groups != 2)
		return;
	d = k->groups[0];
	c = k->groups[1];
	CHECK_EQ_U(d->objects, 2);
	CHECK_EQ_U(d->bytes, 4096);
	CHECK_EQ_U(d->crc, 0xdeadbeefu);
	CHECK_EQ_U(d->n_frames, 7);
	CHECK_EQ_U(c->objects, 3);
	CHECK_EQ_U(c->bytes, 288);
	CHECK_EQ_U(c->crc, 0x1a2b3c4du);
	CHECK_EQ_U(c->n_frames, 6);
	CHECK(!c->has_oldest_age_ms && !d->has_newest_age_ms);
	CHECK_EQ_U(c->min_jiffies, 4295000000ull);
	CHECK_EQ_U(c->max_jiffies, 4295001000ull);
	/* Shared frames are one symbol. */
	CHECK_EQ_U(c->frames[3], d->frames[4]);
	CHECK_EQ_S(frame(k, c, 3), "__x64_sys_ioctl+0x94/0xd0");
	CHECK(c->frames[2] != d->frames[3]); /* demo_ioctl, other offsets */
	CHECK_EQ_S(c->sample->comm, "demo-ctl");
	CHECK_EQ_U(c->sample->pid, 2301);
}

/* The same reports through a capture of the trees. */
static void test_trees_old_and_new(void)
{
	KsSnapshot *s = tl_capture(tl_fixture("trees/kmemleak-old"), NULL);
	const KsKmemleak *k;

	CHECK(s && s->kmemleak);
	if (!s || !s->kmemleak)
		return;
	k = s->kmemleak;
	/* 1.txt (8 bytes) + 6.txt (2 x 8192, one trace). */
	CHECK_EQ_U(k->status->state, ST_OK);
	CHECK(k->has_scanned && !k->scanned);
	CHECK_EQ_U(k->objects_total, 3);
	CHECK_EQ_U(k->bytes_total, 16392);
	CHECK_EQ_U(k->groups_total, 2);
	CHECK_EQ_U(k->n_groups, 2);
	CHECK_EQ_U(k->n_symbols, 22);
	if (k->n_groups == 2) {
		CHECK_EQ_U(k->groups[0]->bytes, 16384);
		CHECK_EQ_U(k->groups[1]->bytes, 8);
		CHECK_EQ_S(k->groups[1]->sample->comm, "criu");
	}
	CHECK_EQ_U(s->meminfo->mem_total_kb, 32704840);

	s = tl_capture(tl_fixture("trees/kmemleak-new"), NULL);
	CHECK(s && s->kmemleak);
	if (!s || !s->kmemleak)
		return;
	k = s->kmemleak;
	/* 7.txt (2 x 32, one trace) + 5.txt (8). */
	CHECK_EQ_U(k->status->state, ST_OK);
	CHECK_EQ_U(k->objects_total, 3);
	CHECK_EQ_U(k->bytes_total, 72);
	CHECK_EQ_U(k->n_groups, 2);
	if (k->n_groups == 2) {
		CHECK_EQ_U(k->groups[0]->objects, 2);
		CHECK_EQ_U(k->groups[0]->crc, 0xe5de3e0cu);
		CHECK_EQ_U(k->groups[1]->crc, 0);
		CHECK(k->groups[1]->has_crc);
	}
}

/* ---- bounds ------------------------------------------------------------- */

/* kmemleak-many: E 1 x 4096, F 2 x 512, G 3 x 128, H 1 x 32, in the order
 * E F G F H G G. With room for 2 groups the first two seen are kept. */
static void test_group_bound(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, o,
		      .root = tl_fixture("trees/kmemleak-many"),
		      .max_kmemleak_groups = 2);
	KsSnapshot *s = tl_capture(o.root, &o);
	const KsKmemleak *k;

	CHECK(s && s->kmemleak);
	if (!s || !s->kmemleak)
		return;
	k = s->kmemleak;
	CHECK_EQ_U(k->status->state, ST_TRUNCATED);
	CHECK_EQ_U(k->objects_total, 7);
	CHECK_EQ_U(k->bytes_total, 5536);
	CHECK_EQ_U(k->groups_total, 4);
	CHECK_EQ_U(k->n_groups, 2);
	CHECK_EQ_U(k->cut_objects, 4);
	CHECK_EQ_U(k->cut_bytes, 416);
	CHECK_EQ_U(k->cut_groups, 2);
	/* Symbols of cut traces are not stored. */
	CHECK_EQ_U(k->n_symbols, 6);
	if (k->n_groups == 2) {
		CHECK_EQ_U(k->groups[0]->bytes, 4096);
		CHECK_EQ_U(k->groups[1]->bytes, 1024);
		CHECK_EQ_U(k->groups[1]->objects, 2);
		CHECK_EQ_S(frame(k, k->groups[1], 1),
			   "demo_req_alloc+0x19/0x60 [demo]");
	}

	s = tl_capture(o.root, NULL);
	CHECK(s && s->kmemleak);
	if (!s || !s->kmemleak)
		return;
	k = s->kmemleak;
	CHECK_EQ_U(k->status->state, ST_OK);
	CHECK_EQ_U(k->n_groups, 4);
	CHECK(!k->has_cut_objects);
	if (k->n_groups == 4) {
		CHECK_EQ_U(k->groups[2]->bytes, 384);
		CHECK_EQ_U(k->groups[2]->objects, 3);
		CHECK_EQ_U(k->groups[3]->bytes, 32);
		CHECK_EQ_S(frame(k, k->groups[3], 2), "0xffffffffc0a1b2c3");
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* `records` objects of one trace of n distinct frames, f0+0x1/0x10 ... */
static void write_long_trace(const char *path, int n, int records)
{
	FILE *f = fopen(path, "w");
	int r, i;

	CHECK(f != NULL);
	if (!f)
		return;
	for (r = 0; r < records; r++) {
		fprintf(f,
			"unreferenced object 0xffff8881000%02x000 (size 16):\n",
			r);
		fprintf(f, "  comm \"t\", pid 1, jiffies %d\n", 1000 + r);
		fprintf(f, "  backtrace (crc 0):\n");
		for (i = 0; i < n; i++)
			fprintf(f, "    f%d+0x1/0x10\n", i);
	}
	fclose(f);
}

/* More than 32 frames: the first 32 are kept, the section says truncated.
 * Two such records still group together. */
static void test_frame_bound(void)
{
	char path[] = "/tmp/kmemleak-frames-XXXXXX";
	int fd = mkstemp(path);
	KsStatus st;
	KsKmemleak *k;

	CHECK(fd >= 0);
	close(fd);
	write_long_trace(path, 40, 2);
	k = parse_path(path, 256, 0, &st);
	CHECK_EQ_U(st.state, ST_TRUNCATED);
	CHECK_EQ_U(k->n_groups, 1);
	if (k->n_groups == 1) {
		CHECK_EQ_U(k->groups[0]->n_frames, 32);
		CHECK_EQ_U(k->groups[0]->objects, 2);
		CHECK_EQ_S(frame(k, k->groups[0], 31), "f31+0x1/0x10");
	}
	CHECK_EQ_U(k->n_symbols, 32);
	unlink(path);
}

/* One group allowed: 16 symbols. A 20-frame trace does not fit: all three
 * objects are cut under one trace. The 16 texts stored before the table
 * filled stay (no group uses them; the table bounds them). */
static void test_symbol_bound(void)
{
	char path[] = "/tmp/kmemleak-symbols-XXXXXX";
	int fd = mkstemp(path);
	KsStatus st;
	KsKmemleak *k;

	CHECK(fd >= 0);
	close(fd);
	write_long_trace(path, 20, 3);
	k = parse_path(path, 1, 0, &st);
	CHECK_EQ_U(st.state, ST_TRUNCATED);
	CHECK_EQ_U(k->n_groups, 0);
	CHECK_EQ_U(k->n_symbols, 16);
	CHECK_EQ_U(k->objects_total, 3);
	CHECK_EQ_U(k->cut_objects, 3);
	CHECK_EQ_U(k->cut_bytes, 48);
	CHECK_EQ_U(k->cut_groups, 1);
	CHECK_EQ_U(k->groups_total, 1);
	unlink(path);
}

/* A 64-byte reader buffer cuts the 69-character hex rows of 7.txt:
 *   awk 'length($0) >= 63' 7.txt | wc -l  ->  4
 * They are skipped; the records still parse. */
static void test_overlong_lines(void)
{
	KsStatus st;
	KsKmemleak *k =
		parse_path(tl_fixture("samples/kmemleak/7.txt"), 256, 64, &st);

	CHECK_EQ_U(st.lines_skipped, 4);
	CHECK_EQ_U(k->objects_total, 2);
	CHECK_EQ_U(k->n_groups, 1);
	if (k->n_groups == 1) {
		CHECK_EQ_U(k->groups[0]->n_frames, 12);
		CHECK(!k->groups[0]->sample->has_hex_dump);
	}
}

/* ---- damaged input: every prefix and a mangled copy of every sample ----- */

static size_t read_whole(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap, f) : 0;

	if (f)
		fclose(f);
	return n;
}

/* Parses text through a pipe and checks the totals add up. */
static void parse_text(const char *text, size_t len)
{
	static struct ks_config cfg = { .max_kmemleak_groups = 2 };
	static char buf[4096];
	struct ks_ctx ctx = { .root_fd = -1, .arena = tl_arena(), .cfg = &cfg };
	KsKmemleak k;
	KsStatus st;
	struct ks_lines lr;
	uint64_t objects = 0, bytes = 0;
	int p[2];
	size_t i;

	if (pipe(p) < 0 || write(p[1], text, len) != (ssize_t)len) {
		CHECK(!"pipe");
		return;
	}
	close(p[1]);
	kmemsnap__v1__kmemleak__init(&k);
	kmemsnap__v1__section_status__init(&st);
	ks_lines_from_fd(&lr, p[0], buf, sizeof(buf));
	ks_parse_kmemleak(&lr, &ctx, &k, &st);
	ks_lines_close(&lr);
	for (i = 0; i < k.n_groups; i++) {
		objects += k.groups[i]->objects;
		bytes += k.groups[i]->bytes;
		CHECK(k.groups[i]->n_frames <= 32);
	}
	CHECK_EQ_U(objects + k.cut_objects, k.objects_total);
	CHECK_EQ_U(bytes + k.cut_bytes, k.bytes_total);
	CHECK_EQ_U(k.n_groups + k.cut_groups, k.groups_total);
}

static void test_damaged_never_crash(void)
{
	char text[4096], mangled[4096];
	int n;

	for (n = 1; n <= 13; n++) {
		char rel[64];
		size_t len, cut, i;

		snprintf(rel, sizeof(rel), "samples/kmemleak/%d.txt", n);
		len = read_whole(tl_fixture(rel), text, sizeof(text));
		CHECK(len > 0);
		for (cut = 0; cut <= len; cut++)
			parse_text(text, cut);
		/* Every 7th byte replaced, cycling through troublesome ones. */
		memcpy(mangled, text, len);
		for (i = 0; i < len; i += 7)
			mangled[i] = "\n ([<x0f:\"+/)]"[(i / 7) % 14];
		parse_text(mangled, len);
	}
}

/* ---- absence ------------------------------------------------------------ */

static void check_absent(const KsSnapshot *s, int err, const char *detail)
{
	CHECK(s && s->kmemleak && s->kmemleak->status);
	if (!s || !s->kmemleak || !s->kmemleak->status)
		return;
	CHECK_EQ_U(s->kmemleak->status->state, ST_UNAVAILABLE);
	CHECK_EQ_U(s->kmemleak->status->error_number, err);
	CHECK_EQ_S(s->kmemleak->status->path, "sys/kernel/debug/kmemleak");
	CHECK_EQ_S(s->kmemleak->status->detail, detail);
	CHECK_EQ_U(s->kmemleak->n_groups, 0);
}

/* An empty sys/kernel/debug is what an unmounted mount point looks like;
 * no directory at all reads the same. Made at run time: git keeps no empty
 * directories. */
static void test_absent_not_mounted_trees(void)
{
	char root[] = "/tmp/kmemleak-tree-XXXXXX";
	char dir[128];

	CHECK(mkdtemp(root) != NULL);
	check_absent(tl_capture(root, NULL), ENOENT, NOT_MOUNTED);
	snprintf(dir, sizeof(dir), "%s/sys", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/sys/kernel", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/sys/kernel/debug", root);
	CHECK(mkdir(dir, 0755) == 0);
	check_absent(tl_capture(root, NULL), ENOENT, NOT_MOUNTED);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/sys/kernel", root);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/sys", root);
	rmdir(dir);
	rmdir(root);
}

/* debugfs holds other files but no kmemleak: CONFIG_DEBUG_KMEMLEAK off. */
static void test_absent_not_compiled_tree(void)
{
	check_absent(tl_capture(tl_fixture("trees/kmemleak-nofile"), NULL),
		     ENOENT, DISABLED);
}

/* Runs fn in a child (own mount namespace when ns is set) and checks that
 * it passed. The child exits 77 after printing why it skipped. */
static void run_in_child(void (*fn)(void), bool ns)
{
	pid_t pid;
	int status = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (ns && (unshare(CLONE_NEWNS) < 0 ||
			   mount("none", "/", "none", MS_REC | MS_PRIVATE,
				 NULL) < 0)) {
			printf("skip: no private mount namespace: %s\n",
			       strerror(errno));
			exit(77);
		}
		tl_failures = 0; /* count only the child's own checks */
		fn();
		fflush(stdout);
		_exit(tl_failures ? 1 : 0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77);
}

/* A tree made by root whose sys/kernel/debug is 0700, as debugfs is. */
static char perm_root[] = "/tmp/kmemleak-perm-XXXXXX";

/* Runs as nobody in a child: EACCES on the directory. */
static void absent_no_permission(void)
{
	if (setgid(65534) < 0 || setuid(65534) < 0) {
		printf("skip: cannot become nobody (%s); EACCES is covered by "
		       "running the suite unprivileged\n",
		       strerror(errno));
		exit(77);
	}
	check_absent(tl_capture(perm_root, NULL), EACCES, NO_PERMISSION);
}

static void test_absent_no_permission(void)
{
	char path[128];

	if (geteuid() != 0) {
		printf("skip: the EACCES case drops from root to nobody\n");
		return;
	}
	CHECK(mkdtemp(perm_root) != NULL && chmod(perm_root, 0755) == 0);
	snprintf(path, sizeof(path), "%s/sys", perm_root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel", perm_root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel/debug", perm_root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/kmemleak", perm_root);
	write_file(path, "");
	run_in_child(absent_no_permission, false);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sys/kernel/debug", perm_root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys/kernel", perm_root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys", perm_root);
	rmdir(path);
	rmdir(perm_root);
}

static bool debugfs_is_mounted(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " /sys/kernel/debug debugfs "))
			found = true;
	if (f)
		fclose(f);
	return found;
}

/* This machine with debugfs unmounted (in a private mount namespace, so
 * other processes keep whatever they have). */
static void live_unmounted(void)
{
	while (umount2("/sys/kernel/debug", MNT_DETACH) == 0)
		;
	if (debugfs_is_mounted()) {
		printf("skip: cannot unmount debugfs privately\n");
		exit(77);
	}
	check_absent(tl_capture("/", NULL), ENOENT, NOT_MOUNTED);
}

/* This machine with debugfs mounted (privately). Without kmemleak in the
 * kernel the file is missing from a mounted debugfs; with it, the report
 * is read. Asking for a scan gives the same answer. */
static void live_mounted(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, o, .root = "/",
		      .kmemleak_scan = 1);
	bool has_kmemleak;
	KsSnapshot *s;

	if (!debugfs_is_mounted() &&
	    mount("none", "/sys/kernel/debug", "debugfs", 0, NULL) < 0) {
		printf("skip: cannot mount debugfs: %s\n", strerror(errno));
		exit(77);
	}
	has_kmemleak = access("/sys/kernel/debug/kmemleak", F_OK) == 0;
	s = tl_capture("/", NULL);
	if (!has_kmemleak) {
		printf("     (this kernel has no kmemleak)\n");
		check_absent(s, ENOENT, DISABLED);
		check_absent(tl_capture("/", &o), ENOENT, DISABLED);
		return;
	}
	CHECK(s && s->kmemleak);
	if (s && s->kmemleak)
		CHECK(s->kmemleak->status->state != ST_UNAVAILABLE ||
		      s->kmemleak->status->detail != NULL);
}

static void test_live_machine(void)
{
	if (geteuid() != 0) {
		printf("skip: live debugfs cases need root (mount namespace)\n");
		return;
	}
	run_in_child(live_unmounted, true);
	run_in_child(live_mounted, true);
}

/* kmemleak_scan: "scan" is written, then the report is read from offset 0.
 * On a plain file the write lands over the first line ("----" placeholder),
 * which is then read back: one skipped line, both records of 7.txt. */
static void test_scan_writes_then_rereads(void)
{
	char root[] = "/tmp/kmemleak-scan-XXXXXX";
	char path[160], text[4096];
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, o, .kmemleak_scan = 1);
	KsSnapshot *s;
	size_t len;

	CHECK(mkdtemp(root) != NULL);
	o.root = root;
	snprintf(path, sizeof(path), "%s/sys", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel/debug", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/kmemleak", root);
	len = read_whole(tl_fixture("samples/kmemleak/7.txt"), text + 5,
			 sizeof(text) - 6);
	memcpy(text, "----\n", 5);
	text[len + 5] = '\0';
	write_file(path, text);

	s = tl_capture(root, &o);
	CHECK(s && s->kmemleak);
	if (s && s->kmemleak) {
		CHECK_EQ_U(s->kmemleak->status->state, ST_OK);
		CHECK(s->kmemleak->has_scanned && s->kmemleak->scanned);
		CHECK_EQ_U(s->kmemleak->status->lines_skipped, 1);
		CHECK_EQ_U(s->kmemleak->objects_total, 2);
	}
	CHECK(read_whole(path, text, 5) == 5 && memcmp(text, "scan\n", 5) == 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sys/kernel/debug", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys/kernel", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sys", root);
	rmdir(path);
	rmdir(root);
}

int main(void)
{
	RUN(test_sample1_old_terminator);
	RUN(test_sample2_unresolved_frame);
	RUN(test_sample3_crc);
	RUN(test_sample4_indented);
	RUN(test_sample5_bare_frames);
	RUN(test_sample6_two_records_one_group);
	RUN(test_sample7_modules_crc_differs);
	RUN(test_sample8_truncated_trace);
	RUN(test_sample9_unresolved_hashed);
	RUN(test_sample10_capitalised_short_crc);
	RUN(test_sample11_wrapped);
	RUN(test_sample12_no_trace);
	RUN(test_sample13_32bit);
	RUN(test_group_old_format);
	RUN(test_group_new_format);
	RUN(test_trees_old_and_new);
	RUN(test_group_bound);
	RUN(test_frame_bound);
	RUN(test_symbol_bound);
	RUN(test_overlong_lines);
	RUN(test_damaged_never_crash);
	RUN(test_absent_not_mounted_trees);
	RUN(test_absent_not_compiled_tree);
	RUN(test_absent_no_permission);
	RUN(test_live_machine);
	RUN(test_scan_writes_then_rereads);
	return tl_summary();
}
