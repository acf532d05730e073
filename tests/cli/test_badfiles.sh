#!/bin/bash
# Every command, given a file that is not a good snapshot, says what is wrong
# with it, names it, exits 1, does not crash, and stays within bounded
# memory (each run under ulimit -v).
source "$(dirname "$0")/data/common.sh"
need lz4 perl

K=$KMEMSNAP
# 1 GiB of address space: the decoder reserves 512 MiB, a file is read up
# to 65 MiB and its message extracted into at most 64 MiB. AddressSanitizer
# reserves terabytes of shadow and cannot run under a limit.
limit_kb=1048576
if ldd "$K" 2>/dev/null | grep -q libasan; then
	echo "note: sanitizer build, ulimit -v not applied"
	limit_kb=unlimited
fi

"$K" capture -o "$TMP/good.kms"
size=$(stat -c %s "$TMP/good.kms")
# docs/FORMAT.md: 11 bytes of empty LZ4 frame, 8 of skippable-frame header,
# 24 of kmemsnap header (magic at 19, major version at 27), then the data
# frame: 15 bytes of LZ4 frame header (with content size), blocks, end
# mark, 4 bytes of content checksum.
prefix=43

# expect NAME FILE PATTERN: each command fails on FILE and says PATTERN.
expect() {
	local name=$1 file=$2 pattern=$3 cmd
	for cmd in verify show "show --json"; do
		local started=$SECONDS
		rc=0
		(ulimit -v "$limit_kb"; exec timeout 60 "$K" $cmd "$file") \
			>"$TMP/out" 2>"$TMP/err" || rc=$?
		# One line on stderr: a sanitizer report would add more.
		if [ "$rc" -eq 1 ] && grep -Eq -- "^kmemsnap: $file: $pattern" "$TMP/err" &&
			[ "$(wc -l <"$TMP/err")" -eq 1 ] && [ ! -s "$TMP/out" ]; then
			pass "$name: $cmd exits 1 and says '$pattern' ($((SECONDS - started)) s)"
		else
			fail "$name: $cmd: exit $rc (want 1), stderr:"
			sed 's/^/     | /' "$TMP/err"
		fi
	done
}

echo "# not snapshots at all"
: >"$TMP/empty"
expect "empty file" "$TMP/empty" "empty file"
# 10 fixed "random" bytes: a test must fail the same way every run.
printf '\x8f\x03\xa1\x5c\x00\xe7\x19\x42\xbb\x6d' >"$TMP/random"
expect "10 random bytes" "$TMP/random" "not a kmemsnap blob \\(bad magic\\)"
echo hi | lz4 -q >"$TMP/hi.lz4"
expect "an LZ4 file of something else" "$TMP/hi.lz4" \
	"not a kmemsnap blob \\(LZ4 data without a kmemsnap header\\)"
mkdir "$TMP/dir"
expect "a directory" "$TMP/dir" "is a directory"
expect "a missing file" "$TMP/missing" "cannot open: No such file or directory"

echo "# cut short"
for cut in 3 20 42; do
	head -c $cut "$TMP/good.kms" >"$TMP/cut$cut"
	expect "cut at $cut bytes" "$TMP/cut$cut" \
		"truncated: the file ends inside the kmemsnap header"
done
head -c $prefix "$TMP/good.kms" >"$TMP/cut$prefix"
expect "cut after the header" "$TMP/cut$prefix" "truncated: the data frame is missing"
for cut in $((prefix + 7)) $((prefix + 40)) $((size / 2)) $((size - 1)); do
	head -c $cut "$TMP/good.kms" >"$TMP/cut$cut"
	expect "cut at $cut of $size bytes" "$TMP/cut$cut" \
		"truncated: the file ends inside the data frame"
done

echo "# damaged"
cp "$TMP/good.kms" "$TMP/flip"
# The 4 content-checksum bytes end the file: the byte before them is
# compressed data or the end mark; flipping a literal deep in the first
# block changes the output and so the checksum.
flip_byte "$TMP/flip" $((prefix + 15 + 4 + 40))
expect "a flipped byte in the data" "$TMP/flip" "corrupted: "
cp "$TMP/good.kms" "$TMP/sum"
flip_byte "$TMP/sum" $((size - 1))
expect "a flipped byte in the content checksum" "$TMP/sum" "corrupted: checksum mismatch"
cp "$TMP/good.kms" "$TMP/magic"
patch_byte "$TMP/magic" 20 58 # "KMEMSNAP" -> "KXEMSNAP"
expect "a flipped byte in the header magic" "$TMP/magic" \
	"not a kmemsnap blob \\(bad magic in the header frame\\)"
