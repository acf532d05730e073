/* SPDX-License-Identifier: MIT */
/*
 * /proc/meminfo (fs/proc/meminfo.c, hugetlb_report_meminfo,
 * arch_report_meminfo). Lines are "Key: value [kB]", parsed by key, never by
 * column: 2.6.1x padded labels to 14 columns, later kernels to 16, and wide
 * values push past both. Keys this table does not know are kept by name.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

typedef Kmemsnap__V1__Meminfo KsMeminfo;

struct meminfo_key {
	const char *key;
	size_t has_off;
	size_t value_off;
};

#define KEY(k, field)                                                        \
	{ k, offsetof(KsMeminfo, has_##field), offsetof(KsMeminfo, field) }

static const struct meminfo_key known_keys[] = {
	KEY("MemTotal", mem_total_kb),
	KEY("MemFree", mem_free_kb),
	KEY("MemAvailable", mem_available_kb),
	KEY("Buffers", buffers_kb),
	KEY("Cached", cached_kb),
	KEY("SwapCached", swap_cached_kb),
	KEY("Active", active_kb),
	KEY("Inactive", inactive_kb),
	KEY("Active(anon)", active_anon_kb),
	KEY("Inactive(anon)", inactive_anon_kb),
	KEY("Active(file)", active_file_kb),
	KEY("Inactive(file)", inactive_file_kb),
	KEY("Unevictable", unevictable_kb),
	KEY("Mlocked", mlocked_kb),
	KEY("HighTotal", high_total_kb),
	KEY("HighFree", high_free_kb),
	KEY("LowTotal", low_total_kb),
	KEY("LowFree", low_free_kb),
	KEY("MmapCopy", mmap_copy_kb),
	KEY("SwapTotal", swap_total_kb),
	KEY("SwapFree", swap_free_kb),
	KEY("Zswap", zswap_kb),
	KEY("Zswapped", zswapped_kb),
	KEY("Dirty", dirty_kb),
	KEY("Writeback", writeback_kb),
	KEY("AnonPages", anon_pages_kb),
	KEY("Mapped", mapped_kb),
	KEY("Shmem", shmem_kb),
	KEY("KReclaimable", k_reclaimable_kb),
	KEY("Slab", slab_kb),
	KEY("SReclaimable", s_reclaimable_kb),
	KEY("SUnreclaim", s_unreclaim_kb),
	KEY("KernelStack", kernel_stack_kb),
	KEY("ShadowCallStack", shadow_call_stack_kb),
	KEY("PageTables", page_tables_kb),
	KEY("SecPageTables", sec_page_tables_kb),
	KEY("Quicklists", quicklists_kb),
	KEY("NFS_Unstable", nfs_unstable_kb),
	KEY("Bounce", bounce_kb),
	KEY("WritebackTmp", writeback_tmp_kb),
	KEY("CommitLimit", commit_limit_kb),
	KEY("Committed_AS", committed_as_kb),
	KEY("VmallocTotal", vmalloc_total_kb),
	KEY("VmallocUsed", vmalloc_used_kb),
	KEY("VmallocChunk", vmalloc_chunk_kb),
	KEY("Percpu", percpu_kb),
	KEY("EarlyMemtestBad", early_memtest_bad_kb),
	KEY("HardwareCorrupted", hardware_corrupted_kb),
	KEY("AnonHugePages", anon_huge_pages_kb),
	KEY("ShmemHugePages", shmem_huge_pages_kb),
	KEY("ShmemPmdMapped", shmem_pmd_mapped_kb),
	KEY("FileHugePages", file_huge_pages_kb),
	KEY("FilePmdMapped", file_pmd_mapped_kb),
	KEY("CmaTotal", cma_total_kb),
	KEY("CmaFree", cma_free_kb),
	KEY("Unaccepted", unaccepted_kb),
	KEY("Balloon", balloon_kb),
	KEY("HugePages_Total", huge_pages_total),
	KEY("HugePages_Free", huge_pages_free),
	KEY("HugePages_Rsvd", huge_pages_rsvd),
	KEY("HugePages_Surp", huge_pages_surp),
	KEY("Hugepagesize", hugepagesize_kb),
	KEY("Hugetlb", hugetlb_kb),
	KEY("DirectMap4k", direct_map_4k_kb),
	KEY("DirectMap2M", direct_map_2m_kb),
	KEY("DirectMap4M", direct_map_4m_kb),
	KEY("DirectMap1G", direct_map_1g_kb),
};

#define KNOWN_COUNT (sizeof(known_keys) / sizeof(known_keys[0]))

/* Unknown keys seen in one file; more than this are counted as skipped. */
#define MAX_OTHER_KEYS 64

