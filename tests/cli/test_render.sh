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
check_eq "an absent section is omitted" "$(j 'has("shmem")')" false
check_eq "an empty section is {}" "$(j .pressure)" '{}'
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
g "status: errno name and text, detail" \
	"^  kmemleak +unavailable .* sys/kernel/debug/kmemleak  EACCES \\(permission denied\\)  \\(debugfs not mounted\\)\$"
g "status: a section the snapshot lacks" "^  shmem +absent"
g "status: a section without a status" "^  pressure +- +- +- +- +-\$"
g "status: a repeated section, first" "^  cgroups\\[0\\] +ok +7\\.0 us +- +- +-\$"
g "status: a repeated section, second" \
	"^  cgroups\\[1\\] +unavailable .* sys/fs/cgroup/gone  ENOENT \\(no such file or directory\\)\$"
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
g "process row" "^ +4242 java \"big\"\\\\x +900 +100 +2\\.0 GiB +1\\.9 GiB +94\\.9 MiB +0 B +1\\.0 MiB\$"
g "process: unset fields are -, bad UTF-8 and control characters are ?" \
	"^ +1 café\\?\\? +0 -1000 +11\\.7 MiB +- +- +- +-\$"
g "process totals" "^ +total +4\\.0 GiB +3\\.0 GiB +976\\.6 MiB +47\\.4 MiB +2\\.0 MiB\$"
check "no colour with --color=never" bash -c "! grep -q $'\\e' '$TMP/syn.show'"
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
"$K" show --top 0 "$TMP/syn.kms" >"$TMP/top0"
check_grep "--top 0: every kept row" "$TMP/top0" "^  task_struct "

echo "# sections that could not be read"
mkdir "$TMP/emptyroot"
"$K" capture --root "$TMP/emptyroot" -o "$TMP/empty.kms"
"$K" show "$TMP/empty.kms" >"$TMP/empty.show"
check_grep "an unavailable section is a one-line note" "$TMP/empty.show" \
	"^Memory: unavailable: ENOENT \\(no such file or directory\\) \\(proc/meminfo\\)\$"
check "... without its table" bash -c "! grep -q '^  MemTotal' '$TMP/empty.show'"

finish
