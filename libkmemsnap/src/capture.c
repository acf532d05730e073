/* SPDX-License-Identifier: MIT */
/*
 * The capture pipeline: sections -> Snapshot -> packed message -> blob.
 * Everything here runs on memory the recorder set aside in advance.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "recorder.h"

/* Order matters only for reading: the header is filled first and last. */
const struct ks_section ks_sections[] = {
	{ "meminfo", ks_section_meminfo },
	{ "slab", ks_section_slab },
	{ "vmalloc", ks_section_vmalloc },
	{ "processes", ks_section_processes },
	{ "kmemleak", ks_section_kmemleak },
	{ "shmem", ks_section_shmem },
	{ "pressure", ks_section_pressure },
	{ "cgroup", ks_section_cgroup },
};
const size_t ks_section_count = sizeof(ks_sections) / sizeof(ks_sections[0]);

uint64_t ks_now_ns(int clock_id)
{
	struct timespec ts;

	if (clock_gettime(clock_id, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ks_status_unavailable(KsStatus *st, const char *path, int err)
{
	st->has_state = true;
	st->state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE;
	st->has_error_number = true;
	st->error_number = err < 0 ? -err : err;
	st->path = (char *)path;
}

void ks_status_read_done(KsStatus *st, const struct ks_lines *lr,
			 const char *path, int r)
{
	if (r < 0)
		ks_status_unavailable(st, path, r);
	st->has_lines_skipped = st->lines_skipped > 0;
	st->has_source_bytes = true;
	st->source_bytes = lr->bytes;
}

void ks_status_truncated(KsStatus *st)
{
	if (st->has_state &&
	    st->state == KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE)
		return;
	st->has_state = true;
	st->state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED;
}

static bool run_section(struct ks_ctx *ctx, const struct ks_section *s,
			KsSnapshot *snap)
{
	KsStatus *st = ks_arena_alloc(ctx->arena, sizeof(*st));
	uint64_t start = ks_now_ns(CLOCK_MONOTONIC);

	if (!st)
		return false;
	kmemsnap__v1__section_status__init(st);
	ctx->arena->exhausted = false;
	s->capture(ctx, snap, st);
	if (ctx->arena->exhausted)
		ks_status_truncated(st);
	if (!st->has_state) {
		st->has_state = true;
		st->state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK;
	}
	st->has_duration_ns = true;
	st->duration_ns = ks_now_ns(CLOCK_MONOTONIC) - start;
	return st->state != KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED;
}

static Kmemsnap__V1__Trigger trigger_of(const struct kmemsnap_capture_opts *o)
{
	if (!o || o->trigger == 0)
		return KMEMSNAP__V1__TRIGGER__TRIGGER_MANUAL;
	return (Kmemsnap__V1__Trigger)o->trigger;
}

static const char *detail_of(const struct kmemsnap_capture_opts *o)
{
	size_t end = offsetof(struct kmemsnap_capture_opts, trigger_detail) +
		     sizeof(o->trigger_detail);

	return o && o->sz >= end ? o->trigger_detail : NULL;
}

static const struct kmemsnap_oom_parser *
oom_parser_of(const struct kmemsnap_capture_opts *o)
{
	size_t end = offsetof(struct kmemsnap_capture_opts, oom_report) +
		     sizeof(o->oom_report);

	return o && o->sz >= end ? o->oom_report : NULL;
}

/* What a store needs to name the blob, copied out of the arena. */
static void remember_header(struct kmemsnap_recorder *rec,
			    const Kmemsnap__V1__Header *hdr)
{
	size_t n = hdr->boot_id ? strnlen(hdr->boot_id,
					  sizeof(rec->last.boot_id) - 1) : 0;

	rec->last.realtime_ns = hdr->realtime_ns;
	rec->last.trigger = (int)hdr->trigger;
	memcpy(rec->last.boot_id, hdr->boot_id ? hdr->boot_id : "", n);
	rec->last.boot_id[n] = '\0';
}

long ks_capture(struct kmemsnap_recorder *rec,
		const struct kmemsnap_capture_opts *opts)
{
	uint64_t start = ks_now_ns(CLOCK_MONOTONIC);
	struct ks_ctx ctx = {
		.root_fd = rec->root_fd,
		.arena = &rec->arena,
		.io_buf = rec->io_buf,
		.io_cap = rec->io_cap,
		.page_size = rec->page_size,
		.cfg = &rec->cfg,
	};
	const char *detail = detail_of(opts);
	const struct kmemsnap_oom_parser *oom;
	struct ks_pstore_request pstore;
	Kmemsnap__V1__Header *hdr;
	KsSnapshot *snap;
	uint32_t flags = rec->root_label ? KMEMSNAP_BLOB_F_FOREIGN_ROOT : 0;
	size_t msg_len;
	size_t i;

	ks_arena_reset(&rec->arena);
	snap = ks_arena_alloc(&rec->arena, sizeof(*snap));
	hdr = ks_arena_alloc(&rec->arena, sizeof(*hdr));
	if (!snap || !hdr)
		return -ENOMEM;
	kmemsnap__v1__snapshot__init(snap);
	kmemsnap__v1__header__init(hdr);
	snap->header = hdr;
	ks_fill_header(&ctx, hdr, rec->root_label);
	hdr->has_trigger = true;
	hdr->trigger = trigger_of(opts);
	if (detail)
		hdr->trigger_detail = ks_arena_strndup(&rec->arena, detail,
						       strnlen(detail, 255));
	remember_header(rec, hdr);

	for (i = 0; i < ks_section_count; i++)
		if (!run_section(&ctx, &ks_sections[i], snap))
			flags |= KMEMSNAP_BLOB_F_TRUNCATED;
	/* Pstore is asked for per capture (collect-boot); its records get
	 * the room the sections above left in the message. */
	if (ks_pstore_request(opts, rec->pack_cap, snap, &pstore)) {
		static const struct ks_section section = { "pstore",
							   ks_section_pstore };

		ctx.pstore = &pstore;
		if (!run_section(&ctx, &section, snap))
			flags |= KMEMSNAP_BLOB_F_TRUNCATED;
	}
	/* The watcher's history and event, from its own memory. */
	if (rec->extend)
		rec->extend(rec->extend_arg, &rec->arena, snap);
	if (snap->history &&
	    snap->history->status->state ==
		    KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED)
		flags |= KMEMSNAP_BLOB_F_TRUNCATED;
	/* The report lives in the parser's arena, which outlasts the capture. */
	oom = oom_parser_of(opts);
	if (oom)
		snap->oom_report =
			(Kmemsnap__V1__OomReport *)ks_oom_parser_report(oom);
	if (snap->oom_report &&
	    snap->oom_report->status->state ==
		    KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED)
		flags |= KMEMSNAP_BLOB_F_TRUNCATED;
	/* The crash section lives in the crash handler's memory. */
	snap->crash = (Kmemsnap__V1__Crash *)rec->crash;
	if (snap->crash &&
	    snap->crash->status->state ==
		    KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED)
		flags |= KMEMSNAP_BLOB_F_TRUNCATED;

	hdr->has_capture_duration_ns = true;
	hdr->capture_duration_ns = ks_now_ns(CLOCK_MONOTONIC) - start;

	msg_len = kmemsnap__v1__snapshot__get_packed_size(snap);
	if (msg_len > rec->pack_cap)
		return -EMSGSIZE;
	kmemsnap__v1__snapshot__pack(snap, rec->pack_buf);
	return ks_blob_write(rec->out_buf, rec->out_cap, rec->pack_buf, msg_len,
			     flags);
}
