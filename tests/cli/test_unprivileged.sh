#!/bin/bash
# kmemsnap capture as an unprivileged user (uid/gid 65534, no groups, via
# setpriv or runuser): it exits 0, the snapshot verifies, the root-only
# sections are UNAVAILABLE with EACCES, and what any user may read is OK.
#
# This machine: /proc/vmallocinfo and /proc/slabinfo are 0400 (SLUB), and
# so are the /sys/kernel/slab attributes the slab section falls back to:
# vmalloc and slab are UNAVAILABLE with errno 13 and path proc/...; kmemleak
# too when debugfs is mounted (its directory is 0700), else ENOENT.
# meminfo is OK with this machine's MemTotal, and processes is OK with a
# count: /proc/<pid>/status is world-readable.
#
# A copy of the fixture tree "modern" with proc/slabinfo,
# proc/vmallocinfo and proc/1/status made 0400 (root's): the same verdicts
# with exact figures: the process whose status cannot be read is left out
# of the count and counted as skipped; and a copy of "sysfs-slab" whose
# attribute files are 0400: the fallback finds nothing and slab is
# UNAVAILABLE.
source "$(dirname "$0")/data/common.sh"
need jq

K=$KMEMSNAP
NOBODY=65534
EACCES=13
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to switch to uid $NOBODY"; exit 77; }

# as_nobody COMMAND...: runs COMMAND as uid/gid 65534 with no groups.
if command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }
elif command -v runuser >/dev/null && getent passwd $NOBODY >/dev/null; then
	as_nobody() { runuser -u "$(getent passwd $NOBODY | cut -d: -f1)" -- "$@"; }
else
	echo "SKIP: neither setpriv nor runuser (util-linux) is installed"
	exit 77
fi

# The user must reach the binary, the trees and an output directory.
chmod 755 "$TMP"
OUT=$TMP/out
mkdir "$OUT"
chown $NOBODY:$NOBODY "$OUT"
if ! as_nobody test -x "$K"; then
	echo "SKIP: uid $NOBODY cannot run $K (a directory above it is not searchable)"
	exit 77
fi

# state JSON SECTION: "STATE errno" of a section's status.
state() {
	jq -r --arg s "$2" '.[$s].status | "\(.state) \(.errorNumber // 0)"' "$1"
}

echo "# this machine"
run "$TMP/o" "$TMP/e" as_nobody "$K" capture -o "$OUT/live.kms"
check_eq "capture as uid $NOBODY exits 0" "$rc" 0
check "it prints nothing" test ! -s "$TMP/o" -a ! -s "$TMP/e"
check "the file belongs to uid $NOBODY" test "$(stat -c %u "$OUT/live.kms")" -eq $NOBODY
run "$TMP/o" "$TMP/e" "$K" verify -q "$OUT/live.kms"
check "verify accepts it" test "$rc" -eq 0 -a ! -s "$TMP/e"
"$K" show --json "$OUT/live.kms" >"$TMP/live.json"

if [ "$(stat -c %a /proc/vmallocinfo)" == 400 ]; then
	check_eq "vmalloc: /proc/vmallocinfo is 0400" "$(state "$TMP/live.json" vmalloc)" \
		"STATE_UNAVAILABLE $EACCES"
	check_eq "vmalloc: the path" "$(jq -r .vmalloc.status.path "$TMP/live.json")" proc/vmallocinfo
else
	echo "note: /proc/vmallocinfo is not 0400 here"
fi
if [ "$(stat -c %a /proc/slabinfo 2>/dev/null)" == 400 ]; then
	check_eq "slab: /proc/slabinfo is 0400, the sysfs attributes too" \
		"$(state "$TMP/live.json" slab)" "STATE_UNAVAILABLE $EACCES"
	check_eq "slab: slabinfoErrno" "$(jq -r .slab.slabinfoErrno "$TMP/live.json")" $EACCES
else
	echo "note: /proc/slabinfo is not 0400 here"
fi
if mountpoint -q /sys/kernel/debug 2>/dev/null; then
	check_eq "kmemleak: debugfs is root's" "$(state "$TMP/live.json" kmemleak)" \
		"STATE_UNAVAILABLE $EACCES"
else
	check_eq "kmemleak: debugfs is not mounted" "$(state "$TMP/live.json" kmemleak)" \
		"STATE_UNAVAILABLE 2"
