/* SPDX-License-Identifier: MIT */
/*
 * The crash handler (crash.c, docs/CRASH.md): install and uninstall leave
 * the signal actions and the alternate stack as they were; every crash runs
 * in its own forked child, which must die by its signal (or reach the
 * previous handler) after writing a snapshot whose crash section names the
 * signal, the fault and the faulting function; and the handler's path, from
 * the signal to the previous handler, allocates nothing.
 *
 * Heap calls are counted by heap_counter.c, which also sees libunwind's.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heap_counter.h"
#include "testlib.h"

/* Exit codes of a child that did not die as planned. */
#define CHILD_INSTALL_FAILED 100
#define CHILD_SURVIVED 101
/* The previous handler's exit code, proving it ran after ours. */
#define CHAINED_EXIT 42

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
#define N_CRASH_SIGNALS (sizeof(crash_signals) / sizeof(crash_signals[0]))

/* ---- helpers ------------------------------------------------------------- */

static char tmpdir[] = "/tmp/kmemsnap-crash-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void set_action(int sig, void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void default_actions(void)
{
	size_t i;

	for (i = 0; i < N_CRASH_SIGNALS; i++)
		set_action(crash_signals[i], SIG_DFL);
}

static bool is_default(int sig)
{
	struct sigaction cur;

	return sigaction(sig, NULL, &cur) == 0 &&
	       !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL;
}

static KsSnapshot *load(const char *path)
{
	static uint8_t file[4 << 20];
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	ssize_t n = -1;
	uint8_t *msg;
	KsSnapshot *snap = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, file, sizeof(file));
		close(fd);
	}
	if (n <= 0 ||
	    kmemsnap_blob_extract(file, (size_t)n, NULL, 0, &info) != -ENOBUFS)
		return NULL;
	msg = malloc(info.message_bytes);
	if (msg && kmemsnap_blob_extract(file, (size_t)n, msg,
					 info.message_bytes, &info) == 0)
		snap = kmemsnap__v1__snapshot__unpack(NULL, info.message_bytes,
						      msg);
	free(msg);
	return snap;
}

/* The main program's l_addr, from the dynamic linker's own list. */
static uint64_t main_load_address(void)
{
	void *self = dlopen(NULL, RTLD_NOW);
	struct link_map *map = NULL;
	uint64_t addr = 0;

	if (self && dlinfo(self, RTLD_DI_LINKMAP, &map) == 0 && map)
		addr = map->l_addr;
	if (self)
		dlclose(self);
	return addr;
}

/* ---- what the children do ------------------------------------------------- */

/* Real frames of their own for the backtrace checks (clang has no noclone). */
#ifdef __clang__
#define NOT_INLINED __attribute__((noinline))
#else
#define NOT_INLINED __attribute__((noinline, noclone))
#endif

/* Faults at a known address. noinline and noclone keep its own frame and
 * its address, which the parent shares after fork(). */
NOT_INLINED static void crash_segv(void)
{
	volatile int *volatile p = (volatile int *)0x10;

	*p = 1;
}

NOT_INLINED static void crash_abort(void)
{
	abort();
}

NOT_INLINED static void crash_kill_ill(void)
{
	kill(getpid(), SIGILL);
}

/* Three more frames above crash_segv, for the max_frames bound. */
NOT_INLINED static void crash_deep(int depth)
{
	if (depth == 0)
		crash_segv();
	else
		crash_deep(depth - 1);
	__asm__ volatile("" ::: "memory");
}

static void crash_deep3(void)
{
	crash_deep(3);
}

static void *segv_thread(void *arg)
{
	(void)arg;
	crash_segv();
	return NULL;
}

/* A thread other than the installing one: it has no alternate stack, and
 * the handler runs on its own stack. */
static void crash_in_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, segv_thread, NULL) == 0)
		pthread_join(t, NULL);
}

/* A fault inside libelf's elf_kind(), which reads elf->kind: a frame in a
 * module loaded by dlopen() after the handler was installed. */
static void crash_in_dlopened(void)
{
	void *lib = dlopen("libelf.so.1", RTLD_NOW);
	int (*kind)(void *) = lib ? (int (*)(void *))dlsym(lib, "elf_kind") :
				    NULL;

	if (!kind)
		_exit(CHILD_SURVIVED + 1);
	if (getenv("TEST_CRASH_REFRESH"))
		kmemsnap_crash_handler_refresh();
	kind((void *)0x10);
}

/* The previous handler: reports the heap calls counted since just before
 * the crash through the pipe, then exits with CHAINED_EXIT. */
