/* SPDX-License-Identifier: MIT */
/* /proc/vmallocinfo (tests/fixtures/samples/vmallocinfo and trees). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "testlib.h"

#define F_NONE KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_NONE
#define F_VMALLOC KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VMALLOC
#define F_VMAP KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VMAP
#define F_IOREMAP KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_IOREMAP
#define F_USER KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_USER
#define F_VPAGES KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VPAGES
#define F_VM_MAP_RAM KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VM_MAP_RAM
#define F_UNPURGED KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_UNPURGED
#define F_DMA_COHERENT KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_DMA_COHERENT
#define F_SPARSE KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_SPARSE
#define F_OTHER KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_OTHER

#define STATE_OK KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK
#define STATE_TRUNCATED KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED
#define STATE_UNAVAILABLE KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE

typedef Kmemsnap__V1__Vmalloc KsVmalloc;
typedef Kmemsnap__V1__VmallocCaller KsVmallocCaller;
typedef Kmemsnap__V1__VmallocKindTotal KsVmallocKind;

/* Runs the parser over path with a reader buffer of cap bytes (0: 64 KiB). */
static KsVmalloc *parse_file(const char *path, uint32_t max_callers,
			     size_t cap, KsStatus *st)
{
	static KsVmalloc v;
	static struct ks_config cfg;
	struct ks_ctx ctx = { .root_fd = -1, .page_size = 4096, .cfg = &cfg };
	struct ks_lines lr;

	cfg.max_vmalloc_callers = max_callers;
	ctx.arena = tl_arena();
	kmemsnap__v1__vmalloc__init(&v);
	kmemsnap__v1__section_status__init(st);
	tl_open_lines(&lr, path, cap);
	ks_parse_vmallocinfo(&lr, &ctx, &v, st);
	ks_lines_close(&lr);
	return &v;
}

static KsVmalloc *parse_sample(int n, KsStatus *st)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "samples/vmallocinfo/%d.txt", n);
	return parse_file(tl_fixture(rel), 8192, 0, st);
}

static const KsVmallocCaller *caller(const KsVmalloc *v, const char *name,
				     uint32_t flags)
{
	size_t i;

	for (i = 0; i < v->n_callers; i++) {
		const KsVmallocCaller *c = v->callers[i];
		bool same = name ? c->caller && strcmp(c->caller, name) == 0
				 : c->caller == NULL;

		if (same && c->flags == flags)
			return c;
	}
	return NULL;
}

static const KsVmallocKind *kind(const KsVmalloc *v, uint32_t flag)
{
	size_t i;

	for (i = 0; i < v->n_kinds; i++)
		if ((uint32_t)v->kinds[i]->kind == flag)
			return v->kinds[i];
	return NULL;
}

#define CHECK_GROUP(v, name, flags, a, b, p)                                 \
	do {                                                                 \
		const KsVmallocCaller *g_ = caller(v, name, flags);          \
		CHECK(g_ != NULL);                                           \
		if (g_) {                                                    \
			CHECK_EQ_U(g_->areas, a);                            \
			CHECK_EQ_U(g_->bytes, b);                            \
			CHECK_EQ_U(g_->pages, p);                            \
		}                                                            \
	} while (0)

#define CHECK_KIND(v, flag, a, b, p)                                         \
	do {                                                                 \
		const KsVmallocKind *k_ = kind(v, flag);                     \
		CHECK(k_ != NULL);                                           \
		if (k_) {                                                    \
			CHECK_EQ_U(k_->areas, a);                            \
			CHECK_EQ_U(k_->bytes, b);                            \
			CHECK_EQ_U(k_->pages, p);                            \
		}                                                            \
	} while (0)

/* What holds for any input: kept groups plus cut equal the totals, the
 * groups come most bytes first, kinds in flag order, each area counted under
 * at least one kind. */
