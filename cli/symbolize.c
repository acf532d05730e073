/* SPDX-License-Identifier: MIT */
/* Offline symbolization of crash backtraces with libelf (symbolize.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize.h"

typedef Kmemsnap__V1__CrashModule KsCrashModule;

/* An open ELF file, or none: fd < 0. */
struct elf_file {
	int fd;
	Elf *elf;
};

static void close_elf(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->elf = NULL;
	f->fd = -1;
}

/* Paths come from the snapshot, which may be hostile: only a regular
 * file is read (a FIFO would block open, a device never end). */
static bool open_elf(struct elf_file *f, const char *path)
{
	struct stat st;

	f->elf = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (f->fd < 0)
		return false;
	if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close_elf(f);
		return false;
	}
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		close_elf(f);
		return false;
	}
	return true;
}

/* The NT_GNU_BUILD_ID note of the file's SHT_NOTE sections (a debug file
 * made by objcopy --only-keep-debug keeps them too). */
static bool note_build_id(Elf *elf, const uint8_t **id, size_t *len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off, next;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((next = gelf_getnote(data, off, &nh, &name_off,
					    &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    memcmp((const char *)data->d_buf + name_off, "GNU",
				   4) == 0) {
				*id = (const uint8_t *)data->d_buf + desc_off;
				*len = nh.n_descsz;
				return true;
			}
			off = next;
		}
	}
	return false;
}

/* Whether the file is the one the snapshot saw. Without a recorded build
 * id there is nothing to compare, and the file is taken on trust. */
static bool same_build(Elf *elf, const KsCrashModule *m)
{
	const uint8_t *id;
	size_t len;

	if (!m->has_build_id || m->build_id.len == 0)
		return true;
	return note_build_id(elf, &id, &len) && len == m->build_id.len &&
	       memcmp(id, m->build_id.data, len) == 0;
}

static bool has_section(Elf *elf, GElf_Word type)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			return true;
	return false;
}

/* <dir>/.build-id/ab/cdef....debug, the layout debuginfo packages and
 * debuginfod caches use. */
static bool debug_path(char *out, size_t cap, const char *dir,
		       const KsCrashModule *m)
{
	size_t n, i;

	if (!m->has_build_id || m->build_id.len < 2)
		return false;
	n = (size_t)snprintf(out, cap, "%s/.build-id/%02x/", dir,
			     m->build_id.data[0]);
	for (i = 1; i < m->build_id.len && n + 3 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%02x",
				      m->build_id.data[i]);
	return n + sizeof(".debug") <= cap &&
	       snprintf(out + n, cap - n, ".debug") == 6;
}

static void use(struct sym_module *sm, struct elf_file *f,
		enum sym_source source, const char *path)
{
	sm->source = source;
	sm->fd = f->fd;
	sm->elf = f->elf;
	snprintf(sm->file, sizeof(sm->file), "%s", path);
	f->fd = -1;
	f->elf = NULL;
}

/* The debug file named by the module's build id, when it is there and is
 * the right one. */
static bool open_debug(struct symbolizer *s, struct sym_module *sm,
		       const KsCrashModule *m, char *path, size_t cap)
{
	struct elf_file f;

	if (!debug_path(path, cap, s->debug_dir, m) || !open_elf(&f, path))
		return false;
	if (!same_build(f.elf, m)) {
		close_elf(&f);
		return false;
	}
	use(sm, &f, SYM_SOURCE_DEBUG_FILE, path);
	return true;
}

/* The module's file if it is the right one and has a full symbol table;
 * else the debug file; else the file's dynamic symbols alone. */
static void open_module(struct symbolizer *s, struct sym_module *sm,
			const KsCrashModule *m)
{
	struct elf_file file = { -1, NULL };
	char dpath[sizeof(sm->file)] = "";
	const char *reason = "no file name recorded";
	bool have_file = false;

	if (m->path && m->path[0]) {
		if (!open_elf(&file, m->path)) {
			reason = "cannot open the file";
		} else if (!same_build(file.elf, m)) {
			close_elf(&file);
			reason = "the file's build id differs";
		} else if (has_section(file.elf, SHT_SYMTAB)) {
			use(sm, &file, SYM_SOURCE_FILE, m->path);
			return;
		} else {
			have_file = true;
		}
	}
	if (open_debug(s, sm, m, dpath, sizeof(dpath))) {
		close_elf(&file);
		return;
	}
	if (have_file) {
		use(sm, &file, SYM_SOURCE_FILE, m->path);
		return;
	}
	snprintf(sm->why, sizeof(sm->why), "%s, and no debug file%s%s", reason,
		 m->has_build_id ? " " : " (no build id)",
		 m->has_build_id ? dpath : "");
}

