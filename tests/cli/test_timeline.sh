#!/usr/bin/env bash
# kmemsnap timeline: snapshots ordered by boot and uptime whatever their
# names, the explain figures per snapshot, and the growth ranking: the cache
# that leaks and restarts after each reboot comes first, the larger cache
# that goes up and down and the one that fills once are not listed.
# The series (3 boots of 10 hourly snapshots) is described in data/series.sh.
source "$(dirname "$0")/data/common.sh"
source "$(dirname "$0")/data/series.sh"
need jq getconf

page=$(getconf PAGESIZE)
make_series "$TMP/s"

run "$TMP/json" "$TMP/err" "$KMEMSNAP" timeline --json "$TMP/s"
check_eq "timeline --json exits 0" "$rc" 0
check_eq "30 snapshots" "$(jq '.snapshots | length' "$TMP/json")" 30
check_eq "3 boots of 10" "$(jq -c '[.boots[].snapshots]' "$TMP/json")" "[10,10,10]"
check_eq "boots ordered by start (realtime - uptime), not by name" \
	"$(jq -r '[.boots[].bootId[0:7]] | join(" ")' "$TMP/json")" "series0 series1 series2"
check_eq "boot 1 starts 100 h after boot 0 (within a second)" \
	"$(jq '((.boots[1].startRealtimeNs | tonumber) - (.boots[0].startRealtimeNs | tonumber)) / 1e9 - 360000 | fabs < 1' "$TMP/json")" true
check_eq "snapshots by uptime within a boot" \
	"$(jq -c '[.snapshots[0:3][].uptimeMs]' "$TMP/json")" '["720000000","723600000","727200000"]'
check_eq "each snapshot names its boot" "$(jq -c '[.snapshots[] | .boot // 0] | unique' "$TMP/json")" "[0,1,2]"
check_eq "first of a boot is the baseline" \
	"$(jq -r '[.snapshots[] | select(.trigger == "TRIGGER_BASELINE")] | length' "$TMP/json")" 3
# The newest snapshot (step 9): SUnreclaim 300000 + 9000, VmallocUsed
# 20000 + 612, and the remainder 8000000 - (3910000 free + 1000000 anon
# + 1450000 page cache + 100000 shmem + 150000 + 309000 slab + 20612
# vmalloc + 35000 stacks, page tables, per-cpu) = 1025388.
last='.snapshots[29]'
check_eq "slab unreclaimable of the newest" "$(jq -r "$last.slabUnreclaimableKb" "$TMP/json")" 309000
check_eq "vmalloc of the newest" "$(jq -r "$last.vmallocKb" "$TMP/json")" 20612
check_eq "unaccounted of the newest (explain's remainder)" "$(jq -r "$last.unaccountedKb" "$TMP/json")" 1025388
check_eq "MemAvailable of the newest" "$(jq -r "$last.memAvailableKb" "$TMP/json")" 4910000
check_eq "page cache excludes shmem" "$(jq -r "$last.pageCacheKb" "$TMP/json")" 1450000

# The leak: 250 slabs of one page an hour, back to 50 slabs after each of
# the two reboots; a perfect line, so every steadiness figure is 1.
lead='.growing[0]'
check_eq "leak_cache ranked first" "$(jq -r "$lead.name" "$TMP/json")" leak_cache
check_eq "its kind" "$(jq -r "$lead.kind" "$TMP/json")" TIMELINE_SERIES_KIND_SLAB_CACHE
check_eq "its rate (250 pages an hour)" "$(jq -r "$lead.bytesPerHour" "$TMP/json")" $((250 * page))
check_eq "its consistency" "$(jq "$lead.consistency > 0.999" "$TMP/json")" true
check_eq "restarts after both reboots" "$(jq -r "$lead.restarts" "$TMP/json")" 2
check_eq "fitted in each boot" "$(jq -c "[$lead.fits[].points]" "$TMP/json")" "[10,10,10]"
check_eq "boots 1 and 2 restarted" "$(jq -c "[$lead.fits[].restarted]" "$TMP/json")" "[false,true,true]"
check_eq "first and last of a boot" "$(jq -c "[$lead.fits[0].firstBytes, $lead.fits[0].lastBytes]" "$TMP/json")" \
	"[\"$((50 * page))\",\"$((2300 * page))\"]"
check_eq "score = rate x consistency x 3" "$(jq -r "$lead.score" "$TMP/json")" $((3 * 250 * page))
check_eq "the noisy cache is not listed" \
	"$(jq '[.growing[] | select(.name == "noisy_cache")] | length' "$TMP/json")" 0
check_eq "the cache that fills once is not listed" \
	"$(jq '[.growing[] | select(.name == "filler_cache")] | length' "$TMP/json")" 0
check_eq "the constant cache is not listed" \
	"$(jq '[.growing[] | select(.name == "steady_cache")] | length' "$TMP/json")" 0
# 16 pages + a guard page per area, one more area an hour.
vm='.growing[] | select(.kind == "TIMELINE_SERIES_KIND_VMALLOC_CALLER")'
check_eq "the growing vmalloc caller" "$(jq -r "$vm | .name" "$TMP/json")" \
	"leaky_vm_alloc+0x10/0x40 [leakmod]"
