/* SPDX-License-Identifier: MIT */
/*
 * The crash handler (docs/CRASH.md): on a fatal signal, a snapshot with the
 * faulting thread's backtrace and the loaded modules, written before the
 * signal is let through to the core dump or to the previous handler.
 *
 * Install does every allocation and every lookup that can be done ahead:
 * the alternate signal stack, the frame array, two module tables (the
 * handler reads the published one while a refresh fills the other), the
 * module list with build ids read from the PT_NOTE segments in memory, and
 * a first unwind that sets up libunwind's lazy state. After the signal,
 * only async-signal-safe calls run; docs/CRASH.md goes through them one by
 * one.
 *
 * A signal handler is process-global, so this file keeps the one piece of
 * global state in the library: the installed handler.
 */
#define UNW_LOCAL_ONLY
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "recorder.h"

#define DEFAULT_ALTSTACK_BYTES (256u << 10)
/* liblz4's LZ4F_compressFrame() alone uses some 17 KiB (STYLE.md). */
#define MIN_ALTSTACK_BYTES (64u << 10)
#define DEFAULT_MAX_FRAMES 128
#define MAX_FRAMES_LIMIT 1024
#define DEFAULT_MAX_MODULES 512
#define MAX_MODULES_LIMIT 16384
#define MAX_SIGNALS 16
/* Room for module paths in a table, per module: Debian's longest library
 * paths are under 100 bytes. */
#define PATH_BYTES_PER_MODULE 256
/* GNU build ids are 8 (xxhash) to 20 (sha1) bytes; ld --build-id=0xHEX
 * allows longer ones, which are left out. */
#define BUILD_ID_MAX 64
/* A capture already running on the handler's recorder or store (another
 * thread's) is waited for, this many times this long. */
#define BUSY_RETRIES 100
#define BUSY_WAIT_NS 10000000L
/* Another thread that faults while the first writes waits this long at
 * most before letting its own signal through. */
#define PEER_WAIT_STEPS 1000
#define PEER_WAIT_NS 10000000L

typedef Kmemsnap__V1__Crash KsCrash;
typedef Kmemsnap__V1__CrashFrame KsCrashFrame;
typedef Kmemsnap__V1__CrashModule KsCrashModule;

/* The loaded modules as the section's repeated field wants them. */
struct module_table {
	KsCrashModule *mods;
	KsCrashModule **ptrs;
	uint8_t *build_ids; /* BUILD_ID_MAX bytes per module */
	char *paths;
	size_t paths_cap;
	size_t paths_used;
	size_t cap;
	size_t n;
	uint32_t total;	 /* modules reported, kept or not */
	const char *exe; /* the main program's path, during a refresh */
	bool first;	 /* the next module reported is the main program */
	bool truncated;
};

struct crash_handler {
	struct kmemsnap_recorder *rec;
	struct kmemsnap_recorder *own_rec; /* created here, freed here */
	struct kmemsnap_store *store;
	int dir_fd; /* the path's directory, or -1 */
	char *name; /* the path's last component */
	int signals[MAX_SIGNALS];
	struct sigaction prev[MAX_SIGNALS];
	size_t n_signals;
	uint32_t max_frames;

	pid_t install_tid;
	stack_t altstack;
	stack_t prev_altstack;

	void *region; /* frames and both module tables */
	size_t region_len;
	struct module_table tables[2];
	int current; /* the published table */

	/* Set once by the thread that takes the crash; others wait for done. */
	pid_t crash_tid;
	int done;

	/* The section, in memory owned here. */
	KsCrash msg;
	KsStatus status;
	KsCrashFrame *frames;
	KsCrashFrame **frame_ptrs;
	char comm[16]; /* TASK_COMM_LEN */
	char detail[32];
};

static struct crash_handler *installed;
/* Serializes install, refresh and uninstall; never taken by the handler. */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

static const int default_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE,
				       SIGABRT };