static int report_fd = -1;

static void chained(int sig, siginfo_t *si, void *uc)
{
	unsigned long calls = heap_calls;

	(void)sig;
	(void)si;
	(void)uc;
	heap_counting = 0;
	if (write(report_fd, &calls, sizeof(calls)) != sizeof(calls))
		_exit(CHILD_SURVIVED + 2);
	_exit(CHAINED_EXIT);
}

struct child {
	void (*crash)(void);
	const char *file;  /* snapshot path below tmpdir, or NULL */
	const char *store; /* store directory below tmpdir, or NULL */
	bool own_recorder; /* let the handler create one (live "/") */
	bool chain;	   /* a previous SIGSEGV handler: chained() */
	uint32_t max_frames;
	bool refresh;
};

static void child_main(const struct child *c, int report)
{
	static struct kmemsnap_recorder *rec;
	static struct kmemsnap_store *store;
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts,
		      .root = tl_fixture("trees/modern"));
	KMEMSNAP_OPTS(kmemsnap_crash_opts, opts, .max_frames = c->max_frames);
	struct sigaction sa = { .sa_sigaction = chained,
				.sa_flags = SA_SIGINFO };

	default_actions();
	if (c->chain) {
		report_fd = report;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
	}
	if (!c->own_recorder && kmemsnap_recorder_new(&rec, &ropts) < 0)
		_exit(CHILD_INSTALL_FAILED);
	opts.recorder = rec;
	if (c->file)
		opts.path = tmp_path(c->file);
	if (c->store &&
	    kmemsnap_store_open(&store, tmp_path(c->store), NULL) < 0)
		_exit(CHILD_INSTALL_FAILED);
	opts.store = store;
	if (kmemsnap_crash_handler_install(&opts) < 0)
		_exit(CHILD_INSTALL_FAILED);
	if (c->refresh)
		setenv("TEST_CRASH_REFRESH", "1", 1);
	heap_calls = 0;
	heap_counting = 1;
	c->crash();
	_exit(CHILD_SURVIVED);
}

/* Runs a child; returns its wait status. With c->chain, *calls receives
 * the heap calls the chained handler reported (ULONG_MAX when none). */
static int run_child(const struct child *c, unsigned long *calls)
{
	int pipefd[2];
	int status = -1;
	pid_t pid;

	CHECK(pipe(pipefd) == 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child_main(c, pipefd[1]);
	}
	close(pipefd[1]);
	CHECK(pid > 0);
	if (calls && read(pipefd[0], calls, sizeof(*calls)) != sizeof(*calls))
		*calls = ULONG_MAX;
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return status;
}

static bool died_by(int status, int sig)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
		fprintf(stderr, "child status 0x%x, expected death by %d\n",
			status, sig);
	return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* ---- install and uninstall ------------------------------------------------ */

static void previous_segv(int sig)
{
	(void)sig;
}

