/* SPDX-License-Identifier: MIT */
/*
 * Offline symbolization of a crash backtrace (docs/CRASH.md). Each module
 * the snapshot recorded is looked for on this machine: its own file when
 * that file carries the recorded build id, and the debug file named by the
 * build id (<debug dir>/.build-id/xx/yyyy.debug), which is preferred when
 * the file itself has no full symbol table. Names come from the ELF symbol
 * tables, read with libelf.
 */
#ifndef KMEMSNAP_CLI_SYMBOLIZE_H
#define KMEMSNAP_CLI_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* Where the debug files of installed packages live. */
#define SYMBOLIZE_DEBUG_DIR "/usr/lib/debug"

enum sym_source {
	SYM_SOURCE_NONE,       /* no usable file: see why */
	SYM_SOURCE_FILE,       /* the module's own file */
	SYM_SOURCE_DEBUG_FILE, /* the debug file found by build id */
};

/* What was found for one module, opened on its first lookup. */
struct sym_module {
	enum sym_source source;
	char file[4096]; /* the file symbols come from */
	char why[4200];	 /* for SYM_SOURCE_NONE: what was tried */
	int fd;
	void *elf; /* Elf * */
};

struct symbolizer {
	const Kmemsnap__V1__Crash *crash;
	const char *debug_dir;
	/* One per crash->modules, allocated when first looked up: a
	 * snapshot may list millions, a backtrace uses a few. */
	struct sym_module **mods;
	char name[512]; /* the last name symbolize() returned */
};

/* Prepares lookups in the modules of crash; debug_dir NULL is
 * SYMBOLIZE_DEBUG_DIR. Returns 0 or -ENOMEM. Release with
 * symbolizer_fini(). */
int symbolizer_init(struct symbolizer *s, const Kmemsnap__V1__Crash *crash,
		    const char *debug_dir);
void symbolizer_fini(struct symbolizer *s);

/* The function of module index `module` that holds the ELF virtual address
 * addr: its name (valid until the next call) and addr's offset in it.
 * Returns false when it cannot be named. */
bool symbolize(struct symbolizer *s, uint32_t module, uint64_t addr,
	       const char **name, uint64_t *offset);

/* What symbolize() found for a module (it opens the module if needed);
 * NULL for an index out of range, or out of memory. */
const struct sym_module *symbolizer_module(struct symbolizer *s,
					   uint32_t module);

#endif /* KMEMSNAP_CLI_SYMBOLIZE_H */