/* ---- the module table ---------------------------------------------------- */

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* The NT_GNU_BUILD_ID note in a PT_NOTE segment (elf(5): each note's name
 * and descriptor are padded to the segment's alignment, 4 or 8). */
static bool find_build_id(const uint8_t *p, size_t len, size_t align,
			  const uint8_t **id, size_t *id_len)
{
	while (len >= sizeof(ElfW(Nhdr))) {
		const ElfW(Nhdr) *n = (const void *)p;
		size_t name, desc, step;

		if (n->n_namesz > len || n->n_descsz > len)
			return false;
		name = align_up(n->n_namesz, align);
		desc = align_up(n->n_descsz, align);
		if (sizeof(*n) + name + n->n_descsz > len)
			return false;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    memcmp(p + sizeof(*n), "GNU", 4) == 0) {
			*id = p + sizeof(*n) + name;
			*id_len = n->n_descsz;
			return true;
		}
		step = sizeof(*n) + name + desc;
		if (step >= len)
			return false;
		p += step;
		len -= step;
	}
	return false;
}

/* Build id and executable range from the module's program headers, which
 * the dynamic linker keeps mapped: no file is opened. */
static void read_segments(const struct dl_phdr_info *info, KsCrashModule *m,
			  uint8_t *id_buf)
{
	uint64_t start = UINT64_MAX, end = 0;
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t at = info->dlpi_addr + ph->p_vaddr;
		const uint8_t *id;
		size_t id_len;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			start = at < start ? at : start;
			end = at + ph->p_memsz > end ? at + ph->p_memsz : end;
		}
		if (ph->p_type == PT_NOTE && !m->has_build_id &&
		    find_build_id((const uint8_t *)(uintptr_t)at, ph->p_memsz,
				  ph->p_align == 8 ? 8 : 4, &id, &id_len) &&
		    id_len > 0 && id_len <= BUILD_ID_MAX) {
			memcpy(id_buf, id, id_len);
			m->has_build_id = true;
			m->build_id.data = id_buf;
			m->build_id.len = id_len;
		}
	}
	if (end > start) {
		m->has_text_start = m->has_text_end = true;
		m->text_start = start;
		m->text_end = end;
	}
}

/* Copies a path into the table's pool; "" when the pool is full. */
static char *keep_path(struct module_table *t, const char *path)
{
	size_t len = strlen(path);
	char *out;

	if (len + 1 > t->paths_cap - t->paths_used) {
		t->truncated = true;
		return (char *)"";
	}
	out = t->paths + t->paths_used;
	memcpy(out, path, len + 1);
	t->paths_used += len + 1;
	return out;
}

/* dl_iterate_phdr() reports the main program first, with an empty name. */
static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
	struct module_table *t = data;
	bool main_program = t->first;
	KsCrashModule *m;

	(void)size;
	t->first = false;
	t->total++;
	if (t->n == t->cap) {
		t->truncated = true;
		return 0;
	}
	m = &t->mods[t->n];
	kmemsnap__v1__crash_module__init(m);
	m->has_load_address = true;
	m->load_address = info->dlpi_addr;
	read_segments(info, m, t->build_ids + t->n * BUILD_ID_MAX);
	m->path = keep_path(t, main_program && !info->dlpi_name[0] ?
				       t->exe :
				       info->dlpi_name);
	t->ptrs[t->n++] = m;
	return 0;
}

static void read_modules(struct module_table *t)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	t->exe = exe;
	t->first = true;
	t->n = 0;
	t->total = 0;
	t->paths_used = 0;
	t->truncated = false;
	dl_iterate_phdr(add_module, t);
	t->exe = NULL;
}

/* ---- after the signal: async-signal-safe only ---------------------------- */

/* Kernel-raised faults: running the instruction again raises them again. */
static bool is_fault(int sig, const siginfo_t *si)
{
	return si->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS ||
				   sig == SIGILL || sig == SIGFPE);
}

static const char *signal_word(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	case SIGQUIT: return "SIGQUIT";
	default: return NULL;
	}
}

/* "SIGSEGV", or "signal 40", without snprintf. */
static void set_detail(struct crash_handler *c, int sig)
{
	const char *word = signal_word(sig);

	if (word) {
		strcpy(c->detail, word);
		return;
	}
	strcpy(c->detail, "signal ");
	ks_format_u64(c->detail + strlen(c->detail), (uint64_t)sig);
}

static const struct module_table *published(struct crash_handler *c)
{
	return &c->tables[__atomic_load_n(&c->current, __ATOMIC_ACQUIRE)];
}

