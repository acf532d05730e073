#!/usr/bin/env bash
# kmemsnap collect-boot on the pstore fixtures (tests/fixtures/pstore):
#
#   ramoops/       sys/fs/pstore: dmesg-ramoops-0 (Panic#1 Part1: stress-ng-vm
#                  116 killed, then stress-ng-shm finds no killable task and
#                  the kernel panics "System is deadlocked on memory"),
#                  console-ramoops-0; this boot is 5b1e0c9d-...
#   efi-archived/  var/lib/systemd/pstore/171234567/: two EFI dmesg parts
#                  and systemd-pstore's dmesg.txt (a panic_on_oom panic)
#
# The pmsg record is made here: the cut end of one blob and two whole ones,
# captured from trees/modern (boot 0f6a3c52-...) with trigger oom and the
# kill report of samples/oom_report/1.txt, as the watcher mirrors them.
source "$(dirname "$0")/data/common.sh"
need jq

fx=$KMEMSNAP_FIXTURES/pstore
prev_boot=0f6a3c52-8d7e-4c8b-9a51-2f0e8b1c7d10
ecc=$'\nECC: No errors detected\n'

for i in 1 2 3; do
	"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/modern" \
		--trigger oom --kmsg-file "$KMEMSNAP_FIXTURES/samples/oom_report/1.txt" \
		-o "$TMP/b$i.kms" || { echo "FAIL capture"; exit 1; }
done

# root DIR: a copy of the ramoops tree with the pmsg record.
make_root() {
	cp -r "$fx/ramoops" "$1"
	{
		tail -c 700 "$TMP/b1.kms"
		cat "$TMP/b2.kms" "$TMP/b3.kms"
		printf '%s' "$ecc"
	} >"$1/sys/fs/pstore/pmsg-ramoops-0"
}

make_root "$TMP/root"
store=$TMP/store

# --- filing ---------------------------------------------------------------------

run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$store" --root "$TMP/root"
check_eq "collect-boot exits 0" "$rc" 0
check_eq "no errors" "$(cat "$TMP/err")" ""
check_grep "three records" "$TMP/out" "^pstore records: 3 in $TMP/root/sys/fs/pstore, 0 archived"
check_grep "pmsg record: two whole snapshots" "$TMP/out" "^  pmsg-ramoops-0 +pmsg +.* 2 mirrored snapshots$"
check_grep "dmesg record read for the report" "$TMP/out" "^  dmesg-ramoops-0 +dmesg +10\.1 KiB  read for an OOM report$"
check_grep "two filed" "$TMP/out" "^mirrored snapshots: 2 filed, 0 already in the store, 0 damaged$"
check_grep "the last report: no victim" "$TMP/out" "^OOM report: stress-ng-shm invoked the OOM killer; no victim$"
check_grep "previous boot from a mirrored snapshot" "$TMP/out" "^previous boot: $prev_boot \(from the mirrored snapshot\)$"

oom_files=$(cd "$store" && ls -- *_oom.kms)
collect=$(cd "$store" && ls -- *_boot-collect.kms)
check_eq "two oom snapshots of the previous boot" \
	"$(echo "$oom_files" | sed -E 's/^[0-9]{8}T[0-9]{6}\.[0-9]{6}Z_//')" \
	"0f6a3c52_oom.kms
0f6a3c52_oom.kms"
check_eq "one boot-collect snapshot of this boot" \
	"$(echo "$collect" | sed -E 's/^[0-9]{8}T[0-9]{6}\.[0-9]{6}Z_//')" \
	"5b1e0c9d_boot-collect.kms"
check_eq "three files in the store" "$(ls "$store" | wc -l)" 3
check_grep "stored: names it" "$TMP/out" "^stored: $store/$collect$"

# Each whole blob is filed byte for byte under the name its header gives.
for i in 2 3; do
	found=
	for f in $oom_files; do
		cmp -s "$TMP/b$i.kms" "$store/$f" && found=$f
	done
	check "blob $i filed byte for byte" test -n "$found"
	ns=$("$KMEMSNAP" show --json "$TMP/b$i.kms" | jq -r .header.realtimeNs)
	want=$(date -u -d "@$((ns / 1000000000))" +%Y%m%dT%H%M%S).$(printf %06d $((ns % 1000000000 / 1000)))Z_0f6a3c52_oom.kms
	check_eq "blob $i named by its header's time" "$found" "$want"
done
check "the cut blob is not filed" bash -c "! cmp -s '$TMP/b1.kms' '$store/$(echo $oom_files | cut -d' ' -f1)'"