static void check_consistent(const KsVmalloc *v)
{
	uint64_t areas = v->cut_areas, bytes = v->cut_bytes, pages = v->cut_pages;
	uint64_t kind_areas = 0;
	size_t i;

	for (i = 0; i < v->n_callers; i++) {
		areas += v->callers[i]->areas;
		bytes += v->callers[i]->bytes;
		pages += v->callers[i]->pages;
		CHECK(v->callers[i]->areas > 0);
		if (i > 0)
			CHECK(v->callers[i - 1]->bytes >= v->callers[i]->bytes);
	}
	CHECK_EQ_U(areas, v->areas_total);
	CHECK_EQ_U(bytes, v->bytes_total);
	CHECK_EQ_U(pages, v->pages_total);
	CHECK_EQ_U(v->callers_total, v->n_callers);
	for (i = 0; i < v->n_kinds; i++) {
		kind_areas += v->kinds[i]->areas;
		if (i > 0)
			CHECK(v->kinds[i - 1]->kind < v->kinds[i]->kind);
	}
	CHECK(kind_areas >= v->areas_total);
}

/*
 * Totals per sample, from the size column and pages= only:
 *   awk '$1 ~ /^0x[0-9a-f]+-0x[0-9a-f]+$/ && $2 ~ /^[0-9]+$/ {a++; b+=$2;
 *        for(i=3;i<=NF;i++) if($i ~ /^pages=/) p+=substr($i,7)}
 *        END{printf "%d %.0f %d\n", a,b,p}' N.txt
 * 7.txt is handled in test_mail_wrapped.
 */
static void test_all_samples(void)
{
	static const struct {
		uint64_t areas, bytes, pages;
	} want[] = {
		{ 1362, 272105472, 5590 }, { 14, 2355200, 44 },
		{ 14, 2355200, 44 },       { 13, 3829760, 917 },
		{ 12, 8044544, 1950 },     { 4, 151552, 33 },
	};
	int n;

	for (n = 1; n <= 6; n++) {
		KsStatus st;
		KsVmalloc *v = parse_sample(n, &st);

		if (v->areas_total != want[n - 1].areas ||
		    v->bytes_total != want[n - 1].bytes ||
		    v->pages_total != want[n - 1].pages || st.lines_skipped ||
		    st.has_state || kind(v, F_OTHER))
			tl_fail(__FILE__, __LINE__,
				"vmallocinfo/%d.txt: %llu areas, %llu bytes, "
				"%llu pages, %u skipped, state %d", n,
				(unsigned long long)v->areas_total,
				(unsigned long long)v->bytes_total,
				(unsigned long long)v->pages_total,
				st.lines_skipped, (int)st.state);
		check_consistent(v);
	}
}

/* 5.10-era: 371 "unpurged vm_area" lines at the end, [vmwgfx] callers,
 * widened size column (134221824 ... pci_mmcfg_arch_map). */