static const struct meminfo_key *find_key(const struct ks_kv *kv)
{
	size_t i;

	for (i = 0; i < KNOWN_COUNT; i++)
		if (ks_token_is(kv->key, kv->key_len, known_keys[i].key))
			return &known_keys[i];
	return NULL;
}

static void set_known(KsMeminfo *m, const struct meminfo_key *k, uint64_t v)
{
	char *base = (char *)m;

	*(protobuf_c_boolean *)(base + k->has_off) = 1;
	*(uint64_t *)(base + k->value_off) = v;
}

static bool keep_other(KsMeminfo *m, Kmemsnap__V1__MeminfoOther **slots,
		       struct ks_arena *a, const struct ks_kv *kv)
{
	Kmemsnap__V1__MeminfoOther *o;

	if (m->n_other >= MAX_OTHER_KEYS)
		return false;
	o = ks_arena_alloc(a, sizeof(*o));
	if (!o)
		return false;
	kmemsnap__v1__meminfo_other__init(o);
	o->key = ks_arena_strndup(a, kv->key, kv->key_len);
	o->has_value = true;
	o->value = kv->value;
	if (kv->unit_len)
		o->unit = ks_arena_strndup(a, kv->unit, kv->unit_len);
	/* With the arena full, a half-kept line (a value without its key, a
	 * kB value without its unit) would mislead: it is not kept. */
	if (!o->key || (kv->unit_len && !o->unit))
		return false;
	slots[m->n_other++] = o;
	return true;
}

const char *ks_meminfo_key_name(size_t value_off)
{
	size_t i;

	for (i = 0; i < KNOWN_COUNT; i++)
		if (known_keys[i].value_off == value_off)
			return known_keys[i].key;
	return NULL;
}

void ks_parse_meminfo(struct ks_lines *lr, struct ks_arena *a, KsMeminfo *m,
		      KsStatus *st)
{
	Kmemsnap__V1__MeminfoOther **slots =
		ks_arena_alloc(a, MAX_OTHER_KEYS * sizeof(*slots));
	char *line;
	size_t len;
	int r;

	m->other = slots;
	while ((r = ks_lines_next(lr, &line, &len)) > 0) {
		const struct meminfo_key *k;
		struct ks_kv kv;

		if (!ks_parse_kv(line, &kv)) {
			if (*ks_skip_space(line))
				st->lines_skipped++;
			continue;
		}
		k = find_key(&kv);
		if (k)
			set_known(m, k, kv.value);
		else if (!slots || !keep_other(m, slots, a, &kv))
			st->lines_skipped++;
	}
	ks_status_read_done(st, lr, "proc/meminfo", r);
}

void ks_section_meminfo(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	KsMeminfo *m = ks_arena_alloc(ctx->arena, sizeof(*m));
	struct ks_lines lr;
	int err;

	if (!m)
		return;
	kmemsnap__v1__meminfo__init(m);
	m->status = st;
	snap->meminfo = m;
	err = ks_lines_open(&lr, ctx->root_fd, "proc/meminfo", ctx->io_buf,
			    ctx->io_cap);
	if (err < 0) {
		ks_status_unavailable(st, "proc/meminfo", err);
		return;
	}
	ks_parse_meminfo(&lr, ctx->arena, m, st);
	ks_lines_close(&lr);
}