/* The module whose executable range holds addr. A return address may sit
 * just past its function's end when the call was the last instruction (a
 * noreturn callee), so callers look up pc - 1 for every frame but the
 * first. */
static void place_frame(const struct module_table *t, KsCrashFrame *f,
			uint64_t addr)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const KsCrashModule *m = &t->mods[i];

		if (addr >= m->text_start && addr < m->text_end) {
			f->has_module = f->has_offset = true;
			f->module = (uint32_t)i;
			f->offset = f->pc - m->load_address;
			return;
		}
	}
}

/* The faulting thread's frames, starting at the interrupted instruction:
 * libunwind takes the signal's ucontext as its context (unw_init_local(3):
 * unw_init_local2 with UNW_INIT_SIGNAL_FRAME for a sigaction handler's
 * third argument), so the handler's own frames are not in the backtrace. */
static void unwind(struct crash_handler *c, void *uc,
		   const struct module_table *t)
{
	unw_cursor_t cursor;
	unw_word_t pc;
	size_t n = 0;
	int step = 0;

	if (unw_init_local2(&cursor, (unw_context_t *)uc,
			    UNW_INIT_SIGNAL_FRAME) < 0) {
		c->status.detail =
			(char *)"libunwind could not start unwinding";
		return;
	}
	do {
		KsCrashFrame *f;

		if (n == c->max_frames) {
			ks_status_truncated(&c->status);
			c->status.detail =
				(char *)"backtrace cut at max_frames";
			break;
		}
		if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0)
			break;
		f = &c->frames[n];
		kmemsnap__v1__crash_frame__init(f);
		f->has_pc = true;
		f->pc = pc;
		place_frame(t, f, n == 0 ? pc : pc - 1);
		c->frame_ptrs[n++] = f;
	} while ((step = unw_step(&cursor)) > 0);
	/* A damaged stack often ends the walk early: the frames up to
	 * there are still the ones that matter. */
	if (step < 0)
		c->status.detail = (char *)"libunwind could not unwind further";
	c->msg.n_frames = n;
	c->msg.frames = c->frame_ptrs;
}

static void record(struct crash_handler *c, int sig, const siginfo_t *si,
		   void *uc, pid_t tid)
{
	uint64_t start = ks_now_ns(CLOCK_MONOTONIC);
	const struct module_table *t = published(c);
	KsCrash *m = &c->msg;

	m->has_signal = m->has_code = m->has_pid = m->has_tid = true;
	m->signal = sig;
	m->code = si->si_code;
	m->pid = getpid();
	m->tid = tid;
	/* si_addr is meaningful for a fault only; for a signal a process
	 * sent (si_code <= 0: SI_USER, SI_TKILL, SI_QUEUE) si_pid is. */
	if (is_fault(sig, si)) {
		m->has_fault_address = true;
		m->fault_address = (uintptr_t)si->si_addr;
	} else if (si->si_code <= 0) {
		m->has_sender_pid = true;
		m->sender_pid = si->si_pid;
	}
	if (prctl(PR_GET_NAME, c->comm) == 0)
		m->comm = c->comm;
	m->n_modules = t->n;
	m->modules = t->ptrs;
	m->has_modules_total = true;
	m->modules_total = t->total;
	if (t->truncated) {
		ks_status_truncated(&c->status);
		c->status.detail = (char *)"module table full";
	}
	unwind(c, uc, t);
	if (!c->status.has_state) {
		c->status.has_state = true;
		c->status.state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK;
	}
	c->status.has_duration_ns = true;
	c->status.duration_ns = ks_now_ns(CLOCK_MONOTONIC) - start;
	set_detail(c, sig);
}

static void pause_ns(long ns)
{
	struct timespec ts = { 0, ns };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int capture_once(struct crash_handler *c,
			const struct kmemsnap_capture_opts *opts)
{
	const void *blob;
	size_t len;
	int err;

	if (c->store)
		return kmemsnap_capture_to_store(c->rec, opts, c->store, NULL,
						 0);
	err = kmemsnap_capture(c->rec, opts, &blob, &len);
	if (err < 0)
		return err;
	return ks_write_file_atomic(c->dir_fd, c->name, blob, len);
}

/* Nobody is told when this fails: the process is dying, and the library
 * does not print. The core dump still follows. */
static void write_snapshot(struct crash_handler *c)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, opts,
		      .trigger = KMEMSNAP_TRIGGER_CRASH,
		      .trigger_detail = c->detail);
	int i;

	c->rec->crash = &c->msg;
	for (i = 0; i < BUSY_RETRIES; i++) {
		if (capture_once(c, &opts) != -EBUSY)
			break;
		pause_ns(BUSY_WAIT_NS);
	}
	c->rec->crash = NULL;
}