static void test_sample1(void)
{
	KsStatus st;
	KsVmalloc *v = parse_sample(1, &st);

	CHECK_EQ_U(v->areas_total, 1362);
	CHECK_EQ_U(v->bytes_total, 272105472);
	CHECK_EQ_U(v->pages_total, 5590);
	/* Distinct (caller, flag words) pairs:
	 * awk '{c=""; f=""; i=3; if ($3!="unpurged" &&
	 *   $3 !~ /^(pages=|phys=|vmalloc$|vmap$|ioremap$)/) {c=$3; i=4;
	 *   if ($4 ~ /^\[.*\]$/) {c=c " " $4; i=5}}
	 *   for(;i<=NF;i++) if ($i !~ /^(pages=|phys=|N[0-9]+=)/) f=f " " $i;
	 *   print c "|" f}' 1.txt | sort -u | wc -l */
	CHECK_EQ_U(v->callers_total, 34);
	/* Per flag word: awk '{for(i=3;i<=NF;i++) if ($i == W) {a++; b+=$2;
	 * for(j=3;j<=NF;j++) if($j ~ /^pages=/) p+=substr($j,7)}}' 1.txt;
	 * the flagless area is ttm_bo_kmap_ttm [ttm]. */
	CHECK_EQ_U(v->n_kinds, 6);
	CHECK_KIND(v, F_NONE, 1, 1925120, 0);
	CHECK_KIND(v, F_VMALLOC, 972, 127528960, 5590);
	CHECK_KIND(v, F_VMAP, 2, 40960, 0);
	CHECK_KIND(v, F_IOREMAP, 16, 135024640, 0);
	CHECK_KIND(v, F_VPAGES, 1, 4169728, 1017);
	/* grep -c 'unpurged vm_area' 1.txt; awk '$3=="unpurged"{b+=$2}' */
	CHECK_KIND(v, F_UNPURGED, 371, 7585792, 0);
	CHECK_GROUP(v, NULL, F_UNPURGED, 371, 7585792, 0);
	CHECK_GROUP(v, "vmw_fb_init+0x1c3/0x3f0 [vmwgfx]", F_VMALLOC, 1, 12288, 2);
	CHECK_GROUP(v, "vmw_fb_init+0x1c3/0x3f0 [vmwgfx]", F_VMALLOC | F_VPAGES,
		    1, 4169728, 1017);
	CHECK_GROUP(v, "qp_alloc_queue.constprop.0+0x44/0x110 [vmw_vmci]",
		    F_VMALLOC, 2, 16384, 2);
	CHECK_GROUP(v, "ttm_bo_kmap_ttm+0xce/0x150 [ttm]", F_NONE, 1, 1925120, 0);
	/* grep dup_task_struct 1.txt | awk '{b+=$2} END{print NR, b}' */
	CHECK_GROUP(v, "dup_task_struct+0x4a/0x1b0", F_VMALLOC, 377, 7720960,
		    377 * 4);
	/* The largest group is one 134221824-byte area (a 9-digit size):
	 * more than pcpu_get_vm_areas+0x0's 3 * 33554432. */
	CHECK(v->n_callers > 0 &&
	      strcmp(v->callers[0]->caller, "pci_mmcfg_arch_map+0x2f/0x60") == 0);
	check_consistent(v);
}

/* 3.10 CentOS 7: "phys=fed00000" (%llx) is a known token, not OTHER. */
static void test_el7_tree(void)
{
	KsSnapshot *s = tl_capture(tl_fixture("trees/el7"), NULL);
	KsVmalloc *v = s ? s->vmalloc : NULL;

	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_EQ_U(v->status->state, STATE_OK);
	CHECK_EQ_U(v->status->lines_skipped, 0);
	CHECK_EQ_U(v->areas_total, 13);
	CHECK_EQ_U(v->bytes_total, 3829760);
	CHECK_EQ_U(v->pages_total, 917);
	CHECK_EQ_U(v->n_kinds, 2);
	CHECK_KIND(v, F_IOREMAP, 4, 36864, 0);
	CHECK_KIND(v, F_VMALLOC, 9, 3792896, 917);
	CHECK_GROUP(v, "acpi_os_map_memory+0xea/0x142", F_IOREMAP, 2, 20480, 0);
	CHECK_GROUP(v, "alloc_large_system_hash+0x171/0x239", F_VMALLOC, 7,
		    3649536, 884);
	CHECK_EQ_U(v->callers_total, 5);
	check_consistent(v);
}

/* The modern tree is sample 1 behind the section wrapper. */
static void test_modern_tree(void)
{
	KsSnapshot *s = tl_capture(tl_fixture("trees/modern"), NULL);
	KsVmalloc *v = s ? s->vmalloc : NULL;

	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_EQ_U(v->status->state, STATE_OK);
	CHECK_EQ_U(v->status->source_bytes, 118367);
	CHECK_EQ_U(v->areas_total, 1362);
	CHECK_EQ_U(v->bytes_total, 272105472);
	CHECK_EQ_U(v->callers_total, 34);
	CHECK(!v->has_cut_areas);
}

