/* SPDX-License-Identifier: MIT */
/* The pipeline end to end on this machine's real /proc and on fixture trees. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static uint64_t proc_meminfo_value(const char *key)
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

static void test_live_header_and_meminfo(void)
{
	KsSnapshot *s = tl_capture("/", NULL);
	char boot_id[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (f) {
		if (!fgets(boot_id, sizeof(boot_id), f))
			boot_id[0] = '\0';
		boot_id[strcspn(boot_id, "\n")] = '\0';
		fclose(f);
	}
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->header != NULL);
	CHECK_EQ_S(s->header->boot_id, boot_id);
	CHECK(s->header->root == NULL);
	CHECK_EQ_U(s->header->page_size_bytes, (uint64_t)sysconf(_SC_PAGESIZE));
	CHECK_EQ_U(s->header->trigger, KMEMSNAP__V1__TRIGGER__TRIGGER_MANUAL);
	CHECK(s->header->has_capture_duration_ns && s->header->capture_duration_ns > 0);
	CHECK(s->header->uptime_ms > 0);
	CHECK(s->meminfo != NULL);
	if (!s->meminfo)
		return;
	CHECK_EQ_U(s->meminfo->status->state, KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
	CHECK_EQ_U(s->meminfo->mem_total_kb, proc_meminfo_value("MemTotal"));
}

/* A root with nothing in it: every section unavailable, capture still ok. */
static void test_empty_root(void)
{
	char dir[] = "/tmp/kmemsnap-empty-XXXXXX";
	KsSnapshot *s;

	CHECK(mkdtemp(dir) != NULL);
	s = tl_capture(dir, NULL);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_S(s->header->root, dir);
		CHECK(s->header->boot_id == NULL);
		CHECK_EQ_U(s->meminfo->status->state,
			   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE);
		CHECK_EQ_U(s->meminfo->status->error_number, ENOENT);
		CHECK_EQ_S(s->meminfo->status->path, "proc/meminfo");
	}
	rmdir(dir);
}

int main(void)
{
	RUN(test_live_header_and_meminfo);
	RUN(test_empty_root);
	return tl_summary();
}