check_eq "its rate" "$(jq -r "$vm | .bytesPerHour" "$TMP/json")" 69632
check_eq "its flags (vmalloc)" "$(jq -r "$vm | .vmallocFlags" "$TMP/json")" 1
check_eq "ranked below the slab leaks" "$(jq -r "$vm | .rank" "$TMP/json")" 3
kl='.growing[] | select(.kind == "TIMELINE_SERIES_KIND_KMEMLEAK_BACKTRACE")'
check_eq "the kmemleak backtrace, keyed by its frames" "$(jq -r "$kl | .name" "$TMP/json")" \
	"__kmalloc_noprof+0x1c/0xb0 < leak_alloc+0x31/0x90 [leakmod]"
check_eq "its rate (one 1024-byte object an hour)" "$(jq -r "$kl | .bytesPerHour" "$TMP/json")" 1024
check_eq "series seen" "$(jq -r .seriesTotal "$TMP/json")" 8

run "$TMP/top" "$TMP/err" "$KMEMSNAP" timeline --json --top 1 "$TMP/s"
check_eq "--top 1" "$(jq '.growing | length' "$TMP/top")" 1
run "$TMP/rate" "$TMP/err" "$KMEMSNAP" timeline --json --min-rate 70K "$TMP/s"
check_eq "--min-rate 70K keeps the two slab leaks (81920 and up), not the vmalloc one (69632)" \
	"$(jq -c '[.growing[].name]' "$TMP/rate")" '["leak_cache","<img/src=x>"]'
check_eq "--min-rate recorded" "$(jq -r .minRateBytesPerHour "$TMP/rate")" 71680

# The human table.
run "$TMP/txt" "$TMP/err" "$KMEMSNAP" timeline --color=never "$TMP/s"
check_eq "timeline exits 0" "$rc" 0
check_eq "a rule per boot" "$(grep -c '^-- boot .* id series[0-2]-  series-host  (10 snapshots) -' "$TMP/txt")" 3
check_grep "uptime and trigger columns" "$TMP/txt" "^[-0-9]+ [0-9:]+ +8d08h  baseline "
check_grep "leak ranked first, restarting" "$TMP/txt" "^  1  slab +1000\.0 KiB +1\.00 +2 of 2 +9\.0 MiB  leak_cache$"
check "noisy cache not ranked" bash -c "! grep -q noisy_cache '$TMP/txt'"

# FILES in any order give the same result; a bad file is reported, skipped
# and makes the exit status 1.
printf 'not a snapshot' >"$TMP/s/garbage.kms"
run "$TMP/bad.json" "$TMP/err" "$KMEMSNAP" timeline --json "$TMP/s"
check_eq "a bad file: exit 1" "$rc" 1
check_grep "a bad file is named" "$TMP/err" "^kmemsnap: .*/garbage\.kms: "
check_eq "skipped in the JSON" "$(jq -r '.skipped[0].file' "$TMP/bad.json" | sed 's|.*/||')" garbage.kms
check_eq "the rest still read" "$(jq '.snapshots | length' "$TMP/bad.json")" 30
rm "$TMP/s/garbage.kms"
mapfile -t files < <(ls "$TMP"/s/*.kms | sort -r)
run "$TMP/files.json" "$TMP/err" "$KMEMSNAP" timeline --json "${files[@]}"
check_eq "FILES in reverse: same ranking" \
	"$(jq -c '[.growing[] | [.name, .bytesPerHour, .restarts]]' "$TMP/files.json")" \
	"$(jq -c '[.growing[] | [.name, .bytesPerHour, .restarts]]' "$TMP/json")"

# Speed: 210 snapshots (copies) in well under a second; 1000 take about
# 30 ms on a laptop, so 5 ms a snapshot leaves room for slow CI machines
# and sanitizer builds. CPU time, not wall time: the suite runs tests in
# parallel on a shared machine, and waiting for a core is not our cost.
mkdir "$TMP/many"
for c in 1 2 3 4 5 6 7; do
	for f in "$TMP"/s/*.kms; do cp "$f" "$TMP/many/c${c}_${f##*/}"; done
done
cpu=$( { TIMEFORMAT='%3U %3S'; time "$KMEMSNAP" timeline --json "$TMP/many" >"$TMP/many.json" 2>"$TMP/err"; } 2>&1 )
ms=$(awk '{ printf "%d", ($1 + $2) * 1000 }' <<<"$cpu")
check_eq "210 snapshots read" "$(jq '.snapshots | length' "$TMP/many.json")" 210
check "210 snapshots in under 1050 ms of CPU (took $ms ms)" test "$ms" -lt 1050

# Usage.
run "$TMP/out" "$TMP/err" "$KMEMSNAP" timeline
check_eq "no DIR is a usage error" "$rc" 2
run "$TMP/out" "$TMP/err" "$KMEMSNAP" timeline --min-rate 1X "$TMP/s"
check_eq "a bad --min-rate is a usage error" "$rc" 2
mkdir "$TMP/empty"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" timeline "$TMP/empty"
check_eq "no snapshot: exit 1" "$rc" 1
run "$TMP/out" "$TMP/err" "$KMEMSNAP" timeline --help
check_grep "--help lists --min-rate" "$TMP/out" "--min-rate BYTES"

finish
