#!/bin/bash
# Reading blobs from newer writers, and the memory the decoder may use.
#
#   - A newer minor format version (header bytes 29-30) is read as usual.
#   - Unknown protobuf fields (numbers this schema does not define, of
#     every wire type, at the top level and inside the header) are ignored:
#     show, show --json and verify give what they give without them.
#   - A newer major version (bytes 27-28) is refused with a clear message.
#   - Bounds (docs/FORMAT.md "Limits", docs/RELIABILITY.md "Decoding
#     bounds"): a message of exactly 64 MiB (KMEMSNAP_MAX_MESSAGE_BYTES) is
#     decoded, one byte more is refused from the header; the largest
#     expansion bomb that fits the 512 MiB decode arena is decoded, a larger
#     one refused. With /usr/bin/time (package "time"), and not in a
#     sanitizer build, the maximum RSS of each run must stay below the
#     arena plus the largest message plus 64 MiB of slack.
source "$(dirname "$0")/data/common.sh"
need jq lz4 perl

K=$KMEMSNAP
# FORMAT.md: the kmemsnap header's major version is the u16 at 27, the
# minor the u16 at 29, little-endian.
MAJOR_AT=27
MINOR_AT=29
# cli/snapfile.h SNAPFILE_DECODE_BYTES, kmemsnap.h KMEMSNAP_MAX_MESSAGE_BYTES
ARENA=$((512 << 20))
MAX_MSG=$((64 << 20))
RSS_LIMIT_KB=$(((ARENA + MAX_MSG + (64 << 20)) >> 10))

"$K" capture --root "$KMEMSNAP_FIXTURES/trees/modern" -o "$TMP/good.kms"
"$K" show --json "$TMP/good.kms" >"$TMP/good.json"
"$K" show --color=never "$TMP/good.kms" >"$TMP/good.show"

# same_as_good NAME FILE: verify, show and show --json of FILE exit 0 and
# print what they print for the unchanged blob.
same_as_good() {
	local name=$1 file=$2
	run "$TMP/out" "$TMP/err" "$K" verify "$file"
	check "$name: verify exits 0 and says ok (format v1)" \
		grep -q "^$file: ok ([0-9]* bytes, format v1, " "$TMP/out"
	run "$TMP/out" "$TMP/err" "$K" show --json "$file"
	check_eq "$name: show --json exits 0" "$rc" 0
	check "$name: show --json prints the same snapshot" cmp -s "$TMP/out" "$TMP/good.json"
	run "$TMP/out" "$TMP/err" "$K" show --color=never "$file"
	check "$name: show prints the same text" cmp -s "$TMP/out" "$TMP/good.show"
}

echo "# a newer minor version"
for minor in 01 ff; do
	cp "$TMP/good.kms" "$TMP/minor.kms"
	patch_byte "$TMP/minor.kms" $MINOR_AT $minor
	patch_byte "$TMP/minor.kms" $((MINOR_AT + 1)) $minor
	same_as_good "format 1.$((16#$minor$minor))" "$TMP/minor.kms"
done

echo "# unknown fields"
lz4 -dc "$TMP/good.kms" >"$TMP/msg"
# Tags are varints of (number << 3 | wire type):
#   99 varint       (792 = 98 06) = 150 (96 01)
#   100 length      (802 = a2 06) "hello"
#   101 fixed64     (809 = a9 06) 8 bytes
#   102 fixed32     (821 = b5 06) 4 bytes
#   1 (header) length 5 again, holding field 99 varint 1: a second
#     occurrence of a message field is merged into the first.
printf '\x98\x06\x96\x01\xa2\x06\x05hello\xa9\x06\x01\x02\x03\x04\x05\x06\x07\x08\xb5\x06\x01\x02\x03\x04\x0a\x03\x98\x06\x01' \
	>>"$TMP/msg"
make_blob "$TMP/msg" "$TMP/unknown.kms"
same_as_good "unknown fields" "$TMP/unknown.kms"
cp "$TMP/unknown.kms" "$TMP/both.kms"
patch_byte "$TMP/both.kms" $MINOR_AT 07
same_as_good "unknown fields in format 1.7" "$TMP/both.kms"

echo "# a newer major version"
for major in 02 ff; do
	cp "$TMP/good.kms" "$TMP/major.kms"
	patch_byte "$TMP/major.kms" $MAJOR_AT $major
	for cmd in verify show "show --json" explain; do
		run "$TMP/out" "$TMP/err" "$K" $cmd "$TMP/major.kms"
		check_eq "major $((16#$major)): $cmd exits 1" "$rc" 1
		check_grep "major $((16#$major)): $cmd says why" "$TMP/err" \
			"^kmemsnap: $TMP/major.kms: written in a newer, incompatible format \\(v$((16#$major))\\); this kmemsnap reads v1\$"
	done
done

