/* SPDX-License-Identifier: MIT */
/*
 * A fault-injection shim for the CLI tests, loaded with LD_PRELOAD. It wraps
 * the file calls of the capture path (open, openat, read, pread, write,
 * fsync, fdatasync, rename, renameat, close), finds the real ones with
 * dlsym(RTLD_NEXT), counts every call of each kind and makes one chosen
 * call fail or come up short:
 *
 *   KMEMSNAP_FAULT="call=read,nth=7,err=EIO"   the 7th read fails with EIO
 *   KMEMSNAP_FAULT="call=write,nth=2,short"    the 2nd write moves 1 byte
 *   KMEMSNAP_FAULT="call=read,nth=3,short=100" ... at most 100 bytes
 *   KMEMSNAP_FAULT="call=read,nth=3,eintr"     the 3rd read fails with EINTR
 *                                              without doing anything
 *   KMEMSNAP_FAULT_COUNT=FILE  at exit, write "<call> <count>" lines to FILE
 *   KMEMSNAP_FAULT_LOG=FILE    append one line per injected fault:
 *                              "<call> <nth> <fault> <path>"
 *
 * Every call the program makes through these symbols is counted. That is
 * exactly the capture's own file calls in `kmemsnap capture`: the dynamic
 * loader and glibc's stdio reach the kernel through internal entry points,
 * which an LD_PRELOAD library does not see, and the command itself opens
 * nothing else unless --kmsg or --kmsg-file is given. open64, openat64 and
 * pread64 count as open, openat and pread.
 *
 * close() is special: Linux frees the descriptor even when close fails, so
 * a faulted close closes it for real and then reports the error.
 *
 * Test code: it may use stdio and snprintf; the library it is loaded under
 * may not.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum call {
	C_OPEN,
	C_OPENAT,
	C_READ,
	C_PREAD,
	C_WRITE,
	C_FSYNC,
	C_FDATASYNC,
	C_RENAME,
	C_RENAMEAT,
	C_CLOSE,
	C_COUNT
};

static const char *const call_names[C_COUNT] = {
	"open",	 "openat",    "read",	"pread",    "write",
	"fsync", "fdatasync", "rename", "renameat", "close",
};

enum fault_kind { F_NONE, F_ERR, F_SHORT, F_EINTR };

static struct {
	int call; /* -1: count only */
	unsigned long nth;
	enum fault_kind kind;
	int err;
	size_t short_cap;
} fault = { .call = -1 };

static unsigned long counts[C_COUNT];

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_close)(int);

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "faultinject: %s: %s\n", what, arg);
	abort();
}

static void *next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f)
		die("no next symbol", name);
	return f;
}

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EIO", EIO },	      { "ENOSPC", ENOSPC }, { "EACCES", EACCES },
	{ "EPERM", EPERM },   { "ENOENT", ENOENT }, { "EMFILE", EMFILE },
	{ "ENFILE", ENFILE }, { "ENOMEM", ENOMEM }, { "EDQUOT", EDQUOT },
	{ "EROFS", EROFS },   { "EINTR", EINTR },   { "EAGAIN", EAGAIN },
};

static int parse_errno(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (strcmp(s, errnos[i].name) == 0)
			return errnos[i].err;
	if (atoi(s) > 0)
		return atoi(s);
	die("unknown errno", s);
	return 0;
}

static int parse_call(const char *s)
{
	int i;

	for (i = 0; i < C_COUNT; i++)
		if (strcmp(s, call_names[i]) == 0)
			return i;
	die("unknown call", s);
	return -1;
}

/* "call=read,nth=7,err=EIO"; the words may come in any order. */
static void parse_spec(const char *spec)
{
	char buf[256];
	char *save = NULL;
	char *w;

	if (strlen(spec) >= sizeof(buf))
		die("KMEMSNAP_FAULT too long", spec);
	strcpy(buf, spec);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strncmp(w, "call=", 5) == 0) {
			fault.call = parse_call(w + 5);
		} else if (strncmp(w, "nth=", 4) == 0) {
			fault.nth = strtoul(w + 4, NULL, 10);
		} else if (strncmp(w, "err=", 4) == 0) {
			fault.kind = F_ERR;
			fault.err = parse_errno(w + 4);
		} else if (strcmp(w, "short") == 0) {
			fault.kind = F_SHORT;
			fault.short_cap = 1;
		} else if (strncmp(w, "short=", 6) == 0) {
			fault.kind = F_SHORT;
			fault.short_cap = strtoul(w + 6, NULL, 10);
		} else if (strcmp(w, "eintr") == 0) {
			fault.kind = F_EINTR;
		} else {
			die("bad word in KMEMSNAP_FAULT", w);
		}
	}
	if (fault.call < 0 || fault.nth == 0 || fault.kind == F_NONE ||
	    (fault.kind == F_SHORT && fault.short_cap == 0))
		die("KMEMSNAP_FAULT needs call=, nth>0 and err=, short or eintr",
		    spec);
}

