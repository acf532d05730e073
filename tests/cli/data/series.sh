# Generates a series of snapshots for the timeline and report tests; sourced
# after common.sh.
#
# make_series DIR [HOSTNAME]: captures 30 snapshots into DIR from one small
# tree, mutated step by step: 3 boots (boot ids series0..2-...) of 10
# snapshots one hour apart. The header's realtime is the capture clock, so
# all captures happen at "the same" time; the tree's /proc/uptime is what
# moves: boot 0 runs from uptime 200 h, boot 1 from 100 h, boot 2 from 1 h,
# so the boots start (realtime - uptime) in that order. Files are named in
# an order that is not the time order. At step i (0..9) of every boot:
#   leak_cache     50 + 250 i slabs of 1 page: grows by 250 pages an hour
#                  and starts low again after each reboot
#   <img/src=x>    a second, hostile-named leak: 10 + 20 i slabs
#   noisy_cache    20000 + NOISE[i] thousand slabs: larger, up and down
#   filler_cache   fills within 3 hours to 5000 slabs, then stays
#   steady_cache   1000 slabs throughout
#   vmalloc        leaky_vm_alloc+0x10/0x40 [leakmod] holds i + 1 areas of
#                  16 pages (65536 bytes + the guard page); a constant
#                  caller holds one area
#   kmemleak       i + 1 unreferenced 1024-byte objects from one backtrace
#   meminfo        MemFree 4000000 - 10000 i kB, SUnreclaim 300000 + 1000 i,
#                  VmallocUsed 20000 + 68 i, the rest constant
# The first snapshot of a boot is a "baseline", the others "timer".

SERIES_NOISE=(0 9 -7 8 -9 3 -8 9 -4 6)

series_slab_line() { # NAME SLABS
	printf '%-20s %8d %8d %6d %4d %4d : tunables 0 0 0 : slabdata %8d %8d 0\n' \
		"$1" $(($2 * 8)) $(($2 * 8)) 512 8 1 "$2" "$2"
}

series_step() { # TREE STEP
	local t=$1 i=$2 k filler
	filler=$((i < 3 ? 100 + i * 1600 : 5000))
	{
		echo "slabinfo - version: 2.1"
		echo "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>"
		series_slab_line noisy_cache $((20000 + SERIES_NOISE[i] * 1000))
		series_slab_line filler_cache "$filler"
		series_slab_line leak_cache $((50 + 250 * i))
		series_slab_line steady_cache 1000
		series_slab_line '<img/src=x>' $((10 + 20 * i))
	} >"$t/proc/slabinfo"
	{
		printf '0xffffc90000000000-0xffffc90000011000   69632 const_vm_alloc+0x1/0x2 pages=16 vmalloc\n'
		for ((k = 0; k <= i; k++)); do
			printf '0xffffc9000%03x0000-0xffffc9000%03x1000   69632 leaky_vm_alloc+0x10/0x40 [leakmod] pages=16 vmalloc\n' \
				$((k + 16)) $((k + 17))
		done
	} >"$t/proc/vmallocinfo"
	for ((k = 0; k <= i; k++)); do
		printf 'unreferenced object 0xffff8881%08x (size 1024):\n' $((k * 4096))
		printf '  comm "leaker", pid 42, jiffies 4295000000\n'
		printf '  backtrace (crc 1234):\n'
		printf '    __kmalloc_noprof+0x1c/0xb0\n    leak_alloc+0x31/0x90 [leakmod]\n'
	done >"$t/sys/kernel/debug/kmemleak"
	cat >"$t/proc/meminfo" <<EOF
MemTotal:        8000000 kB
MemFree:         $((4000000 - 10000 * i)) kB
MemAvailable:    $((5000000 - 10000 * i)) kB
Buffers:           50000 kB
Cached:          1500000 kB
SwapCached:            0 kB
AnonPages:       1000000 kB
Shmem:            100000 kB
KReclaimable:     150000 kB
Slab:             $((450000 + 1000 * i)) kB
SReclaimable:     150000 kB
SUnreclaim:       $((300000 + 1000 * i)) kB
KernelStack:       10000 kB
PageTables:        20000 kB
VmallocUsed:       $((20000 + 68 * i)) kB
Percpu:             5000 kB
EOF
}

make_series() {
	local out=$1 host=${2:-series-host} t b i
	local starts=(200 100 1)
	t=$(mktemp -d "$TMP/tree.XXXXXX")
	mkdir -p "$t/proc/sys/kernel/random" "$t/sys/kernel/debug" "$out"
	printf '%s\n' "$host" >"$t/proc/sys/kernel/hostname"
	for b in 0 1 2; do
		printf 'series%d-0000-4000-8000-000000000000\n' "$b" >"$t/proc/sys/kernel/random/boot_id"
		for i in 0 1 2 3 4 5 6 7 8 9; do
			series_step "$t" "$i"
			printf '%d.00 0.00\n' $(((starts[b] + i) * 3600)) >"$t/proc/uptime"
			"$KMEMSNAP" capture --root "$t" \
				--trigger "$([ "$i" -eq 0 ] && echo baseline || echo timer)" \
				-o "$out/s$(((b * 10 + i) * 7 % 30)).kms"
		done
	done
	rm -rf "$t"
}
