/* SPDX-License-Identifier: MIT */
/*
 * The floor walk (floor.h). It follows libkmemsnap's capture section by
 * section (libkmemsnap/src/capture.c: ks_sections) and makes the same
 * system calls on the same paths with the same buffer sizes:
 *
 *   header.c           ks_read_small of proc/uptime (128 B buffer), boot_id,
 *                      hostname, osrelease, version (256 B), sys/kernel/notes
 *                      (the 64 KiB io buffer)
 *   section_meminfo.c  proc/meminfo through the line reader (64 KiB)
 *   section_slab.c     proc/slabinfo, or the /sys/kernel/slab walk when it
 *                      cannot be opened or has no 2.x header
 *   section_vmalloc.c  proc/vmallocinfo
 *   section_processes  proc/ listed with getdents64 (16 KiB); per pid: the
 *                      directory, status, and for a process with an mm
 *                      oom_score and oom_score_adj (32 B); then <pid>/cgroup
 *                      of the top N by (oom_score, VmRSS, -pid)
 *   section_kmemleak.c sys/kernel/debug, then kmemleak below it; when that
 *                      is absent, fstatfs and a getdents64 of the directory
 *   section_shmem.c    proc/self/mountinfo, an O_PATH open + fstatfs of
 *                      every tmpfs/ramfs/hugetlbfs/devtmpfs mount point
 *                      (at most 128), proc/sysvipc/shm
 *   section_pressure.c proc/pressure/memory (512 B)
 *
 * (The cgroup section reads nothing without --cgroup, which the benchmark
 * does not give.) The only parsing done here is what decides which files
 * come next: whether status has a VmRSS line, the oom_score and VmRSS that
 * rank the top N, the mount points. bench/check_floor.sh compares the
 * strace of a capture with the strace of this walk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "floor.h"

#define IO_BYTES (64u << 10)       /* recorder.c: IO_BUFFER_BYTES */
#define DIRENT_BYTES (16u << 10)   /* section_processes.c */
#define MAX_TOP 4096
#define MAX_MOUNTS 128             /* section_shmem.c */

struct walk {
	int root;
	const struct floor_opts *o;
	struct floor_result *r;
	char io[IO_BYTES];
	char dirents[DIRENT_BYTES] __attribute__((aligned(8)));
};

static void copy_out(struct walk *w, const char *buf, size_t n)
{
	while (w->o->copy_fd >= 0 && n > 0) {
		ssize_t k = write(w->o->copy_fd, buf, n);

		if (k <= 0)
			return;
		buf += k;
		n -= (size_t)k;
	}
}

static ssize_t counted_read(struct walk *w, int fd, char *buf, size_t cap)
{
	ssize_t n;

	do {
		n = read(fd, buf, cap);
	} while (n < 0 && errno == EINTR);
	w->r->reads++;
	if (n > 0) {
		w->r->bytes += (uint64_t)n;
		copy_out(w, buf, (size_t)n);
	}
	return n;
}

static int counted_open(struct walk *w, int dirfd, const char *path, int flags)
{
	int fd = openat(dirfd, path, flags);

	if (fd >= 0)
		w->r->opens++;
	return fd;
}