__attribute__((constructor)) static void init(void)
{
	const char *spec = getenv("KMEMSNAP_FAULT");

	real_open = next("open");
	real_open64 = next("open64");
	real_openat = next("openat");
	real_openat64 = next("openat64");
	real_read = next("read");
	real_pread = next("pread");
	real_pread64 = next("pread64");
	real_write = next("write");
	real_fsync = next("fsync");
	real_fdatasync = next("fdatasync");
	real_rename = next("rename");
	real_renameat = next("renameat");
	real_close = next("close");
	if (spec && *spec)
		parse_spec(spec);
}

__attribute__((destructor)) static void report_counts(void)
{
	const char *path = getenv("KMEMSNAP_FAULT_COUNT");
	FILE *f;
	int i;

	if (!path || !*path)
		return;
	f = fopen(path, "w");
	if (!f)
		return;
	for (i = 0; i < C_COUNT; i++)
		fprintf(f, "%s %lu\n", call_names[i], counts[i]);
	fclose(f);
}

/* The path each open descriptor was opened by, as the program spelled it
 * (below its directory descriptor): /proc/self/fd/N would name
 * /proc/self/mountinfo as /proc/<pid>/mountinfo. */
#define MAX_FDS 1024
static char fd_paths[MAX_FDS][256];

static void describe_at(int dirfd, const char *name, char *out, size_t cap);

static void remember(int fd, int dirfd, const char *name)
{
	if (fd >= 0 && fd < MAX_FDS)
		describe_at(dirfd, name, fd_paths[fd], sizeof(fd_paths[fd]));
}

/* What a descriptor or a name below a directory descriptor refers to. */
static void describe_fd(int fd, char *out, size_t cap)
{
	char link[64];
	ssize_t n;

	if (fd == AT_FDCWD) {
		if (!getcwd(out, cap))
			snprintf(out, cap, ".");
		return;
	}
	if (fd >= 0 && fd < MAX_FDS && fd_paths[fd][0]) {
		snprintf(out, cap, "%s", fd_paths[fd]);
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, cap - 1);
	if (n < 0) {
		snprintf(out, cap, "fd %d", fd);
		return;
	}
	out[n] = '\0';
}

static void describe_at(int dirfd, const char *name, char *out, size_t cap)
{
	size_t len;

	if (name[0] == '/') {
		snprintf(out, cap, "%s", name);
		return;
	}
	describe_fd(dirfd, out, cap);
	len = strlen(out);
	snprintf(out + len, cap - len, "%s%s",
		 len && out[len - 1] == '/' ? "" : "/", name);
}

static const char *kind_name(void)
{
	switch (fault.kind) {
	case F_ERR: return "err";
	case F_SHORT: return "short";
	case F_EINTR: return "eintr";
	default: return "none";
	}
}

static void log_fault(int call, const char *path)
{
	const char *log = getenv("KMEMSNAP_FAULT_LOG");
	char line[4400];
	int fd, n;

	if (!log || !*log)
		return;
	n = snprintf(line, sizeof(line), "%s %lu %s %s\n", call_names[call],
		     counts[call], kind_name(), path);
	fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	(void)!real_write(fd, line, (size_t)n);
	real_close(fd);
}

/* Counts a call; true when this one is the one to fault. */
static bool hit(int call)
{
	unsigned long n =
		__atomic_add_fetch(&counts[call], 1, __ATOMIC_RELAXED);

	return fault.call == call && n == fault.nth;
}

/* The error of a faulted call that does not transfer bytes. */
static int fail_errno(void)
{
	return fault.kind == F_EINTR ? EINTR : fault.err;
}

/* ---- opening ------------------------------------------------------------ */

/* The mode argument is there only with O_CREAT or O_TMPFILE, which
 * includes O_DIRECTORY's bit (glibc: __OPEN_NEEDS_MODE). */
