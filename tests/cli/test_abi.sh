#!/usr/bin/env bash
# The library's ABI contract (STYLE.md, "The public API"):
#  - the shared library exports exactly the symbols of libkmemsnap.map, each
#    under a version node of the map, and nothing else;
#  - its SONAME is libkmemsnap.so.<major>;
#  - the public header compiles alone as pedantic C11 and as C++11.
#
# Environment (set by ctest): KMEMSNAP_LIB (the built libkmemsnap.so),
# KMEMSNAP_SOURCE_DIR, KMEMSNAP_BUILD_DIR (holds generated/kmemsnap/version.h).
set -euo pipefail

map=$KMEMSNAP_SOURCE_DIR/libkmemsnap/libkmemsnap.map
include=$KMEMSNAP_SOURCE_DIR/libkmemsnap/include
generated=$KMEMSNAP_BUILD_DIR/generated
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail()
{
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# --- exported symbols ------------------------------------------------------

# "		kmemsnap_capture;" lines of the map, and its "NODE {" version nodes.
grep -oE '^[[:space:]]*kmemsnap_[A-Za-z0-9_]+;' "$map" | tr -d ' \t;' |
	sort >"$tmp/expected"
grep -oE '^[A-Z][A-Z0-9_.]* *\{' "$map" | tr -d ' {' | sort >"$tmp/nodes"
[[ -s $tmp/expected && -s $tmp/nodes ]] || fail "cannot read $map"

# "0000000000001234 T kmemsnap_capture@@KMEMSNAP_0.1"; the version nodes
# themselves appear as absolute symbols ("A KMEMSNAP_0.1") and are not
# exports.
nm -D --defined-only "$KMEMSNAP_LIB" | awk '$2 != "A" { print $3 }' |
	sort >"$tmp/versioned"
sed 's/@.*//' "$tmp/versioned" | sort >"$tmp/actual"
nm -D --defined-only "$KMEMSNAP_LIB" | awk '$2 == "A" { print $3 }' |
	sort >"$tmp/actual_nodes"

if ! diff -u "$tmp/expected" "$tmp/actual" >"$tmp/diff"; then
	fail "exports differ from libkmemsnap.map (- map, + library):"
	cat "$tmp/diff"
fi
if ! diff -u "$tmp/nodes" "$tmp/actual_nodes" >"$tmp/diff"; then
	fail "version nodes differ from libkmemsnap.map (- map, + library):"
	cat "$tmp/diff"
fi
# Every export is the default (@@) version of one of the map's nodes.
while read -r sym; do
	node=${sym#*@@}
	if [[ $sym != *@@* ]] || ! grep -qxF "$node" "$tmp/nodes"; then
		fail "$sym is not versioned by a node of libkmemsnap.map"
	fi
done <"$tmp/versioned"

# --- SONAME ----------------------------------------------------------------

major=$(sed -nE 's/^#define KMEMSNAP_VERSION_MAJOR ([0-9]+)$/\1/p' \
	"$generated/kmemsnap/version.h")
soname=$(readelf -d "$KMEMSNAP_LIB" | sed -nE 's/.*\(SONAME\).*\[(.*)\]/\1/p')
[[ -n $major && $soname == "libkmemsnap.so.$major" ]] ||
	fail "SONAME is '$soname', expected libkmemsnap.so.$major"

# --- the header alone -------------------------------------------------------

cat >"$tmp/header.c" <<'C'
#include <kmemsnap/kmemsnap.h>
C
# The options macro as a C user writes it (designated initializers are not
# C++11, so this part is C only).
cat >"$tmp/opts.c" <<'C'
#include <kmemsnap/kmemsnap.h>
size_t opts_size(void);
size_t opts_size(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = "/");
	return opts.sz;
}
C
for src in header.c opts.c; do
	if ! cc -std=c11 -pedantic -Werror -Wall -Wextra -fsyntax-only \
		-I "$include" -I "$generated" "$tmp/$src"; then
		fail "kmemsnap.h does not compile as C11 ($src)"
	fi
done

cxx=
for c in "${CXX:-c++}" clang++ g++; do
	if command -v "$c" >/dev/null; then
		cxx=$c
		break
	fi
done
if [[ -z $cxx ]]; then
	echo "note: no C++ compiler installed, the C++ header check is skipped"
elif ! "$cxx" -std=c++11 -pedantic -Werror -Wall -Wextra -fsyntax-only \
	-x c++ -I "$include" -I "$generated" "$tmp/header.c"; then
	fail "kmemsnap.h does not compile alone as C++11 ($cxx)"
fi

[[ $failures -eq 0 ]] || exit 1
echo "ok: $(wc -l <"$tmp/expected") exports match the map," \
     "SONAME $soname, header compiles as C11${cxx:+ and C++11}"