cp "$TMP/good.kms" "$TMP/v9"
patch_byte "$TMP/v9" 27 09
expect "format major version 9" "$TMP/v9" \
	"written in a newer, incompatible format \\(v9\\); this kmemsnap reads v1"
cp "$TMP/good.kms" "$TMP/trailing"
echo junk >>"$TMP/trailing"
expect "bytes after the data frame" "$TMP/trailing" "corrupted: trailing data after the data frame"

echo "# too large"
truncate -s 200M "$TMP/zeros200m"
expect "200 MiB of zeros" "$TMP/zeros200m" \
	"file too large \\(200\\.0 MiB; a snapshot file is at most 65\\.0 MiB\\)"
# Reading a terabyte would take minutes: finishing at all shows the size is
# checked before the read (expect has a 60 s timeout).
truncate -s 1T "$TMP/sparse1t"
expect "a 1 TiB sparse file" "$TMP/sparse1t" "file too large \\(1\\.0 TiB"
rc=0
head -c 100M /dev/zero | (ulimit -v "$limit_kb"; "$K" verify -) 2>"$TMP/err" || rc=$?
check_eq "100 MiB through a pipe: verify - exits 1" "$rc" 1
check_grep "... saying it is too large" "$TMP/err" \
	"^kmemsnap: <stdin>: file too large \\(a snapshot file is at most 65\\.0 MiB\\)"

# 100 MiB of zeros compress to ~400 KiB: a valid LZ4 frame whose content is
# larger than a reader accepts.
truncate -s 100M "$TMP/zeros100m"
make_blob "$TMP/zeros100m" "$TMP/huge.kms"
expect "a header announcing 100 MiB" "$TMP/huge.kms" \
	"snapshot too large \\(the header says 100\\.0 MiB; the limit is 64\\.0 MiB\\)"
make_blob "$TMP/zeros100m" "$TMP/liar.kms" 1000
expect "a frame larger than its header says" "$TMP/liar.kms" \
	"corrupted: the data frame's size differs from the header's"
lz4 -1 -q --content-size -c "$TMP/zeros100m" >"$TMP/plain.lz4"
expect "a plain LZ4 file claiming 100 MiB" "$TMP/plain.lz4" \
	"not a kmemsnap blob \\(LZ4 data without a kmemsnap header\\)"

echo "# messages that do not decode"
printf '\xff\xff\xff\xff\x0f' >"$TMP/bad.pb" # field 0x1fffffff, wire type 7
make_blob "$TMP/bad.pb" "$TMP/bad.kms"
expect "a frame that is not a protobuf message" "$TMP/bad.kms" \
	"corrupted: the snapshot message does not decode \\(protobuf\\)"
# An expansion bomb: Snapshot.slab (field 3) holding 33 million empty
# SlabCache entries (field 10, "\x52\x00"), 64 MiB on the wire, some GiB
# unpacked. The decoder's arena stops it at 512 MiB.
perl -e '
	my $n = 64 * 1024 * 1024 - 6; $n -= $n % 2;
	my $v = $n; my $len = "";
	while ($v >= 0x80) { $len .= chr(($v & 0x7f) | 0x80); $v >>= 7 }
	print "\x1a", $len, chr($v), "\x52\x00" x ($n / 2);' >"$TMP/bomb.pb"
make_blob "$TMP/bomb.pb" "$TMP/bomb.kms"
expect "a 64 MiB message of empty submessages" "$TMP/bomb.kms" \
	"snapshot too large to decode \\(more than 512\\.0 MiB decoded\\)"

echo "# verify of several files"
rc=0
"$K" verify "$TMP/good.kms" "$TMP/empty" "$TMP/good.kms" >"$TMP/out" 2>"$TMP/err" || rc=$?
check_eq "verify good bad good exits 1" "$rc" 1
check_eq "... reports both good files" "$(grep -c ': ok (' "$TMP/out")" 2
check_grep "... and the bad one" "$TMP/err" "^kmemsnap: $TMP/empty: empty file\$"

finish