/* 4.19 aarch64: hashed %pK pointers, end < start; sizes from the column. */
static void test_hashed_addresses(void)
{
	KsStatus st;
	KsVmalloc *v = parse_sample(5, &st);

	/* Line 1 is 0x000000007266083f-0x00000000071a5b85 (end < start). */
	CHECK_EQ_U(v->bytes_total, 8044544);
	CHECK_GROUP(v, "load_module+0xe4c/0x1e60", F_VMALLOC, 4, 397312, 93);
	CHECK_GROUP(v, "load_module+0xe4c/0x1e60", F_VMALLOC | F_VPAGES, 2,
		    7561216, 1844);
	CHECK_GROUP(v, "of_iomap+0x4c/0xa8", F_IOREMAP, 1, 8192, 0);
	CHECK_EQ_U(st.lines_skipped, 0);
}

/* 6-node host: 1..6 trailing Nx= tokens with gaps ("N0=4 N5=4", "N2=1"). */
static void test_numa_gaps(void)
{
	KsStatus st;
	KsVmalloc *v = parse_sample(6, &st);

	CHECK_EQ_U(v->n_callers, 1);
	CHECK_GROUP(v, "inet_ehash_locks_alloc+0x90/0x100", F_VMALLOC, 4, 151552,
		    33);
	CHECK_EQ_U(v->n_kinds, 1);
	CHECK_EQ_U(st.lines_skipped, 0);
}

/* 7.txt was wrapped by a mailer after the size and before "N1=". What it
 * yields: the 8 "0x...-0x... size" heads are areas without caller or flags
 * (kind NONE, no pages); the 8 continuation lines and the 2 lone "N1=..."
 * lines have no range and are skipped. Sizes: 4 * 12288 + 266240 +
 * 268439552 + 528384 + 134221824 = 403505152 (the awk above agrees). */
static void test_mail_wrapped(void)
{
	KsStatus st;
	KsVmalloc *v = parse_sample(7, &st);

	CHECK_EQ_U(v->areas_total, 8);
	CHECK_EQ_U(v->bytes_total, 403505152);
	CHECK_EQ_U(v->pages_total, 0);
	CHECK_EQ_U(st.lines_skipped, 10);
	CHECK(st.has_lines_skipped);
	CHECK_EQ_U(v->n_callers, 1);
	CHECK_GROUP(v, NULL, F_NONE, 8, 403505152, 0);
	CHECK_EQ_U(v->n_kinds, 1);
	CHECK_KIND(v, F_NONE, 8, 403505152, 0);
}

/*
 * trees/vmalloc-modules/proc/vmallocinfo covers every variant in one file.
 * Totals: the awk of test_all_samples prints 22 4569731072 66570. Per flag
 * word W:
 *   awk -v w=W '$1 ~ /^0x[0-9a-f]+-0x[0-9a-f]+$/ && $2 ~ /^[0-9]+$/ {
 *     hit=0; for(i=3;i<=NF;i++) if($i==w) hit=1;
 *     if(hit){a++; b+=$2; for(i=3;i<=NF;i++) if($i ~ /^pages=/)
 *     p+=substr($i,7)}} END{printf "%d %.0f %d\n", a,b,p}'
 * ("unpurged" for UNPURGED, "xen" for OTHER). Skipped: the four lines
 * without a range, size or clean size; the empty line is not counted.
 */