/* Puts back the previous actions and lets the signal take its course. A
 * fault the kernel raised comes back when the instruction runs again, now
 * to the previous action, and the core dump keeps the original siginfo. A
 * signal a process sent (abort(), kill) does not come back: it is sent
 * again to this thread, and arrives when the handler returns and unblocks
 * it. */
static void let_through(const struct crash_handler *c, int sig,
			const siginfo_t *si, pid_t tid)
{
	size_t i;

	for (i = 0; i < c->n_signals; i++)
		sigaction(c->signals[i], &c->prev[i], NULL);
	if (!is_fault(sig, si))
		tgkill(getpid(), tid, sig);
}

/* The handler was uninstalled but is still called (a handler installed
 * later kept it as its previous one): the default action. */
static void let_through_default(int sig, const siginfo_t *si, pid_t tid)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (!is_fault(sig, si))
		tgkill(getpid(), tid, sig);
}

/* Another thread holds the crash: its snapshot is the one kept, and the
 * process ends when that thread lets its signal through. */
static void wait_for_peer(struct crash_handler *c)
{
	int i;

	for (i = 0; i < PEER_WAIT_STEPS; i++) {
		if (__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
			return;
		pause_ns(PEER_WAIT_NS);
	}
}

static void on_crash(int sig, siginfo_t *si, void *uc)
{
	struct crash_handler *c = __atomic_load_n(&installed, __ATOMIC_ACQUIRE);
	int saved_errno = errno;
	pid_t tid = gettid();
	pid_t none = 0;

	if (!c) {
		let_through_default(sig, si, tid);
		errno = saved_errno;
		return;
	}
	if (!__atomic_compare_exchange_n(&c->crash_tid, &none, tid, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* The same thread again means the handler itself raised a
		 * signal (an abort() below it): no second try. */
		if (none != tid)
			wait_for_peer(c);
		let_through(c, sig, si, tid);
		errno = saved_errno;
		return;
	}
	record(c, sig, si, uc, tid);
	write_snapshot(c);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	let_through(c, sig, si, tid);
	errno = saved_errno;
}

/* ---- install and uninstall ----------------------------------------------- */

static int set_signals(struct crash_handler *c,
		       const struct kmemsnap_crash_opts *o)
{
	const int *sigs = KS_OPT(o, signals, NULL);
	size_t n = KS_OPT_HAS(o, n_signals) ? o->n_signals : 0;
	size_t i, j;

	if (!sigs) {
		if (n)
			return -EINVAL;
		sigs = default_signals;
		n = sizeof(default_signals) / sizeof(default_signals[0]);
	}
	if (n == 0 || n > MAX_SIGNALS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (sigs[i] <= 0 || sigs[i] >= NSIG || sigs[i] == SIGKILL ||
		    sigs[i] == SIGSTOP)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (sigs[j] == sigs[i])
				return -EINVAL;
		c->signals[i] = sigs[i];
	}
	c->n_signals = n;
	return 0;
}

/* Splits path into its directory, opened now, and its last component. */
static int open_path(struct crash_handler *c, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	size_t dir_len = slash ? (slash == path ? 1 : (size_t)(slash - path)) :
				 0;

	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (dir_len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, slash ? path : ".", slash ? dir_len : 1);
	dir[slash ? dir_len : 1] = '\0';
	c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dir_fd < 0)
		return -errno;
	c->name = strdup(name);
	return c->name ? 0 : -ENOMEM;
}

static int set_sink(struct crash_handler *c,
		    const struct kmemsnap_crash_opts *o)
{
	struct kmemsnap_recorder *rec = KS_OPT(o, recorder, NULL);
	const char *path = KS_OPT(o, path, NULL);
	int err;

	c->store = KS_OPT(o, store, NULL);
	if (!c->store == !path)
		return -EINVAL;
	if (path) {
		err = open_path(c, path);
		if (err < 0)
			return err;
	}
	if (rec) {
		c->rec = rec;
		return 0;
	}
	err = kmemsnap_recorder_new(&c->own_rec, NULL);
	c->rec = c->own_rec;
	return err;
}

/* Carves a table's arrays out of the region at *at. */
static void carve_table(struct module_table *t, uint8_t **at, size_t cap)
{
	t->cap = cap;
	t->mods = (KsCrashModule *)*at;
	*at += align_up(cap * sizeof(*t->mods), 8);
	t->ptrs = (KsCrashModule **)*at;
	*at += cap * sizeof(*t->ptrs);
	t->build_ids = *at;
	*at += cap * BUILD_ID_MAX;
	t->paths = (char *)*at;
	t->paths_cap = cap * PATH_BYTES_PER_MODULE;
	*at += t->paths_cap;
}

static size_t table_bytes(size_t cap)
{
	return align_up(cap * sizeof(KsCrashModule), 8) +
	       cap * sizeof(KsCrashModule *) + cap * BUILD_ID_MAX +
	       cap * PATH_BYTES_PER_MODULE;
}

/* One mapping for the frames and both tables, locked and touched now so
 * that the handler does not fault pages in when memory is short. */
static int map_region(struct crash_handler *c, uint32_t max_modules)
{
	size_t frames = align_up(c->max_frames * sizeof(KsCrashFrame), 8) +
			c->max_frames * sizeof(KsCrashFrame *);
	uint8_t *at;

	c->region_len = frames + 2 * table_bytes(max_modules);
	c->region = mmap(NULL, c->region_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->region == MAP_FAILED) {
		c->region = NULL;
		return -ENOMEM;
	}
	(void)mlock(c->region, c->region_len);
	memset(c->region, 0, c->region_len);
	at = c->region;
	c->frames = (KsCrashFrame *)at;
	at += align_up(c->max_frames * sizeof(KsCrashFrame), 8);
	c->frame_ptrs = (KsCrashFrame **)at;
	at += c->max_frames * sizeof(KsCrashFrame *);
	carve_table(&c->tables[0], &at, max_modules);
	carve_table(&c->tables[1], &at, max_modules);
	return 0;
}

/* The alternate stack, with an inaccessible page below it so that running
 * off its end faults instead of overwriting other memory. */
static int set_altstack(struct crash_handler *c, size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = align_up(bytes, page) + page;
	uint8_t *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (base == MAP_FAILED)
		return -ENOMEM;
	mprotect(base, page, PROT_NONE);
	(void)mlock(base + page, len - page);
	memset(base + page, 0, len - page);
	c->altstack.ss_sp = base + page;
	c->altstack.ss_size = len - page;
	c->altstack.ss_flags = 0;
	if (sigaltstack(&c->altstack, &c->prev_altstack) < 0) {
		int err = -errno;

		munmap(base, len);
		c->altstack.ss_sp = NULL;
		return err;
	}
	c->install_tid = gettid();
	return 0;
}

static void unmap_altstack(struct crash_handler *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (c->altstack.ss_sp)
		munmap((uint8_t *)c->altstack.ss_sp - page,
		       c->altstack.ss_size + page);
}

/* Gives the installing thread its previous alternate stack back. From
 * another thread that cannot be done, and the installing thread may still
 * use ours: the stack then stays mapped. */
static void restore_altstack(struct crash_handler *c)
{
	stack_t cur;

	if (!c->altstack.ss_sp)
		return;
	if (gettid() != c->install_tid)
		return;
	if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == c->altstack.ss_sp)
		sigaltstack(&c->prev_altstack, NULL);
	unmap_altstack(c);
}

