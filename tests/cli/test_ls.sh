#!/usr/bin/env bash
# kmemsnap capture --store and kmemsnap ls: snapshots of fixture trees with
# different boot ids go into one store; ls numbers the boots by start time
# and shows trigger, MemAvailable, SUnreclaim and size, as text and JSON.
#
# The trees (grep -E 'MemAvailable|SUnreclaim' proc/meminfo; proc/uptime;
# proc/sys/kernel/random/boot_id), captured within a second, so the boots
# start in the order of their uptimes, longest first:
#   el7         1321960 kB  15704 kB   up 1209600 s  3c1d5b6e-...  boot -3
#   modern     28070392 kB 249720 kB   up   86400 s  0f6a3c52-...  boot -2
#   sysfs-slab  3386876 kB  99880 kB   up    3600 s  11111111-...  boot -1
#   explain-boot 13500000 kB 400000 kB up      60 s  aaaaaaaa-...  current
source "$(dirname "$0")/data/common.sh"
need jq

trees=$KMEMSNAP_FIXTURES/trees
store=$TMP/store

# tree trigger: captures into the store, -v names the stored file.
capture() {
	run "$TMP/out" "$TMP/err" "$KMEMSNAP" capture -v --store "$store" \
		--root "$trees/$1" --trigger "$2"
	check_eq "capture --store $1 exits 0" "$rc" 0
	check_grep "capture -v names the stored file ($1)" "$TMP/err" \
		"^kmemsnap: wrote $store/[0-9]{8}T[0-9]{6}\.[0-9]{6}Z_[0-9a-f]{8}_$2\.kms \("
}

capture el7 timer
capture modern oom
capture modern pressure
capture sysfs-slab manual
capture explain-boot baseline

check_eq "store created 0700" "$(stat -c %a "$store")" 700
names=$(cd "$store" && ls)
check_eq "five files, named by time, boot and trigger" "$(echo "$names" | sed -E 's/^[0-9]{8}T[0-9]{6}\.[0-9]{6}Z_//')" \
"3c1d5b6e_timer.kms
0f6a3c52_oom.kms
0f6a3c52_pressure.kms
11111111_manual.kms
aaaaaaaa_baseline.kms"
check_eq "files are 0600" "$(cd "$store" && stat -c %a -- * | sort -u)" 600

# --- text ---------------------------------------------------------------------

run "$TMP/ls" "$TMP/err" "$KMEMSNAP" ls --color=never "$store"
check_eq "ls exits 0" "$rc" 0
# A file's line: time, boot, trigger, MemAvailable, SUnreclaim, size, name.
line_re() { # boot trigger avail sunreclaim file
	local size
	size=$(stat -c %s "$store/$5")
	size=$(awk -v b="$size" 'BEGIN { if (b < 1024) printf "%d B", b; else printf "%.1f KiB", b / 1024 }')
	echo "^[0-9-]{10}T[0-9:.]{12}Z +$1 +$2 +$3 +$4 +$size +$5\$"
}
files=($names)
check_grep "el7: boot -3, 1321960 kB, 15704 kB" "$TMP/ls" \
	"$(line_re -3 timer '1\.3 GiB' '15\.3 MiB' "${files[0]}")"
check_grep "modern oom: boot -2, 28070392 kB, 249720 kB" "$TMP/ls" \
	"$(line_re -2 oom '26\.8 GiB' '243\.9 MiB' "${files[1]}")"
check_grep "modern pressure: the same boot" "$TMP/ls" \
	"$(line_re -2 pressure '26\.8 GiB' '243\.9 MiB' "${files[2]}")"
check_grep "sysfs-slab: boot -1, 3386876 kB, 99880 kB" "$TMP/ls" \
	"$(line_re -1 manual '3\.2 GiB' '97\.5 MiB' "${files[3]}")"
check_grep "explain-boot: current, 13500000 kB, 400000 kB" "$TMP/ls" \
	"$(line_re current baseline '12\.9 GiB' '390\.6 MiB' "${files[4]}")"
check_grep "summary" "$TMP/ls" "^5 snapshots in 4 boots, "

