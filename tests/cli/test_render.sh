#!/bin/bash
# kmemsnap show and show --json on a hand-written snapshot
# (data/synthetic.txtpb): values worked out by hand, the generic JSON
# printer's mapping rules, and the whole output against expected files.
source "$(dirname "$0")/data/common.sh"
need protoc lz4 jq perl

K=$KMEMSNAP
proto_dir=$KMEMSNAP_SOURCE_DIR/proto
# protoc logs (and still encodes) the deliberately invalid UTF-8 of a comm.
protoc --encode=kmemsnap.v1.Snapshot -I "$proto_dir" "$proto_dir/kmemsnap.proto" \
	<"$CLI_DATA/synthetic.txtpb" >"$TMP/syn.pb" 2>/dev/null
# Text format cannot spell an enum value the schema lacks; the wire can.
# Appended, this is merged into Snapshot.vmalloc (field 4, "\x22") as one more
# VmallocKindTotal (field 7, "\x3a") whose kind (field 1) is 1024.
printf '\x22\x05\x3a\x03\x08\x80\x08' >>"$TMP/syn.pb"
make_blob "$TMP/syn.pb" "$TMP/syn.kms"

echo "# verify"
run "$TMP/out" "$TMP/err" "$K" verify "$TMP/syn.kms"
# realtime_ns 1714567890123456789: date -u -d @1714567890
check_eq "verify names host and UTC time" "$(cat "$TMP/out")" \
	"$TMP/syn.kms: ok ($(stat -c %s "$TMP/syn.kms") bytes, format v1, snapshot of synthetic-host at 2024-05-01T12:51:30.123Z)"

echo "# show --json: the canonical JSON mapping"
"$K" show --json "$TMP/syn.kms" >"$TMP/syn.json"
j() { jq -c "$1" "$TMP/syn.json"; }
check_eq "64-bit integers are strings" "$(j .header.realtimeNs)" '"1714567890123456789"'
check_eq "32-bit integers are numbers" "$(j .header.pageSizeBytes)" 4096
check_eq "uint64 max stays exact" "$(j .slab.caches[0].globalstat)" '["1","2","18446744073709551615"]'
check_eq "sint32 negative" "$(j .processes.top[1].oomScoreAdj)" -1000
check_eq "enums by name" "$(j '[.header.trigger, .slab.status.state, .slab.source]')" \
	'["TRIGGER_PRESSURE","STATE_TRUNCATED","SLAB_SOURCE_PROC_SLABINFO"]'
check_eq "bool" "$(j .kmemleak.scanned)" true
check_eq "an enum value the schema lacks is a number" "$(j .vmalloc.kinds[2].kind)" 1024
# printf '\001\002\003\377' | base64
check_eq "bytes are base64" "$(j .header.kernelBuildId)" '"AQID/w=="'
check_eq "lowerCamelCase: a digit after '_' stays, the next letter too" \
	"$(j '[.meminfo.directMap4kKb, .meminfo.directMap2mKb, .meminfo.kReclaimableKb]')" \
	'["123456","7654321","700000"]'
check_eq "quotes and backslashes are escaped" "$(j .processes.top[0].comm)" '"java \"big\"\\x"'
check_eq "control characters are \\u escapes" "$(j .vmalloc.callers[3].caller)" '"odd\u001b[31mred"'
check_eq "valid UTF-8 passes, an invalid byte is U+FFFD" \
	"$(jq -r '.processes.top[1].comm | explode | map(tostring) | join(" ")' "$TMP/syn.json")" \
	"99 97 102 233 65533 1"
check_eq "unset fields are omitted" "$(j '.processes.top[1] | keys')" \
	'["comm","oomScore","oomScoreAdj","pid","vmRssKb"]'
