/* SPDX-License-Identifier: MIT */
/*
 * Capture under real memory exhaustion (tests/cli/test_exhaustion.sh). One
 * program, two roles, both run inside the same memory cgroup:
 *
 *   oom_victim_capture capture OUTDIR EVENTS CGROUP [MAX]
 *       Sets its oom_score_adj to -1000 (the kernel never picks it; without
 *       CAP_SYS_RESOURCE, which lowering needs, it keeps its own and says
 *       so: the hog's 1000 still makes the hog the kernel's choice),
 *       creates a recorder (every buffer mmap'd, mlock'd and touched) that
 *       also records CGROUP (a path below the memory hierarchy's mount),
 *       captures once to OUTDIR/warmup.kms so the capture path's stack
 *       and kernel objects exist, then prints "ready" and waits for a line
 *       (or the end) of standard input: the caller measures the footprint
 *       and sets the limit meanwhile. From then on it captures to
 *       OUTDIR/snap-NNNN.kms in a loop, printing "N ok" or
 *       "N failed: why" per capture, until the oom_kill counter of EVENTS
 *       (v1 memory.oom_control, v2 memory.events) has grown and two more
 *       captures are done, or MAX (default 2000) captures are reached.
 *       Exit status 0 when it saw an OOM kill, 1 when it did not, 2 when
 *       it could not start.
 *
 *   oom_victim_capture hog STEP_KB
 *       Sets its oom_score_adj to 1000 (the kernel's first choice) and
 *       allocates and touches STEP_KB every millisecond until killed.
 *
 * In the capture loop nothing is allocated: file names are formatted into
 * a stack buffer and EVENTS is read with read(2), so the only memory that
 * can be short is the kernel's, which is what the test is about.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <kmemsnap/kmemsnap.h>

#define DEFAULT_MAX_CAPTURES 2000
#define CAPTURES_AFTER_KILL 2

static int usage(void)
{
	fprintf(stderr,
		"usage: oom_victim_capture capture OUTDIR EVENTS CGROUP [MAX]\n"
		"       oom_victim_capture hog STEP_KB\n");
	return 2;
}

static int set_oom_score_adj(const char *value)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The value of the "oom_kill N" line of EVENTS (mm/memcontrol.c:
 * mem_cgroup_oom_control_read for v1, memory_events_show for v2), or -1. */
static long oom_kills(const char *events)
{
	char buf[1024];
	ssize_t n;
	char *p;
	int fd = open(events, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, "oom_kill ", 9) == 0)
			return strtol(p + 9, NULL, 10);
	}
	return -1;
}

/* One line of standard input, read without stdio: its buffer would be
 * allocated after the footprint was measured. */
static void wait_for_go(void)
{
	char c;

	while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n')
		;
}

static int capture_one(struct kmemsnap_recorder *rec, const char *dir,
		       const char *name, unsigned i)
{
	char path[4096];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	err = kmemsnap_capture_to_file(rec, NULL, path);
	if (err < 0)
		printf("%u failed: %s\n", i, kmemsnap_strerror(err));
	else if (i > 0)
		printf("%u ok\n", i);
	fflush(stdout);
	return err;
}

static int run_capture(const char *dir, const char *events, const char *cgroup,
		       unsigned max)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .cgroup = cgroup);
	struct kmemsnap_recorder *rec;
	unsigned i, after_kill = 0;
	long kills_before;
	int err;

	err = set_oom_score_adj("-1000");
	if (err == -EACCES || err == -EPERM)
		fprintf(stderr, "oom_victim_capture: note: oom_score_adj -1000 "
				"refused (no CAP_SYS_RESOURCE)\n");
	else if (err < 0)
		fprintf(stderr, "oom_victim_capture: oom_score_adj: %s\n",
			kmemsnap_strerror(err));
	err = kmemsnap_recorder_new(&rec, &opts);
	if (err < 0) {
		fprintf(stderr, "oom_victim_capture: cannot start: %s\n",
			kmemsnap_strerror(err));
		return 2;
	}
	kills_before = oom_kills(events);
	if (kills_before < 0 || capture_one(rec, dir, "warmup.kms", 0) < 0) {
		fprintf(stderr,
			"oom_victim_capture: %s: no oom_kill line, or "
			"the first capture failed\n",
			events);
		kmemsnap_recorder_free(rec);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	wait_for_go();
	for (i = 1; i <= max && after_kill < CAPTURES_AFTER_KILL; i++) {
		char name[32];

		snprintf(name, sizeof(name), "snap-%04u.kms", i);
		capture_one(rec, dir, name, i);
		if (after_kill > 0 || oom_kills(events) > kills_before)
			after_kill++;
		sleep_ms(1);
	}
	kmemsnap_recorder_free(rec);
	printf("%s\n", after_kill ? "saw the OOM kill" : "no OOM kill seen");
	return after_kill ? 0 : 1;
}

static int run_hog(size_t step)
{
	if (set_oom_score_adj("1000") < 0) {
		perror("oom_victim_capture: oom_score_adj");
		return 2;
	}
	for (;;) {
		void *p = mmap(NULL, step, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		memset(p, 0x5a, step);
		sleep_ms(1);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 5 && argc <= 6 && strcmp(argv[1], "capture") == 0)
		return run_capture(argv[2], argv[3], argv[4],
				   argc == 6 ? (unsigned)atoi(argv[5]) :
					       DEFAULT_MAX_CAPTURES);
	if (argc == 3 && strcmp(argv[1], "hog") == 0 && atoi(argv[2]) > 0)
		return run_hog((size_t)atoi(argv[2]) << 10);
	return usage();
}