/* Our own action is restored only where it is still installed: a handler
 * set later by someone else stays. */
static void restore_handlers(struct crash_handler *c, size_t n)
{
	struct sigaction cur;
	size_t i;

	for (i = 0; i < n; i++)
		if (sigaction(c->signals[i], NULL, &cur) == 0 &&
		    (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_crash)
			sigaction(c->signals[i], &c->prev[i], NULL);
}

static int set_handlers(struct crash_handler *c)
{
	struct sigaction sa = { .sa_sigaction = on_crash,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	size_t i;

	/* A fault inside the handler then finds its signal blocked, and the
	 * kernel ends the process with it: no recursion. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < c->n_signals; i++)
		sigaddset(&sa.sa_mask, c->signals[i]);
	for (i = 0; i < c->n_signals; i++) {
		if (sigaction(c->signals[i], &sa, &c->prev[i]) < 0) {
			int err = -errno;

			restore_handlers(c, i);
			return err;
		}
	}
	return 0;
}

static void free_handler(struct crash_handler *c)
{
	if (!c)
		return;
	if (c->region)
		munmap(c->region, c->region_len);
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	free(c->name);
	kmemsnap_recorder_free(c->own_rec);
	free(c);
}

/* Runs libunwind once where it is safe to: its first use sets up global
 * state lazily, which is better not done for the first time in a signal
 * handler. */
static void warm_up_unwinder(void)
{
	unw_context_t ctx;
	unw_cursor_t cursor;
	int steps = 0;

	if (unw_getcontext(&ctx) < 0 || unw_init_local(&cursor, &ctx) < 0)
		return;
	while (unw_step(&cursor) > 0 && ++steps < DEFAULT_MAX_FRAMES)
		;
}

static int configure(struct crash_handler *c,
		     const struct kmemsnap_crash_opts *o)
{
	uint32_t max_modules = KS_OPT(o, max_modules, DEFAULT_MAX_MODULES);
	int err;

	c->max_frames = KS_OPT(o, max_frames, DEFAULT_MAX_FRAMES);
	if (c->max_frames > MAX_FRAMES_LIMIT || max_modules > MAX_MODULES_LIMIT)
		return -EINVAL;
	err = set_signals(c, o);
	if (!err)
		err = set_sink(c, o);
	if (!err)
		err = map_region(c, max_modules);
	if (err)
		return err;
	kmemsnap__v1__crash__init(&c->msg);
	kmemsnap__v1__section_status__init(&c->status);
	c->msg.status = &c->status;
	read_modules(&c->tables[0]);
	warm_up_unwinder();
	return 0;
}

static int install(const struct kmemsnap_crash_opts *o)
{
	size_t altstack = KS_OPT(o, altstack_bytes, DEFAULT_ALTSTACK_BYTES);
	struct crash_handler *c;
	int err;

	if (altstack < MIN_ALTSTACK_BYTES)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->dir_fd = -1;
	err = configure(c, o);
	if (!err)
		err = set_altstack(c, altstack);
	if (err) {
		free_handler(c);
		return err;
	}
	__atomic_store_n(&installed, c, __ATOMIC_RELEASE);
	err = set_handlers(c);
	if (err) {
		__atomic_store_n(&installed, NULL, __ATOMIC_RELEASE);
		restore_altstack(c);
		free_handler(c);
	}
	return err;
}

KMEMSNAP_API int kmemsnap_crash_handler_install(
	const struct kmemsnap_crash_opts *opts)
{
	int err;

	if (!opts || !ks_opts_valid(opts, opts->sz, sizeof(*opts)))
		return -EINVAL;
	pthread_mutex_lock(&install_lock);
	err = installed ? -EEXIST : install(opts);
	pthread_mutex_unlock(&install_lock);
	return err;
}

KMEMSNAP_API int kmemsnap_crash_handler_refresh(void)
{
	struct crash_handler *c;
	int next, err = 0;

	pthread_mutex_lock(&install_lock);
	c = installed;
	if (!c) {
		err = -ENOENT;
	} else if (__atomic_load_n(&c->crash_tid, __ATOMIC_ACQUIRE)) {
		err = -EBUSY;
	} else {
		/* The handler reads the published table; fill the other. */
		next = 1 - c->current;
		read_modules(&c->tables[next]);
		__atomic_store_n(&c->current, next, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&install_lock);
	return err;
}

KMEMSNAP_API void kmemsnap_crash_handler_uninstall(void)
{
	struct crash_handler *c;

	pthread_mutex_lock(&install_lock);
	c = installed;
	if (c) {
		restore_handlers(c, c->n_signals);
		__atomic_store_n(&installed, NULL, __ATOMIC_RELEASE);
		restore_altstack(c);
		free_handler(c);
	}
	pthread_mutex_unlock(&install_lock);
}