check_eq "a zero that is set is kept" "$(j .processes.top[1].oomScore)" 0
check_eq "an empty message is {}" "$(j .cgroups[2].pressure)" '{}'
check_eq "sint32 negative in a repeated message" "$(j .shmem.segments[1].key)" -1
check_eq "repeated messages are arrays" "$(j '.meminfo.other | map(.key)')" \
	'["FutureCounter","FuturePages"]'
check_eq "fields in schema order" "$(j '.header | keys_unsorted | .[0:3]')" \
	'["realtimeNs","boottimeNs","uptimeMs"]'
check "the JSON is the expected file" diff -u "$CLI_DATA/synthetic.json" "$TMP/syn.json"
"$K" show --compact "$TMP/syn.kms" >"$TMP/syn.compact"
check_eq "compact: one line" "$(wc -l <"$TMP/syn.compact")" 1
check_eq "compact: no whitespace outside strings" \
	"$(jq -c . "$TMP/syn.compact" | md5sum)" "$(md5sum <"$TMP/syn.compact")"

echo "# show: figures worked out by hand"
TZ=UTC "$K" show --color=never "$TMP/syn.kms" >"$TMP/syn.show"
g() { check_grep "$1" "$TMP/syn.show" "$2"; }
g "host" "^Snapshot of synthetic-host\$"
g "capture time, UTC and local (TZ=UTC)" \
	"^  captured +2024-05-01T12:51:30\\.123Z \\(local 2024-05-01 12:51:30 \\+0000 UTC\\)\$"
# uptime_ms 93784000: 93784 s = 86400 + 2*3600 + 3*60 + 4
g "uptime" "^  uptime +1d 2h 3m 4s\$"
g "trigger and detail" "^  trigger +pressure: psi some 150ms/1s\$"
g "capture duration 2500000 ns" "^  took +2\\.5 ms\$"
g "foreign root" "^  root +/srv/copy \\(not the live system\\)\$"
g "build id in hex" "^  build id +010203ff\$"
g "status: truncated slab, 2 lines skipped" "^  slab +truncated +250\\.0 us +20\\.0 KiB +2  -\$"
g "status: a repeated section, first" "^  cgroups\\[0\\] +ok +7\\.0 us +- +- +-\$"
g "status: a repeated section, second: errno name and text, detail" \
	"^  cgroups\\[1\\] +unavailable .* sys/fs/cgroup/gone  ENOENT \\(no such file or directory\\)  \\(no such memory cgroup\\)\$"
g "status: a section without a status" "^  cgroups\\[2\\] +- +- +- +- +-\$"
g "status: lines skipped" "^  oom_report +ok +- +4\\.5 KiB +50  -\$"
# 4194304 / 16777216 kB
g "MemFree 4 GiB is 25.0% of MemTotal" "^  MemFree +4\\.0 GiB +25\\.0%\$"
g "SUnreclaim indented under Slab" "^    SUnreclaim +256\\.0 MiB +1\\.6%\$"
g "HugePages: Hugetlb and the counts" \
	"^  HugePages +8\\.0 MiB +0\\.0%  4 pages of 2\\.0 MiB: 1 free, 0 reserved, 0 surplus\$"
g "other meminfo keys, kB in human units" "^    FutureCounter +42\\.0 KiB\$"
g "other meminfo keys without unit as numbers" "^    FuturePages +7\$"
# footprint = num_slabs * pages_per_slab * 4096; share of 8388608
g "dentry: 1024 * 1 * 4096 = 4.0 MiB, 50.0%" "^  dentry +20000 +21000 +192 +4\\.0 MiB +50\\.0%\$"
g "kmalloc-512: 128 * 4 * 4096 = 2.0 MiB, 25.0%" "^  kmalloc-512 +4000 +4096 +512 +2\\.0 MiB +25\\.0%\$"
g "task_struct: 24 * 8 * 4096 = 768.0 KiB, 9.4%" "^  task_struct +100 +120 +6272 +768\\.0 KiB +9\\.4%\$"
g "slab totals" "^  5 caches, 30000 of 32000 objects active, footprint 8\\.0 MiB"
g "3 of 5 caches kept" "^  \\.\\.\\. 3 of 5 caches shown\$"
g "truncated note" "^  truncated: a bound was hit"
# pages_total 25600 * 4096 = 104857600
g "vmalloc used = pages * page size" "^  1500 areas, 200\\.0 MiB of address space, vmalloc used 100\\.0 MiB"
# flags 17 = VMALLOC | VPAGES; 10000 pages * 4096 = 40960000 B = 39.06 MiB
g "caller row: size, used, flags as words" \
	"^ +40\\.0 MiB +39\\.1 MiB +200  vmalloc,vpages +module_alloc\\+0x5c/0x90\$"
