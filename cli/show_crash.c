/* SPDX-License-Identifier: MIT */
/* The crash section of `kmemsnap show` (show_crash.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "show_crash.h"
#include "symbolize.h"
#include "units.h"

typedef Kmemsnap__V1__Crash KsCrash;
typedef Kmemsnap__V1__CrashFrame KsCrashFrame;
typedef Kmemsnap__V1__CrashModule KsCrashModule;

/* si_code values (sigaction(2), include/uapi/asm-generic/siginfo.h). */
struct code_name {
	int sig; /* 0: any signal */
	int code;
	const char *name;
	const char *meaning;
};

static const struct code_name codes[] = {
	{ SIGSEGV, 1, "SEGV_MAPERR", "address not mapped to object" },
	{ SIGSEGV, 2, "SEGV_ACCERR", "invalid permissions for mapped object" },
	{ SIGSEGV, 3, "SEGV_BNDERR", "failed address bound checks" },
	{ SIGSEGV, 4, "SEGV_PKUERR", "access denied by protection keys" },
	{ SIGBUS, 1, "BUS_ADRALN", "invalid address alignment" },
	{ SIGBUS, 2, "BUS_ADRERR", "nonexistent physical address" },
	{ SIGBUS, 3, "BUS_OBJERR", "object-specific hardware error" },
	{ SIGBUS, 4, "BUS_MCEERR_AR", "hardware memory error consumed" },
	{ SIGBUS, 5, "BUS_MCEERR_AO", "hardware memory error detected" },
	{ SIGILL, 1, "ILL_ILLOPC", "illegal opcode" },
	{ SIGILL, 2, "ILL_ILLOPN", "illegal operand" },
	{ SIGILL, 3, "ILL_ILLADR", "illegal addressing mode" },
	{ SIGILL, 4, "ILL_ILLTRP", "illegal trap" },
	{ SIGILL, 5, "ILL_PRVOPC", "privileged opcode" },
	{ SIGILL, 6, "ILL_PRVREG", "privileged register" },
	{ SIGILL, 7, "ILL_COPROC", "coprocessor error" },
	{ SIGILL, 8, "ILL_BADSTK", "internal stack error" },
	{ SIGFPE, 1, "FPE_INTDIV", "integer divide by zero" },
	{ SIGFPE, 2, "FPE_INTOVF", "integer overflow" },
	{ SIGFPE, 3, "FPE_FLTDIV", "floating-point divide by zero" },
	{ SIGFPE, 4, "FPE_FLTOVF", "floating-point overflow" },
	{ SIGFPE, 5, "FPE_FLTUND", "floating-point underflow" },
	{ SIGFPE, 6, "FPE_FLTRES", "floating-point inexact result" },
	{ SIGFPE, 7, "FPE_FLTINV", "floating-point invalid operation" },
	{ SIGFPE, 8, "FPE_FLTSUB", "subscript out of range" },
	{ 0, 0, "SI_USER", "sent by kill()" },
	{ 0, 0x80, "SI_KERNEL", "sent by the kernel" },
	{ 0, -1, "SI_QUEUE", "sent by sigqueue()" },
	{ 0, -6, "SI_TKILL", "sent by tkill() or tgkill(): raise(), abort()" },
};

static const struct code_name *code_of(int sig, int code)
{
	size_t i;

	/* Positive codes below SI_KERNEL mean something per signal. */
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code &&
		    (codes[i].sig == sig ||
		     (codes[i].sig == 0 && (code <= 0 || code == 0x80))))
			return &codes[i];
	return NULL;
}

static const char *module_name(const KsCrashModule *m)
{
	const char *slash;

	if (!m->path || !m->path[0])
		return "[unnamed]";
	slash = strrchr(m->path, '/');
	return slash ? slash + 1 : m->path;
}

