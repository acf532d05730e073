/* SPDX-License-Identifier: MIT */
/* Memory-backed mounts, SysV shm and PSI, on fixture trees and this host. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "testlib.h"

typedef Kmemsnap__V1__MemoryMount Mount;

static const Mount *find_mount(const Kmemsnap__V1__Shmem *s, const char *point)
{
	size_t i;

	for (i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i]->mount_point, point) == 0)
			return s->mounts[i];
	return NULL;
}

static void test_fixture_mounts(void)
{
	KsSnapshot *snap = tl_capture(tl_fixture("trees/modern"), NULL);
	const Kmemsnap__V1__Shmem *s;
	const Mount *m;

	CHECK(snap && snap->shmem);
	if (!snap || !snap->shmem)
		return;
	s = snap->shmem;
	CHECK_EQ_U(s->status->state, KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
	/* sysfs and ext4 are not memory-backed: 7 of the 9 lines. */
	CHECK_EQ_U(s->n_mounts, 7);
	m = find_mount(s, "/mnt/my ram disk"); /* \040 unescaped */
	CHECK(m && m->fs_type == KMEMSNAP__V1__FS_TYPE__FS_TYPE_RAMFS);
	CHECK(m && m->has_size_bytes && !m->has_statfs_errno);
	m = find_mount(s, "/dev/hugepages");
	CHECK(m && m->fs_type == KMEMSNAP__V1__FS_TYPE__FS_TYPE_HUGETLBFS);
	/* The tree has no dev/hugepages: the failure is recorded, not fatal. */
	CHECK(m && m->has_statfs_errno && m->statfs_errno == ENOENT);
	m = find_mount(s, "/dev");
	CHECK(m && m->fs_type == KMEMSNAP__V1__FS_TYPE__FS_TYPE_DEVTMPFS);
	CHECK(m && m->source && strcmp(m->source, "devtmpfs") == 0);
}

static void test_fixture_sysvipc(void)
{
	KsSnapshot *snap = tl_capture(tl_fixture("trees/modern"), NULL);
	const Kmemsnap__V1__Shmem *s = snap ? snap->shmem : NULL;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_U(s->sysvipc_status->state, KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
	CHECK_EQ_U(s->segments_total, 3);
	/* 524288 + 1073741824 + 4096 and the rss column likewise. */
	CHECK_EQ_U(s->segment_bytes_total, 1074270208ull);
	CHECK_EQ_U(s->segment_rss_bytes_total, 1073811456ull);
	CHECK_EQ_U(s->n_segments, 3);
	CHECK_EQ_U(s->segments[0]->size_bytes, 1073741824ull);
	CHECK_EQ_U(s->segments[0]->key, 1381128450);
	CHECK_EQ_U(s->segments[0]->cpid, 4711);
	CHECK_EQ_U(s->segments[0]->perms, 0600);
	CHECK_EQ_U(s->segments[1]->perms, 01600);
	CHECK(s->segments[2]->key == -1);
	CHECK_EQ_U(s->segments[2]->swap_bytes, 4096);
}

/* A live segment created here shows up with its size and our pid. */
static void test_live_segment(void)
{
	int id = shmget(IPC_PRIVATE, 3 << 20, IPC_CREAT | 0600);
	const Kmemsnap__V1__Shmem *s;
	KsSnapshot *snap;
	bool found = false;
	size_t i;

	if (id < 0) {
		printf("skip test_live_segment: shmget: %s\n", strerror(errno));
		return;
	}
	snap = tl_capture("/", NULL);
	s = snap ? snap->shmem : NULL;
	CHECK(s != NULL);
	for (i = 0; s && i < s->n_segments; i++)
		if (s->segments[i]->shmid == (uint32_t)id) {
			found = true;
			CHECK_EQ_U(s->segments[i]->size_bytes, 3 << 20);
			CHECK_EQ_U(s->segments[i]->cpid, (uint32_t)getpid());
		}
	CHECK(found);
	shmctl(id, IPC_RMID, NULL);
	/* /dev/shm is a tmpfs on every Debian system. */
	CHECK(s && find_mount(s, "/dev/shm") != NULL);
}

static void test_pressure_samples(void)
{
	Kmemsnap__V1__Pressure p;
	struct ks_ctx ctx = { .arena = tl_arena() };

	kmemsnap__v1__pressure__init(&p);
	CHECK_EQ_U(ks_read_pressure(AT_FDCWD, tl_fixture("samples/pressure/1.txt"), &ctx, &p), 0);
	CHECK(p.some && p.full);
	if (p.some && p.full) {
		CHECK_EQ_U(p.some->avg10_centipct, 10);
		CHECK_EQ_U(p.some->avg60_centipct, 200);
		CHECK_EQ_U(p.some->avg300_centipct, 385);
		CHECK_EQ_U(p.some->total_us, 15);
		CHECK_EQ_U(p.full->avg300_centipct, 495);
		CHECK_EQ_U(p.full->total_us, 25);
	}
	/* irq pressure has only "full", and this sample lacks a newline. */
	kmemsnap__v1__pressure__init(&p);
	CHECK_EQ_U(ks_read_pressure(AT_FDCWD, tl_fixture("samples/pressure/3.txt"), &ctx, &p), 0);
	CHECK(p.some == NULL && p.full && p.full->total_us == 8494);
	CHECK(!ks_parse_pressure_line("some avg10=x avg60=0.00", tl_arena(), &p));
	CHECK(!ks_parse_pressure_line("bogus", tl_arena(), &p));
	CHECK(ks_read_pressure(AT_FDCWD, "/nonexistent/pressure", &ctx, &p) == -ENOENT);
}

static void test_pressure_sections(void)
{
	KsSnapshot *snap = tl_capture(tl_fixture("trees/modern"), NULL);

	CHECK(snap && snap->pressure && snap->pressure->full);
	if (snap && snap->pressure && snap->pressure->full)
		CHECK_EQ_U(snap->pressure->full->avg60_centipct, 300);
	snap = tl_capture(tl_fixture("trees/el7"), NULL);
	CHECK(snap && snap->pressure);
	if (snap && snap->pressure) {
		CHECK_EQ_U(snap->pressure->status->state,
			   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE);
		CHECK_EQ_S(snap->pressure->status->detail, "kernel without PSI (CONFIG_PSI)");
	}
	if (access("/proc/pressure/memory", R_OK) != 0) {
		printf("skip live PSI: /proc/pressure/memory unreadable\n");
		return;
	}
	snap = tl_capture("/", NULL);
	CHECK(snap && snap->pressure && snap->pressure->some);
}

int main(void)
{
	RUN(test_fixture_mounts);
	RUN(test_fixture_sysvipc);
	RUN(test_live_segment);
	RUN(test_pressure_samples);
	RUN(test_pressure_sections);
	return tl_summary();
}