g "unknown flag bits in hex; an escape in a caller is defused" \
	"^ +8\\.0 KiB +4\\.0 KiB +1  other,0x400 +odd\\?\\[31mred\$"
g "an area without a caller" "^ +100\\.0 MiB +0 B +1000  unpurged +-\$"
g "vmalloc groups past the bound" "^  not kept \\(past the bound\\): 10 areas, 400\\.0 KiB, 360\\.0 KiB used\$"
g "per-kind totals" "^    ioremap +30 +1\\.0 MiB +0 B\$"
g "processes: counts" "^  120 processes, 80 kernel threads\$"
# path=/kubepods.slice/.../cri-containerd-7f3a9.scope; echo -n "$path" | tail -c 31
g "process row, its cgroup cut from the left to 32 characters" \
	"^ +4242 java \"big\"\\\\x +900 +100 +2\\.0 GiB +1\\.9 GiB +94\\.9 MiB +0 B +1\\.0 MiB  …lice/cri-containerd-7f3a9\\.scope\$"
g "process: unset fields are -, bad UTF-8 and control characters are ?" \
	"^ +1 café\\?\\? +0 -1000 +11\\.7 MiB +- +- +- +-  -\$"
g "process totals" "^ +total +4\\.0 GiB +3\\.0 GiB +976\\.6 MiB +47\\.4 MiB +2\\.0 MiB\$"

# block HEADING: the lines of the section under HEADING, to its blank line.
block() { awk -v h="$1" '$0 == h { on = 1 } on && /^$/ { exit } on' "$TMP/syn.show"; }

echo "# show: kmemleak"
# 10256 bytes = 10.0 KiB
g "kmemleak totals" "^  7 objects, 10\\.0 KiB, 3 backtraces \\(scanned just before reading\\)\$"
g "kmemleak groups past the bound" "^  not kept \\(past the bound\\): 1 backtraces, 2 objects, 2\\.0 KiB\$"
g "group: objects, bytes, ages youngest to oldest, sample" \
	"^ +4 +8\\.0 KiB  105\\.641-445\\.740 s +kworker/0:1 pid 42, 2\\.0 KiB at 0xffff888012345600\$"
# printf %s 0123456789abcdefghijklmnopqrstuvwxyzABCD | od -An -tx1
g "hex dump, first row" "^      hex  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66\$"
g "hex dump, second row" "^ {11}67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76\$"
g "hex dump past the kernel's 32 bytes" "^ +… 8 more bytes\$"
check_eq "eight frames through the symbol table, then the rest counted" \
	"$(sed -n '/^ \+4 \+8\.0 KiB/,/… 2 more/p' "$TMP/syn.show" | grep -v ' hex \|^ \{11\}[0-9a-f][0-9a-f] \|bytes$' | sed 1d | tr -s ' ' | paste -sd'|')" \
	" __kmalloc_node+0x1e2/0x3a0| kvmalloc_node+0x5e/0x120| demo_grow_table+0x48/0x110 [demo]| demo_ioctl+0x2a7/0x4a0 [demo]| __x64_sys_ioctl+0x94/0xd0| do_syscall_64+0x5d/0x170| entry_SYSCALL_64_after_hwframe+0x76/0x7e| kmalloc_trace+0x29d/0x340| … 2 more"