# ls: the previous boot's oom snapshots, then this boot's collect.
run "$TMP/ls" "$TMP/err" "$KMEMSNAP" ls --json "$store"
check_eq "ls: oom snapshots in boot -1" \
	"$(jq -r '[.entries[] | select(.trigger == "TRIGGER_OOM") | "\(.boot) \(.bootId)"] | join(",")' "$TMP/ls")" \
	"-1 $prev_boot,-1 $prev_boot"
check_eq "ls: boot-collect in the current boot" \
	"$(jq -r '.entries[] | select(.trigger == "TRIGGER_BOOT_COLLECT") | .boot' "$TMP/ls")" 0

# A filed blob carries the mirrored report with its victim.
run "$TMP/show" "$TMP/err" "$KMEMSNAP" show --color=never "$store/$(echo $oom_files | cut -d' ' -f1)"
check_grep "mirrored snapshot: its victim" "$TMP/show" "^  killed +116 \(stress-ng-vm\): total-vm 10\.0 GiB"

# --- the boot-collect snapshot --------------------------------------------------

run "$TMP/show" "$TMP/err" "$KMEMSNAP" show --color=never "$store/$collect"
check_eq "show exits 0" "$rc" 0
check_grep "trigger and detail" "$TMP/show" "^  trigger +boot-collect: pstore: 3 records, 2 mirrored snapshots$"
check_grep "pstore section ok" "$TMP/show" "^  pstore +ok "
check_grep "names the previous boot" "$TMP/show" "^Pstore: what the previous boot left, boot $prev_boot$"
check_grep "pmsg row: 2 snapshots" "$TMP/show" "^  pmsg-ramoops-0 +pmsg .* 2$"
check_grep "dmesg row" "$TMP/show" "^  dmesg-ramoops-0 +dmesg +10\.1 KiB "
check_grep "dmesg tail: the panic's last line" "$TMP/show" "^    <0>\[   31\.204896\] Kernel Offset: 0x2a000000"
check_eq "dmesg tail: 20 lines" "$(grep -c '^    <[0-7]>\[' "$TMP/show")" 20
check_grep "the parsed report: its invoker" "$TMP/show" "^  invoker +stress-ng-shm, order 0, oom_score_adj -1000$"
check_grep "the parsed report: the task holding shmem" "$TMP/show" "^ +115 +0 +7\.6 GiB .* -1000  stress-ng-shm$"
run "$TMP/all" "$TMP/err" "$KMEMSNAP" show --color=never --top 0 "$store/$collect"
check_grep "--top 0: the whole dmesg text" "$TMP/all" "^    <3>\[   30\.745847\] Out of memory: Killed process 116 \(stress-ng-vm\)"

