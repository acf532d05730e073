#!/usr/bin/env bash
# A blob is readable without this project (docs/FORMAT.md): `lz4 -dc` skips
# the kmemsnap header frame and prints the Snapshot bytes, and
# `protoc --decode` with the shipped .proto prints them as text.
#
# Environment (set by ctest): KMEMSNAP (the CLI), KMEMSNAP_FIXTURES,
# KMEMSNAP_SOURCE_DIR.
set -euo pipefail

for tool in lz4 protoc; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed (scripts/deps.sh --test)"
		exit 77
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
proto_dir=$KMEMSNAP_SOURCE_DIR/proto
blob=$tmp/snap.kms
failures=0

fail()
{
	echo "FAIL: $*"
	failures=$((failures + 1))
}

"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/modern" -o "$blob"

lz4 -dc "$blob" >"$tmp/snap.pb"
protoc --decode=kmemsnap.v1.Snapshot -I "$proto_dir" \
	"$proto_dir/kmemsnap.proto" <"$tmp/snap.pb" >"$tmp/snap.txt"

# From the fixture: grep MemTotal trees/modern/proc/meminfo -> 32704840 kB;
# cat trees/modern/proc/sys/kernel/hostname -> fedora-ws.
grep -qx '  mem_total_kb: 32704840' "$tmp/snap.txt" ||
	fail "decoded text lacks 'mem_total_kb: 32704840' in meminfo"
grep -qx '  hostname: "fedora-ws"' "$tmp/snap.txt" ||
	fail "decoded text lacks 'hostname: \"fedora-ws\"' in header"

# The header frame says how big the message is; lz4 must have produced
# exactly that many bytes (the u64 at offset 35, docs/FORMAT.md).
want=$(od -An --endian=little -t u8 -j 35 -N 8 "$blob" | tr -d ' ')
got=$(stat -c %s "$tmp/snap.pb")
[[ $want == "$got" ]] ||
	fail "header says $want message bytes, lz4 -dc gave $got"

if command -v file >/dev/null; then
	desc=$(file -b "$blob")
	[[ $desc == *LZ4* ]] || fail "file(1) says '$desc', not LZ4"
else
	echo "note: file(1) not installed, its check is skipped"
fi

if [[ $failures -ne 0 ]]; then
	echo "--- decoded snapshot:"
	head -n 40 "$tmp/snap.txt"
	exit 1
fi
echo "ok: lz4 -dc | protoc --decode printed the snapshot ($got bytes)"
