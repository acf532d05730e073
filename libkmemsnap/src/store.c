/* SPDX-License-Identifier: MIT */
/*
 * The black-box store (docs/STORE.md): a directory of snapshots whose names
 * say when, in which boot and why each was taken, kept within a byte and a
 * count budget.
 *
 * Everything a write and a retention pass need is allocated when the store
 * is opened: the directory fd, the getdents64 buffer and the table of
 * entries. The crash handler and the watcher store snapshots through
 * kmemsnap_capture_to_store(), which therefore allocates nothing and makes
 * only async-signal-safe system calls.
 *
 * Retention reads names and sizes only. It never opens a snapshot: that is
 * fast, needs no decoder, and a damaged file still ages out like the rest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h> /* renameat2 */
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "recorder.h"

#define DEFAULT_MAX_BYTES (256ull << 20)
#define DEFAULT_MAX_FILES 2000
#define DEFAULT_PROTECTED_PERCENT 25
#define MAX_FILES_LIMIT 1000000
/* glibc's readdir uses the same. */
#define DENTS_BYTES (32u << 10)

/* Where the budgets a store was opened with are kept (save_budgets()). */
#define BUDGETS_NAME ".kmemsnap-budgets"

/* "YYYYMMDDTHHMMSS.uuuuuuZ" */
#define TIME_CHARS 23
#define BOOT_CHARS 8
#define NO_BOOT "noboot00"
/* Counters appended to a taken name: "_1" .. "_99". */
#define NAME_COUNTER_MAX 99
/* Fresh temporary names tried when one is taken. */
#define TEMP_RETRIES 8
/* A pass waits this long for another process's pass, in 1 ms steps. */
#define LOCK_WAIT_MS 1000
/* A temporary file this old is a leftover even if its pid is alive again
 * (reused): writing a snapshot takes milliseconds. */
#define STALE_TEMP_NS (60ull * 1000000000ull)

/* Why retention keeps a snapshot over the others. */
enum {
	PROTECT_FIRST_OF_BOOT = 1, /* the baseline of its boot */
	PROTECT_TRIGGER = 2,	   /* oom, crash or boot-collect trigger */
};

struct store_entry {
	char name[KMEMSNAP_STORE_NAME_MAX];
	uint64_t bytes;
	uint64_t boot;	 /* the name's 8 boot characters, 0 for "noboot00" */
	uint8_t protect; /* PROTECT_* */
};

struct kmemsnap_store {
	int dir_fd;
	int busy; /* a call is using the buffers below */
	uint64_t max_bytes;
	uint32_t max_files;
	uint32_t protected_percent;

	void *region; /* one mapping holding the table and the dents buffer */
	size_t region_len;
	struct store_entry *table;
	size_t table_cap;
	char *dents;
	size_t dents_cap;

	bool passed;
	struct kmemsnap_store_pass last;
};

/* ---- names -------------------------------------------------------------- */

/* The words of the schema's Trigger enum, as `kmemsnap` prints them. */
static const char *const trigger_words[] = {
	[KMEMSNAP_TRIGGER_MANUAL] = "manual",
	[KMEMSNAP_TRIGGER_TIMER] = "timer",
	[KMEMSNAP_TRIGGER_BASELINE] = "baseline",
	[KMEMSNAP_TRIGGER_PRESSURE] = "pressure",
	[KMEMSNAP_TRIGGER_OOM] = "oom",
	[KMEMSNAP_TRIGGER_CRASH] = "crash",
	[KMEMSNAP_TRIGGER_BOOT_COLLECT] = "boot-collect",
};

static const char *trigger_word(int trigger)
{
	size_t n = sizeof(trigger_words) / sizeof(trigger_words[0]);

	if (trigger <= 0 || (size_t)trigger >= n || !trigger_words[trigger])
		return "unknown";
	return trigger_words[trigger];
}