static void show_signal(const KsCrash *c)
{
	const char *abbrev = sigabbrev_np(c->signal);
	const struct code_name *code = code_of(c->signal, c->code);

	printf("  %-12s %s%s (%d: %s)\n", "signal", abbrev ? "SIG" : "",
	       abbrev ? abbrev : "?", c->signal, strsignal(c->signal));
	if (c->has_code && code)
		printf("  %-12s %s (%d: %s)\n", "code", code->name, c->code,
		       code->meaning);
	else if (c->has_code)
		printf("  %-12s %d\n", "code", c->code);
	if (c->has_fault_address)
		printf("  %-12s 0x%llx\n", "address",
		       (unsigned long long)c->fault_address);
	if (c->has_sender_pid)
		printf("  %-12s process %d\n", "sent by", c->sender_pid);
	printf("  %-12s %d (%s) of process %d\n", "thread", c->tid,
	       human_text(c->comm).s, c->pid);
}

/* "#3  0x00007f2a1c02724a  __libc_start_call_main+0x7a (libc.so.6+0x2724a)".
 * A return address (every frame but the first) is looked up one byte
 * back: it may be the first byte after its call's function. */
static void show_frame(struct symbolizer *sym, const KsCrash *c, size_t i)
{
	const KsCrashFrame *f = c->frames[i];
	const KsCrashModule *m;
	const char *name = NULL;
	uint64_t off = 0, addr;

	printf("    #%-3zu 0x%016llx  ", i, (unsigned long long)f->pc);
	if (!f->has_module || f->module >= c->n_modules) {
		printf("? (no module)\n");
		return;
	}
	m = c->modules[f->module];
	addr = i == 0 || f->offset == 0 ? f->offset : f->offset - 1;
	if (symbolize(sym, f->module, addr, &name, &off))
		printf("%s+0x%llx", human_text(name).s,
		       (unsigned long long)(off + (f->offset - addr)));
	else
		printf("?");
	printf(" (%s+0x%llx)\n", human_text(module_name(m)).s,
	       (unsigned long long)f->offset);
}

static void show_build_id(const KsCrashModule *m)
{
	size_t i;

	if (!m->has_build_id) {
		printf("no build id");
		return;
	}
	printf("build id ");
	for (i = 0; i < m->build_id.len; i++)
		printf("%02x", m->build_id.data[i]);
}

/* The modules the backtrace goes through, each once, and where their
 * symbols came from. */
static void show_modules(struct symbolizer *sym, const KsCrash *c)
{
	bool *seen = calloc(c->n_modules ? c->n_modules : 1, sizeof(*seen));
	size_t i;

	printf("  %-12s %zu kept of %u loaded; in the backtrace:\n", "modules",
	       c->n_modules, c->modules_total);
	for (i = 0; seen && i < c->n_frames; i++) {
		const KsCrashFrame *f = c->frames[i];
		const struct sym_module *sm;
		const KsCrashModule *m;

		if (!f->has_module || f->module >= c->n_modules ||
		    seen[f->module])
			continue;
		seen[f->module] = true;
		m = c->modules[f->module];
		sm = symbolizer_module(sym, f->module);
		printf("    %s  load 0x%llx  ", human_text(m->path).s,
		       (unsigned long long)m->load_address);
		show_build_id(m);
		if (!sm)
			printf("\n      symbols: none: out of memory\n");
		else if (sm->source == SYM_SOURCE_NONE)
			printf("\n      symbols: none: %s\n", sm->why);
		else
			printf("\n      symbols: %s%s\n",
			       sm->source == SYM_SOURCE_DEBUG_FILE ?
				       "debug file " :
				       "",
			       human_text(sm->file).s);
	}
	free(seen);
}

void show_crash(const KsCrash *c)
{
	const char *dir = getenv("KMEMSNAP_DEBUG_DIR");
	struct symbolizer sym;
	size_t i;

	printf("\n%sCrash%s\n", color(COLOR_BOLD), color(COLOR_RESET));
	show_signal(c);
	if (symbolizer_init(&sym, c, dir && *dir ? dir : NULL) < 0) {
		printf("  (out of memory: backtrace not shown)\n");
		return;
	}
	printf("  %-12s %zu frames, symbolized on this machine\n", "backtrace",
	       c->n_frames);
	for (i = 0; i < c->n_frames; i++)
		show_frame(&sym, c, i);
	show_modules(&sym, c);
	if (c->status &&
	    c->status->state ==
		    KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED)
		printf("  %struncated:%s %s\n", color(COLOR_YELLOW),
		       color(COLOR_RESET),
		       c->status->detail ? human_text(c->status->detail).s :
					   "a bound was hit");
	symbolizer_fini(&sym);
}
