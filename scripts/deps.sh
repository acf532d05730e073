#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages kmemsnap needs, and only those missing.
#
#   scripts/deps.sh --build   what building the library and CLI needs
#   scripts/deps.sh --test    that, plus what the test suite needs (default)
#   scripts/deps.sh --list    print the packages of --test that are missing
#
# A package counts as present when dpkg says "install ok installed"; then
# nothing is downloaded and `apt-get update` is not run, so a second run
# installs nothing and needs no network.
set -euo pipefail

# libc6-dev is named because gcc only recommends it and recommendations are
# not installed.
BUILD_PACKAGES=(gcc libc6-dev cmake make pkg-config liblz4-dev
		libprotobuf-c-dev protobuf-c-compiler libunwind-dev libelf-dev)
# protoc and lz4 decode blobs with stock tools; script (bsdutils) gives the
# CLI a terminal; clang builds the fuzz targets and provides c++ for the
# header check; chromium renders the HTML report headless; time measures
# the decoder's peak memory.
TEST_PACKAGES=(protobuf-compiler lz4 jq valgrind bsdutils clang chromium time)

usage()
{
	echo "usage: $0 [--build | --test | --list]" >&2
	exit 2
}

missing_of()
{
	local pkg

	for pkg in "$@"; do
		if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != \
		      "install ok installed" ]]; then
			echo "$pkg"
		fi
	done
}

mode="test"
case "${1:-}" in
"" | --test) mode="test" ;;
--build) mode="build" ;;
--list) mode="list" ;;
*) usage ;;
esac
[[ $# -le 1 ]] || usage

wanted=("${BUILD_PACKAGES[@]}")
[[ $mode == build ]] || wanted+=("${TEST_PACKAGES[@]}")

if ! command -v dpkg-query >/dev/null; then
	echo "deps.sh: not a Debian-based system; install the equivalents of:" >&2
	echo "  ${wanted[*]}" >&2
	exit 0
fi

mapfile -t missing < <(missing_of "${wanted[@]}")
if [[ $mode == list ]]; then
	[[ ${#missing[@]} -eq 0 ]] || printf '%s\n' "${missing[@]}"
	exit 0
fi
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "deps.sh: all $mode packages are installed"
	exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if ! command -v sudo >/dev/null; then
		echo "deps.sh: need root to install: ${missing[*]}" >&2
		exit 1
	fi
	# Without a terminal (CI) sudo must not wait for a password.
	sudo=(sudo)
	[[ -t 0 ]] || sudo=(sudo -n)
fi

echo "deps.sh: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"