/* A function symbol that may name an address. */
struct candidate {
	bool found;
	bool holds; /* [start, start + size) holds the address */
	uint64_t start;
	int rank; /* binding: global 2, weak 1, local 0 */
	const char *name;
};

/* One that holds the address beats a sizeless one below it (assembly
 * routines have no size); then the highest start wins (the innermost);
 * among aliases, the global one (__libc_start_main over its local
 * __libc_start_main_impl), else the first. */
static bool better(const struct candidate *best, bool holds, uint64_t start,
		   int rank)
{
	if (!best->found)
		return true;
	if (holds != best->holds)
		return holds;
	if (start != best->start)
		return start > best->start;
	return rank > best->rank;
}

static int binding_rank(const GElf_Sym *sym)
{
	switch (GELF_ST_BIND(sym->st_info)) {
	case STB_GLOBAL: return 2;
	case STB_WEAK: return 1;
	default: return 0;
	}
}

/* The best function symbol for addr in one symbol table. */
static bool lookup_table(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			 uint64_t addr, const char **name, uint64_t *offset)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	struct candidate best = { 0 };
	size_t i, n;

	if (!data || sh->sh_entsize == 0)
		return false;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Sym sym;
		int type;
		bool holds;

		if (!gelf_getsym(data, (int)i, &sym) ||
		    sym.st_shndx == SHN_UNDEF || sym.st_value > addr)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		holds = addr < sym.st_value + sym.st_size;
		if ((!holds && sym.st_size != 0) ||
		    !better(&best, holds, sym.st_value, binding_rank(&sym)))
			continue;
		best = (struct candidate){
			true, holds, sym.st_value, binding_rank(&sym),
			elf_strptr(elf, sh->sh_link, sym.st_name)
		};
	}
	if (!best.found || !best.name)
		return false;
	*name = best.name;
	*offset = addr - best.start;
	return true;
}

static bool lookup(Elf *elf, GElf_Word type, uint64_t addr, const char **name,
		   uint64_t *offset)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type &&
		    lookup_table(elf, scn, &sh, addr, name, offset))
			return true;
	return false;
}

int symbolizer_init(struct symbolizer *s, const Kmemsnap__V1__Crash *crash,
		    const char *debug_dir)
{
	elf_version(EV_CURRENT);
	s->crash = crash;
	s->debug_dir = debug_dir ? debug_dir : SYMBOLIZE_DEBUG_DIR;
	s->mods = calloc(crash->n_modules ? crash->n_modules : 1,
			 sizeof(*s->mods));
	return s->mods ? 0 : -ENOMEM;
}

void symbolizer_fini(struct symbolizer *s)
{
	size_t i;

	for (i = 0; s->mods && i < s->crash->n_modules; i++) {
		struct sym_module *sm = s->mods[i];
		struct elf_file f;

		if (!sm)
			continue;
		f.fd = sm->fd;
		f.elf = sm->elf;
		close_elf(&f);
		free(sm);
	}
	free(s->mods);
	s->mods = NULL;
}

const struct sym_module *symbolizer_module(struct symbolizer *s,
					   uint32_t module)
{
	struct sym_module *sm;

	if (module >= s->crash->n_modules)
		return NULL;
	if (s->mods[module])
		return s->mods[module];
	sm = calloc(1, sizeof(*sm));
	if (!sm)
		return NULL;
	sm->fd = -1;
	open_module(s, sm, s->crash->modules[module]);
	s->mods[module] = sm;
	return sm;
}

bool symbolize(struct symbolizer *s, uint32_t module, uint64_t addr,
	       const char **name, uint64_t *offset)
{
	const struct sym_module *sm = symbolizer_module(s, module);
	const char *found = NULL;

	if (!sm || sm->source == SYM_SOURCE_NONE)
		return false;
	if (!lookup(sm->elf, SHT_SYMTAB, addr, &found, offset) &&
	    !lookup(sm->elf, SHT_DYNSYM, addr, &found, offset))
		return false;
	/* A .symtab names versioned symbols "__libc_start_main@@GLIBC_2.34":
	 * the version is not part of the function's name. */
	snprintf(s->name, sizeof(s->name), "%.*s", (int)strcspn(found, "@"),
		 found);
	*name = s->name;
	return true;
}
