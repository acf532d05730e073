/* SPDX-License-Identifier: MIT */
/* /proc/meminfo through ks_parse_meminfo (section_meminfo.c). */
#include "fuzz.h"

/* section_meminfo.c: MAX_OTHER_KEYS. */
#define MAX_OTHER_KEYS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Kmemsnap__V1__Meminfo m;
	struct ks_lines lr;
	struct fz_env e;
	KsStatus st;
	size_t i;

	fz_env_init(&e, data, size, -1);
	kmemsnap__v1__meminfo__init(&m);
	kmemsnap__v1__section_status__init(&st);
	m.status = &st;
	if (fz_lines(&e, &lr, data, size)) {
		ks_parse_meminfo(&lr, &e.arena, &m, &st);
		ks_lines_close(&lr);
		/* The parser reads to the end of a file that reads cleanly. */
		FZ_CHECK(st.source_bytes == size);
		FZ_CHECK(m.n_other <= MAX_OTHER_KEYS);
		for (i = 0; i < m.n_other; i++)
			FZ_CHECK(m.other[i]->key != NULL);
		fz_check_message(&m.base);
	}
	return 0;
}
