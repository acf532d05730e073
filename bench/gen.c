/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap-gen: writes a synthetic server-scale tree laid out like / (proc/,
 * sys/, the mount points of its tmpfs mounts) for the benchmarks.
 *
 *   kmemsnap-gen [--preset medium|large] [--seed N] [--step K] DIR
 *
 * The output depends only on the preset and the seed: every random choice
 * comes from one splitmix64 stream per file kind, seeded from --seed. The
 * text follows the kernel's formats as the library's parsers expect them
 * (tests/fixtures/samples): slabinfo 2.1 (mm/slab_common.c: cache_show),
 * vmallocinfo (mm/vmalloc.c: s_show, 6.x), the kmemleak report of 6.6-6.13
 * (mm/kmemleak.c: print_unreferenced, "backtrace (crc %x):" and
 * "[<%pK>] %pS" frames), /proc/<pid>/status of a 6.x x86_64 kernel with
 * MAX_NUMNODES = 1024 (fs/proc/array.c), mountinfo, sysvipc/shm, PSI.
 *
 * --step K rewrites only proc/meminfo, proc/slabinfo and proc/uptime of a
 * tree made with the same preset and seed, as they would read K periods of
 * five minutes later (a few caches leak): the store benchmark captures the
 * tree once per step.
 *
 * This is a benchmark tool, not library code: it uses stdio freely.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_KB 4

struct preset {
	const char *name;
	unsigned caches;
	unsigned vm_lines;
	unsigned vm_callers;
	unsigned procs; /* /proc/<pid> directories, kernel threads included */
	unsigned leak_objects;
	unsigned leak_traces;
	unsigned mounts_other; /* non-memory mounts (ext4, overlay, ...) */
	unsigned mounts_mem;   /* tmpfs mounts */
	unsigned shm_segments;
	uint64_t mem_total_kb;
};

/* The sizes of the benchmark issue. "large" does not say how many
 * backtraces its 50 000 kmemleak objects have: it keeps medium's 150. */
static const struct preset presets[] = {
	{ "medium", 300, 20000, 1500, 2000, 5000, 150, 32, 12, 24,
	  64ull << 20 },
	{ "large", 600, 200000, 4000, 20000, 50000, 150, 160, 60, 96,
	  256ull << 20 },
	/* A quick one for checking the harness itself. */
	{ "small", 120, 2000, 300, 200, 500, 40, 16, 6, 4, 16ull << 20 },
};

/* ---- randomness --------------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct rng stream(uint64_t seed, uint64_t kind)
{
	struct rng r = { seed * 0x100000001b3ull ^ (kind << 48) };

	next(&r);
	return r;
}

/* Uniform in [0, n). */
static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

static uint64_t between(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + below(r, hi - lo + 1);
}

/* Skewed towards 0: a few callers, caches, backtraces take most. */
static uint64_t skewed(struct rng *r, uint64_t n)
{
	double u = (double)(next(r) >> 11) / (double)(1ull << 53);

	return (uint64_t)((double)n * u * u * u);
}

/* ---- output ------------------------------------------------------------- */

static char out_root[4096];

