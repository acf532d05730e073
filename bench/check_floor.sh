#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Checks that the floor (kmemsnap-floor) reads what `kmemsnap capture`
# reads: both run under strace, and the system calls on files below ROOT
# are compared in order. Opens (path, flags, outcome), getdents64, fstatfs
# and fstatat must be the same sequence; consecutive reads of one file are
# summed, and each file must give the same bytes. Read sizes are not
# compared: the line reader asks for 65535 bytes minus the unfinished line
# it keeps, the floor always for 65535.
#
#   bench/check_floor.sh KMEMSNAP KMEMSNAP_FLOOR ROOT...
#
# Prints one line per ROOT, "ok ROOT (N calls)" or the first differences;
# exits 1 when a ROOT differs. Meant for trees that hold still (synthetic,
# fixtures): on the live /proc the two runs see different processes.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 KMEMSNAP KMEMSNAP_FLOOR ROOT..." >&2
	exit 2
fi
kmemsnap=$1
floor=$2
shift 2
command -v strace >/dev/null || { echo "check_floor: strace not found" >&2; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# strace -y prints every fd as fd<path>: the trace names files, not numbers.
trace() {
	strace -f -qq -y -s 0 -e signal=none \
		-e trace=openat,read,getdents64,fstatfs,newfstatat \
		-o "$work/raw" "$@" >/dev/null 2>&1
}

# Keeps the calls on files below root, in a form both programs share.
canon() {
	awk -v root="$1" '
	function rel(p) { return substr(p, length(root) + 1) }
	function inside(p) { return index(p, root "/") == 1 || p == root }
	function flush() {
		if (rpath != "") print "read " rel(rpath) " " rbytes
		rpath = ""; rbytes = 0
	}
	{
		sub(/^[0-9]+ +/, "")
		call = $0; sub(/\(.*/, "", call)
		match($0, /^[a-z0-9_]+\([A-Z_0-9]+<[^>]*>/)
		if (RSTART == 0) next
		fdpath = substr($0, RSTART, RLENGTH)
		sub(/^[^<]*</, "", fdpath); sub(/>$/, "", fdpath)
		if (!inside(fdpath)) next
		ret = $0; sub(/.*\) = /, "", ret)
		if (call == "read") {
			n = ret + 0
			if (rpath != fdpath) { flush(); rpath = fdpath }
			rbytes += n
			next
		}
		flush()
		name = $0; sub(/^[^"]*"/, "", name); sub(/".*/, "", name)
		if (call == "openat") {
			flags = $0; sub(/^[^"]*"[^"]*", /, "", flags)
			sub(/\).*/, "", flags); sub(/, 0[0-7]+$/, "", flags)
			res = ret ~ /^-1/ ? ret : "ok"
			sub(/ \(.*/, "", res)
			print "openat " rel(fdpath) " " name " " flags " " res
		} else if (call == "newfstatat") {
			print "fstatat " rel(fdpath) " " name
		} else {
			print call " " rel(fdpath)
		}
	}
	END { flush() }' "$work/raw"
}

status=0
for root in "$@"; do
	root=$(cd "$root" && pwd -P)
	trace "$kmemsnap" capture --root "$root" -o "$work/snap.kms"
	canon "$root" >"$work/capture"
	trace "$floor" "$root"
	canon "$root" >"$work/floor"
	if cmp -s "$work/capture" "$work/floor"; then
		echo "ok $root ($(wc -l <"$work/capture") calls)"
	else
		echo "DIFFERS $root"
		diff "$work/capture" "$work/floor" | head -20
		status=1
	fi
done
exit $status
