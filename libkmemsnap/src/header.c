/* SPDX-License-Identifier: MIT */
/* The snapshot header: when, where, and which kernel. */
#include <elf.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "internal.h"

/* Reads a one-line file below the root into the arena, without its newline.
 * NULL when the file is missing or the arena is full. */
static char *read_line_file(struct ks_ctx *ctx, const char *path)
{
	char buf[256];
	long n = ks_read_small(ctx->root_fd, path, buf, sizeof(buf));

	if (n <= 0)
		return NULL;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	return ks_arena_strndup(ctx->arena, buf, (size_t)n);
}

/* /proc/uptime: "12345.67 23456.78"; keeps the first figure in ms. */
static void read_uptime(struct ks_ctx *ctx, Kmemsnap__V1__Header *hdr)
{
	char buf[128];
	const char *p = buf;
	uint64_t secs, ms = 0;
	int i;

	if (ks_read_small(ctx->root_fd, "proc/uptime", buf, sizeof(buf)) <= 0 ||
	    !ks_parse_u64(&p, &secs))
		return;
	if (*p == '.')
		p++;
	for (i = 0; i < 3; i++) {
		ms *= 10;
		if (*p >= '0' && *p <= '9')
			ms += (uint64_t)(*p++ - '0');
	}
	hdr->has_uptime_ms = true;
	hdr->uptime_ms = secs * 1000 + ms;
}

static uint32_t align4(uint32_t n)
{
	return (n + 3) & ~3u;
}

/* /sys/kernel/notes is the kernel image's ELF note section verbatim; the
 * build id is the NT_GNU_BUILD_ID note named "GNU". */
static void read_build_id(struct ks_ctx *ctx, Kmemsnap__V1__Header *hdr)
{
	long len = ks_read_small(ctx->root_fd, "sys/kernel/notes", ctx->io_buf,
				 ctx->io_cap);
	const uint8_t *p = (const uint8_t *)ctx->io_buf;
	size_t off = 0;

	while (len > 0 && off + sizeof(Elf64_Nhdr) <= (size_t)len) {
		Elf64_Nhdr nh;
		size_t name_off = off + sizeof(nh);
		size_t desc_off;

		memcpy(&nh, p + off, sizeof(nh));
		desc_off = name_off + align4(nh.n_namesz);
		if (nh.n_namesz > (size_t)len || nh.n_descsz > (size_t)len ||
		    desc_off + align4(nh.n_descsz) > (size_t)len)
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(p + name_off, "GNU", 4) == 0 && nh.n_descsz <= 64) {
			uint8_t *id = ks_arena_alloc(ctx->arena, nh.n_descsz);

			if (!id)
				return;
			memcpy(id, p + desc_off, nh.n_descsz);
			hdr->has_kernel_build_id = true;
			hdr->kernel_build_id.data = id;
			hdr->kernel_build_id.len = nh.n_descsz;
			return;
		}
		off = desc_off + align4(nh.n_descsz);
	}
}

void ks_fill_header(struct ks_ctx *ctx, Kmemsnap__V1__Header *hdr,
		    const char *root_label)
{
	hdr->has_realtime_ns = true;
	hdr->realtime_ns = ks_now_ns(CLOCK_REALTIME);
	hdr->has_boottime_ns = true;
	hdr->boottime_ns = ks_now_ns(CLOCK_BOOTTIME);
	read_uptime(ctx, hdr);
	hdr->boot_id = read_line_file(ctx, "proc/sys/kernel/random/boot_id");
	hdr->hostname = read_line_file(ctx, "proc/sys/kernel/hostname");
	hdr->kernel_release = read_line_file(ctx, "proc/sys/kernel/osrelease");
	hdr->kernel_version = read_line_file(ctx, "proc/sys/kernel/version");
	read_build_id(ctx, hdr);
	hdr->has_page_size_bytes = true;
	hdr->page_size_bytes = ctx->page_size;
	hdr->library_version = (char *)kmemsnap_version();
	hdr->root = (char *)root_label;
	/* uname(2) is a plain system call; only meaningful for the live root. */
	if (!root_label) {
		struct utsname u;

		if (uname(&u) == 0)
			hdr->machine = ks_arena_strndup(ctx->arena, u.machine,
							strnlen(u.machine,
								sizeof(u.machine)));
	}
}