static void die(const char *what)
{
	fprintf(stderr, "kmemsnap-gen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void mkdirs(const char *rel)
{
	char path[8192];
	char *p;

	snprintf(path, sizeof(path), "%s/%s", out_root, rel);
	for (p = path + strlen(out_root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die(path);
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
}

static FILE *create(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static FILE *create(const char *fmt, ...)
{
	char rel[4096], path[8192];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", out_root, rel);
	f = fopen(path, "w");
	if (!f)
		die(path);
	return f;
}

static void finish(FILE *f)
{
	if (ferror(f) || fclose(f) != 0)
		die("write");
}

/* ---- names -------------------------------------------------------------- */

static const char *const words_a[] = {
	"xfs", "ext4", "nfs", "tcp", "udp", "sock", "bio", "dm", "scsi",
	"blk", "fuse", "btrfs", "kvm", "mlx5", "nvme", "ib", "rdma", "vfs",
	"proc", "kernfs", "sysfs", "bpf", "net", "ipv6", "nf", "iommu",
	"dma", "pci", "drm", "i915", "ovl", "cgroup", "memcg", "shmem",
	"zswap", "zram", "page", "vm", "sched", "rcu", "irq", "task",
	"audit", "selinux", "crypto", "ceph", "rbd", "virtio", "vhost",
	"tls", "xdp", "ipc", "mq", "inotify", "fanotify", "epoll",
	"signal", "futex", "io_uring", "aio", "jbd2", "squashfs",
};

static const char *const words_b[] = {
	"inode", "buf", "req", "cache", "entry", "node", "item", "ctx",
	"pool", "map", "queue", "desc", "state", "info", "table", "hash",
	"ring", "work", "page", "skb", "event", "handle", "trans", "log",
	"extent", "ref", "tree", "head", "chunk", "frag", "slot", "msg",
};

static const char *const words_c[] = {
	"alloc", "init", "create", "setup", "grow", "open", "register",
	"attach", "probe", "map", "prepare", "insert", "clone", "load",
	"start", "bind", "expand", "resize", "new", "get",
};

static const char *const modules[] = {
	"xfs", "nf_tables", "mlx5_core", "nvme_core", "kvm", "i915",
	"bpf_preload", "overlay", "ceph", "zfs", "dm_mod", "ib_core",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A symbol name unique for i: "<a>_<b>_<c>", numbered past the combinations. */
static void symbol_name(char *buf, size_t cap, unsigned i)
{
	unsigned a = i % N(words_a), b = (i / N(words_a)) % N(words_b);
	unsigned c = (i / N(words_a) / N(words_b)) % N(words_c);
	unsigned round = i / (unsigned)(N(words_a) * N(words_b) * N(words_c));

	if (round)
		snprintf(buf, cap, "%s_%s_%s%u", words_a[a], words_b[b],
			 words_c[c], round);
	else
		snprintf(buf, cap, "%s_%s_%s", words_a[a], words_b[b],
			 words_c[c]);
}

/* "%pS" of a call site: "sym+0x1c3/0x3f0", some " [module]". */
static void call_site(char *buf, size_t cap, struct rng *r, unsigned i)
{
	char sym[96];
	uint64_t size = between(r, 0x40, 0x1200);
	uint64_t off = between(r, 1, size - 1);
	int n;

	symbol_name(sym, sizeof(sym), i);
	n = snprintf(buf, cap, "%s+0x%" PRIx64 "/0x%" PRIx64, sym, off, size);
	if (below(r, 5) == 0)
		snprintf(buf + n, cap - (size_t)n, " [%s]",
			 modules[below(r, N(modules))]);
}

/* ---- slab caches -------------------------------------------------------- */

static const char *const real_caches[] = {
	"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96",
	"kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512",
	"kmalloc-1k", "kmalloc-2k", "kmalloc-4k", "kmalloc-8k",
	"kmalloc-cg-64", "kmalloc-cg-128", "kmalloc-cg-256", "kmalloc-cg-512",
	"kmalloc-cg-1k", "kmalloc-cg-2k", "kmalloc-cg-4k", "kmalloc-rcl-64",
	"kmalloc-rcl-128", "dma-kmalloc-512", "task_struct", "mm_struct",
	"vm_area_struct", "anon_vma", "anon_vma_chain", "files_cache",
	"signal_cache", "sighand_cache", "cred_jar", "pid", "dentry",
	"inode_cache", "ext4_inode_cache", "xfs_inode", "xfs_ili",
	"shmem_inode_cache", "proc_inode_cache", "sock_inode_cache",
	"kernfs_node_cache", "kernfs_iattrs_cache", "radix_tree_node",
	"buffer_head", "filp", "skbuff_head_cache", "skbuff_fclone_cache",
	"TCP", "TCPv6", "UDP", "UDPv6", "request_sock_TCP", "tw_sock_TCP",
	"names_cache", "biovec-max", "bio-240", "nsproxy", "uts_namespace",
	"net_namespace", "eventpoll_epi", "eventpoll_pwq", "seq_file",
	"fsnotify_mark_connector", "inotify_inode_mark", "khugepaged_mm_slot",
	"ftrace_event_field", "mnt_cache", "user_namespace", "pde_opener",
	"numa_policy", "fs_cache", "lsm_file_cache", "maple_node",
	"vmap_area", "audit_tree_mark", "dmaengine-unmap-128",
	"hugetlbfs_inode_cache", "bpf_map", "io_kiocb",
};

/* Objects of the caches that leak as the steps go on. */
static uint64_t leaked_objs(const char *name, unsigned step)
{
	if (strcmp(name, "kmalloc-512") == 0)
		return (uint64_t)step * 96;
	if (strcmp(name, "kernfs_node_cache") == 0)
		return (uint64_t)step * 40;
	if (strcmp(name, "task_struct") == 0)
		return (uint64_t)step * 3;
	return 0;
}

static void cache_name(char *buf, size_t cap, unsigned i)
{
	char sym[96];

	if (i < N(real_caches)) {
		snprintf(buf, cap, "%s", real_caches[i]);
		return;
	}
	/* Names wider than slabinfo's %-17s column occur on real machines
	 * too ("inotify_event_private_data"). */
	symbol_name(sym, sizeof(sym), i * 7);
	snprintf(buf, cap, "%.40s", sym);
}

/* kmalloc-512, kmalloc-cg-1k, dma-kmalloc-8k: the size is in the name. */
static unsigned kmalloc_size(const char *name, unsigned otherwise)
{
	const char *dash = strrchr(name, '-');
	unsigned n;

	if (!strstr(name, "kmalloc-") || !dash || dash[1] < '0' || dash[1] > '9')
		return otherwise;
	n = (unsigned)strtoul(dash + 1, NULL, 10);
	return strchr(dash, 'k') ? n * 1024 : n;
}

static const unsigned obj_sizes[] = {
	16, 32, 64, 96, 128, 192, 256, 320, 384, 448, 512, 576, 640, 704,
	768, 1024, 1088, 1216, 1344, 2048, 2304, 4096, 4352, 8192,
};

/* Writes slabinfo and returns the slab footprint in kB (for meminfo). */
static uint64_t gen_slabinfo(const struct preset *p, uint64_t seed,
			     unsigned step)
{
	struct rng r = stream(seed, 1);
	FILE *f = create("proc/slabinfo");
	/* Slab takes ~8 % of memory: caches * E[skewed] (max / 4) * ~1.5 KiB
	 * per object. */
	uint64_t max_objs = p->mem_total_kb * 1024 / 12 * 4 / p->caches / 1500;
	uint64_t total_kb = 0;
	unsigned i;

	fputs("slabinfo - version: 2.1\n"
	      "# name            <active_objs> <num_objs> <objsize> "
	      "<objperslab> <pagesperslab> : tunables <limit> <batchcount> "
	      "<sharedfactor> : slabdata <active_slabs> <num_slabs> "
	      "<sharedavail>\n",
	      f);
	for (i = 0; i < p->caches; i++) {
		char name[64];
		unsigned objsize = obj_sizes[below(&r, N(obj_sizes))];
		unsigned order, per_slab;
		uint64_t active = skewed(&r, max_objs) + below(&r, 200);
		uint64_t slabs, num;

		cache_name(name, sizeof(name), i);
		objsize = kmalloc_size(name, objsize);
		order = objsize >= 2048 ? 3 : objsize >= 512 ? 2 :
			objsize >= 192 ? 1 : 0;
		per_slab = (4096u << order) / objsize;
		active += leaked_objs(name, step);
		slabs = (active + per_slab - 1) / per_slab + below(&r, 8);
		num = slabs * per_slab;
		total_kb += slabs * (PAGE_KB << order);
		fprintf(f,
			"%-17s %6" PRIu64 " %6" PRIu64 " %6u %4u %4u : tunables "
			"%4u %4u %4u : slabdata %6" PRIu64 " %6" PRIu64 " %6u\n",
			name, active, num, objsize, per_slab, 1u << order, 0u,
			0u, 0u, slabs, slabs, 0u);
	}
	finish(f);
	return total_kb;
}

/* ---- vmallocinfo -------------------------------------------------------- */

enum vm_kind { VM_VMALLOC, VM_IOREMAP, VM_VMAP, VM_USER, VM_KINDS };

struct vm_caller {
	char text[128];
	enum vm_kind kind;
	unsigned pages; /* typical size */
};

static struct vm_caller *make_callers(struct rng *r, unsigned n)
{
	struct vm_caller *c = calloc(n, sizeof(*c));
	unsigned i;

	if (!c)
		die("calloc");
	for (i = 0; i < n; i++) {
		uint64_t k = below(r, 100);

		if (i == 0) {
			snprintf(c[i].text, sizeof(c[i].text),
				 "kernel_clone+0x94/0x3e0");
			c[i].kind = VM_VMALLOC;
			continue;
		}

		call_site(c[i].text, sizeof(c[i].text), r, i * 13 + 5);
		c[i].kind = k < 78 ? VM_VMALLOC : k < 90 ? VM_IOREMAP :
			    k < 97 ? VM_VMAP : VM_USER;
		c[i].pages = 1u << below(r, 6);
	}
	return c;
}

/* One line of s_show: range, size, caller, then the flag words. */
static uint64_t vm_line(FILE *f, struct rng *r, uint64_t start,
			const struct vm_caller *c)
{
	unsigned pages = c ? c->pages + (unsigned)below(r, c->pages + 1) : 4;

	/* The busiest caller is the vmap'ed thread stacks: fixed 16 KiB. */
	if (c && c->text[0] == 'k' && strncmp(c->text, "kernel_clone+", 13) == 0)
		pages = 4;
	uint64_t size = ((uint64_t)pages + 1) * 4096; /* + the guard page */
	uint64_t end = start + size;

	fprintf(f, "0x%016" PRIx64 "-0x%016" PRIx64 " %7" PRIu64, start, end,
		size);
	if (!c) {
		fputs(" vm_map_ram\n", f);
		return end;
	}
	fprintf(f, " %s", c->text);
	switch (c->kind) {
	case VM_IOREMAP:
		fprintf(f, " phys=0x%016" PRIx64 " ioremap\n",
			(uint64_t)(0xfe000000ull + below(r, 1u << 24) * 4096));
		return end;
	case VM_VMAP:
		fputs(" vmap\n", f);
		return end;
	case VM_USER:
		fprintf(f, " pages=%u vmalloc user N0=%u\n", pages, pages);
		return end;
	default:
		fprintf(f, " pages=%u vmalloc%s N0=%u N1=%u\n", pages,
			pages > 512 ? " vpages" : "", pages / 2,
			pages - pages / 2);
		return end;
	}
}

static uint64_t gen_vmallocinfo(const struct preset *p, uint64_t seed)
{
	struct rng r = stream(seed, 2);
	struct vm_caller *callers = make_callers(&r, p->vm_callers);
	FILE *f = create("proc/vmallocinfo");
	uint64_t addr = 0xffffb3c1c0000000ull, bytes = 0;
	unsigned unpurged = p->vm_lines / 50;
	unsigned i;

	setvbuf(f, NULL, _IOFBF, 1 << 20);
	for (i = 0; i < p->vm_lines - unpurged; i++) {
		/* Every caller once, then mostly the busy ones. */
		uint64_t k = i < p->vm_callers ? i : skewed(&r, p->vm_callers);
		const struct vm_caller *c = below(&r, 40) ? &callers[k] : NULL;
		uint64_t end = vm_line(f, &r, addr, c);

		bytes += end - addr;
		addr = end + below(&r, 4) * 4096;
	}
	/* 5.10+ show_purge_info: lazily freed areas after the busy ones. */
	for (i = 0; i < unpurged; i++) {
		uint64_t size = (1 + below(&r, 16)) * 4096;

		fprintf(f, "0x%016" PRIx64 "-0x%016" PRIx64 " %7" PRIu64
			   " unpurged vm_area\n",
			addr, addr + size, size);
		addr += size;
	}
	finish(f);
	free(callers);
	return bytes / 1024;
}

/* ---- kmemleak ----------------------------------------------------------- */

#define FRAME_POOL 480
#define MAX_TRACE 16

struct trace {
	unsigned frames[MAX_TRACE];
	unsigned n;
	unsigned size;
	const char *comm;
};

static const char *const comms[] = {
	"kworker/u64:2", "systemd-udevd", "modprobe", "containerd",
	"kubelet", "swapper/0", "ip", "nft", "mount", "runc:[2:INIT]",
	"java", "postgres", "sshd", "bash", "cryptomgr_probe", "irq/128-mlx5",
};

static const unsigned leak_sizes[] = { 8,   16,  32,  64,   96,  128,
				       192, 256, 512, 1024, 2048, 4096 };

static void frame_text(char *buf, size_t cap, unsigned i)
{
	struct rng r = stream(i, 77);

	/* The allocator entry points top most traces. */
	if (i == 0)
		snprintf(buf, cap, "__kmalloc_cache_noprof+0x284/0x320");
	else if (i == 1)
		snprintf(buf, cap, "kmem_cache_alloc_noprof+0x2e5/0x450");
	else if (i == 2)
		snprintf(buf, cap, "__kmalloc_noprof+0x247/0x310");
	else
		call_site(buf, cap, &r, i * 31 + 3);
}

static void gen_kmemleak(const struct preset *p, uint64_t seed)
{
	struct rng r = stream(seed, 3);
	struct trace *t = calloc(p->leak_traces, sizeof(*t));
	static char frames[FRAME_POOL][128];
	FILE *f;
	uint64_t addr = 0xffff888100000000ull, jiffies = 4295000000ull;
	unsigned i, j;

	if (!t)
		die("calloc");
	for (i = 0; i < FRAME_POOL; i++)
		frame_text(frames[i], sizeof(frames[i]), i);
	for (i = 0; i < p->leak_traces; i++) {
		t[i].n = 6 + (unsigned)below(&r, MAX_TRACE - 6);
		t[i].frames[0] = (unsigned)below(&r, 3);
		for (j = 1; j < t[i].n; j++)
			t[i].frames[j] = 3 + (unsigned)skewed(&r, FRAME_POOL - 3);
		t[i].size = leak_sizes[below(&r, N(leak_sizes))];
		t[i].comm = comms[below(&r, N(comms))];
	}
	mkdirs("sys/kernel/debug");
	f = create("sys/kernel/debug/kmemleak");
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	for (i = 0; i < p->leak_objects; i++) {
		const struct trace *tr =
			&t[i < p->leak_traces ? i : skewed(&r, p->leak_traces)];
		unsigned dump = tr->size < 32 ? tr->size : 32;
		unsigned row, b;

		addr += (1 + below(&r, 64)) * 64;
		jiffies += below(&r, 5000);
		fprintf(f,
			"unreferenced object 0x%016" PRIx64 " (size %u):\n"
			"  comm \"%s\", pid %u, jiffies %" PRIu64 "\n"
			"  hex dump (first %u bytes):\n",
			addr, tr->size, tr->comm, (unsigned)between(&r, 1, 4000000),
			jiffies, dump);
		for (row = 0; row < dump; row += 16) {
			unsigned n = dump - row < 16 ? dump - row : 16;
			char ascii[17];

			fputs("   ", f);
			for (b = 0; b < n; b++) {
				unsigned v = below(&r, 4) ? 0 : (unsigned)below(&r, 256);

				fprintf(f, " %02x", v);
				ascii[b] = v >= 0x20 && v < 0x7f ? (char)v : '.';
			}
			ascii[n] = '\0';
			fprintf(f, "%*s  %s\n", (int)(16 - n) * 3, "", ascii);
		}
		fprintf(f, "  backtrace (crc %" PRIx64 "):\n",
			below(&r, 1ull << 32));
		for (j = 0; j < tr->n; j++)
			fprintf(f, "    [<ffffffff%08x>] %s\n",
				0x81000000u + tr->frames[j] * 0x1f40u,
				frames[tr->frames[j]]);
	}
	finish(f);
	free(t);
}

/* ---- processes ---------------------------------------------------------- */

static const char *const daemons[] = {
	"postgres", "java", "nginx", "python3", "sshd", "systemd",
	"containerd-shim", "node", "envoy", "redis-server", "mysqld",
	"kubelet", "dockerd", "rsyslogd", "chronyd", "bash", "php-fpm",
	"haproxy", "etcd", "prometheus", "memcached", "gunicorn",
};

static const char *const kthreads[] = {
	"kworker/%u:1-events", "ksoftirqd/%u", "migration/%u", "rcuop/%u",
	"kworker/u%u:3-flush-259:0", "cpuhp/%u", "idle_inject/%u",
	"irq/%u-mlx5_comp0",
};

static void mems_allowed(FILE *f)
{
	int i;

	/* MAX_NUMNODES 1024 -> 32 words; two nodes present. */
	fputs("Mems_allowed:\t", f);
	for (i = 0; i < 31; i++)
		fputs("00000000,", f);
	fputs("00000003\nMems_allowed_list:\t0-1\n", f);
}

static void status_common_head(FILE *f, const char *name, unsigned pid,
			       unsigned ppid, unsigned uid, int kthread)
{
	fprintf(f,
		"Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%u\n"
		"Ngid:\t0\nPid:\t%u\nPPid:\t%u\nTracerPid:\t0\n"
		"Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%u\n"
		"Groups:\t%s\nNStgid:\t%u\nNSpid:\t%u\nNSpgid:\t%u\n"
		"NSsid:\t%u\nKthread:\t%d\n",
		name, pid, pid, ppid, uid, uid, uid, uid, uid, uid, uid, uid,
		kthread ? 64 : 256, kthread ? "" : "4 24 27 30 46 100 114 1000 ",
		pid, pid, pid, pid, kthread);
}

static void status_tail(FILE *f, unsigned threads)
{
	fprintf(f,
		"Threads:\t%u\nSigQ:\t0/1031455\nSigPnd:\t0000000000000000\n"
		"ShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n"
		"SigIgn:\t0000000000001000\nSigCgt:\t0000000180004a03\n"
		"CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
		"CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n"
		"CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
		"Seccomp_filters:\t0\n"
		"Speculation_Store_Bypass:\tthread vulnerable\n"
		"SpeculationIndirectBranch:\tconditional enabled\n"
		"Cpus_allowed:\tffffffff,ffffffff\n"
		"Cpus_allowed_list:\t0-63\n",
		threads);
	mems_allowed(f);
	fprintf(f,
		"voluntary_ctxt_switches:\t%u\nnonvoluntary_ctxt_switches:\t%u\n"
		"x86_Thread_features:\t\nx86_Thread_features_locked:\t\n",
		threads * 4394, threads * 33);
}

struct proc_totals {
	uint64_t rss_kb;
	uint64_t anon_kb;
	uint64_t shmem_kb;
	uint64_t kernel_threads;
};

static void user_status(FILE *f, struct rng *r, unsigned pid, uint64_t rss,
			struct proc_totals *tot)
{
	const char *name = daemons[skewed(r, N(daemons))];
	uint64_t anon = rss * between(r, 40, 95) / 100;
	uint64_t shmem = (rss - anon) * below(r, 30) / 100;
	uint64_t file = rss - anon - shmem;
	uint64_t vsz = rss * between(r, 2, 12) + 20000;

	status_common_head(f, name, pid, 1, (unsigned)below(r, 3) * 1000, 0);
	fprintf(f,
		"VmPeak:\t%8" PRIu64 " kB\nVmSize:\t%8" PRIu64 " kB\n"
		"VmLck:\t%8u kB\nVmPin:\t%8u kB\nVmHWM:\t%8" PRIu64 " kB\n"
		"VmRSS:\t%8" PRIu64 " kB\nRssAnon:\t%8" PRIu64 " kB\n"
		"RssFile:\t%8" PRIu64 " kB\nRssShmem:\t%8" PRIu64 " kB\n"
		"VmData:\t%8" PRIu64 " kB\nVmStk:\t%8u kB\nVmExe:\t%8u kB\n"
		"VmLib:\t%8u kB\nVmPTE:\t%8" PRIu64 " kB\nVmSwap:\t%8u kB\n"
		"HugetlbPages:\t%8u kB\nCoreDumping:\t0\nTHP_enabled:\t1\n"
		"untag_mask:\t0xffffffffffffffff\n",
		vsz + 4096, vsz, 0u, 0u, rss + rss / 8, rss, anon, file, shmem,
		anon + 1024, 132u, 1240u, 9868u, rss / 256 + 44, 0u, 0u);
	status_tail(f, 1 + (unsigned)skewed(r, 200));
	tot->rss_kb += rss;
	tot->anon_kb += anon;
	tot->shmem_kb += shmem;
}

static void kthread_status(FILE *f, struct rng *r, unsigned pid)
{
	char name[64];

	snprintf(name, sizeof(name), kthreads[below(r, N(kthreads))],
		 (unsigned)below(r, 64));
	status_common_head(f, name, pid, 2, 0, 1);
	status_tail(f, 1);
}

static void cgroup_file(struct rng *r, unsigned pid, int kthread)
{
	FILE *f = create("proc/%u/cgroup", pid);
	uint64_t a = next(r), b = next(r);

	if (kthread)
		fputs("0::/\n", f);
	else if (below(r, 3))
		fprintf(f,
			"0::/kubepods.slice/kubepods-burstable.slice/"
			"kubepods-burstable-pod%08" PRIx64 "_%04x.slice/"
			"cri-containerd-%016" PRIx64 "%016" PRIx64 ".scope\n",
			a >> 32, (unsigned)(a & 0xffff) % 8, b, a ^ b);
	else
		fprintf(f, "0::/system.slice/%s.service\n",
			daemons[below(r, N(daemons))]);
	finish(f);
}

static void gen_processes(const struct preset *p, uint64_t seed,
			  struct proc_totals *tot)
{
	struct rng r = stream(seed, 4);
	unsigned pid = 1, i;

	for (i = 0; i < p->procs; i++) {
		int kthread = i > 0 && below(&r, 5) == 0;
		/* Processes take about half the memory; one in 500 is a big
		 * database or JVM. */
		uint64_t rss = below(&r, 500) == 0 ?
			between(&r, p->mem_total_kb / 100, p->mem_total_kb / 10) :
			2048 + skewed(&r, 2 * p->mem_total_kb / p->procs);
		int adj = kthread ? 0 : below(&r, 10) == 0 ? -1000 :
				    below(&r, 4) == 0 ? (int)between(&r, 1, 999) : 0;
		long score = 1000 + adj + (long)(rss * 1000 / p->mem_total_kb);
		char dir[32];
		FILE *f;

		pid += 1 + (unsigned)below(&r, 40);
		snprintf(dir, sizeof(dir), "proc/%u", pid);
		mkdirs(dir);
		f = create("proc/%u/status", pid);
		if (kthread) {
			kthread_status(f, &r, pid);
			tot->kernel_threads++;
			score = 0;
		} else {
			user_status(f, &r, pid, rss, tot);
		}
		finish(f);
		f = create("proc/%u/oom_score", pid);
		fprintf(f, "%ld\n", score < 0 ? 0 : score > 2000 ? 2000 : score);
		finish(f);
		f = create("proc/%u/oom_score_adj", pid);
		fprintf(f, "%d\n", adj);
		finish(f);
		cgroup_file(&r, pid, kthread);
	}
}

/* ---- the rest of /proc and /sys ----------------------------------------- */

static void gen_mounts(const struct preset *p, uint64_t seed)
{
	struct rng r = stream(seed, 5);
	FILE *f = create("proc/self/mountinfo");
	unsigned id = 22, i;

	fputs("22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n"
	      "23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw\n"
	      "24 1 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=132000000k,nr_inodes=33000000,mode=755,inode64\n"
	      "25 24 0:23 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw,inode64\n"
	      "26 1 0:24 / /run rw,nosuid,nodev,noexec,relatime shared:7 - tmpfs tmpfs rw,size=26400000k,mode=755,inode64\n"
	      "27 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
	      "28 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	      "29 24 0:35 / /dev/hugepages rw,relatime shared:14 - hugetlbfs hugetlbfs rw,pagesize=2M\n",
	      f);
	mkdirs("dev/shm");
	mkdirs("dev/hugepages");
	mkdirs("run");
	id = 40;
	for (i = 0; i < p->mounts_other; i++, id++)
		fprintf(f,
			"%u 27 0:%u / /var/lib/containerd/io.containerd.runtime.v2.task/k8s.io/%016" PRIx64
			"/rootfs rw,relatime shared:%u - overlay overlay rw,lowerdir=/var/lib/containerd/snapshots/%u/fs,upperdir=/var/lib/containerd/snapshots/%u/fs,workdir=/var/lib/containerd/snapshots/%u/work\n",
			id, 100 + i, next(&r), id, i * 3 + 1, i * 3 + 2,
			i * 3 + 2);
	for (i = 0; i < p->mounts_mem; i++, id++) {
		uint64_t pod = next(&r) >> 32;
		char rel[160];

		/* mountinfo escapes the blank in the name as \040. */
		fprintf(f,
			"%u 27 0:%u / /var/lib/kubelet/pods/%08" PRIx64
			"/volumes/kubernetes.io~empty-dir/scratch\\040vol%u rw,relatime shared:%u - tmpfs tmpfs rw,size=%" PRIu64 "k,inode64\n",
			id, 400 + i, pod, i, id, 1024 + below(&r, 1 << 20));
		snprintf(rel, sizeof(rel),
			 "var/lib/kubelet/pods/%08" PRIx64
			 "/volumes/kubernetes.io~empty-dir/scratch vol%u",
			 pod, i);
		mkdirs(rel);
	}
	finish(f);
}

static void gen_sysvipc(const struct preset *p, uint64_t seed)
{
	struct rng r = stream(seed, 6);
	FILE *f = create("proc/sysvipc/shm");
	unsigned i;

	fputs("       key      shmid perms                  size  cpid  lpid "
	      "nattch   uid   gid  cuid  cgid      atime      dtime      ctime"
	      "                   rss                  swap\n",
	      f);
	for (i = 0; i < p->shm_segments; i++) {
		uint64_t size = (1 + below(&r, 1 << 14)) * 4096;

		fprintf(f,
			"%10d %10u  %4o %21" PRIu64 " %5u %5u  %5u %5u %5u %5u "
			"%5u %10u %10u %10u %21" PRIu64 " %21u\n",
			(int)below(&r, 1u << 30), i * 32769, 0600u, size,
			(unsigned)below(&r, 30000), (unsigned)below(&r, 30000),
			(unsigned)below(&r, 20), 999u, 999u, 999u, 999u,
			1700000000u + i, 0u, 1700000000u, size / 2, 0u);
	}
	finish(f);
}

static void small_file(const char *path, const char *text)
{
	FILE *f = create("%s", path);

	fputs(text, f);
	finish(f);
}

/* An ELF note section holding one GNU build id (what /sys/kernel/notes is). */
static void gen_notes(uint64_t seed)
{
	struct rng r = stream(seed, 7);
	uint32_t hdr[3] = { 4, 20, 3 }; /* namesz, descsz, NT_GNU_BUILD_ID */
	FILE *f = create("sys/kernel/notes");
	uint8_t id[20];
	unsigned i;

	for (i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)next(&r);
	fwrite(hdr, sizeof(hdr), 1, f);
	fwrite("GNU", 4, 1, f);
	fwrite(id, sizeof(id), 1, f);
	finish(f);
}

static void gen_meminfo(const struct preset *p, uint64_t slab_kb,
			uint64_t vmalloc_kb, const struct proc_totals *t)
{
	uint64_t total = p->mem_total_kb;
	uint64_t sunreclaim = slab_kb * 6 / 10, sreclaim = slab_kb - sunreclaim;
	uint64_t cached = total / 5, buffers = total / 200;
	uint64_t kstack = t->kernel_threads * 16 + (p->procs - t->kernel_threads) * 64;
	uint64_t pagetables = t->rss_kb / 256 + 4096;
	uint64_t used = t->anon_kb + cached + buffers + slab_kb + vmalloc_kb +
			kstack + pagetables;
	uint64_t free = used < total ? total - used : total / 100;
	FILE *f = create("proc/meminfo");

	fprintf(f,
		"MemTotal:       %8" PRIu64 " kB\nMemFree:        %8" PRIu64 " kB\n"
		"MemAvailable:   %8" PRIu64 " kB\nBuffers:        %8" PRIu64 " kB\n"
		"Cached:         %8" PRIu64 " kB\nSwapCached:            0 kB\n"
		"Active:         %8" PRIu64 " kB\nInactive:       %8" PRIu64 " kB\n"
		"Active(anon):   %8" PRIu64 " kB\nInactive(anon): %8" PRIu64 " kB\n"
		"Active(file):   %8" PRIu64 " kB\nInactive(file): %8" PRIu64 " kB\n"
		"Unevictable:           0 kB\nMlocked:               0 kB\n"
		"SwapTotal:             0 kB\nSwapFree:              0 kB\n"
		"Zswap:                 0 kB\nZswapped:              0 kB\n"
		"Dirty:              1024 kB\nWriteback:             0 kB\n"
		"AnonPages:      %8" PRIu64 " kB\nMapped:         %8" PRIu64 " kB\n"
		"Shmem:          %8" PRIu64 " kB\nKReclaimable:   %8" PRIu64 " kB\n"
		"Slab:           %8" PRIu64 " kB\nSReclaimable:   %8" PRIu64 " kB\n"
		"SUnreclaim:     %8" PRIu64 " kB\nKernelStack:    %8" PRIu64 " kB\n"
		"PageTables:     %8" PRIu64 " kB\nSecPageTables:         0 kB\n"
		"NFS_Unstable:          0 kB\nBounce:                0 kB\n"
		"WritebackTmp:          0 kB\nCommitLimit:    %8" PRIu64 " kB\n"
		"Committed_AS:   %8" PRIu64 " kB\nVmallocTotal:   34359738367 kB\n"
		"VmallocUsed:    %8" PRIu64 " kB\nVmallocChunk:          0 kB\n"
		"Percpu:            %6u kB\nHardwareCorrupted:     0 kB\n"
		"AnonHugePages:         0 kB\nShmemHugePages:        0 kB\n"
		"ShmemPmdMapped:        0 kB\nFileHugePages:         0 kB\n"
		"FilePmdMapped:         0 kB\nUnaccepted:            0 kB\n"
		"HugePages_Total:       0\nHugePages_Free:        0\n"
		"HugePages_Rsvd:        0\nHugePages_Surp:        0\n"
		"Hugepagesize:       2048 kB\nHugetlb:               0 kB\n"
		"DirectMap4k:     1048576 kB\nDirectMap2M:    %8" PRIu64 " kB\n"
		"DirectMap1G:           0 kB\n",
		total, free, free + cached + sreclaim, buffers, cached,
		t->anon_kb / 2 + cached / 3, t->anon_kb / 2 + cached * 2 / 3,
		t->anon_kb / 2, t->anon_kb / 2, cached / 3, cached * 2 / 3,
		t->anon_kb, cached / 4, t->shmem_kb, sreclaim, slab_kb, sreclaim,
		sunreclaim, kstack, pagetables, total / 2, t->rss_kb * 2,
		vmalloc_kb, 131072u, total - 1048576);
	finish(f);
}

/* meminfo needs the totals of the process scan; --step keeps them. */
static void save_totals(const struct proc_totals *t, uint64_t vmalloc_kb)
{
	FILE *f = create(".gen-totals");

	fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		t->rss_kb, t->anon_kb, t->shmem_kb, t->kernel_threads,
		vmalloc_kb);
	finish(f);
}

static int load_totals(struct proc_totals *t, uint64_t *vmalloc_kb)
{
	char path[8192];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/.gen-totals", out_root);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
		   &t->rss_kb, &t->anon_kb, &t->shmem_kb, &t->kernel_threads,
		   vmalloc_kb);
	fclose(f);
	return n == 5 ? 0 : -1;
}

/* Two weeks up; a step is five minutes later (a timer's period), so that
 * a timeline sees time pass between the snapshots of a store. */
static void write_uptime(unsigned k)
{
	FILE *f = create("proc/uptime");

	fprintf(f, "%u.42 %u.10\n", 1209600u + k * 300u, 76500000u + k * 600u);
	finish(f);
}

static void generate(const struct preset *p, uint64_t seed)
{
	struct proc_totals tot = { 0 };
	uint64_t slab_kb, vmalloc_kb;

	mkdirs("proc/self");
	mkdirs("proc/sys/kernel/random");
	mkdirs("proc/sysvipc");
	mkdirs("proc/pressure");
	mkdirs("sys/kernel");
	slab_kb = gen_slabinfo(p, seed, 0);
	vmalloc_kb = gen_vmallocinfo(p, seed);
	gen_kmemleak(p, seed);
	gen_processes(p, seed, &tot);
	gen_mounts(p, seed);
	gen_sysvipc(p, seed);
	gen_notes(seed);
	gen_meminfo(p, slab_kb, vmalloc_kb, &tot);
	save_totals(&tot, vmalloc_kb);
	write_uptime(0);
	small_file("proc/sys/kernel/random/boot_id",
		   "5b0c7e5e-4c1a-4f0e-9a57-0b1f6f2b6a11\n");
	small_file("proc/sys/kernel/hostname", "bench-server\n");
	small_file("proc/sys/kernel/osrelease", "6.12.0-bench\n");
	small_file("proc/sys/kernel/version",
		   "#1 SMP PREEMPT_DYNAMIC Debian 6.12.0-1 (2025-01-01)\n");
	small_file("proc/pressure/memory",
		   "some avg10=0.12 avg60=0.30 avg300=0.25 total=912345678\n"
		   "full avg10=0.00 avg60=0.05 avg300=0.04 total=123456789\n");
}

static int step(const struct preset *p, uint64_t seed, unsigned k)
{
	struct proc_totals tot = { 0 };
	uint64_t vmalloc_kb, slab_kb;

	if (load_totals(&tot, &vmalloc_kb) < 0) {
		fprintf(stderr, "kmemsnap-gen: %s: not a generated tree\n",
			out_root);
		return 1;
	}
	slab_kb = gen_slabinfo(p, seed, k);
	gen_meminfo(p, slab_kb, vmalloc_kb, &tot);
	write_uptime(k);
	return 0;
}

static int usage(void)
{
	fputs("usage: kmemsnap-gen [--preset medium|large|small] [--seed N] "
	      "[--step K] DIR\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const struct preset *p = &presets[0];
	uint64_t seed = 1;
	unsigned k = 0;
	int i, stepping = 0;
	size_t j;

	for (i = 1; i < argc - 1; i += 2) {
		if (strcmp(argv[i], "--preset") == 0) {
			for (j = 0; j < N(presets); j++)
				if (strcmp(argv[i + 1], presets[j].name) == 0)
					break;
			if (j == N(presets))
				return usage();
			p = &presets[j];
		} else if (strcmp(argv[i], "--seed") == 0) {
			seed = strtoull(argv[i + 1], NULL, 10);
		} else if (strcmp(argv[i], "--step") == 0) {
			k = (unsigned)strtoul(argv[i + 1], NULL, 10);
			stepping = 1;
		} else {
			return usage();
		}
	}
	if (i != argc - 1)
		return usage();
	snprintf(out_root, sizeof(out_root), "%s", argv[argc - 1]);
	if (mkdir(out_root, 0755) < 0 && errno != EEXIST)
		die(out_root);
	if (stepping)
		return step(p, seed, k);
	generate(p, seed);
	return 0;
}