static const struct {
	const char *caller;
	uint32_t flags;
	uint64_t areas, bytes, pages;
} modules_groups[] = {
	{ "arena_map_alloc+0x1a2/0x2b0", F_SPARSE, 1, 4294971392ull, 0 },
	{ "alloc_large_system_hash+0xf1/0x290", F_VMALLOC | F_VPAGES, 1,
	  268439552, 65536 },
	{ "vmw_fb_init+0x1c3/0x3f0 [vmwgfx]", F_VMALLOC | F_VPAGES, 1, 4169728,
	  1017 },
	{ "ttm_bo_kmap_ttm+0xce/0x150 [ttm]", F_NONE, 1, 1925120, 0 },
	{ "alloc_large_system_hash+0x171/0x239", F_VMALLOC, 2, 40960, 8 },
	{ NULL, F_UNPURGED, 3, 36864, 0 },
	/* 20480 each: no caller sorts first. */
	{ NULL, F_VM_MAP_RAM, 1, 20480, 0 },
	{ "irq_init_percpu_irqstack+0xca/0x100", F_VMAP, 1, 20480, 0 },
	/* One of the two has kptr_restrict=2 zero addresses. */
	{ "acpi_os_map_iomem+0x1bc/0x1e0", F_IOREMAP, 2, 16384, 0 },
	{ "dma_common_contiguous_remap+0x6e/0xa0", F_VMAP | F_DMA_COHERENT, 1,
	  16384, 0 },
	{ "gntdev_alloc_map+0x10/0x40", F_VMALLOC | F_OTHER, 1, 12288, 2 },
	{ "vmw_fb_init+0x1c3/0x3f0 [vmwgfx]", F_VMALLOC, 1, 12288, 2 },
	{ NULL, F_VMALLOC, 1, 8192, 1 },
	{ "0xffffffffc0cceec6", F_VMALLOC, 1, 8192, 1 },
	{ "__bpf_map_area_alloc.cold+0x12/0x3a", F_VMALLOC | F_USER, 1, 8192, 1 },
	{ "acpi_os_map_memory+0xea/0x142", F_IOREMAP, 1, 8192, 0 },
	{ "nft_set_elem_init.isra.0+0x4f/0x1a0 [nf_tables]", F_VMALLOC, 1, 8192,
	  1 },
	{ "qp_alloc_queue.constprop.0+0x44/0x110 [vmw_vmci]", F_VMALLOC, 1, 8192,
	  1 },
};

#define MODULES_GROUPS (sizeof(modules_groups) / sizeof(modules_groups[0]))

static void test_modules_tree(void)
{
	KsSnapshot *s = tl_capture(tl_fixture("trees/vmalloc-modules"), NULL);
	KsVmalloc *v = s ? s->vmalloc : NULL;
	size_t i;

	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_EQ_U(v->status->state, STATE_OK);
	CHECK_EQ_U(v->status->lines_skipped, 4);
	CHECK_EQ_U(v->areas_total, 22);
	CHECK_EQ_U(v->bytes_total, 4569731072ull);
	CHECK_EQ_U(v->pages_total, 66570);
	CHECK_EQ_U(v->callers_total, MODULES_GROUPS);
	CHECK_EQ_U(v->n_callers, MODULES_GROUPS);
	for (i = 0; i < MODULES_GROUPS && i < v->n_callers; i++) {
		const KsVmallocCaller *c = v->callers[i];

		if (modules_groups[i].caller)
			CHECK_EQ_S(c->caller, modules_groups[i].caller);
		else
			CHECK(c->caller == NULL);
		CHECK_EQ_U(c->flags, modules_groups[i].flags);
		CHECK_EQ_U(c->areas, modules_groups[i].areas);
		CHECK_EQ_U(c->bytes, modules_groups[i].bytes);
		CHECK_EQ_U(c->pages, modules_groups[i].pages);
	}
	CHECK_EQ_U(v->n_kinds, 11);
	CHECK_KIND(v, F_NONE, 1, 1925120, 0);
	CHECK_KIND(v, F_VMALLOC, 11, 272715776, 66570);
	CHECK_KIND(v, F_VMAP, 2, 36864, 0);
	CHECK_KIND(v, F_IOREMAP, 3, 24576, 0);
	CHECK_KIND(v, F_USER, 1, 8192, 1);
	CHECK_KIND(v, F_VPAGES, 2, 272609280, 66553);
	CHECK_KIND(v, F_VM_MAP_RAM, 1, 20480, 0);
	CHECK_KIND(v, F_UNPURGED, 3, 36864, 0);
	CHECK_KIND(v, F_DMA_COHERENT, 1, 16384, 0);
	CHECK_KIND(v, F_SPARSE, 1, 4294971392ull, 0);
	CHECK_KIND(v, F_OTHER, 1, 12288, 2);
	CHECK(!v->has_cut_areas);
	check_consistent(v);
}