/* lines.c: ks_read_small. Returns the length or -1. */
static long read_small(struct walk *w, int dirfd, const char *path, char *buf,
		       size_t cap)
{
	size_t got = 0;
	int fd = counted_open(w, dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	while (got < cap - 1) {
		ssize_t n = counted_read(w, fd, buf + got, cap - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

/* lines.c: what the line reader asks of read(), to the end of the file. */
static void drain(struct walk *w, int fd)
{
	while (counted_read(w, fd, w->io, IO_BYTES - 1) > 0)
		;
}

static int stream_file(struct walk *w, int dirfd, const char *path)
{
	int fd = counted_open(w, dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	drain(w, fd);
	close(fd);
	return 0;
}

/* ---- header.c ----------------------------------------------------------- */

static void header(struct walk *w)
{
	static const char *const lines[] = {
		"proc/sys/kernel/random/boot_id", "proc/sys/kernel/hostname",
		"proc/sys/kernel/osrelease", "proc/sys/kernel/version",
	};
	char buf[256];
	size_t i;

	read_small(w, w->root, "proc/uptime", buf, 128);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		read_small(w, w->root, lines[i], buf, sizeof(buf));
	read_small(w, w->root, "sys/kernel/notes", w->io, IO_BYTES);
}

/* ---- section_slab.c ----------------------------------------------------- */

static void slab_cache_dir(struct walk *w, int slab_fd, const char *name)
{
	static const char *const attrs[] = {
		"objects", "total_objects", "slab_size", "objs_per_slab",
		"aliases", "slabs", "order",
	};
	int fd = counted_open(w, slab_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[64];
	size_t i;

	if (fd < 0)
		return;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		read_small(w, fd, attrs[i], buf, sizeof(buf));
	close(fd);
}

static void slab_sysfs(struct walk *w)
{
	int fd = counted_open(w, w->root, "sys/kernel/slab",
			      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return;
	while ((n = getdents64(fd, w->io, IO_BYTES)) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(w->io + off);
			struct stat sb;

			if (d->d_reclen == 0)
				break;
			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			if (d->d_type == DT_UNKNOWN &&
			    (fstatat(fd, d->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
			     !S_ISDIR(sb.st_mode)))
				continue;
			if (d->d_type == DT_DIR || d->d_type == DT_UNKNOWN)
				slab_cache_dir(w, fd, d->d_name);
		}
	}
	close(fd);
}

static void slab(struct walk *w)
{
	static const char head[] = "slabinfo - version: 2.";
	int fd = counted_open(w, w->root, "proc/slabinfo",
			      O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;
	int usable;

	if (fd < 0) {
		slab_sysfs(w);
		return;
	}
	/* ks_section_slab falls back to sysfs when the first line is not a
	 * 2.x header (slabinfo_unusable). */
	n = counted_read(w, fd, w->io, IO_BYTES - 1);
	usable = n >= (ssize_t)sizeof(head) - 1 &&
		 memcmp(w->io, head, sizeof(head) - 1) == 0;
	if (n > 0)
		drain(w, fd);
	close(fd);
	if (!usable)
		slab_sysfs(w);
}

/* ---- section_processes.c ------------------------------------------------ */

struct cand {
	int32_t pid;
	int has_oom;
	uint64_t oom;
	uint64_t rss;
};

struct top {
	struct cand c[MAX_TOP];
	size_t len;
	size_t cap;
};

static uint64_t number(const char *s)
{
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

/* section_processes.c: ranks_below. */
static int ranks_below(const struct cand *a, const struct cand *b)
{
	if (a->has_oom != b->has_oom)
		return !a->has_oom;
	if (a->oom != b->oom)
		return a->oom < b->oom;
	if (a->rss != b->rss)
		return a->rss < b->rss;
	return a->pid > b->pid;
}

/* Keeps the cap best, best first (insertion: cap is small). */
static void offer(struct top *t, const struct cand *c)
{
	size_t i;

	if (t->len == t->cap && (t->len == 0 || !ranks_below(&t->c[t->len - 1], c)))
		return;
	i = t->len < t->cap ? t->len++ : t->len - 1;
	while (i > 0 && ranks_below(&t->c[i - 1], c)) {
		t->c[i] = t->c[i - 1];
		i--;
	}
	t->c[i] = *c;
}

/* The status text is read whole (it is far below 64 KiB) and drained as
 * the line reader does; VmRSS decides whether the task has an mm. */
static void visit_pid(struct walk *w, int proc_fd, const char *name,
		      struct top *t)
{
	struct cand c = { 0 };
	const char *vmrss;
	char small[32];
	uint64_t got = 0;
	int dir, fd;
	ssize_t n;

	if (name[0] < '0' || name[0] > '9')
		return;
	c.pid = (int32_t)number(name);
	dir = counted_open(w, proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	fd = counted_open(w, dir, "status", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		close(dir);
		return;
	}
	while ((n = counted_read(w, fd, w->io + got, IO_BYTES - 1 - got)) > 0 &&
	       got + (uint64_t)n < IO_BYTES - 1)
		got += (uint64_t)n;
	if (n > 0)
		drain(w, fd);
	close(fd);
	w->io[got] = '\0';
	vmrss = strstr(w->io, "\nVmRSS:");
	if (vmrss) {
		c.rss = number(vmrss + 7);
		if (read_small(w, dir, "oom_score", small, sizeof(small)) > 0) {
			c.has_oom = 1;
			c.oom = number(small);
		}
		read_small(w, dir, "oom_score_adj", small, sizeof(small));
		offer(t, &c);
	}
	close(dir);
}

static void processes(struct walk *w)
{
	static struct top t;
	int proc_fd = counted_open(w, w->root, "proc",
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char path[32];
	size_t i;
	long n;

	if (proc_fd < 0)
		return;
	t.len = 0;
	t.cap = w->o->process_top_n < MAX_TOP ? w->o->process_top_n : MAX_TOP;
	while ((n = getdents64(proc_fd, w->dirents, DIRENT_BYTES)) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(w->dirents + off);

			visit_pid(w, proc_fd, d->d_name, &t);
			off += d->d_reclen;
		}
	}
	/* attach_cgroups: the kept processes, highest first. */
	for (i = 0; i < t.len; i++) {
		size_t k = 0;
		int32_t pid = t.c[i].pid;
		char digits[12];

		do {
			digits[k++] = (char)('0' + pid % 10);
			pid /= 10;
		} while (pid);
		for (n = 0; k > 0; n++)
			path[n] = digits[--k];
		memcpy(path + n, "/cgroup", sizeof("/cgroup"));
		read_small(w, proc_fd, path, w->io, IO_BYTES);
	}
	close(proc_fd);
}

/* ---- section_kmemleak.c ------------------------------------------------- */

/* section_kmemleak.c: dir_has_entries, which stops at the first name
 * other than "." and "..". */
static void dir_has_entries(int dir)
{
	char buf[1024] __attribute__((aligned(8)));
	long n;

	while ((n = getdents64(dir, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (strcmp(d->d_name, ".") != 0 &&
			    strcmp(d->d_name, "..") != 0)
				return;
			off += d->d_reclen;
		}
	}
}

static void kmemleak(struct walk *w)
{
	int dir = counted_open(w, w->root, "sys/kernel/debug",
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs sfs;
	int fd;

	if (dir < 0)
		return;
	fd = counted_open(w, dir, "kmemleak", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		/* absent_reason(): is debugfs mounted there at all? */
		if (errno == ENOENT &&
		    (fstatfs(dir, &sfs) < 0 || sfs.f_type != 0x64626720))
			dir_has_entries(dir);
		close(dir);
		return;
	}
	close(dir);
	drain(w, fd);
	close(fd);
}

/* ---- section_shmem.c ---------------------------------------------------- */

static int is_memory_fs(const char *line)
{
	return strstr(line, " - tmpfs ") || strstr(line, " - ramfs ") ||
	       strstr(line, " - hugetlbfs ") || strstr(line, " - devtmpfs ");
}

/* Field 5 of a mountinfo line, \ooo unescaped, without its leading '/'. */
static void mount_point(const char *line, char *out, size_t cap)
{
	const char *p = line;
	size_t n = 0;
	int field;

	for (field = 1; field < 5 && *p; field++) {
		p = strchr(p, ' ');
		if (!p)
			return;
		p++;
	}
	while (*p == '/')
		p++;
	while (*p && *p != ' ' && n + 1 < cap) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
			out[n++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 +
					  (p[3] - '0'));
			p += 4;
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
}

static void measure(struct walk *w, const char *line)
{
	char rel[4096] = "";
	struct statfs sf;
	int fd;

	mount_point(line, rel, sizeof(rel));
	fd = counted_open(w, w->root, *rel ? rel : ".",
			  O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fstatfs(fd, &sf);
	close(fd);
}

/* Lines are handled as each read brings them, as the line reader does. */
static void mounts(struct walk *w)
{
	int fd = counted_open(w, w->root, "proc/self/mountinfo",
			      O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t have = 0, kept = 0;
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = counted_read(w, fd, w->io + have, IO_BYTES - 1 - have)) > 0) {
		char *line = w->io, *nl;

		have += (size_t)n;
		w->io[have] = '\0';
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			/* read_mounts stops reading at the 129th mount. */
			if (is_memory_fs(line) && kept++ == MAX_MOUNTS)
				goto out;
			if (is_memory_fs(line))
				measure(w, line);
			line = nl + 1;
		}
		have -= (size_t)(line - w->io);
		memmove(w->io, line, have);
	}
out:
	close(fd);
}

static void shmem(struct walk *w)
{
	mounts(w);
	stream_file(w, w->root, "proc/sysvipc/shm");
}

/* ---- the walk ----------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pressure(struct walk *w)
{
	char buf[512];

	read_small(w, w->root, "proc/pressure/memory", buf, sizeof(buf));
}

static void meminfo(struct walk *w)
{
	stream_file(w, w->root, "proc/meminfo");
}

static void vmalloc(struct walk *w)
{
	stream_file(w, w->root, "proc/vmallocinfo");
}

void floor_walk(int root_fd, const struct floor_opts *o, struct floor_result *r)
{
	static void (*const parts[FLOOR_PARTS])(struct walk *) = {
		header, meminfo, slab, vmalloc, processes, kmemleak, shmem,
		pressure,
	};
	static struct walk w;
	size_t i;

	memset(r, 0, sizeof(*r));
	w.root = root_fd;
	w.o = o;
	w.r = r;
	for (i = 0; i < FLOOR_PARTS; i++) {
		uint64_t t0 = now_ns();

		parts[i](&w);
		r->part_ns[i] = now_ns() - t0;
	}
}