static void test_install_uninstall_restores(void)
{
	static char prev_stack[64 << 10];
	stack_t old = { .ss_sp = prev_stack, .ss_size = sizeof(prev_stack) };
	struct sigaction sa = { .sa_handler = previous_segv,
				.sa_flags = SA_RESTART };
	KMEMSNAP_OPTS(kmemsnap_crash_opts, opts, .path = tmp_path("x.kms"));
	struct sigaction cur;
	stack_t st;
	size_t i;

	/* AddressSanitizer handles some of them: start from the defaults. */
	default_actions();
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
	set_action(SIGBUS, SIG_IGN);
	CHECK(sigaltstack(&old, NULL) == 0);

	CHECK_EQ_U(kmemsnap_crash_handler_install(&opts), 0);
	for (i = 0; i < N_CRASH_SIGNALS; i++) {
		CHECK(sigaction(crash_signals[i], NULL, &cur) == 0);
		CHECK((cur.sa_flags & (SA_SIGINFO | SA_ONSTACK)) ==
		      (SA_SIGINFO | SA_ONSTACK));
		/* The other crash signals are blocked while it runs. */
		CHECK(sigismember(&cur.sa_mask, SIGABRT) == 1);
		CHECK(sigismember(&cur.sa_mask, SIGSEGV) == 1);
	}
	CHECK(sigaltstack(NULL, &st) == 0);
	CHECK(st.ss_sp != prev_stack);
	CHECK_EQ_U(st.ss_size, 256 << 10);
	CHECK_EQ_U(kmemsnap_crash_handler_install(&opts), -EEXIST);
	CHECK_EQ_U(kmemsnap_crash_handler_refresh(), 0);
	CHECK_EQ_U(kmemsnap_crash_handler_refresh(), 0);

	kmemsnap_crash_handler_uninstall();
	CHECK(sigaction(SIGSEGV, NULL, &cur) == 0);
	CHECK(cur.sa_handler == previous_segv);
	CHECK(!(cur.sa_flags & SA_SIGINFO) && (cur.sa_flags & SA_RESTART));
	CHECK(sigismember(&cur.sa_mask, SIGUSR1) == 1);
	CHECK(sigaction(SIGBUS, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN);
	CHECK(is_default(SIGILL) && is_default(SIGFPE) && is_default(SIGABRT));
	CHECK(sigaltstack(NULL, &st) == 0);
	CHECK(st.ss_sp == prev_stack && st.ss_size == sizeof(prev_stack));
	CHECK_EQ_U(kmemsnap_crash_handler_refresh(), -ENOENT);
	kmemsnap_crash_handler_uninstall(); /* a no-op now */
	/* Nothing was written: there was no crash. */
	CHECK(access(tmp_path("x.kms"), F_OK) != 0);

	old.ss_flags = SS_DISABLE;
	sigaltstack(&old, NULL);
	default_actions();
}

/* A handler set over ours by someone else stays at uninstall. */
static void test_uninstall_keeps_later_handler(void)
{
	KMEMSNAP_OPTS(kmemsnap_crash_opts, opts, .path = tmp_path("x.kms"));
	struct sigaction cur;

	default_actions();
	CHECK_EQ_U(kmemsnap_crash_handler_install(&opts), 0);
	set_action(SIGFPE, previous_segv);
	kmemsnap_crash_handler_uninstall();
	CHECK(sigaction(SIGFPE, NULL, &cur) == 0 &&
	      cur.sa_handler == previous_segv);
	CHECK(is_default(SIGSEGV));
	default_actions();
}

static void test_bad_options(void)
{
	static const int kill_sig[] = { SIGKILL };
	static const int twice[] = { SIGSEGV, SIGSEGV };
	KMEMSNAP_OPTS(kmemsnap_crash_opts, none);
	KMEMSNAP_OPTS(kmemsnap_crash_opts, o, .path = tmp_path("x.kms"));
	struct kmemsnap_store *store;

	default_actions();
	CHECK_EQ_U(kmemsnap_crash_handler_install(NULL), -EINVAL);
	CHECK_EQ_U(kmemsnap_crash_handler_install(&none), -EINVAL);
	CHECK_EQ_U(kmemsnap_store_open(&store, tmpdir, NULL), 0);
	o.store = store;
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -EINVAL);
	o.store = NULL;
	o.altstack_bytes = 4096;
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -EINVAL);
	o.altstack_bytes = 0;
	o.signals = kill_sig;
	o.n_signals = 1;
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -EINVAL);
	o.signals = twice;
	o.n_signals = 2;
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -EINVAL);
	o.signals = crash_signals;
	o.n_signals = 17;
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -EINVAL);
	o.signals = NULL;
	o.n_signals = 0;
	o.max_frames = 5000;
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -EINVAL);
	o.max_frames = 0;
	o.path = "/nonexistent-kmemsnap-dir/x.kms";
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -ENOENT);
	o.path = tmp_path("");
	CHECK_EQ_U(kmemsnap_crash_handler_install(&o), -EINVAL);
	/* No failed attempt left a handler behind. */
	CHECK(is_default(SIGSEGV) && is_default(SIGABRT));
	CHECK_EQ_U(kmemsnap_crash_handler_refresh(), -ENOENT);
	kmemsnap_store_close(store);
}

/* ---- crashes -------------------------------------------------------------- */

/* The child's name is its parent's: "test_crash", or valgrind's. */
static const char *own_comm(void)
{
	static char comm[16];

	if (prctl(PR_GET_NAME, comm) != 0)
		return "?";
	return comm;
}

static bool in_function(uint64_t pc, void (*fn)(void))
{
	uintptr_t start = (uintptr_t)fn;

	/* The functions above are a few instructions long: some 20 bytes,
	 * 250 with AddressSanitizer's checks. */
	return pc >= start && pc < start + 256;
}