run "$TMP/json" "$TMP/err" "$KMEMSNAP" show --json "$store/$collect"
check_eq "show --json: previous boot" "$(jq -r .pstore.previousBootId "$TMP/json")" "$prev_boot"
check_eq "show --json: records" \
	"$(jq -r '[.pstore.records[] | "\(.name) \(.kind) \(.kmemsnapBlobs // 0)"] | sort | join(",")' "$TMP/json")" \
	"console-ramoops-0 PSTORE_KIND_CONSOLE 0,dmesg-ramoops-0 PSTORE_KIND_DMESG 0,pmsg-ramoops-0 PSTORE_KIND_PMSG 2"
check_eq "show --json: dmesg text kept whole" \
	"$(jq -r '.pstore.records[] | select(.name == "dmesg-ramoops-0") | .text' "$TMP/json" | base64 -d | cmp - "$fx/ramoops/sys/fs/pstore/dmesg-ramoops-0" && echo same)" same

# --- a second run, --json ---------------------------------------------------------

# ramoops does not clear the pmsg zone: blobs an earlier run filed may be
# older than the previous boot, which here left only a timer snapshot (el7,
# boot 3c1d5b6e-...). The store rule names it, not the blobs.
"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/el7" --store "$store" --trigger timer
run "$TMP/json" "$TMP/err" "$KMEMSNAP" collect-boot --json --store "$store" --root "$TMP/root"
check_eq "second run exits 0" "$rc" 0
check_eq "--json parses: blobs already stored" \
	"$(jq -r '[.blobs[] | "\(.record) \(.alreadyStored) \(.bootId) \(.trigger)"] | join(",")' "$TMP/json")" \
	"pmsg-ramoops-0 true $prev_boot TRIGGER_OOM,pmsg-ramoops-0 true $prev_boot TRIGGER_OOM"
check_eq "--json: report; previous boot from the store, not from blobs filed before" \
	"$(jq -r '"\(.oomReport) \(.previousBootId) \(.previousBootSource)"' "$TMP/json")" \
	"true 3c1d5b6e-0f9a-4e21-b7c3-5d4e3f2a1b0c store"
check_eq "--json: the stored snapshot exists" "$(test -f "$store/$(jq -r .stored "$TMP/json")" && echo yes)" yes
check_eq "no duplicate oom snapshots" "$(ls "$store" | grep -c _oom)" 2

# --- a damaged mirror -------------------------------------------------------------

make_root "$TMP/damaged"
# The middle of blob 2's data frame: its checksum no longer matches.
flip_byte "$TMP/damaged/sys/fs/pstore/pmsg-ramoops-0" $((700 + 200))
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$TMP/store-d" --root "$TMP/damaged"
check_eq "a damaged blob does not fail the run" "$rc" 0
check_grep "it is named with the record" "$TMP/err" "^kmemsnap: $TMP/damaged/sys/fs/pstore/pmsg-ramoops-0: snapshot at byte 700: corrupted: .*; not filed$"
check_grep "one filed, one damaged" "$TMP/out" "^mirrored snapshots: 1 filed, 0 already in the store, 1 damaged$"

# --- the previous boot from the store ---------------------------------------------

cp -r "$fx/ramoops" "$TMP/nopmsg"
"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/el7" --store "$TMP/store-b" --trigger timer
"$KMEMSNAP" capture --root "$TMP/nopmsg" --store "$TMP/store-b" --trigger baseline
run "$TMP/json" "$TMP/err" "$KMEMSNAP" collect-boot --json --store "$TMP/store-b" --root "$TMP/nopmsg"
check_eq "no mirror: the store's newest snapshot of another boot" \
	"$(jq -r '"\(.previousBootId) \(.previousBootSource) \(.blobs | length)"' "$TMP/json")" \
	"3c1d5b6e-0f9a-4e21-b7c3-5d4e3f2a1b0c store 0"
run "$TMP/json" "$TMP/err" "$KMEMSNAP" collect-boot --json --store "$TMP/store-c" --root "$TMP/nopmsg"
check_eq "an empty store: unknown" "$(jq -r '.previousBootId // "unknown"' "$TMP/json")" unknown

# --- --remove ----------------------------------------------------------------------

make_root "$TMP/rm"
cp -r "$fx/efi-archived/var" "$TMP/rm/"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --remove --store "$TMP/store-r" --root "$TMP/rm"
check_eq "--remove exits 0" "$rc" 0
check_grep "removed the three records" "$TMP/out" "^removed: 3 files from $TMP/rm/sys/fs/pstore$"
check_eq "pstore is empty" "$(ls -A "$TMP/rm/sys/fs/pstore")" ""
check_eq "the archive is kept" "$(cd "$TMP/rm/var/lib/systemd/pstore" && ls -A 171234567)" \
	"dmesg-efi_pstore-171234567801001
dmesg-efi_pstore-171234567802001
dmesg.txt"
check_grep "archived dmesg.txt read, not its parts" "$TMP/out" "^  171234567/dmesg\.txt +dmesg +1\.8 KiB  read for an OOM report$"
check_grep "archived parts listed" "$TMP/out" "^  171234567/dmesg-efi_pstore-171234567801001 +dmesg +899 B$"
rjson=$("$KMEMSNAP" show --json "$TMP/store-r/"*_boot-collect.kms)
check_eq "the stored snapshot holds all six records" "$(echo "$rjson" | jq '.pstore.records | length')" 6

# --- nothing, or no pstore --------------------------------------------------------

mkdir -p "$TMP/empty/sys/fs/pstore"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$TMP/store-e" --root "$TMP/empty"
check_eq "empty pstore exits 0" "$rc" 0
check_eq "empty pstore says so" "$(cat "$TMP/out")" "nothing in pstore"
check "and stores nothing" test ! -e "$TMP/store-e"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$TMP/store-e" --root "$KMEMSNAP_FIXTURES/trees/modern"
check_eq "no pstore mount" "$(cat "$TMP/out")" "nothing in pstore (it is not mounted)"
run "$TMP/json" "$TMP/err" "$KMEMSNAP" collect-boot --json --store "$TMP/store-e" --root "$TMP/empty"
check_eq "--json: nothing" "$(jq -r .nothing "$TMP/json")" true
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --always --store "$TMP/store-e" --root "$TMP/empty"
check_eq "--always stores a snapshot" "$(ls "$TMP/store-e" | sed -E 's/^.*Z_//')" "noboot00_boot-collect.kms"

# Archived files older than this boot (btime of proc/stat) were collected
# by an earlier boot.
cp -r "$fx/efi-archived" "$TMP/old"
touch -d '2024-04-05 12:00' "$TMP/old/var/lib/systemd/pstore/171234567/"*
mkdir -p "$TMP/old/sys/fs/pstore"
echo "btime $(date -d '2024-04-06' +%s)" >"$TMP/old/proc/stat"
run "$TMP/json" "$TMP/err" "$KMEMSNAP" collect-boot --json --store "$TMP/store-o" --root "$TMP/old"
check_eq "older archive files: nothing" "$(jq -r '"\(.nothing) \(.archivedOlder)"' "$TMP/json")" "true 3"

# With pstore records, the boot-collect snapshot leaves them out too.
cp -r "$fx/ramoops" "$TMP/since"
mkdir -p "$TMP/since/var/lib/systemd/pstore"
cp -r "$fx/efi-archived/var/lib/systemd/pstore/171234567" "$TMP/since/var/lib/systemd/pstore/"
echo old >"$TMP/since/var/lib/systemd/pstore/pmsg-ramoops-0"
touch -d '2020-01-01 12:00' "$TMP/since/var/lib/systemd/pstore/pmsg-ramoops-0"
echo "btime $(date -d '2024-04-06' +%s)" >"$TMP/since/proc/stat"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$TMP/store-s" --root "$TMP/since"
check_eq "since: exits 0" "$rc" 0
check_grep "since: the old one is skipped" "$TMP/out" "^  \(1 archived files of earlier boots skipped\)$"
check_grep "since: three archived" "$TMP/out" "^pstore records: 2 in .*, 3 archived in "
run "$TMP/json" "$TMP/err" "$KMEMSNAP" show --json "$TMP/store-s/"*_boot-collect.kms
check_eq "since: the snapshot's records leave it out" \
	"$(jq -r '[.pstore.records[] | "\(.name) \(.archived // false)"] | sort | join(",")' "$TMP/json")" \
	"171234567/dmesg-efi_pstore-171234567801001 true,171234567/dmesg-efi_pstore-171234567802001 true,171234567/dmesg.txt true,console-ramoops-0 false,dmesg-ramoops-0 false"
check_eq "since: the trigger detail counts it" "$(jq -r .header.triggerDetail "$TMP/json")" \
	"pstore: 5 records, 0 mirrored snapshots; 1 archived files of earlier boots skipped"

# --- errors and usage -------------------------------------------------------------

run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --root "$TMP/root"
check_eq "no --store: usage error" "$rc" 2
check_grep "it says so" "$TMP/err" "--store DIR is required"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$TMP/s" --pstore-dir /proc/uptime --root "$TMP/root"
check_eq "a pstore dir that is a file: failure" "$rc" 1
check_grep "names it" "$TMP/err" "^kmemsnap: $TMP/root/proc/uptime: cannot list: Not a directory$"
# A directory path of 4095 bytes, the most openat() takes: its records'
# paths do not fit.
long=$(printf 'd%.0s' {1..255})
(cd "$TMP" && mkdir long && cd long && for i in $(seq 16); do
	mkdir "$long" && cd "$long" || exit 1
done && printf 'x\n' >dmesg-ramoops-0) || { echo "FAIL long tree"; exit 1; }
long_dir=$(printf "$long/%.0s" {1..16})
long_dir=${long_dir%/}
check_eq "the long directory has 4095 bytes" "${#long_dir}" 4095
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$TMP/s" --pstore-dir "$long_dir" --root "$TMP/long"
check_eq "records' paths too long: failure" "$rc" 1
check_grep "says which" "$TMP/err" "^kmemsnap: $TMP/long/d+/.*: cannot read dmesg-ramoops-0: the path is too long$"
check_eq "no sanitizer report" "$(grep -c Sanitizer "$TMP/err")" 0
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --store "$TMP/s" --pstore-dir "$(printf 'a%.0s' {1..4200})" --root "$TMP/root"
check_eq "a 4200-byte pstore dir: failure" "$rc" 1
check_grep "says it is too long" "$TMP/err" "^kmemsnap: $TMP/root/a+: cannot list: File name too long$"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" collect-boot --help
check_eq "--help exits 0" "$rc" 0
check_grep "--help: usage" "$TMP/out" "^usage: kmemsnap collect-boot --store DIR"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" help collect-boot
check_grep "help collect-boot" "$TMP/out" "--remove"

finish