/* Four groups kept: the first four distinct ones in file order (irq stack
 * 20480, acpi_os_map_iomem 2 x 8192, acpi_os_map_memory 8192,
 * alloc_large_system_hash+0x171 2 x 20480 = 6 areas, 86016 bytes, 8 pages);
 * the other 16 areas are cut. */
static void test_bound(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts,
		      .root = tl_fixture("trees/vmalloc-modules"),
		      .max_vmalloc_callers = 4);
	KsSnapshot *s = tl_capture(opts.root, &opts);
	KsVmalloc *v = s ? s->vmalloc : NULL;

	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_EQ_U(v->status->state, STATE_TRUNCATED);
	CHECK_EQ_U(v->n_callers, 4);
	CHECK_EQ_U(v->callers_total, 4);
	CHECK_EQ_U(v->areas_total, 22);
	CHECK_EQ_U(v->bytes_total, 4569731072ull);
	CHECK(v->has_cut_areas);
	CHECK_EQ_U(v->cut_areas, 22 - 6);
	CHECK_EQ_U(v->cut_bytes, 4569731072ull - 86016);
	CHECK_EQ_U(v->cut_pages, 66570 - 8);
	if (v->n_callers == 4) {
		CHECK_EQ_S(v->callers[0]->caller,
			   "alloc_large_system_hash+0x171/0x239");
		CHECK_EQ_S(v->callers[3]->caller, "acpi_os_map_memory+0xea/0x142");
	}
	/* Kinds are over every area, kept or cut. */
	CHECK_EQ_U(v->n_kinds, 11);
	check_consistent(v);
}

/* The table for 8192 groups (128 KiB of slots) does not fit a 64 KiB
 * arena: every area is cut, the totals stay exact. */
static void test_arena_too_small(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts,
		      .root = tl_fixture("trees/vmalloc-modules"),
		      .arena_bytes = 64 << 10);
	KsSnapshot *s = tl_capture(opts.root, &opts);
	KsVmalloc *v = s ? s->vmalloc : NULL;

	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_EQ_U(v->status->state, STATE_TRUNCATED);
	CHECK_EQ_U(v->n_callers, 0);
	CHECK_EQ_U(v->areas_total, 22);
	CHECK_EQ_U(v->cut_areas, 22);
	CHECK_EQ_U(v->cut_bytes, 4569731072ull);
	CHECK_EQ_U(v->n_kinds, 11);
	check_consistent(v);
}

static uint64_t meminfo_kb(const char *key)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long v = 0;
	size_t klen = strlen(key);

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':')
			v = strtoull(line + klen + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* VmallocUsed is vmalloc_nr_pages() since 5.3 (0 from 4.4 to 5.2). */
static bool kernel_at_least_5_3(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 3);
}

static void test_live(void)
{
	KsSnapshot *s = tl_capture("/", NULL);
	KsVmalloc *v = s ? s->vmalloc : NULL;
	uint64_t used_kb, ours_kb;

	CHECK(v != NULL);
	if (!v)
		return;
	if (geteuid() != 0) {
		/* 0400 root:root */
		CHECK_EQ_U(v->status->state, STATE_UNAVAILABLE);
		CHECK_EQ_U(v->status->error_number, EACCES);
		CHECK_EQ_S(v->status->path, "proc/vmallocinfo");
		return;
	}
	CHECK_EQ_U(v->status->state, STATE_OK);
	CHECK_EQ_U(v->status->lines_skipped, 0);
	CHECK(v->areas_total > 0);
	CHECK(!kind(v, F_OTHER));
	check_consistent(v);
	if (!kernel_at_least_5_3())
		return;
	/* Both count the pages of vmalloc'ed areas, but they are two reads
	 * while the kernel keeps allocating (module loads, BPF programs,
	 * thread stacks), so allow 10%. */
	used_kb = meminfo_kb("VmallocUsed");
	ours_kb = v->pages_total * s->header->page_size_bytes / 1024;
	if (ours_kb * 10 < used_kb * 9 || ours_kb * 10 > used_kb * 11)
		tl_fail(__FILE__, __LINE__, "pages_total %llu kB vs VmallocUsed %llu kB",
			(unsigned long long)ours_kb, (unsigned long long)used_kb);
}