echo "# bounds"
# bomb bytes TOTAL: a Snapshot of exactly TOTAL bytes whose header's
# kernel_build_id (Snapshot field 1, Header field 9) holds TOTAL - 10 zero
# bytes; both lengths take 4 varint bytes.
# bomb slab N: Snapshot.slab (field 3) holding N empty SlabCache entries
# (field 10, "\x52\x00"): 2 bytes each on the wire, ~256 bytes decoded.
bomb() {
	perl -e '
		sub varint { my ($v, $s) = (shift, "");
			while ($v >= 0x80) { $s .= chr(($v & 0x7f) | 0x80); $v >>= 7 }
			return $s . chr($v) }
		binmode STDOUT;
		my ($kind, $n) = @ARGV;
		if ($kind eq "bytes") {
			print "\x0a", varint($n - 5), "\x4a", varint($n - 10);
			print "\0" x ($n - 10);
		} else {
			print "\x1a", varint(2 * $n), "\x52\x00" x $n;
		}' "$@"
}

# measure NAME WANT_RC PATTERN COMMAND...: runs COMMAND (output discarded)
# under /usr/bin/time when installed; checks its exit status, that stderr
# matches PATTERN (empty: stays empty) and the maximum RSS.
have_time=
if ldd "$K" 2>/dev/null | grep -q libasan; then
	echo "note: sanitizer build: its shadow memory makes RSS meaningless here"
elif [ -x /usr/bin/time ]; then
	have_time=1
else
	echo "note: /usr/bin/time is missing: RSS not measured"
fi
measure() {
	local name=$1 want=$2 pattern=$3 rss
	shift 3
	rc=0
	if [ -n "$have_time" ]; then
		/usr/bin/time -f 'maxrss %M' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err" || rc=$?
	else
		"$@" >/dev/null 2>"$TMP/err" || rc=$?
	fi
	check_eq "$name: exit status" "$rc" "$want"
	if [ -z "$pattern" ]; then
		check "$name: nothing on stderr" test ! -s "$TMP/err"
	else
		check_grep "$name: says why" "$TMP/err" "$pattern"
	fi
	[ -n "$have_time" ] || return 0
	rss=$(awk '$1 == "maxrss" { print $2 }' "$TMP/time")
	check "$name: max RSS ${rss} KiB <= $RSS_LIMIT_KB KiB" test "${rss:-0}" -le $RSS_LIMIT_KB
	echo "     | $name: max RSS $((rss >> 10)) MiB"
}

bomb bytes $MAX_MSG >"$TMP/b.msg"
make_blob "$TMP/b.msg" "$TMP/max.kms"
rm "$TMP/b.msg"
measure "a 64 MiB message, show --json" 0 "" "$K" show --json "$TMP/max.kms"
# base64 of the 64 MiB - 10 bytes: 4 * ceil(67108854 / 3) characters.
check_eq "... its build id is all there" \
	"$("$K" show --json --compact "$TMP/max.kms" | jq '.header.kernelBuildId | length')" \
	$((4 * ((MAX_MSG - 10 + 2) / 3)))
measure "a 64 MiB message, verify" 0 "" "$K" verify -q "$TMP/max.kms"

bomb bytes $((MAX_MSG + 1)) >"$TMP/b.msg"
make_blob "$TMP/b.msg" "$TMP/over.kms"
rm "$TMP/b.msg"
measure "64 MiB + 1 byte, show --json" 1 \
	"^kmemsnap: $TMP/over.kms: snapshot too large \\(the header says 64\\.0 MiB; the limit is 64\\.0 MiB\\)\$" \
	"$K" show --json "$TMP/over.kms"

# The largest slab bomb that decodes, found by bisection (RELIABILITY.md):
# 2,096,679 entries. 2,000,000 stays below it whatever the allocator's
# rounding; 2,200,000 is above it.
bomb slab 2000000 >"$TMP/s.msg"
make_blob "$TMP/s.msg" "$TMP/slab.kms"
echo "     | a $(stat -c %s "$TMP/slab.kms")-byte file holding 2,000,000 empty slab caches"
measure "2,000,000 empty slab caches, show --json" 0 "" "$K" show --json "$TMP/slab.kms"
check_eq "... all of them decoded" \
	"$("$K" show --json --compact "$TMP/slab.kms" | grep -o '{}' | wc -l)" 2000000
measure "2,000,000 empty slab caches, show" 0 "" "$K" show "$TMP/slab.kms"
bomb slab 2200000 >"$TMP/s.msg"
make_blob "$TMP/s.msg" "$TMP/slab-over.kms"
measure "2,200,000 empty slab caches, show --json" 1 \
	"^kmemsnap: $TMP/slab-over.kms: snapshot too large to decode \\(more than 512\\.0 MiB decoded\\)\$" \
	"$K" show --json "$TMP/slab-over.kms"
finish
