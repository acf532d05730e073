/* SPDX-License-Identifier: MIT */
/* /proc/meminfo across kernel eras (tests/fixtures/samples/meminfo). */
#include <stdio.h>
#include <string.h>

#include "testlib.h"

static Kmemsnap__V1__Meminfo *parse(const char *sample, KsStatus *st)
{
	static Kmemsnap__V1__Meminfo m;
	struct ks_lines lr;
	char path[256];

	snprintf(path, sizeof(path), "samples/meminfo/%s", sample);
	kmemsnap__v1__meminfo__init(&m);
	kmemsnap__v1__section_status__init(st);
	tl_open_lines(&lr, tl_fixture(path), 0);
	ks_parse_meminfo(&lr, tl_arena(), &m, st);
	ks_lines_close(&lr);
	return &m;
}

static const Kmemsnap__V1__MeminfoOther *other(const Kmemsnap__V1__Meminfo *m,
						const char *key)
{
	size_t i;

	for (i = 0; i < m->n_other; i++)
		if (strcmp(m->other[i]->key, key) == 0)
			return m->other[i];
	return NULL;
}

/* 6.5+ Fedora: full modern field set, 8-digit values fill the column. */
static void test_modern(void)
{
	KsStatus st;
	Kmemsnap__V1__Meminfo *m = parse("5.txt", &st);

	CHECK(m->has_mem_total_kb);
	CHECK_EQ_U(m->mem_total_kb, 32704840);
	CHECK(m->has_sec_page_tables_kb);
	CHECK(m->has_unaccepted_kb);
	CHECK(m->has_zswap_kb);
	CHECK_EQ_U(m->vmalloc_total_kb, 34359738367ull);
	CHECK_EQ_U(m->n_other, 0);
	CHECK_EQ_U(st.lines_skipped, 0);
}

/* 2.6.11: 14-column labels, no MemAvailable, no S* split. */
static void test_ancient(void)
{
	KsStatus st;
	Kmemsnap__V1__Meminfo *m = parse("10.txt", &st);

	CHECK_EQ_U(m->mem_total_kb, 3734304);
	CHECK(!m->has_mem_available_kb);
	CHECK(!m->has_s_unreclaim_kb);
	CHECK(m->has_page_tables_kb);
	CHECK_EQ_U(st.lines_skipped, 0);
}

/* HugePages_* carry no unit; the count must not be taken for kB. */
static void test_hugepages_and_units(void)
{
	KsStatus st;
	Kmemsnap__V1__Meminfo *m = parse("3.txt", &st);

	CHECK(m->has_huge_pages_total);
	CHECK(m->has_hugepagesize_kb);
	CHECK_EQ_U(m->hugepagesize_kb, 2048);
}

/* 32-bit HIGHMEM and a hand-mixed file with a key this code never saw. */
static void test_highmem_and_unknown(void)
{
	KsStatus st;
	Kmemsnap__V1__Meminfo *m = parse("8.txt", &st);

	CHECK(m->has_high_total_kb);
	CHECK(m->has_low_free_kb);
	m = parse("vendor.txt", &st);
	CHECK(other(m, "NvMapCIramUsed") != NULL);
	if (other(m, "NvMapCIramUsed")) {
		CHECK_EQ_U(other(m, "NvMapCIramUsed")->value, 1234);
		CHECK_EQ_S(other(m, "NvMapCIramUsed")->unit, "kB");
	}
	CHECK(other(m, "FreeCount") != NULL && !other(m, "FreeCount")->unit);
	CHECK_EQ_U(m->shadow_call_stack_kb, 12345678);
	CHECK_EQ_U(st.lines_skipped, 2); /* "garbage line" and "MemFree+FreePCP" */
}

/* Every shared sample parses with MemTotal and nothing skipped. */
static void test_all_samples(void)
{
	int i;

	for (i = 1; i <= 10; i++) {
		char name[16];
		KsStatus st;
		Kmemsnap__V1__Meminfo *m;

		snprintf(name, sizeof(name), "%d.txt", i);
		m = parse(name, &st);
		if (!m->has_mem_total_kb || m->mem_total_kb == 0 ||
		    st.lines_skipped != 0)
			tl_fail(__FILE__, __LINE__, "meminfo/%s: MemTotal %llu, %u skipped",
				name, (unsigned long long)m->mem_total_kb,
				st.lines_skipped);
	}
}

int main(void)
{
	RUN(test_modern);
	RUN(test_ancient);
	RUN(test_hugepages_and_units);
	RUN(test_highmem_and_unknown);
	RUN(test_all_samples);
	return tl_summary();
}
