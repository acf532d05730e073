/* SPDX-License-Identifier: MIT */
/* /proc/vmallocinfo through ks_parse_vmallocinfo (section_vmalloc.c). */
#include "fuzz.h"

/* Every area is in exactly one group or in the cut sums, so the totals are
 * the kept groups plus the cut (mod 2^64, as the parser adds); groups come
 * most bytes first and never exceed the bound. */
static void check_vmalloc(const Kmemsnap__V1__Vmalloc *v, uint32_t max)
{
	uint64_t areas = v->cut_areas, bytes = v->cut_bytes, pages = v->cut_pages;
	size_t i;

	FZ_CHECK(v->n_callers <= max);
	FZ_CHECK(v->callers_total == v->n_callers);
	for (i = 0; i < v->n_callers; i++) {
		const Kmemsnap__V1__VmallocCaller *g = v->callers[i];

		FZ_CHECK(g->areas > 0);
		if (i > 0)
			FZ_CHECK(v->callers[i - 1]->bytes >= g->bytes);
		areas += g->areas;
		bytes += g->bytes;
		pages += g->pages;
	}
	FZ_CHECK(v->areas_total == areas);
	FZ_CHECK(v->bytes_total == bytes);
	FZ_CHECK(v->pages_total == pages);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Kmemsnap__V1__Vmalloc v;
	struct ks_lines lr;
	struct fz_env e;
	KsStatus st;

	fz_env_init(&e, data, size, -1);
	e.cfg.max_vmalloc_callers = fz_knob(data, size) % 64;
	kmemsnap__v1__vmalloc__init(&v);
	kmemsnap__v1__section_status__init(&st);
	v.status = &st;
	if (fz_lines(&e, &lr, data, size)) {
		ks_parse_vmallocinfo(&lr, &e.ctx, &v, &st);
		ks_lines_close(&lr);
		FZ_CHECK(st.source_bytes == size);
		check_vmalloc(&v, e.cfg.max_vmalloc_callers);
		fz_check_message(&v.base);
	}
	return 0;
}