g "group without ages; escapes in comm defused" "^ +1 +64 B  - +x\\?\\]0;pwn\\? pid 7, 64 B\$"
g "short hex dump" "^      hex  01 02 ff\$"
g "escape in a frame defused" "^      evil\\?\\[2Jframe\$"
g "frame index past the symbol table" "^      \\? \\(symbol 99 of 9\\)\$"
g "backtraces kept" "^  \\.\\.\\. 2 of 3 backtraces shown\$"

echo "# show: shmem"
g "tmpfs: used, size, use%, inodes" "^  tmpfs +2\\.0 GiB +8\\.0 GiB +25\\.0% +1234/2097152  /dev/shm\$"
g "ramfs without a size; a space in the mount point" "^  ramfs +0 B +0 B +- +0/0  /mnt/my ram disk\$"
g "statfs failure as errno text" \
	"^  tmpfs +- +- +- +-  /run/user/1000  \\(statfs: EACCES \\(permission denied\\)\\)\$"
g "no inode counts; escape in a mount point defused" \
	"^  hugetlbfs +2\\.0 MiB +4\\.0 MiB +50\\.0% +-  /huge/\\?\\[2Jx\$"
g "SysV totals" "^  3 segments, 1\\.0 GiB, 1\\.0 GiB resident\$"
# printf '%08x %o' 1381128450 384
g "segment: key in hex, perms in octal" \
	"^ +5  0x52525902 +1\\.0 GiB +1\\.0 GiB +1 +4711 +999 +600\$"
g "key -1 as 32-bit hex" "^ +7  0xffffffff +4\\.0 KiB +4\\.0 KiB +0 +100 +0 +666\$"
g "segments kept" "^  \\.\\.\\. 2 of 3 segments shown\$"

echo "# show: pressure"
g "some: hundredths as percent, 1500 us" "^  some +0\\.10% +2\\.00% +3\\.85% +1\\.5 ms\$"
g "full: 123 is 1.23%, 93784 s stalled" "^  full +1\\.23% +3\\.00% +4\\.95% +1d 2h 3m 4s\$"

echo "# show: cgroups"
v2=$(block "Memory cgroup /system.slice/db.service (v2, requested)")
check_eq "v2 cgroup: limits, events, stat keys in list order, pressure" "$v2" \
"Memory cgroup /system.slice/db.service (v2, requested)
  usage        256.0 MiB
  max          512.0 MiB (50.0% used)
  high         unlimited
  swap         1.0 MiB
  events       low=0 high=3 max=35 oom=1 oom_kill=1
  memory.stat:
    anon                   192.0 MiB
    file                    48.0 MiB
    kernel                  12.0 MiB
    slab_unreclaimable       4.0 MiB
    sock                         0 B
  memory.pressure:
              AVG10    AVG60   AVG300         TOTAL
    some      0.05%    0.01%    0.00%         2.5 s"
g "unavailable cgroup: one line, errno and detail" \
	"^Memory cgroup /gone: unavailable: ENOENT \\(no such file or directory\\) \\(sys/fs/cgroup/gone\\): no such memory cgroup\$"
v1=$(block "Memory cgroup /docker/abc (v1)")
# 99614720 / 1048576 = 95.0; 3796992 / 1048576 = 3.6
check_eq "v1 cgroup: no high, kmem, oom_control, v1 stat keys, empty pressure left out" "$v1" \
"Memory cgroup /docker/abc (v1)
  usage        100.0 MiB
  max          unlimited
  kmem usage   3.6 MiB
  oom_control  oom_kill_disable=0 under_oom=0 oom_kill=2
  memory.stat:
    rss                     95.0 MiB
    cache                    1.0 MiB
    mapped_file            512.0 KiB
    total_rss               95.0 MiB
    total_cache              1.0 MiB"

