#!/bin/bash
# kmemsnap show on snapshots captured from the fixture trees: the sections
# after processes (kmemleak, shmem, pressure, cgroups, the kernel OOM
# report) and the processes' cgroups, value by value, as the library
# parsed them from real kernel text.
source "$(dirname "$0")/data/common.sh"
need jq awk

K=$KMEMSNAP
T=$KMEMSNAP_FIXTURES/trees
S=$KMEMSNAP_FIXTURES/samples

# shot NAME CAPTURE-ARGS...: captures to $TMP/NAME.kms, shows it in
# $TMP/NAME.show.
shot() {
	local name=$1
	shift
	run "$TMP/$name.out" "$TMP/$name.err" "$K" capture -o "$TMP/$name.kms" "$@"
	check_eq "capture $name" "$rc $(cat "$TMP/$name.err")" "0 "
	TZ=UTC "$K" show --color=never "$TMP/$name.kms" >"$TMP/$name.show"
}
g() { check_grep "$1: $2" "$TMP/$1.show" "$3"; }

echo "# modern: memory-backed mounts, SysV segments, pressure"
shot modern --root "$T/modern"
# Sizes come from statfs of the fixture's directories, so only the type
# and the mount point (mountinfo's \040 unescaped) are fixed.
g modern "ramfs with spaces in its mount point" "^  ramfs +.*  /mnt/my ram disk\$"
g modern "tmpfs /dev/shm" "^  tmpfs +.*  /dev/shm\$"
g modern "devtmpfs" "^  devtmpfs +.*  /dev\$"
g modern "statfs failure as the errno text" \
	"^  hugetlbfs +- +- +- +-  /dev/hugepages  \\(statfs: ENOENT \\(no such file or directory\\)\\)\$"
# proc/sysvipc/shm: sizes 524288 + 1073741824 + 4096 = 1074270208 (1.0 GiB);
# rss 65536 + 1073741824 + 4096
g modern "SysV totals" "^  3 segments, 1\\.0 GiB, 1\\.0 GiB resident\$"
# printf '%08x' 1381128450; the perms column "600" is octal already
g modern "the 1073741824-byte segment" \
	"^ +5  0x52525902 +1\\.0 GiB +1\\.0 GiB +1 +4711 +999 +600\$"
g modern "IPC_PRIVATE, SHM_DEST in the mode" \
	"^ +2  0x00000000 +512\\.0 KiB +64\\.0 KiB +2 +2195 +1000 +1600\$"
g modern "key -1" "^ +7  0xffffffff +4\\.0 KiB +4\\.0 KiB +0 +100 +0 +666\$"
check_eq "modern: segments largest first" \
	"$(sed -n '/^ \+SHMID/,/^$/p' "$TMP/modern.show" | awk '$1 ~ /^[0-9]+$/ { print $1 }' | paste -sd' ')" \
	"5 2 7"
# proc/pressure/memory: some avg10=0.10 avg60=2.00 avg300=3.85 total=15
g modern "pressure some" "^  some +0\\.10% +2\\.00% +3\\.85% +15\\.0 us\$"
g modern "pressure full avg60 3.00%" "^  full +0\\.20% +3\\.00% +4\\.95% +25\\.0 us\$"
g modern "kmemleak absent: one line" \
	"^Kmemleak: unavailable: ENOENT \\(no such file or directory\\) \\(sys/kernel/debug/kmemleak\\): debugfs not mounted\$"
check "modern: no CGROUP column without /proc/PID/cgroup" \
	bash -c "! grep -q ' CGROUP\$' '$TMP/modern.show'"

echo "# kmemleak-group-new: 6.x report, crc backtraces, no ages"
shot leaknew --root "$T/kmemleak-group-new"
# 2048 * 2 + 96 * 3 = 4384 bytes = 4.3 KiB
g leaknew "totals" "^  5 objects, 4\\.3 KiB, 2 backtraces \\(from kmemleak's last periodic scan\\)\$"
g leaknew "largest group first, no age" \
	"^ +2 +4\\.0 KiB  - +demo-ctl pid 2301, 2\\.0 KiB at 0xffff888112340000\$"
g leaknew "second group" "^ +3 +288 B  - +demo-ctl pid 2301, 96 B at 0xffff888104f2a300\$"
g leaknew "a frame with its module" "^      demo_grow_table\\+0x48/0x110 \\[demo\\]\$"
g leaknew "hex dump as hex" "^      hex  01 00 00 00 02 00 00 00 00 a3 f2 04 81 88 ff ff\$"
check_eq "leaknew: the first backtrace through the symbol table" \
	"$(sed -n '/^ \+2 \+4\.0 KiB/,/^ \+3 \+288 B/p' "$TMP/leaknew.show" | grep '^      [a-z_]' | grep -v '^      hex ' | tr -d ' ' | paste -sd' ')" \
	"__kmalloc_node+0x1e2/0x3a0 kvmalloc_node+0x5e/0x120 demo_grow_table+0x48/0x110[demo] demo_ioctl+0x2a7/0x4a0[demo] __x64_sys_ioctl+0x94/0xd0 do_syscall_64+0x5d/0x170 entry_SYSCALL_64_after_hwframe+0x76/0x7e"
