# Helpers for the CLI tests (tests/cli/test_*.sh); sourced, not run.
#
# ctest sets KMEMSNAP (the built binary), KMEMSNAP_FIXTURES,
# KMEMSNAP_SOURCE_DIR and KMEMSNAP_BUILD_DIR. A test exits 0 when every
# check passed, 1 when one failed, 77 when it cannot run here.

set -u
: "${KMEMSNAP:?KMEMSNAP must name the kmemsnap binary}"
: "${KMEMSNAP_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
: "${KMEMSNAP_FIXTURES:=$KMEMSNAP_SOURCE_DIR/tests/fixtures}"
CLI_DATA="$KMEMSNAP_SOURCE_DIR/tests/cli/data"

checks=0
failures=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kmemsnap-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

pass() { checks=$((checks + 1)); echo "ok   $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $1"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [ "$2" == "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# check_grep DESCRIPTION FILE PATTERN: FILE has a line matching PATTERN
# (grep -E).
check_grep() {
	if grep -Eq -- "$3" "$2"; then
		pass "$1"
	else
		fail "$1: no line matches '$3' in:"
		sed 's/^/     | /' "$2"
	fi
}

# run OUT ERR COMMAND...: runs COMMAND with stdout and stderr to the files;
# its exit status is in $rc.
run() {
	local out=$1 err=$2
	shift 2
	rc=0
	"$@" >"$out" 2>"$err" || rc=$?
}

need() {
	local tool
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			echo "SKIP: $tool is not installed"
			exit 77
		fi
	done
}

finish() {
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}

# make_blob MESSAGE OUT [MESSAGE_BYTES]: frames a serialized Snapshot the
# way libkmemsnap does (docs/FORMAT.md): an empty LZ4 frame, the kmemsnap
# header in a skippable frame (magic, format 1.0, flags 0, message size),
# then an LZ4 frame with content size and checksum. MESSAGE_BYTES overrides
# the size the header announces.
make_blob() {
	local msg=$1 out=$2 size=${3:-$(stat -c %s "$1")}
	{
		printf '\x04\x22\x4d\x18\x60\x40\x82\x00\x00\x00\x00'
		printf '\x5e\x2a\x4d\x18\x18\x00\x00\x00'
		printf 'KMEMSNAP\x01\x00\x00\x00\x00\x00\x00\x00'
		perl -e 'print pack("Q<", $ARGV[0])' "$size"
		lz4 -1 -q --content-size -c "$msg"
	} >"$out"
}

# patch_byte FILE OFFSET HEX: overwrites one byte in place.
patch_byte() {
	printf "\\x$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# flip_byte FILE OFFSET: inverts every bit of one byte.
flip_byte() {
	local old
	old=$(od -An -tu1 -j "$2" -N1 "$1")
	patch_byte "$1" "$2" "$(printf %02x $((old ^ 0xff)))"
}