/* Writes v as exactly width decimal digits (the high ones are dropped). */
static char *put_digits(char *p, uint64_t v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Days since 1970-01-01 to a civil date: Howard Hinnant's algorithm
 * ("chrono-Compatible Low-Level Date Algorithms"), because gmtime_r is not
 * async-signal-safe. */
static void civil_from_days(uint64_t days, uint64_t *y, unsigned *m,
			    unsigned *d)
{
	uint64_t z = days + 719468;
	uint64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* "YYYYMMDDTHHMMSS.uuuuuuZ" */
static char *put_utc(char *p, uint64_t realtime_ns)
{
	uint64_t secs = realtime_ns / 1000000000u;
	uint64_t in_day = secs % 86400;
	uint64_t year;
	unsigned month, day;

	civil_from_days(secs / 86400, &year, &month, &day);
	p = put_digits(p, year, 4);
	p = put_digits(p, month, 2);
	p = put_digits(p, day, 2);
	*p++ = 'T';
	p = put_digits(p, in_day / 3600, 2);
	p = put_digits(p, in_day / 60 % 60, 2);
	p = put_digits(p, in_day % 60, 2);
	*p++ = '.';
	p = put_digits(p, realtime_ns / 1000 % 1000000, 6);
	*p++ = 'Z';
	return p;
}

/* The first 8 characters of the boot id ("0f6a3c52-8d7e-..."), in lower
 * case; NO_BOOT when they are not hex digits (no boot id was readable). */
static char *put_boot(char *p, const char *boot_id)
{
	char c;
	int i;

	for (i = 0; i < BOOT_CHARS; i++) {
		c = boot_id ? boot_id[i] : '\0';
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			memcpy(p, NO_BOOT, BOOT_CHARS);
			return p + BOOT_CHARS;
		}
		p[i] = c;
	}
	return p + BOOT_CHARS;
}

size_t ks_store_name(char *out, uint64_t realtime_ns, const char *boot_id,
		     int trigger)
{
	const char *word = trigger_word(trigger);
	size_t word_len = strlen(word);
	char *p = out;

	p = put_utc(p, realtime_ns);
	*p++ = '_';
	p = put_boot(p, boot_id);
	*p++ = '_';
	memcpy(p, word, word_len);
	p += word_len;
	memcpy(p, ".kms", 5);
	return (size_t)(p - out) + 4;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* Whether s[0..n) is a lower-case trigger word, optionally followed by a
 * name counter ("oom", "boot-collect_2"). Sets *precious for the triggers
 * retention protects. */
static bool parse_trigger(const char *s, size_t n, bool *precious)
{
	size_t w = 0;

	while (w < n && ((s[w] >= 'a' && s[w] <= 'z') || s[w] == '-'))
		w++;
	if (w == 0 || (w < n && (s[w] != '_' || w + 1 == n ||
				 !all_digits(s + w + 1, n - w - 1))))
		return false;
	/* boot-collect holds what pstore kept of a boot that panicked: as
	 * rare and as precious as an OOM or crash snapshot. */
	*precious = (w == 3 && memcmp(s, "oom", 3) == 0) ||
		    (w == 5 && memcmp(s, "crash", 5) == 0) ||
		    (w == 12 && memcmp(s, "boot-collect", 12) == 0);
	return true;
}

/* Parses a store name (ks_store_name(), maybe with a counter). Fills the
 * entry's boot and the trigger's protection. Other files in the directory
 * are not the store's, and retention leaves them alone. */
static bool parse_name(const char *name, size_t len, struct store_entry *e)
{
	static const char shape[] = "########T######.######Z_";
	const char *boot = name + TIME_CHARS + 1;
	bool precious;
	size_t i;

	if (len >= KMEMSNAP_STORE_NAME_MAX ||
	    len < TIME_CHARS + 1 + BOOT_CHARS + 1 + 1 + 4 ||
	    memcmp(name + len - 4, ".kms", 4) != 0 ||
	    boot[BOOT_CHARS] != '_')
		return false;
	for (i = 0; i < TIME_CHARS + 1; i++)
		if (shape[i] == '#' ? !is_digit(name[i]) : name[i] != shape[i])
			return false;
	for (i = 0; i < BOOT_CHARS; i++)
		if (!is_digit(boot[i]) && !(boot[i] >= 'a' && boot[i] <= 'z'))
			return false;
	if (!parse_trigger(boot + BOOT_CHARS + 1,
			   len - 4 - (TIME_CHARS + BOOT_CHARS + 2), &precious))
		return false;
	e->boot = 0;
	if (memcmp(boot, NO_BOOT, BOOT_CHARS) != 0)
		memcpy(&e->boot, boot, BOOT_CHARS);
	e->protect = precious ? PROTECT_TRIGGER : 0;
	return true;
}

bool ks_store_name_valid(const char *name)
{
	struct store_entry scratch;

	return parse_name(name, strlen(name), &scratch);
}

/* Where the run of digits that ends at name[end] starts, when a '.'
 * precedes it; else 0. */
static size_t digits_before(const char *name, size_t end)
{
	size_t start = end;

	while (start > 1 && is_digit(name[start - 1]))
		start--;
	return start > 1 && start < end && name[start - 1] == '.' ? start : 0;
}

/* The writer's pid of a temporary file ks_write_temp() made for a store
 * name, ".<name>.<pid>.<seq>.tmp"; 0 when the file is not one. */
static pid_t temp_writer(const char *name, size_t len)
{
	struct store_entry scratch;
	size_t seq, pid_at, i;
	uint64_t pid = 0;

	if (len < 6 || name[0] != '.' || memcmp(name + len - 4, ".tmp", 4) != 0)
		return 0;
	seq = digits_before(name, len - 4);
	pid_at = seq ? digits_before(name, seq - 1) : 0;
	if (!pid_at || seq - 1 - pid_at > 10)
		return 0;
	for (i = pid_at; i < seq - 1; i++)
		pid = pid * 10 + (uint64_t)(name[i] - '0');
	if (pid == 0 || pid > INT_MAX)
		return 0;
	if (!parse_name(name + 1, pid_at - 2, &scratch) &&
	    !(pid_at - 2 == strlen(BUDGETS_NAME) &&
	      memcmp(name + 1, BUDGETS_NAME, pid_at - 2) == 0))
		return 0;
	return (pid_t)pid;
}

/* ---- writing ------------------------------------------------------------ */

/* A temporary name can be taken by a file a dead process with our pid left,
 * or by anything planted there: O_EXCL refuses it and the next call uses a
 * new sequence number. */
static int write_temp(int dirfd, const char *name, const void *blob,
		      size_t len, char *tmp)
{
	int err = -EEXIST;
	int i;

	for (i = 0; i < TEMP_RETRIES && err == -EEXIST; i++)
		err = ks_write_temp(dirfd, name, blob, len, tmp,
				    KS_TEMP_NAME_MAX);
	return err;
}

/* Renames without replacing: renameat2(RENAME_NOREPLACE) (Linux 3.15), or
 * on a file system without it, link(2), which fails the same way on an
 * existing name, then unlink of the temporary name. */
static int rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -errno;
	unlinkat(dirfd, from, 0);
	return 0;
}

/* name, or for i > 0 name with "_<i>" before ".kms": sorts right after
 * name, whose '.' is lower than '_'. */
static void counted_name(char *out, const char *name, unsigned i)
{
	size_t stem = strlen(name) - 4;
	char *p = out + stem;

	memcpy(out, name, stem);
	if (i > 0) {
		*p++ = '_';
		p += ks_format_u64(p, i);
	}
	memcpy(p, ".kms", 5);
}

/* Two writers can build one name in one microsecond (a watcher and a
 * manual capture); a symlink can be planted at it. Neither is replaced. */
static int publish(int dirfd, const char *tmp, const char *name, char *final)
{
	unsigned i;
	int err;

	for (i = 0; i <= NAME_COUNTER_MAX; i++) {
		counted_name(final, name, i);
		err = rename_noreplace(dirfd, tmp, final);
		if (err != -EEXIST)
			return err;
	}
	return -EEXIST;
}

int ks_store_write(struct kmemsnap_store *s, const char *name,
		   const void *blob, size_t len, char *name_out, size_t cap)
{
	char tmp[KS_TEMP_NAME_MAX];
	char final[KMEMSNAP_STORE_NAME_MAX];
	size_t name_len = strlen(name);
	int err;

	if (name_len < 5 || name_len + 4 > sizeof(final) ||
	    memcmp(name + name_len - 4, ".kms", 4) != 0 ||
	    (name_out && cap < sizeof(final)))
		return -EINVAL;
	err = write_temp(s->dir_fd, name, blob, len, tmp);
	if (err < 0)
		return err;
	err = publish(s->dir_fd, tmp, name, final);
	if (err < 0) {
		unlinkat(s->dir_fd, tmp, 0);
		return err;
	}
	if (name_out)
		memcpy(name_out, final, strlen(final) + 1);
	/* The rename is durable only once the directory is on disk. */
	if (fsync(s->dir_fd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

/* ---- retention ---------------------------------------------------------- */

/* flock(2) on the directory serializes the passes of every process and
 * handle (each open of the directory is its own lock owner). A file system
 * without flock (EINVAL, ENOLCK) gets unserialized passes: at worst two
 * remove the same oldest snapshot, and one more than needed. */
static int lock_store(int dirfd)
{
	const struct timespec one_ms = { 0, 1000000 };
	int waited = 0;

	while (flock(dirfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return 0;
		if (waited++ == LOCK_WAIT_MS)
			return -EAGAIN;
		nanosleep(&one_ms, NULL);
	}
	return 0;
}

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

/* A writer killed between creating its temporary file and renaming it
 * leaves the file behind; a live writer's file is left alone. */
static bool temp_is_stale(const struct stat *st, pid_t pid, uint64_t now_ns)
{
	uint64_t mtime = timespec_ns(&st->st_mtim);

	if (now_ns > mtime && now_ns - mtime > STALE_TEMP_NS)
		return true;
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* The entry that sorts last of the n tracked. */
static struct store_entry *newest_entry(struct store_entry *t, size_t n)
{
	struct store_entry *newest = &t[0];
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(t[i].name, newest->name) > 0)
			newest = &t[i];
	return newest;
}

/* Adds a snapshot to the table. When the table is full it keeps the oldest
 * snapshots, which are the ones retention removes first. */
static void track(struct kmemsnap_store *s, size_t *n,
		  const struct store_entry *e)
{
	struct store_entry *slot;

	if (*n < s->table_cap) {
		slot = &s->table[(*n)++];
	} else {
		slot = newest_entry(s->table, *n);
		if (strcmp(e->name, slot->name) >= 0)
			return;
	}
	*slot = *e;
}

/* One directory entry: a snapshot is counted and tracked, a stale
 * temporary file removed, anything else ignored. */
static void visit(struct kmemsnap_store *s, const char *name, uint64_t now_ns,
		  struct kmemsnap_store_pass *pass, size_t *n)
{
	size_t len = strlen(name);
	struct store_entry e;
	struct stat st;
	pid_t pid;

	if (fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return;
	pid = temp_writer(name, len);
	if (pid) {
		if (temp_is_stale(&st, pid, now_ns) &&
		    unlinkat(s->dir_fd, name, 0) == 0)
			pass->temps_removed++;
		return;
	}
	if (!parse_name(name, len, &e))
		return;
	memcpy(e.name, name, len + 1);
	e.bytes = (uint64_t)st.st_size;
	pass->files++;
	pass->bytes += e.bytes;
	track(s, n, &e);
}

/* Lists the directory with getdents64 into the store's buffer (opendir
 * mallocs). Returns the number of entries tracked or -errno. */
static long list_store(struct kmemsnap_store *s,
		       struct kmemsnap_store_pass *pass)
{
	uint64_t now_ns = ks_now_ns(CLOCK_REALTIME);
	size_t n = 0;
	ssize_t got;

	if (lseek(s->dir_fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((got = getdents64(s->dir_fd, s->dents, s->dents_cap)) > 0) {
		size_t off = 0;

		while (off < (size_t)got) {
			const struct dirent64 *d =
				(const void *)(s->dents + off);

			if (d->d_reclen == 0)
				break;
			visit(s, d->d_name, now_ns, pass, &n);
			off += d->d_reclen;
		}
	}
	if (got < 0)
		return -errno;
	pass->untracked = pass->files - (uint32_t)n;
	return (long)n;
}

static int entry_cmp(const struct store_entry *a, const struct store_entry *b)
{
	return strcmp(a->name, b->name);
}

static void swap_entries(struct store_entry *a, struct store_entry *b)
{
	struct store_entry t = *a;

	*a = *b;
	*b = t;
}

static void sift_down(struct store_entry *t, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;

		if (child >= n)
			return;
		if (child + 1 < n && entry_cmp(&t[child], &t[child + 1]) < 0)
			child++;
		if (entry_cmp(&t[root], &t[child]) >= 0)
			return;
		swap_entries(&t[root], &t[child]);
		root = child;
	}
}

/* Heapsort by name, that is by time: glibc's qsort may malloc. */
static void sort_entries(struct store_entry *t, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(t, i, n);
	for (i = n; i-- > 1;) {
		swap_entries(&t[0], &t[i]);
		sift_down(t, 0, i);
	}
}

/* Marks the oldest snapshot of each boot; t is sorted oldest first. A
 * quadratic scan, but over at most the table and with no memory. */
static void mark_first_of_boot(struct store_entry *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!t[i].boot)
			continue;
		for (j = 0; j < i && t[j].boot != t[i].boot; j++)
			;
		if (j == i)
			t[i].protect |= PROTECT_FIRST_OF_BOOT;
	}
}

/* percent of budget, without overflowing 64 bits. */
static uint64_t share(uint64_t budget, uint32_t percent)
{
	return budget / 100 * percent + budget % 100 * percent / 100;
}

/* The newest protected snapshots that together fit in the protected share
 * of both budgets keep their protection; from the first one that does not
 * fit, every older one loses it and ages out like the rest. */
static void limit_protected(const struct kmemsnap_store *s,
			    struct store_entry *t, size_t n)
{
	uint64_t max_bytes = share(s->max_bytes, s->protected_percent);
	uint64_t max_files = share(s->max_files, s->protected_percent);
	uint64_t bytes = 0, files = 0;
	bool full = false;
	size_t i;

	for (i = n; i-- > 0;) {
		if (!t[i].protect)
			continue;
		full = full || files + 1 > max_files ||
		       bytes + t[i].bytes > max_bytes;
		if (full) {
			t[i].protect = 0;
			continue;
		}
		files++;
		bytes += t[i].bytes;
	}
}

static bool over_budget(const struct kmemsnap_store *s,
			const struct kmemsnap_store_pass *pass)
{
	return pass->files > s->max_files || pass->bytes > s->max_bytes;
}

/* Removes unprotected snapshots, oldest first, until both budgets hold. A
 * file someone else removed meanwhile counts as gone. */
static void remove_over_budget(struct kmemsnap_store *s, struct store_entry *t,
			       size_t n, struct kmemsnap_store_pass *pass)
{
	size_t i;

	for (i = 0; i < n && over_budget(s, pass); i++) {
		if (t[i].protect)
			continue;
		if (unlinkat(s->dir_fd, t[i].name, 0) == 0)
			pass->removed++;
		else if (errno != ENOENT)
			continue;
		pass->files--;
		pass->bytes -= t[i].bytes;
		t[i].bytes = 0;
		t[i].name[0] = '\0';
	}
	for (i = 0; i < n; i++) {
		if (!t[i].protect || !t[i].name[0])
			continue;
		pass->protected_files++;
		pass->protected_bytes += t[i].bytes;
	}
}

/* One retention pass under the lock. Returns the number of snapshots
 * removed or -errno; the outcome is kept for kmemsnap_store_last_pass(). */
static int run_pass(struct kmemsnap_store *s)
{
	struct kmemsnap_store_pass pass = { .sz = sizeof(pass) };
	long n;
	int err = lock_store(s->dir_fd);

	if (err == 0) {
		n = list_store(s, &pass);
		if (n < 0) {
			err = (int)n;
		} else {
			sort_entries(s->table, (size_t)n);
			mark_first_of_boot(s->table, (size_t)n);
			limit_protected(s, s->table, (size_t)n);
			remove_over_budget(s, s->table, (size_t)n, &pass);
		}
		flock(s->dir_fd, LOCK_UN);
	}
	pass.error = err;
	s->last = pass;
	s->passed = true;
	return err < 0 ? err : (int)pass.removed;
}

/* ---- the handle --------------------------------------------------------- */

static bool budgets_valid(const struct kmemsnap_store *s)
{
	return s->max_bytes && s->max_files && s->max_files <= MAX_FILES_LIMIT &&
	       s->protected_percent && s->protected_percent <= 100;
}

/* Sets the budgets opts names over those s has; returns 1 when opts named
 * any of them. */
static int apply_store_opts(struct kmemsnap_store *s,
			    const struct kmemsnap_store_opts *o)
{
	if (o && !ks_opts_valid(o, o->sz, sizeof(*o)))
		return -EINVAL;
	s->max_bytes = KS_OPT(o, max_bytes, s->max_bytes);
	s->max_files = KS_OPT(o, max_files, s->max_files);
	s->protected_percent =
		KS_OPT(o, max_protected_percent, s->protected_percent);
	if (!budgets_valid(s))
		return -EINVAL;
	return KS_OPT(o, max_bytes, 0) || KS_OPT(o, max_files, 0) ||
	       KS_OPT(o, max_protected_percent, 0);
}

/* ---- budgets kept in the directory --------------------------------------- */

/* Every writer of a store must apply the same retention, or a manual
 * `capture --store` with the defaults would trim a store a watcher keeps
 * with larger budgets. So a handle uses the saved budgets, those its
 * options name replacing them, and saves the result when it named any:
 * naming one budget does not reset the others to their defaults. The
 * name is hidden and no snapshot's: retention leaves it alone. */

static const struct {
	const char *key;
	size_t off;
	size_t size;
} budget_keys[] = {
	{ "max_bytes", offsetof(struct kmemsnap_store, max_bytes), 8 },
	{ "max_files", offsetof(struct kmemsnap_store, max_files), 4 },
	{ "max_protected_percent",
	  offsetof(struct kmemsnap_store, protected_percent), 4 },
};

static void save_budgets(struct kmemsnap_store *s)
{
	char text[160], old[sizeof(text) + 1];
	size_t i, n = 0;

	for (i = 0; i < sizeof(budget_keys) / sizeof(budget_keys[0]); i++) {
		const char *field = (const char *)s + budget_keys[i].off;
		uint64_t v = budget_keys[i].size == 8 ? *(const uint64_t *)field
						      : *(const uint32_t *)field;
		size_t klen = strlen(budget_keys[i].key);

		memcpy(text + n, budget_keys[i].key, klen);
		n += klen;
		text[n++] = ' ';
		n += ks_format_u64(text + n, v);
		text[n++] = '\n';
	}
	/* Unchanged: no write (every writer opens the store). Best effort:
	 * a store on a read-only file system still works, with the budgets
	 * of each handle. */
	if (ks_read_small(s->dir_fd, BUDGETS_NAME, old, sizeof(old)) ==
		    (long)n &&
	    memcmp(old, text, n) == 0)
		return;
	(void)ks_write_file_atomic(s->dir_fd, BUDGETS_NAME, text, n);
}

/* Applies the saved budgets, when the file is there and sane. */
static void load_budgets(struct kmemsnap_store *s)
{
	struct kmemsnap_store saved = *s;
	char text[256];
	const char *p = text, *tok;
	size_t len, i;
	uint64_t v;

	if (ks_read_small(s->dir_fd, BUDGETS_NAME, text, sizeof(text)) <= 0)
		return;
	while (ks_next_token(&p, &tok, &len)) {
		if (!ks_parse_u64(&p, &v))
			return;
		for (i = 0; i < sizeof(budget_keys) / sizeof(budget_keys[0]); i++) {
			char *field = (char *)&saved + budget_keys[i].off;

			if (!ks_token_is(tok, len, budget_keys[i].key))
				continue;
			if (budget_keys[i].size == 8)
				*(uint64_t *)field = v;
			else if (v <= UINT32_MAX)
				*(uint32_t *)field = (uint32_t)v;
		}
	}
	if (!budgets_valid(&saved))
		return;
	s->max_bytes = saved.max_bytes;
	s->max_files = saved.max_files;
	s->protected_percent = saved.protected_percent;
}

/* fsync of the directory holding path, so a directory just created there
 * survives a crash along with what is written into it. */
static void sync_parent(const char *path)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len = 1; /* "." or "/" */
	int fd;

	if (!slash)
		parent[0] = '.';
	else if (slash == path)
		parent[0] = '/';
	else
		len = (size_t)(slash - path);
	if (slash && slash != path)
		memcpy(parent, path, len);
	parent[len] = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
}

/* O_NOFOLLOW with O_DIRECTORY fails on a symlink with ENOTDIR; say
 * ELOOP, as O_NOFOLLOW alone does, so the refusal reads as what it is. */
static int open_nofollow(struct kmemsnap_store *s, const char *path)
{
	struct stat st;
	int err;

	s->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dir_fd >= 0)
		return 0;
	err = -errno;
	if (err == -ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return err;
}

static int open_dir(struct kmemsnap_store *s, const char *dir, bool create)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	/* A trailing slash would make open() follow a symlink despite
	 * O_NOFOLLOW. */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, len);
	path[len] = '\0';
	if (create) {
		if (mkdir(path, 0700) == 0)
			sync_parent(path);
		else if (errno != EEXIST)
			return -errno;
	}
	return open_nofollow(s, path);
}

/* One mapping, locked and touched like the recorder's buffers, so a pass
 * under memory pressure does not fault pages in. The table holds the count
 * budget and a quarter more: the files written since the last pass. */
static int map_buffers(struct kmemsnap_store *s)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t table_bytes;
	uint8_t *base;

	s->table_cap = (size_t)s->max_files + s->max_files / 4 + 64;
	table_bytes = s->table_cap * sizeof(*s->table);
	table_bytes = (table_bytes + page - 1) / page * page;
	s->region_len = table_bytes + DENTS_BYTES;
	base = mmap(NULL, s->region_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -ENOMEM;
	s->region = base;
	(void)mlock(base, s->region_len);
	memset(base, 0, s->region_len);
	s->table = (struct store_entry *)base;
	s->dents = (char *)base + table_bytes;
	s->dents_cap = DENTS_BYTES;
	return 0;
}

KMEMSNAP_API int kmemsnap_store_open(struct kmemsnap_store **out,
				     const char *dir,
				     const struct kmemsnap_store_opts *opts)
{
	struct kmemsnap_store *s;
	int err, given;

	if (!out || !dir || !*dir)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dir_fd = -1;
	s->max_bytes = DEFAULT_MAX_BYTES;
	s->max_files = DEFAULT_MAX_FILES;
	s->protected_percent = DEFAULT_PROTECTED_PERCENT;
	/* Checks opts before anything is created; applied again below, over
	 * the saved budgets. */
	given = apply_store_opts(s, opts);
	err = given < 0 ? given : open_dir(s, dir, KS_OPT(opts, create, 0) != 0);
	if (!err) {
		load_budgets(s);
		if (given) {
			(void)apply_store_opts(s, opts);
			save_budgets(s);
		}
	}
	/* The retention table is sized by max_files: after the budgets. */
	if (!err)
		err = map_buffers(s);
	if (err) {
		kmemsnap_store_close(s);
		return err;
	}
	*out = s;
	return 0;
}

KMEMSNAP_API void kmemsnap_store_close(struct kmemsnap_store *store)
{
	if (!store)
		return;
	if (store->region)
		munmap(store->region, store->region_len);
	if (store->dir_fd >= 0)
		close(store->dir_fd);
	free(store);
}

static bool take(struct kmemsnap_store *s)
{
	return !__atomic_exchange_n(&s->busy, 1, __ATOMIC_ACQUIRE);
}

static void release(struct kmemsnap_store *s)
{
	__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
}

KMEMSNAP_API int kmemsnap_capture_to_store(struct kmemsnap_recorder *rec,
					   const struct kmemsnap_capture_opts *opts,
					   struct kmemsnap_store *store,
					   char *name_out, size_t name_cap)
{
	char name[KMEMSNAP_STORE_NAME_MAX];
	const void *blob;
	size_t len;
	int err;

	if (!rec || !store || (name_out && name_cap < KMEMSNAP_STORE_NAME_MAX))
		return -EINVAL;
	if (!take(store))
		return -EBUSY;
	err = kmemsnap_capture(rec, opts, &blob, &len);
	if (err == 0) {
		ks_store_name(name, rec->last.realtime_ns, rec->last.boot_id,
			      rec->last.trigger);
		err = ks_store_write(store, name, blob, len, name_out,
				     name_cap);
	}
	if (err == 0)
		err = run_pass(store) < 0 || store->last.untracked ? 1 : 0;
	release(store);
	return err;
}

int ks_store_holds_boot(struct kmemsnap_store *s, const char *boot_id)
{
	char want[BOOT_CHARS];
	ssize_t got;
	int found = 0;

	put_boot(want, boot_id);
	if (!take(s))
		return -EBUSY;
	if (lseek(s->dir_fd, 0, SEEK_SET) < 0)
		found = -errno;
	while (found == 0 &&
	       (got = getdents64(s->dir_fd, s->dents, s->dents_cap)) > 0) {
		size_t off = 0;

		while (off < (size_t)got && found == 0) {
			const struct dirent64 *d =
				(const void *)(s->dents + off);
			struct store_entry e;

			if (d->d_reclen == 0)
				break;
			found = parse_name(d->d_name, strlen(d->d_name), &e) &&
				memcmp(d->d_name + TIME_CHARS + 1, want,
				       BOOT_CHARS) == 0;
			off += d->d_reclen;
		}
	}
	release(s);
	return found;
}

KMEMSNAP_API int kmemsnap_store_prune(struct kmemsnap_store *store)
{
	int ret;

	if (!store)
		return -EINVAL;
	if (!take(store))
		return -EBUSY;
	ret = run_pass(store);
	release(store);
	return ret;
}

KMEMSNAP_API int kmemsnap_store_last_pass(const struct kmemsnap_store *store,
					  struct kmemsnap_store_pass *out)
{
	size_t sz;

	if (!store || !out || out->sz < sizeof(out->sz))
		return -EINVAL;
	if (!store->passed)
		return -ENODATA;
	/* An older caller's smaller struct gets the fields it has. */
	sz = out->sz;
	memcpy(out, &store->last,
	       sz < sizeof(store->last) ? sz : sizeof(store->last));
	out->sz = sz;
	return 0;
}