g leaknew "pressure absent: errno and detail" \
	"^Pressure: unavailable: ENOENT \\(no such file or directory\\) \\(proc/pressure/memory\\): kernel without PSI \\(CONFIG_PSI\\)\$"
g leaknew "shmem absent: mounts" \
	"^Memory-backed filesystems: unavailable: ENOENT \\(no such file or directory\\) \\(proc/self/mountinfo\\)\$"

echo "# kmemleak-old: 3.x/4.x report with ages"
shot leakold --root "$T/kmemleak-old"
g leakold "ages in s" "^ +2 +16\\.0 KiB  445\\.740 s +swapper pid 1, 8\\.0 KiB at 0xffff880073a70000\$"
g leakold "one object" "^ +1 +8 B  105\\.641 s +criu pid 14781, 8 B at 0xffff88006ada3bd0\$"
# 14 frames before the 0xffffffffffffffff end marker: 8 shown
g leakold "frames past eight counted" "^      … 6 more\$"
g leakold "eighth frame shown" "^      kern_mount_data\\+0x19/0x30\$"
check "leakold: ninth frame not shown" bash -c "! grep -q 'pid_ns_prepare_proc' '$TMP/leakold.show'"
check "leakold: the end marker is no frame" bash -c "! grep -q '0xffffffffffffffff' '$TMP/leakold.show'"
check_grep "leakold --top 1: one backtrace" <("$K" show --top 1 "$TMP/leakold.kms") \
	"^  \\.\\.\\. 1 of 2 backtraces shown\$"

echo "# cgroup-v2: processes' cgroups, a requested cgroup"
shot cgroup --root "$T/cgroup-v2" --cgroup /system.slice/db.service
# proc/79/cgroup names the v1 memory hierarchy's /user.slice/x.
g cgroup "CGROUP column" "^ +79 postgres .*  /user\\.slice/x\$"
g cgroup "v2 path" "^ +78 postgres .*  /system\\.slice/db\\.service\$"
g cgroup "heading" "^Memory cgroup /system\\.slice/db\\.service \\(v2, requested\\)\$"
# memory.current 268435456, memory.max 536870912, memory.high max
g cgroup "usage" "^  usage +256\\.0 MiB\$"
g cgroup "max and share used" "^  max +512\\.0 MiB \\(50\\.0% used\\)\$"
g cgroup "high max is unlimited" "^  high +unlimited\$"
g cgroup "events" "^  events +low=0 high=0 max=35 oom=1 oom_kill=1 oom_group_kill=0\$"
# memory.stat anon 201326592, slab_unreclaimable 4194304
g cgroup "stat anon" "^    anon +192\\.0 MiB\$"
g cgroup "stat slab_unreclaimable" "^    slab_unreclaimable +4\\.0 MiB\$"
check "cgroup: counters that are not bytes are left out" \
	bash -c "! grep -q 'pgfault\\|file_mapped' '$TMP/cgroup.show'"
g cgroup "memory.pressure full" "^    full +0\\.20% +3\\.00% +4\\.95% +25\\.0 us\$"

echo "# a memcg OOM report from a saved kernel log (4.15, cgroup v1)"
shot oom --root "$T/cgroup-v2" --kmsg-file "$S/oom_report/4.txt"
g oom "heading" "^Kernel OOM report: Memory cgroup out of memory\$"
g oom "time" "^  time +193038\\.106393 s after boot\$"
g oom "invoker" "^  invoker +java, order 0, oom_score_adj 0\$"
g oom "gfp" "^  gfp_mask +0x14000c0 \\(GFP_KERNEL\\)\$"
g oom "oom memcg" "^  oom memcg +/docker/0f2b3fcdd2578165ea77266cdc7b1ad43e75877b0ac1889ecda30a78cb78bd53\$"
# total-vm:4613208kB anon-rss:517316kB file-rss:20168kB
g oom "killed" \
	"^  killed +27281 \\(java\\): total-vm 4\\.4 GiB, anon-rss 505\\.2 MiB, file-rss 19\\.7 MiB, shmem-rss 0 B\$"
g oom "reaped" "^  reaped +27281 \\(java\\): anon-rss 0 B, file-rss 0 B, shmem-rss 0 B\$"
# rss 134371 pages in bytes with the snapshot's page size
page=$("$K" show --json "$TMP/oom.kms" | jq -r .header.pageSizeBytes)
rss=$(awk -v p="$page" 'BEGIN { printf "%.1f MiB", 134371 * p / 1048576 }')
g oom "task row: pages in bytes, no rss split before 6.2" \
	"^ +27281 +0 +${rss//./\\.} +- +- +- +0 B +0  java\$"
g oom "memcg usage" "^    memory\\.usage +512\\.0 MiB\$"
g oom "9007199254740988kB is no limit" "^    memory\\+swap\\.limit +unlimited\$"
g oom "kmem usage" "^    kmem\\.usage +3\\.6 MiB\$"

finish
