#!/usr/bin/env bash
# kmemsnap explain: the accounting adds up to MemTotal, the rules fire on a
# leaking machine and not on a fresh one, and a baseline ranks growth.
#
# Trees: explain-boot is the machine just after boot, explain-leak the same
# machine later, with kmalloc-512 grown to 1,100,000 slabs (4,400,000 kB),
# shmem at 1.8 GB and 4 GB no counter accounts for.
source "$(dirname "$0")/data/common.sh"
need jq

leak="$TMP/leak.kms"
boot="$TMP/boot.kms"
"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/explain-leak" -o "$leak"
"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/explain-boot" -o "$boot"

run "$TMP/json" "$TMP/err" "$KMEMSNAP" explain --json "$leak"
check_eq "explain --json exits 0" "$rc" 0
check_eq "memTotalKb" "$(jq -r .memTotalKb "$TMP/json")" 16000000
# Every line together is MemTotal, by construction of the remainder.
check_eq "lines add up to MemTotal" \
	"$(jq '[.lines[].kb | tonumber] | add' "$TMP/json")" 16000000
# 16000000 - (1000000 free + 3000000 anon + 400000 page cache
# (2100000 + 100000 - 1800000) + 1800000 shmem + 400000 + 4900000 slab
# + 200000 vmalloc + 50000 stacks + 60000 page tables + 20000 percpu
# + 0 hugetlb + 100000 other reclaimable + 0 zswap) = 4070000
check_eq "unaccounted remainder" \
	"$(jq -r '.lines[] | select(.category == "unaccounted") | .kb' "$TMP/json")" 4070000
check_eq "page cache excludes shmem" \
	"$(jq -r '.lines[] | select(.category == "page_cache") | .kb' "$TMP/json")" 400000
check_eq "largest unreclaimable cache" \
	"$(jq -r '.lines[] | select(.category == "slab_unreclaimable") | .top[0].name' "$TMP/json")" kmalloc-512
check_eq "its footprint (1100000 slabs * 4 KiB)" \
	"$(jq -r '.lines[] | select(.category == "slab_unreclaimable") | .top[0].kb' "$TMP/json")" 4400000
check_eq "dentry counts as reclaimable" \
	"$(jq -r '.lines[] | select(.category == "slab_reclaimable") | .top[0].name' "$TMP/json")" dentry
for id in available_low slab_unreclaimable_high slab_cache_dominant shmem_high unaccounted_high; do
	check_eq "finding $id" "$(jq -r --arg id $id '[.findings[] | select(.id == $id)] | length' "$TMP/json")" 1
done
check_eq "most severe first" "$(jq -r '.findings[0].id' "$TMP/json")" available_low
check_eq "the value that triggered it (7.5 % available)" \
	"$(jq -r '.findings[] | select(.id == "available_low") | .value' "$TMP/json")" 7.5

# The fresh machine: nothing stands out.
run "$TMP/boot.json" "$TMP/err" "$KMEMSNAP" explain --json "$boot"
check_eq "boot: no findings" "$(jq '.findings | length' "$TMP/boot.json")" 0
run "$TMP/boot.txt" "$TMP/err" "$KMEMSNAP" explain --color=never "$boot"
check_grep "boot: says nothing stands out" "$TMP/boot.txt" "nothing stands out"

# Against the baseline: deltas and growth ranked.
run "$TMP/diff.json" "$TMP/err" "$KMEMSNAP" explain --json --baseline "$boot" "$leak"
check_eq "explain --baseline exits 0" "$rc" 0
check_eq "unreclaimable slab delta (4900000 - 400000)" \
	"$(jq -r '.lines[] | select(.category == "slab_unreclaimable") | .deltaKb' "$TMP/diff.json")" 4500000
check_eq "kmalloc-512 delta (4400000 - 40000)" \
	"$(jq -r '.lines[] | select(.category == "slab_unreclaimable") | .top[] | select(.name == "kmalloc-512") | .deltaKb' "$TMP/diff.json")" 4360000
check_eq "growth finding names kmalloc-512" \
	"$(jq -r '[.findings[] | select(.id == "item_grew") | .text] | map(select(test("kmalloc-512"))) | length' "$TMP/diff.json")" 1
check_eq "largest growth ranked first among warnings" \
	"$(jq -r '[.findings[] | select(.severity == 2)][0].growthKb' "$TMP/diff.json")" 4500000
check_eq "baseline named" "$(jq -r .baselineFile "$TMP/diff.json")" "$boot"

run "$TMP/diff.txt" "$TMP/err" "$KMEMSNAP" explain --color=never --baseline "$boot" "$leak"
check_grep "human table has the remainder" "$TMP/diff.txt" "^unaccounted \(raw page allocations\) +3\.9 GiB"
check_grep "human table shows the change" "$TMP/diff.txt" "^slab, unreclaimable .*\+ *4\.3 GiB"
check_grep "human table ends with MemTotal" "$TMP/diff.txt" "^MemTotal +15\.3 GiB"
check_grep "findings listed" "$TMP/diff.txt" "critical +only 7\.5% of memory is available"

# kmemleak suspects become a finding naming the top frame of the largest group.
"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/kmemleak-many" -o "$TMP/leak2.kms"
run "$TMP/kl.json" "$TMP/err" "$KMEMSNAP" explain --json "$TMP/leak2.kms"
check_eq "kmemleak finding" \
	"$(jq -r '[.findings[] | select(.id == "kmemleak_suspects")] | length' "$TMP/kl.json")" 1
check_eq "its value is the object count" \
	"$(jq -r '.findings[] | select(.id == "kmemleak_suspects") | .value' "$TMP/kl.json")" \
	"$("$KMEMSNAP" show --json "$TMP/leak2.kms" | jq -r .kmemleak.objectsTotal)"

# This machine, and bad input.
"$KMEMSNAP" capture -o "$TMP/live.kms"
run "$TMP/live.json" "$TMP/err" "$KMEMSNAP" explain --json "$TMP/live.kms"
check_eq "live: exits 0" "$rc" 0
check_eq "live: lines add up to MemTotal" \
	"$(jq -r '[.lines[].kb | tonumber] | add | tostring' "$TMP/live.json")" \
	"$(jq -r .memTotalKb "$TMP/live.json")"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" explain "$TMP/missing.kms"
check_eq "missing file exits 1" "$rc" 1
check_grep "missing file named" "$TMP/err" "^kmemsnap: .*missing\.kms: "
"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/sysfs-slab" -o "$TMP/x.kms"
mkdir -p "$TMP/empty"
"$KMEMSNAP" capture --root "$TMP/empty" -o "$TMP/nomem.kms"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" explain "$TMP/nomem.kms"
check_eq "no meminfo exits 1" "$rc" 1
check_grep "says why" "$TMP/err" "no MemTotal"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" explain
check_eq "no FILE is a usage error" "$rc" 2
run "$TMP/out" "$TMP/err" "$KMEMSNAP" explain --help
check_grep "--help lists --baseline" "$TMP/out" "--baseline FILE"

finish