/* Writes text to a temporary file and returns its path (static buffer). */
static const char *temp_file(const void *data, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/kmemsnap-vmalloc-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
	return path;
}

/* A line longer than the reader's 256-byte buffer is skipped whole, even
 * one that starts like an area; the lines around it still count. */
static void test_overlong_line(void)
{
	static const char good[] =
		"0xffffc90000000000-0xffffc90000002000    8192 "
		"hpet_enable+0x36/0x4a9 phys=0x00000000fed00000 ioremap\n";
	static char text[3 * 100000];
	size_t len = 0;
	const char *path;
	KsStatus st;
	KsVmalloc *v;

	memcpy(text, good, sizeof(good) - 1);
	len += sizeof(good) - 1;
	memcpy(text + len, good, 46); /* a range and size, then 99954 'x' */
	memset(text + len + 46, 'x', 100000 - 46);
	len += 100000;
	text[len++] = '\n';
	memcpy(text + len, good, sizeof(good) - 1);
	len += sizeof(good) - 1;
	memset(text + len, 'y', 1000); /* a last line without newline */
	len += 1000;
	path = temp_file(text, len);
	v = parse_file(path, 8192, 256, &st);
	unlink(path);
	CHECK_EQ_U(v->areas_total, 2);
	CHECK_EQ_U(v->bytes_total, 16384);
	CHECK_EQ_U(st.lines_skipped, 2);
	CHECK_GROUP(v, "hpet_enable+0x36/0x4a9", F_IOREMAP, 2, 16384, 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random bytes, and the modules fixture with random bytes flipped, parsed
 * with a small table: nothing crashes and the sums stay consistent. */
static void test_garbage(void)
{
	static const char alphabet[] = "0x-= \n\tNpagesphys[]+/.abcdef0123456789";
	static char text[64 << 10];
	static char base[4096];
	size_t base_len = 0;
	FILE *f = fopen(tl_fixture("trees/vmalloc-modules/proc/vmallocinfo"), "r");
	int round;

	CHECK(f != NULL);
	if (f) {
		base_len = fread(base, 1, sizeof(base), f);
		fclose(f);
	}
	for (round = 0; round < 200; round++) {
		size_t len = 1 + rng() % sizeof(text);
		const char *path;
		size_t i;
		KsStatus st;
		KsVmalloc *v;

		if (round % 2 && base_len) {
			len = base_len;
			memcpy(text, base, len);
			for (i = 0; i < 1 + rng() % 40; i++)
				text[rng() % len] = (char)rng();
		} else {
			for (i = 0; i < len; i++)
				text[i] = round % 4 ? alphabet[rng() % (sizeof(alphabet) - 1)]
						    : (char)rng();
		}
		path = temp_file(text, len);
		v = parse_file(path, 1 + (uint32_t)(rng() % 8), 128, &st);
		unlink(path);
		check_consistent(v);
	}
}

int main(void)
{
	RUN(test_all_samples);
	RUN(test_sample1);
	RUN(test_el7_tree);
	RUN(test_modern_tree);
	RUN(test_hashed_addresses);
	RUN(test_numa_gaps);
	RUN(test_mail_wrapped);
	RUN(test_modules_tree);
	RUN(test_bound);
	RUN(test_arena_too_small);
	RUN(test_live);
	RUN(test_overlong_line);
	RUN(test_garbage);
	return tl_summary();
}