echo "# show: kernel OOM report"
g "what" "^Kernel OOM report: Memory cgroup out of memory\$"
g "printk time" "^  time +30\\.745678 s after boot\$"
g "invoker, order, oom_score_adj" "^  invoker +stress-ng-vm, order 0, oom_score_adj 1000\$"
g "gfp mask and flags" "^  gfp_mask +0x440dc0 \\(GFP_KERNEL_ACCOUNT\\|__GFP_COMP\\|__GFP_ZERO\\)\$"
g "constraint word" "^  constraint +memcg\$"
g "oom memcg" "^  oom memcg +/kubepods/pod1\$"
g "task memcg" "^  task memcg +/kubepods/pod1/c1\$"
# 10515768 kB = 10.03 GiB, 7980628 kB = 7.61 GiB
g "killed process" \
	"^  killed +116 \\(stress-ng-vm\\): total-vm 10\\.0 GiB, anon-rss 7\\.6 GiB, file-rss 564\\.0 KiB, shmem-rss 0 B, uid 0, oom_score_adj 1000\$"
g "reaper line" "^  reaped +116 \\(stress-ng-vm\\): anon-rss 0 B, file-rss 0 B, shmem-rss 0 B\$"
g "tasks seen" "^  tasks by RSS, 5 in the report:\$"
check_eq "tasks by rss, largest first" \
	"$(sed -n '/^  tasks by RSS/,/^    \.\.\./p' "$TMP/syn.show" | awk '$1 ~ /^[0-9]+$/ { print $1 }' | paste -sd' ')" \
	"116 114 111"
# 4676 pages * 4096 = 18.3 MiB; 96, 452, 4128 pages = 384 KiB, 1.8 MiB, 16.1 MiB
g "task row: pages as bytes" \
	"^ +114 +1000 +18\\.3 MiB +384\\.0 KiB +1\\.8 MiB +16\\.1 MiB +0 B -1000  stress-ng\$"
# 289 pages = 1156 KiB; 3 swap entries = 12 KiB
g "old task row: no rss split" "^ +111 +0 +1\\.1 MiB +- +- +- +12\\.0 KiB +0  sh\$"
g "tasks kept" "^    \\.\\.\\. 3 of 5 tasks shown\$"
check_eq "unreclaimable slab, largest first" \
	"$(sed -n '/^  unreclaimable slab/,/^  Mem-Info/p' "$TMP/syn.show" | sed '1,2d;$d' | tr -s ' ' | paste -sd'|')" \
	" kmalloc-1k 43.9 MiB 43.9 MiB| filp 11.5 MiB 11.5 MiB| 9p-fcall-cache 297.0 KiB 445.0 KiB"
# pages * 4096: 1999425 = 7.6 GiB, 5771 = 22.5 MiB, 4157 = 16.2 MiB, 1097 = 4.3 MiB
check_eq "Mem-Info in bytes, largest first" \
	"$(sed -n '/^  Mem-Info/,/^  memory cgroup/p' "$TMP/syn.show" | sed '1d;$d' | tr -s ' ' | paste -sd'|')" \
	" active_anon 7.6 GiB| slab_unreclaimable 22.5 MiB| shmem 16.2 MiB| free 4.3 MiB| free_cma 0 B"
g "memcg usage" "^    memory\\.usage +512\\.0 MiB\$"
g "memcg limit PAGE_COUNTER_MAX is unlimited" "^    memory\\+swap\\.limit +unlimited\$"
check "no colour with --color=never" bash -c "! grep -q $'\\e' '$TMP/syn.show'"
"$K" show --color=always "$TMP/syn.kms" >"$TMP/syn.color"
check_grep "--color=always: the killed process in red" "$TMP/syn.color" \
	$'^  \e\\[31mkilled      \e\\[0m 116 '