fi
check_eq "meminfo is OK" "$(state "$TMP/live.json" meminfo)" "STATE_OK 0"
check_eq "meminfo: MemTotal is this machine's" "$(jq -r .meminfo.memTotalKb "$TMP/live.json")" \
	"$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)"
check_eq "processes is OK" "$(state "$TMP/live.json" processes)" "STATE_OK 0"
# Processes come and go while the test runs: the count must be there and
# within a quarter of what /proc lists now.
pids=$(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)
seen=$(jq '.processes | .count + .kernelThreads' "$TMP/live.json")
check "processes: $seen user processes and kernel threads counted, /proc lists $pids" \
	test "$seen" -ge $((pids * 3 / 4)) -a "$seen" -le $((pids * 5 / 4 + 10))

echo "# a fixture tree with root-only files"
cp -r "$KMEMSNAP_FIXTURES/trees/modern" "$TMP/modern"
chmod -R a+rX "$TMP/modern"
"$K" capture --root "$TMP/modern" -o "$TMP/root.kms"
"$K" show --json "$TMP/root.kms" >"$TMP/root.json"
chmod 400 "$TMP/modern/proc/slabinfo" "$TMP/modern/proc/vmallocinfo" \
	"$TMP/modern/proc/1/status"
run "$TMP/o" "$TMP/e" as_nobody "$K" capture --root "$TMP/modern" -o "$OUT/modern.kms"
check_eq "capture --root as uid $NOBODY exits 0" "$rc" 0
run "$TMP/o" "$TMP/e" "$K" verify -q "$OUT/modern.kms"
check "verify accepts it" test "$rc" -eq 0 -a ! -s "$TMP/e"
"$K" show --json "$OUT/modern.kms" >"$TMP/modern.json"
check_eq "slab: proc/slabinfo 0400, no sysfs" "$(state "$TMP/modern.json" slab)" \
	"STATE_UNAVAILABLE $EACCES"
check_eq "vmalloc: proc/vmallocinfo 0400" "$(state "$TMP/modern.json" vmalloc)" \
	"STATE_UNAVAILABLE $EACCES"
# grep MemTotal tests/fixtures/trees/modern/proc/meminfo
check_eq "meminfo: OK, MemTotal of the fixture" \
	"$(jq -r '"\(.meminfo.status.state) \(.meminfo.memTotalKb)"' "$TMP/modern.json")" \
	"STATE_OK $(awk '$1 == "MemTotal:" { print $2 }' "$TMP/modern/proc/meminfo")"
check_eq "root's capture of the same tree counts pid 1 (systemd)" \
	"$(jq '[.processes.top[] | select(.pid == 1)] | length' "$TMP/root.json")" 1
check_eq "processes: pid 1, unreadable, is left out of the count" \
	"$(jq .processes.count "$TMP/modern.json")" \
	"$(($(jq .processes.count "$TMP/root.json") - 1))"
check_eq "processes: ... and counted as skipped" \
	"$(jq -r '.processes.status.linesSkipped // "0"' "$TMP/modern.json")" \
	"$(($(jq -r '.processes.status.linesSkipped // "0"' "$TMP/root.json") + 1))"
check_eq "processes: state OK" "$(state "$TMP/modern.json" processes)" "STATE_OK 0"

echo "# the slab section's sysfs fallback, root-only"
cp -r "$KMEMSNAP_FIXTURES/trees/sysfs-slab" "$TMP/sysfs-slab"
chmod -R a+rX "$TMP/sysfs-slab"
"$K" capture --root "$TMP/sysfs-slab" -o "$TMP/sysfs-root.kms"
check_eq "as root: slab from sysfs" \
	"$("$K" show --json "$TMP/sysfs-root.kms" | jq -r '"\(.slab.status.state) \(.slab.source)"')" \
	"STATE_OK SLAB_SOURCE_SYSFS"
find "$TMP/sysfs-slab/sys/kernel/slab" -type f -exec chmod 400 {} +
run "$TMP/o" "$TMP/e" as_nobody "$K" capture --root "$TMP/sysfs-slab" -o "$OUT/sysfs.kms"
check_eq "capture as uid $NOBODY exits 0" "$rc" 0
check_eq "slab: attributes 0400: UNAVAILABLE (no proc/slabinfo: ENOENT)" \
	"$("$K" show --json "$OUT/sysfs.kms" | jq -r '"\(.slab.status.state) \(.slab.status.errorNumber) \(.slab.caches // [] | length)"')" \
	"STATE_UNAVAILABLE 2 0"
finish
