/* SPDX-License-Identifier: MIT */
/* kmemleak's report through ks_parse_kmemleak (section_kmemleak.c). */
#include "fuzz.h"

typedef Kmemsnap__V1__KmemleakGroup Group;

/* section_kmemleak.c: ranks_before, the output order. */
static bool ranks_before(const Group *a, const Group *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->objects != b->objects)
		return a->objects > b->objects;
	return a->min_jiffies < b->min_jiffies;
}

/* Every object is in a kept group or in the cut sums; every frame names a
 * stored symbol; groups come in ranking order, within the bound. */
static void check_kmemleak(const Kmemsnap__V1__Kmemleak *k, uint32_t max)
{
	uint64_t objects = k->cut_objects, bytes = k->cut_bytes;
	size_t i, j;

	FZ_CHECK(k->n_groups <= max);
	FZ_CHECK(k->groups_total == k->n_groups + k->cut_groups);
	for (i = 0; i < k->n_symbols; i++)
		FZ_CHECK(k->symbols[i] != NULL);
	for (i = 0; i < k->n_groups; i++) {
		const Group *g = k->groups[i];

		FZ_CHECK(g->objects > 0 && g->sample != NULL);
		for (j = 0; j < g->n_frames; j++)
			FZ_CHECK(g->frames[j] < k->n_symbols);
		if (i > 0)
			FZ_CHECK(!ranks_before(g, k->groups[i - 1]));
		objects += g->objects;
		bytes += g->bytes;
	}
	FZ_CHECK(k->objects_total == objects);
	FZ_CHECK(k->bytes_total == bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Kmemsnap__V1__Kmemleak k;
	struct ks_lines lr;
	struct fz_env e;
	KsStatus st;

	fz_env_init(&e, data, size, -1);
	e.cfg.max_kmemleak_groups = fz_knob(data, size) % 32;
	kmemsnap__v1__kmemleak__init(&k);
	kmemsnap__v1__section_status__init(&st);
	k.status = &st;
	if (fz_lines(&e, &lr, data, size)) {
		ks_parse_kmemleak(&lr, &e.ctx, &k, &st);
		ks_lines_close(&lr);
		/* Tables that do not fit even for no group end the parse. */
		if (k.has_objects_total) {
			FZ_CHECK(st.source_bytes == size);
			check_kmemleak(&k, e.cfg.max_kmemleak_groups);
		}
		fz_check_message(&k.base);
	}
	return 0;
}