# Rows of sections this snapshot lacks are left out, so a section added to
# the schema does not change the expected file.
check "the text is the expected file" diff -u \
	<(grep -Ev '^  [a-z_]+ +absent *$' "$CLI_DATA/synthetic.show") \
	<(grep -Ev '^  [a-z_]+ +absent *$' "$TMP/syn.show")

echo "# show --top"
"$K" show --top 1 "$TMP/syn.kms" >"$TMP/top1"
check_grep "--top 1: caches" "$TMP/top1" "^  \\.\\.\\. 1 of 5 caches shown\$"
check_grep "--top 1: callers" "$TMP/top1" "^  \\.\\.\\. 1 of 40 callers shown\$"
check_grep "--top 1: processes" "$TMP/top1" "^  \\.\\.\\. 1 of 120 processes shown\$"
check_eq "--top 1: one cache row" "$(grep -c '^  kmalloc-512 \|^  task_struct ' "$TMP/top1")" 0
t1() { check_grep "--top 1: $1" "$TMP/top1" "$2"; }
t1 "kmemleak backtraces" "^  \\.\\.\\. 1 of 3 backtraces shown\$"
t1 "mounts" "^  \\.\\.\\. 1 of 4 mounts shown\$"
t1 "SysV segments" "^  \\.\\.\\. 1 of 3 segments shown\$"
t1 "cgroups" "^  \\.\\.\\. 1 of 3 cgroups shown\$"
t1 "OOM tasks" "^    \\.\\.\\. 1 of 5 tasks shown\$"
t1 "OOM unreclaimable slab" "^    \\.\\.\\. 1 of 3 caches shown\$"
t1 "Mem-Info" "^    \\.\\.\\. 1 of 5 counters shown\$"
t1 "memcg usage" "^    \\.\\.\\. 1 of 3 figures shown\$"
check_eq "--top 1: the second cgroup is not shown" "$(grep -c '^Memory cgroup /gone' "$TMP/top1")" 0
"$K" show --top 0 "$TMP/syn.kms" >"$TMP/top0"
check_grep "--top 0: every kept row" "$TMP/top0" "^  task_struct "

echo "# sections that could not be read"
mkdir "$TMP/emptyroot"
"$K" capture --root "$TMP/emptyroot" -o "$TMP/empty.kms"
"$K" show "$TMP/empty.kms" >"$TMP/empty.show"
check_grep "an unavailable section is a one-line note" "$TMP/empty.show" \
	"^Memory: unavailable: ENOENT \\(no such file or directory\\) \\(proc/meminfo\\)\$"
check "... without its table" bash -c "! grep -q '^  MemTotal' '$TMP/empty.show'"
check_grep "... with the status detail when set" "$TMP/empty.show" \
	"^Pressure: unavailable: ENOENT \\(no such file or directory\\) \\(proc/pressure/memory\\): kernel without PSI \\(CONFIG_PSI\\)\$"
check_grep "... for each part of shmem" "$TMP/empty.show" \
	"^SysV shared memory: unavailable: ENOENT \\(no such file or directory\\) \\(proc/sysvipc/shm\\)\$"

echo "# a snapshot with a header only"
echo 'header { hostname: "bare" }' |
	protoc --encode=kmemsnap.v1.Snapshot -I "$proto_dir" "$proto_dir/kmemsnap.proto" >"$TMP/bare.pb"
make_blob "$TMP/bare.pb" "$TMP/bare.kms"
"$K" show --color=never "$TMP/bare.kms" >"$TMP/bare.show"
check_grep "status: a section the snapshot lacks" "$TMP/bare.show" "^  shmem +absent\$"
check_eq "no section printed beyond the status table" \
	"$(sed -n '/^Sections/,$p' "$TMP/bare.show" | grep -vc '^  [a-z_]* \+absent$')" 2
check_eq "JSON: an absent section is omitted" \
	"$("$K" show --json "$TMP/bare.kms" | jq -c 'has("shmem")')" false

finish