# --- JSON ---------------------------------------------------------------------

run "$TMP/json" "$TMP/err" "$KMEMSNAP" ls --json "$store"
check_eq "ls --json exits 0" "$rc" 0
check "ls --json is valid JSON" jq -e . "$TMP/json" >/dev/null
check_eq "JSON: boots" "$(jq .boots "$TMP/json")" 4
check_eq "JSON: boot numbers" "$(jq -c '[.entries[].boot]' "$TMP/json")" '[-3,-2,-2,-1,0]'
check_eq "JSON: triggers" "$(jq -c '[.entries[].trigger]' "$TMP/json")" \
	'["TRIGGER_TIMER","TRIGGER_OOM","TRIGGER_PRESSURE","TRIGGER_MANUAL","TRIGGER_BASELINE"]'
check_eq "JSON: MemAvailable" "$(jq -c '[.entries[].memAvailableKb]' "$TMP/json")" \
	'["1321960","28070392","28070392","3386876","13500000"]'
check_eq "JSON: SUnreclaim" "$(jq -c '[.entries[].sUnreclaimKb]' "$TMP/json")" \
	'["15704","249720","249720","99880","400000"]'
check_eq "JSON: boot ids" "$(jq -r '.entries[].bootId | .[0:8]' "$TMP/json" | tr '\n' ' ')" \
	"3c1d5b6e 0f6a3c52 0f6a3c52 11111111 aaaaaaaa "
check_eq "JSON: sizes are the files'" "$(jq -r '.entries[].sizeBytes' "$TMP/json" | tr '\n' ' ')" \
	"$(cd "$store" && stat -c %s -- * | tr '\n' ' ')"
check_eq "JSON: file names" "$(jq -r '.entries[].file' "$TMP/json")" "$names"
check_eq "JSON: total bytes" "$(jq -r .totalBytes "$TMP/json")" \
	"$(( $(cd "$store" && stat -c %s -- * | paste -sd+) ))"

# --- bad files, errors --------------------------------------------------------

head -c 100 "$store/${files[1]}" >"$store/zz-cut.kms"
echo "not a snapshot" >"$store/zz-text.kms"
run "$TMP/ls" "$TMP/err" "$KMEMSNAP" ls --color=never "$store"
check_eq "ls with bad files exits 0" "$rc" 0
check_grep "a cut file is listed with its problem" "$TMP/ls" \
	"^- +- +- +- +- +100 B +zz-cut\.kms: truncated"
check_grep "a foreign file is listed with its problem" "$TMP/ls" \
	"zz-text\.kms: not a kmemsnap blob"
check_grep "the good ones are still there" "$TMP/ls" "current +baseline"
check_grep "summary counts them" "$TMP/ls" "^7 snapshots in 4 boots, .*; 2 unreadable$"
run "$TMP/json" "$TMP/err" "$KMEMSNAP" ls --json "$store"
check_eq "JSON: the problem, no boot" \
	"$(jq -c '.entries[] | select(.file == "zz-text.kms") | [.problem != null, .boot]' "$TMP/json")" \
	'[true,null]'

run "$TMP/out" "$TMP/err" "$KMEMSNAP" ls "$TMP/missing"
check_eq "ls of a missing dir exits 1" "$rc" 1
check_grep "and names it" "$TMP/err" "^kmemsnap: $TMP/missing: .*No such file or directory"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" capture -o "$TMP/x.kms" --store "$store"
check_eq "-o and --store together: usage error" "$rc" 2
run "$TMP/out" "$TMP/err" "$KMEMSNAP" ls "$store" "$store"
check_eq "two dirs: usage error" "$rc" 2

# A symlink to a store is refused, and nothing is written through it.
ln -s "$store" "$TMP/link"
run "$TMP/out" "$TMP/err" "$KMEMSNAP" capture --store "$TMP/link" --root "$trees/el7"
check_eq "capture --store through a symlink exits 1" "$rc" 1
check_grep "and says why" "$TMP/err" "^kmemsnap: $TMP/link: cannot write the snapshot: too many levels of symbolic links"
check_eq "nothing was added" "$(ls "$store" | wc -l)" 7

finish