static void check_segv_snapshot(const KsSnapshot *s, pid_t pid)
{
	const Kmemsnap__V1__Crash *c = s ? s->crash : NULL;
	const Kmemsnap__V1__CrashFrame *f0;
	const Kmemsnap__V1__CrashModule *m;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_EQ_U(s->header->trigger, KMEMSNAP__V1__TRIGGER__TRIGGER_CRASH);
	CHECK_EQ_S(s->header->trigger_detail, "SIGSEGV");
	CHECK(s->meminfo != NULL); /* the rest of the snapshot is there */
	CHECK_EQ_U(c->status->state,
		   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
	CHECK_EQ_U(c->signal, SIGSEGV);
	CHECK_EQ_U(c->code, SEGV_MAPERR);
	CHECK(c->has_fault_address);
	CHECK_EQ_U(c->fault_address, 0x10);
	CHECK(!c->has_sender_pid);
	CHECK_EQ_U(c->pid, pid);
	CHECK_EQ_U(c->tid, pid);
	CHECK_EQ_S(c->comm, own_comm());
	CHECK_EQ_U(c->n_modules, c->modules_total);
	CHECK(c->n_frames >= 3);
	if (c->n_frames < 3)
		return;
	f0 = c->frames[0];
	CHECK(in_function(f0->pc, crash_segv));
	CHECK(f0->has_module && f0->module < c->n_modules);
	if (!f0->has_module || f0->module >= c->n_modules)
		return;
	m = c->modules[f0->module];
	CHECK_EQ_S(m->path, exe);
	CHECK_EQ_U(m->load_address, main_load_address());
	CHECK_EQ_U(f0->offset, f0->pc - m->load_address);
	CHECK(m->text_start <= f0->pc && f0->pc < m->text_end);
	/* Debian links with --build-id=sha1. */
	CHECK_EQ_U(m->build_id.len, 20);
	/* The caller is in the same program. */
	CHECK(c->frames[1]->has_module);
	CHECK_EQ_U(c->frames[1]->module, f0->module);
}

static void test_segv_to_file(void)
{
	struct child c = { .crash = crash_segv, .file = "segv.kms" };
	int status = run_child(&c, NULL);
	KsSnapshot *s;

	CHECK(died_by(status, SIGSEGV));
	s = load(tmp_path("segv.kms"));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->crash != NULL);
	check_segv_snapshot(s, s->crash ? s->crash->pid : 0);
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

/* The previous handler runs after ours (the chain), and everything from
 * the fault to it made no heap call. Also the recorder the handler made
 * itself, capturing this machine. */
static void test_chain_and_no_allocation(void)
{
	struct child c = { .crash = crash_segv,
			   .file = "chain.kms",
			   .chain = true,
			   .own_recorder = true };
	unsigned long calls = ULONG_MAX;
	int status = run_child(&c, &calls);
	KsSnapshot *s = load(tmp_path("chain.kms"));

	/* It exits with CHAINED_EXIT, which valgrind replaces with its own
	 * error exit code (the child's fault is an error to it). */
	CHECK(WIFEXITED(status));
	CHECK_EQ_U(calls, 0);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->crash && s->crash->signal == SIGSEGV);
	/* Captured from "/", not a fixture tree. */
	CHECK(s->header->root == NULL);
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

static void test_abort_to_store(void)
{
	struct child c = { .crash = crash_abort, .store = "store" };
	int status;
	KsSnapshot *s = NULL;
	char name[PATH_MAX] = "";
	struct dirent *e;
	DIR *d;

	CHECK(mkdir(tmp_path("store"), 0700) == 0);
	status = run_child(&c, NULL);
	CHECK(died_by(status, SIGABRT));
	d = opendir(tmp_path("store"));
	while (d && (e = readdir(d)))
		if (strstr(e->d_name, "_crash.kms"))
			snprintf(name, sizeof(name), "store/%s", e->d_name);
	if (d)
		closedir(d);
	CHECK(name[0] != '\0');
	if (name[0])
		s = load(tmp_path(name));
	CHECK(s && s->crash);
	if (!s || !s->crash)
		return;
	CHECK_EQ_U(s->crash->signal, SIGABRT);
	CHECK_EQ_U((int64_t)s->crash->code, (int64_t)SI_TKILL);
	CHECK(!s->crash->has_fault_address);
	CHECK(s->crash->has_sender_pid);
	CHECK_EQ_U(s->crash->sender_pid, s->crash->pid);
	CHECK_EQ_S(s->header->trigger_detail, "SIGABRT");
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

/* kill(): SI_USER, let through by sending it again. */
static void test_kill_sigill(void)
{
	struct child c = { .crash = crash_kill_ill, .file = "ill.kms" };
	int status = run_child(&c, NULL);
	KsSnapshot *s = load(tmp_path("ill.kms"));

	CHECK(died_by(status, SIGILL));
	CHECK(s && s->crash);
	if (!s || !s->crash)
		return;
	CHECK_EQ_U(s->crash->signal, SIGILL);
	CHECK_EQ_U((int64_t)s->crash->code, (int64_t)SI_USER);
	CHECK_EQ_U(s->crash->sender_pid, s->crash->pid);
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

static void test_max_frames(void)
{
	struct child c = { .crash = crash_deep3,
			   .file = "deep.kms",
			   .max_frames = 2 };
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	static uint8_t blob[1 << 20];
	int status = run_child(&c, NULL);
	KsSnapshot *s = load(tmp_path("deep.kms"));
	int fd = open(tmp_path("deep.kms"), O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, blob, sizeof(blob)) : -1;

	if (fd >= 0)
		close(fd);
	CHECK(died_by(status, SIGSEGV));
	CHECK(s && s->crash);
	if (!s || !s->crash)
		return;
	CHECK_EQ_U(s->crash->n_frames, 2);
	CHECK(in_function(s->crash->frames[0]->pc, crash_segv));
	CHECK_EQ_U(s->crash->status->state,
		   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED);
	CHECK(n > 0 && kmemsnap_blob_extract(blob, (size_t)n, NULL, 0, &info) ==
			       -ENOBUFS);
	CHECK(info.flags & KMEMSNAP_BLOB_F_TRUNCATED);
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

static void test_crash_in_other_thread(void)
{
	struct child c = { .crash = crash_in_thread, .file = "thread.kms" };
	int status = run_child(&c, NULL);
	KsSnapshot *s = load(tmp_path("thread.kms"));

	CHECK(died_by(status, SIGSEGV));
	CHECK(s && s->crash);
	if (!s || !s->crash)
		return;
	CHECK(s->crash->tid != s->crash->pid);
	CHECK(s->crash->n_frames >= 2);
	if (s->crash->n_frames > 0)
		CHECK(in_function(s->crash->frames[0]->pc, crash_segv));
	CHECK_EQ_U(s->crash->fault_address, 0x10);
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

/* Index of the module whose path ends in suffix, or -1. */
static long module_named(const Kmemsnap__V1__Crash *c, const char *suffix)
{
	size_t i, n = strlen(suffix);

	for (i = 0; i < c->n_modules; i++) {
		size_t len = strlen(c->modules[i]->path);

		if (len >= n &&
		    strcmp(c->modules[i]->path + len - n, suffix) == 0)
			return (long)i;
	}
	return -1;
}

/* A module loaded after install is known only after a refresh. */
static void test_refresh_after_dlopen(void)
{
	struct child before = { .crash = crash_in_dlopened,
				.file = "stale.kms" };
	struct child after = { .crash = crash_in_dlopened,
			       .file = "fresh.kms",
			       .refresh = true };
	KsSnapshot *s;
	long libelf;

	CHECK(died_by(run_child(&before, NULL), SIGSEGV));
	s = load(tmp_path("stale.kms"));
	CHECK(s && s->crash && s->crash->n_frames > 0);
	if (s && s->crash && s->crash->n_frames > 0) {
		CHECK_EQ_U(module_named(s->crash, "/libelf.so.1"), -1);
		CHECK(!s->crash->frames[0]->has_module);
	}
	if (s)
		kmemsnap__v1__snapshot__free_unpacked(s, NULL);

	CHECK(died_by(run_child(&after, NULL), SIGSEGV));
	s = load(tmp_path("fresh.kms"));
	CHECK(s && s->crash && s->crash->n_frames > 0);
	if (!s || !s->crash || s->crash->n_frames == 0)
		return;
	libelf = module_named(s->crash, "/libelf.so.1");
	CHECK(libelf >= 0);
	CHECK(s->crash->frames[0]->has_module);
	CHECK_EQ_U(s->crash->frames[0]->module, libelf);
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

static void remove_tmpdir(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
	if (!heap_counter_install()) {
		fprintf(stderr, "cannot install the sanitizer malloc hooks\n");
		return 1;
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_install_uninstall_restores);
	RUN(test_uninstall_keeps_later_handler);
	RUN(test_bad_options);
	RUN(test_segv_to_file);
	RUN(test_chain_and_no_allocation);
	RUN(test_abort_to_store);
	RUN(test_kill_sigill);
	RUN(test_max_frames);
	RUN(test_crash_in_other_thread);
	RUN(test_refresh_after_dlopen);
	remove_tmpdir();
	return tl_summary();
}
