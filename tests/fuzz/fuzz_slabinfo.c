/* SPDX-License-Identifier: MIT */
/* /proc/slabinfo through ks_parse_slabinfo (section_slab.c). */
#include <string.h>

#include "fuzz.h"

/* section_slab.c: SLAB_NAME_MAX. */
#define SLAB_NAME_MAX 64

/* As parse_row computes it, wrapping in 64 bits alike. */
static uint64_t footprint(const Kmemsnap__V1__SlabCache *c)
{
	return c->num_slabs * c->pages_per_slab * 4096;
}

/* Kept caches come largest footprint first, each with a name of the
 * bounded length, and never more than were counted. */
static void check_slab(const Kmemsnap__V1__Slab *s, uint32_t keep)
{
	uint64_t objs = 0, bytes = 0;
	size_t i;

	FZ_CHECK(s->n_caches <= s->caches_total);
	FZ_CHECK(s->n_caches <= keep);
	/* top_n says whether caches were left out, and how many are kept. */
	FZ_CHECK(s->top_n == 0 ? s->n_caches == s->caches_total :
				 s->top_n == s->n_caches);
	for (i = 0; i < s->n_caches; i++) {
		const Kmemsnap__V1__SlabCache *c = s->caches[i];

		FZ_CHECK(c->name && strlen(c->name) < SLAB_NAME_MAX);
		/* Ties go by name; names cut to the same prefix are equal. */
		if (i > 0) {
			const Kmemsnap__V1__SlabCache *b = s->caches[i - 1];

			FZ_CHECK(footprint(b) > footprint(c) ||
				 (footprint(b) == footprint(c) &&
				  strcmp(b->name, c->name) <= 0));
		}
		objs += c->num_objs;
		bytes += footprint(c);
	}
	/* With every cache kept, the totals are their sums (mod 2^64). */
	if (s->top_n == 0) {
		FZ_CHECK(s->num_objs_total == objs);
		FZ_CHECK(s->footprint_bytes_total == bytes);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t knob = fz_knob(data, size);
	Kmemsnap__V1__Slab s;
	struct ks_lines lr;
	struct fz_env e;
	uint32_t keep;
	KsStatus st;

	fz_env_init(&e, data, size, -1);
	/* 0 keeps every cache up to the bound, as --slab-top 0 does. */
	e.cfg.slab_top_n = knob % 8;
	e.cfg.max_slab_caches = 1 + knob / 8;
	keep = e.cfg.slab_top_n && e.cfg.slab_top_n < e.cfg.max_slab_caches ?
		       e.cfg.slab_top_n :
		       e.cfg.max_slab_caches;
	kmemsnap__v1__slab__init(&s);
	kmemsnap__v1__section_status__init(&st);
	s.status = &st;
	if (fz_lines(&e, &lr, data, size)) {
		ks_parse_slabinfo(&lr, &e.ctx, &s, &st);
		ks_lines_close(&lr);
		if (s.has_source)
			check_slab(&s, keep);
		fz_check_message(&s.base);
	}
	return 0;
}