static mode_t mode_arg(int flags, va_list ap)
{
	bool needs = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;

	return needs ? (mode_t)va_arg(ap, int) : 0;
}

/* open has no byte count to cut: "short" leaves it alone. */
static bool fault_open(int call, int dirfd, const char *path)
{
	char where[4096];

	if (!hit(call) || fault.kind == F_SHORT)
		return false;
	describe_at(dirfd, path, where, sizeof(where));
	log_fault(call, where);
	errno = fail_errno();
	return true;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (fault_open(C_OPEN, AT_FDCWD, path))
		return -1;
	fd = real_open(path, flags, mode);
	remember(fd, AT_FDCWD, path);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (fault_open(C_OPEN, AT_FDCWD, path))
		return -1;
	fd = real_open64(path, flags, mode);
	remember(fd, AT_FDCWD, path);
	return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (fault_open(C_OPENAT, dirfd, path))
		return -1;
	fd = real_openat(dirfd, path, flags, mode);
	remember(fd, dirfd, path);
	return fd;
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (fault_open(C_OPENAT, dirfd, path))
		return -1;
	fd = real_openat64(dirfd, path, flags, mode);
	remember(fd, dirfd, path);
	return fd;
}

/* ---- moving bytes ------------------------------------------------------- */

/* For read, pread and write: returns true when the call is to fail (errno
 * set), and cuts *count for a short transfer. A transfer no larger than
 * the cut cannot be short, and is left alone (and not logged). */
static bool fault_io(int call, int fd, size_t *count)
{
	char where[4096];

	if (!hit(call))
		return false;
	if (fault.kind == F_SHORT && *count <= fault.short_cap)
		return false;
	describe_fd(fd, where, sizeof(where));
	log_fault(call, where);
	if (fault.kind == F_SHORT) {
		*count = fault.short_cap;
		return false;
	}
	errno = fail_errno();
	return true;
}

ssize_t read(int fd, void *buf, size_t count)
{
	if (fault_io(C_READ, fd, &count))
		return -1;
	return real_read(fd, buf, count);
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	if (fault_io(C_PREAD, fd, &count))
		return -1;
	return real_pread(fd, buf, count, off);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t off)
{
	if (fault_io(C_PREAD, fd, &count))
		return -1;
	return real_pread64(fd, buf, count, off);
}

ssize_t write(int fd, const void *buf, size_t count)
{
	if (fault_io(C_WRITE, fd, &count))
		return -1;
	return real_write(fd, buf, count);
}

/* ---- everything else: fails or not ------------------------------------- */

/* fsync and fdatasync (and rename, renameat below): nothing to cut short. */
static bool fault_fd(int call, int fd)
{
	char where[4096];

	if (!hit(call) || fault.kind == F_SHORT)
		return false;
	describe_fd(fd, where, sizeof(where));
	log_fault(call, where);
	errno = fail_errno();
	return true;
}

int fsync(int fd)
{
	return fault_fd(C_FSYNC, fd) ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
	return fault_fd(C_FDATASYNC, fd) ? -1 : real_fdatasync(fd);
}

static bool fault_rename(int call, int olddirfd, const char *oldpath)
{
	char where[4096];

	if (!hit(call) || fault.kind == F_SHORT)
		return false;
	describe_at(olddirfd, oldpath, where, sizeof(where));
	log_fault(call, where);
	errno = fail_errno();
	return true;
}

int rename(const char *oldpath, const char *newpath)
{
	if (fault_rename(C_RENAME, AT_FDCWD, oldpath))
		return -1;
	return real_rename(oldpath, newpath);
}

int renameat(int olddirfd, const char *oldpath, int newdirfd,
	     const char *newpath)
{
	if (fault_rename(C_RENAMEAT, olddirfd, oldpath))
		return -1;
	return real_renameat(olddirfd, oldpath, newdirfd, newpath);
}

/* Linux releases the descriptor whatever close returns (fs/open.c:
 * close_fd), so a faulted close closes it for real, then fails. */
int close(int fd)
{
	bool faulted = hit(C_CLOSE) && fault.kind != F_SHORT;
	char where[4096];
	int ret;

	if (faulted) {
		describe_fd(fd, where, sizeof(where));
		log_fault(C_CLOSE, where);
	}
	if (fd >= 0 && fd < MAX_FDS)
		fd_paths[fd][0] = '\0';
	ret = real_close(fd);
	if (!faulted || ret < 0)
		return ret;
	errno = fail_errno();
	return -1;
}
