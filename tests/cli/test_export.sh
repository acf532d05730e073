#!/usr/bin/env bash
# kmemsnap export: OpenMetrics that a strict reading of the exposition
# format accepts (promtool, when installed, reads it too), the figures of a
# fixture capture, the newest snapshot of a directory or all of them with
# timestamps, JSON lines in time order, and -o replacing its file whole.
source "$(dirname "$0")/data/common.sh"
need jq protoc lz4 perl

# validate FILE STAMPED: every line against the OpenMetrics text grammar
# (https://openmetrics.io, "ABNF"): TYPE/UNIT/HELP once per family and
# before its samples, families and series not interleaved, a gauge's
# samples named as the family, labels escaped, values numbers, timestamps
# on every sample (STAMPED=1, increasing within a series) or on none, and
# "# EOF" last.
validate() {
	awk -v stamped="$2" '
	function fail(msg) { print "line " NR ": " msg ": " $0; bad = 1 }
	BEGIN {
		name = "[a-zA-Z_:][a-zA-Z0-9_:]*"
		label = "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\[\"\\\\n])*\""
		number = "[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?"
		sample = "^" name "(\\{(" label "(," label ")*)?\\})? " number "( " number ")?$"
	}
	eof { fail("text after # EOF"); next }
	$0 == "# EOF" { eof = 1; next }
	/^# / {
		if ($2 !~ /^(TYPE|UNIT|HELP)$/) { fail("not a metadata line"); next }
		if ($3 !~ "^" name "$") { fail("bad family name"); next }
		if ($2 == "TYPE") {
			if ($3 in family) fail("family " $3 " seen before")
			if (NF != 4 || $4 !~ /^(counter|gauge|histogram|gaugehistogram|stateset|info|summary|unknown)$/) fail("bad type")
			family[$3] = $4; current = $3; sampled = 0
			next
		}
		if ($3 != current || sampled) fail($2 " outside its family, or after its samples")
		if (($3 SUBSEP $2) in meta) fail("second " $2)
		meta[$3, $2] = 1
		if ($2 == "UNIT" && (NF != 4 || substr($3, length($3) - length($4)) != "_" $4)) fail("unit is not the name suffix")
		if ($2 == "HELP" && $0 ~ /\\[^\\n"]/) fail("bad escape in HELP")
		next
	}
	{
		if ($0 !~ sample) { fail("not a sample"); next }
		metric = $0; sub(/[{ ].*/, "", metric)
		if (metric != current || family[current] != "gauge") fail("sample outside its gauge family")
		sampled = 1
		# Label values may hold spaces, never after the closing brace.
		if (index($0, "}")) { series = $0; sub(/}[^}]*$/, "}", series) }
		else series = $1
		n = split(substr($0, length(series) + 1), f, " ")
		ts = n == 2 ? f[2] : ""
		if (stamped && ts == "") fail("sample without a timestamp")
		if (!stamped && ts != "") fail("sample with a timestamp")
		if (series != last_series && (series in seen)) fail("series interleaved or repeated")
		if (series == last_series && !(ts + 0 > last_ts + 0)) fail("timestamps not increasing")
		if (!stamped && series == last_series) fail("series repeated")
		seen[series] = 1; last_series = series; last_ts = ts
	}
	END {
		if (!eof) { print "no # EOF at the end"; bad = 1 }
		exit bad
	}' "$1"
}

# The checker itself must reject what is wrong.
rejects() { ! validate "$1" 0 >/dev/null; }
printf '# TYPE a gauge\na 1\n# EOF\n' >"$TMP/good.om"
check "validate: accepts a minimal exposition" validate "$TMP/good.om" 0
for broken in 'a 1\n# EOF' '# TYPE a gauge\na 1' '# TYPE a gauge\na{x="\\q"} 1\n# EOF' \
	'# TYPE a gauge\na{x="1"} 1\na{x="2"} 1\na{x="1"} 2\n# EOF' \
	'# TYPE a gauge\na 1 5\n# EOF' '# TYPE a gauge\na one\n# EOF' \
	'# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n# EOF' \
	'# TYPE a_bytes gauge\n# UNIT a_bytes seconds\na_bytes 1\n# EOF'; do
	printf "$broken\n" >"$TMP/broken.om"
	check "validate: rejects $(head -c 60 "$TMP/broken.om" | tr '\n' '|')" \
		rejects "$TMP/broken.om"
done

# value FILE SAMPLE: the value of the sample whose name and labels are
# SAMPLE, exactly.
value() {
	awk -v s="$2" 'index($0, s " ") == 1 { print substr($0, length(s) + 2); exit }' "$1" | cut -d' ' -f1
}

# ---- one fixture capture ----------------------------------------------------
"$KMEMSNAP" capture --root "$KMEMSNAP_FIXTURES/trees/modern" -o "$TMP/modern.kms"
"$KMEMSNAP" show --json "$TMP/modern.kms" >"$TMP/modern.json"
run "$TMP/om" "$TMP/err" "$KMEMSNAP" export "$TMP/modern.kms"
check_eq "export exits 0" "$rc" 0
check "the exposition is valid (strict grammar)" validate "$TMP/om" 0
if command -v promtool >/dev/null; then
	check "promtool check metrics accepts it" promtool check metrics <"$TMP/om"
else
	echo "note: promtool not installed; the grammar check above stands in"
fi
check_eq "ends with # EOF" "$(tail -n 1 "$TMP/om")" "# EOF"
check_eq "one TYPE per family" "$(grep -c '^# TYPE' "$TMP/om")" \
	"$(grep -v '^#' "$TMP/om" | sed 's/[{ ].*//' | sort -u | wc -l)"
check_eq "MemTotal in bytes (32704840 kB * 1024)" \
	"$(value "$TMP/om" 'kmemsnap_meminfo_bytes{field="MemTotal"}')" $((32704840 * 1024))
check_eq "Active(anon) by its kernel name (3118472 kB)" \
	"$(value "$TMP/om" 'kmemsnap_meminfo_bytes{field="Active(anon)"}')" $((3118472 * 1024))
check_eq "HugePages_Total is a number, not bytes" \
	"$(value "$TMP/om" 'kmemsnap_meminfo_number{field="HugePages_Total"}')" 0
# dentry: 5454 slabs of 4 pages of 4096 bytes; active_objs is slabinfo's
# second column.
check_eq "slab footprint of dentry (5454 * 4 * 4096)" \
	"$(value "$TMP/om" 'kmemsnap_slab_footprint_bytes{cache="dentry"}')" $((5454 * 4 * 4096))
check_eq "slab active objects of dentry" \
	"$(value "$TMP/om" 'kmemsnap_slab_active_objects{cache="dentry"}')" \
	"$(awk '$1 == "dentry" { print $2 }' "$KMEMSNAP_FIXTURES/trees/modern/proc/slabinfo")"
check_eq "one footprint per kept cache (64)" "$(grep -c '^kmemsnap_slab_footprint_bytes{' "$TMP/om")" 64
check_eq "slab caches seen (300)" "$(value "$TMP/om" kmemsnap_slab_caches)" 300
check_eq "slab total footprint" "$(value "$TMP/om" kmemsnap_slab_total_footprint_bytes)" \
	"$(jq -r .slab.footprintBytesTotal "$TMP/modern.json")"
# The largest caller: one ioremap area of 134221824 bytes.
check_eq "vmalloc caller with its flags" \
	"$(value "$TMP/om" 'kmemsnap_vmalloc_caller_bytes{caller="pci_mmcfg_arch_map+0x2f/0x60",flags="ioremap"}')" 134221824
check_eq "vmalloc total bytes" "$(value "$TMP/om" kmemsnap_vmalloc_total_bytes)" 272105472
check_eq "vmalloc used: 5590 pages * 4096" "$(value "$TMP/om" kmemsnap_vmalloc_used_bytes)" $((5590 * 4096))
check_eq "processes" "$(value "$TMP/om" kmemsnap_processes)" 9
check_eq "process RSS total (663836 kB)" "$(value "$TMP/om" kmemsnap_processes_rss_bytes)" $((663836 * 1024))
check_eq "explain's remainder" "$(value "$TMP/om" 'kmemsnap_memory_bytes{category="unaccounted"}')" \
	"$("$KMEMSNAP" explain --json "$TMP/modern.kms" | jq -r '.lines[] | select(.category == "unaccounted") | (.kb | tonumber) * 1024')"
check_eq "explain's categories add up to MemTotal" \
	"$(grep '^kmemsnap_memory_bytes{' "$TMP/om" | awk '{ s += $2 } END { printf "%.0f", s }')" $((32704840 * 1024))
check_eq "section ok" "$(value "$TMP/om" 'kmemsnap_section_ok{section="slab"}')" 1
check_eq "a section the tree lacks (kmemleak) is 0" \
	"$(value "$TMP/om" 'kmemsnap_section_ok{section="kmemleak"}')" 0
check_eq "kmemleak totals only when there is a report" "$(grep -c '^kmemsnap_kmemleak_' "$TMP/om")" 0
realtime=$(jq -r .header.realtimeNs "$TMP/modern.json")
check_eq "capture time in seconds, to the millisecond" \
	"$(value "$TMP/om" kmemsnap_snapshot_timestamp_seconds)" \
	"$((realtime / 1000000000)).$(printf %03d $((realtime % 1000000000 / 1000000)))"
check_grep "info labels" "$TMP/om" \
	'^kmemsnap_snapshot_info\{hostname="fedora-ws",kernel_release="6\.5\.6-300\.fc39\.x86_64",boot_id="0f6a3c52-8d7e-4c8b-9a51-2f0e8b1c7d10",trigger="manual"\} 1$'
check_grep "a mount point with spaces" "$TMP/om" '^kmemsnap_mount_used_bytes\{mount_point="/mnt/my ram disk",fs_type="ramfs"\} [0-9]+$'

# ---- hand-written snapshots: label escaping and time order --------------------
proto_dir="$KMEMSNAP_SOURCE_DIR/proto"
# snap NAME REALTIME_NS MEMFREE_KB HOST: a small snapshot; its slab cache
# has a name with a quote, a backslash, a newline and a byte that is not
# UTF-8 (\377), which the format forbids.
snap() {
	printf 'header { hostname: "%s" realtime_ns: %s page_size_bytes: 4096 }\n' "$4" "$2"
	printf 'meminfo { status { state: STATE_OK } mem_total_kb: 1000 mem_free_kb: %s }\n' "$3"
	printf 'slab { status { state: STATE_OK } caches_total: 1\n'
	printf '  caches { name: "a\\"b\\\\c\\nd\\377" num_slabs: 2 pages_per_slab: 1 active_objs: 5 } }\n'
}
mkdir -p "$TMP/dir"
make_snap() {
	# protoc complains about (and still encodes) the byte that is not UTF-8.
	snap "$@" | protoc --encode=kmemsnap.v1.Snapshot -I "$proto_dir" "$proto_dir/kmemsnap.proto" \
		>"$TMP/$1.pb" 2>/dev/null
	make_blob "$TMP/$1.pb" "$TMP/dir/$1.kms"
}
# File names sort opposite to the capture times: the times decide.
make_snap c 1700000000000000000 100 h1
make_snap b 1700000060500000000 200 h1
make_snap a 1700000120250000000 300 h1

run "$TMP/om" "$TMP/err" "$KMEMSNAP" export "$TMP/dir"
check_eq "dir: exits 0" "$rc" 0
check "dir: valid" validate "$TMP/om" 0
check_eq "dir: only the newest snapshot (MemFree 300 kB)" \
	"$(grep '^kmemsnap_meminfo_bytes{field="MemFree"}' "$TMP/om")" \
	'kmemsnap_meminfo_bytes{field="MemFree"} 307200'
check_eq "label escaped: quote, backslash, newline; not UTF-8 becomes ?" \
	"$(grep '^kmemsnap_slab_footprint_bytes{' "$TMP/om")" \
	'kmemsnap_slab_footprint_bytes{cache="a\"b\\c\nd?"} 8192'

run "$TMP/om" "$TMP/err" "$KMEMSNAP" export --all "$TMP/dir"
check_eq "--all: exits 0" "$rc" 0
check "--all: valid, stamped, series in time order" validate "$TMP/om" 1
check_eq "--all: one series, three samples, oldest first" \
	"$(grep '^kmemsnap_meminfo_bytes{field="MemFree"}' "$TMP/om")" \
	'kmemsnap_meminfo_bytes{field="MemFree"} 102400 1700000000.000
kmemsnap_meminfo_bytes{field="MemFree"} 204800 1700000060.500
kmemsnap_meminfo_bytes{field="MemFree"} 307200 1700000120.250'
check_eq "--all: a family's metadata once" "$(grep -c '^# TYPE kmemsnap_meminfo_bytes ' "$TMP/om")" 1

# A damaged file among good ones: named, skipped, exit 1, the rest exported.
printf 'garbage' >"$TMP/dir/d.kms"
run "$TMP/om" "$TMP/err" "$KMEMSNAP" export --all "$TMP/dir"
check_eq "bad file: exits 1" "$rc" 1
check_grep "bad file: named on stderr" "$TMP/err" "^kmemsnap: .*/dir/d\.kms: .*skipped$"
check_eq "bad file: the good ones still exported" \
	"$(grep -c '^kmemsnap_meminfo_bytes{field="MemFree"}' "$TMP/om")" 3
check "bad file: output still valid" validate "$TMP/om" 1

# ---- JSON lines ---------------------------------------------------------------
run "$TMP/jl" "$TMP/err" "$KMEMSNAP" export --format json "$TMP/dir" "$TMP/modern.kms"
check_eq "json: exits 1 for the bad file" "$rc" 1
check_eq "json: one line per good snapshot" "$(wc -l <"$TMP/jl")" 4
check "json: every line is one JSON object" jq -e -s 'length == 4 and all(type == "object")' "$TMP/jl" >/dev/null
check_eq "json: in time order" \
	"$(jq -r '.meminfo.memFreeKb' "$TMP/jl" | tr '\n' ' ')" "100 200 300 539904 "
check_eq "json: the line is the snapshot" \
	"$(sed -n 4p "$TMP/jl" | jq -c .slab.cachesTotal)" 300
rm "$TMP/dir/d.kms"

# ---- -o: atomic replacement ---------------------------------------------------
mkdir -p "$TMP/out"
echo "old content" >"$TMP/out/kmemsnap.prom"
inode=$(stat -c %i "$TMP/out/kmemsnap.prom")
run "$TMP/stdout" "$TMP/err" bash -c "umask 022; exec \"\$0\" export -o '$TMP/out/kmemsnap.prom' '$TMP/dir'" "$KMEMSNAP"
check_eq "-o: exits 0" "$rc" 0
check_eq "-o: nothing on stdout" "$(cat "$TMP/stdout")" ""
"$KMEMSNAP" export "$TMP/dir" >"$TMP/expected"
check "-o: the file holds the export" cmp -s "$TMP/out/kmemsnap.prom" "$TMP/expected"
check "-o: replaced by a rename (a new inode), not rewritten in place" \
	test "$(stat -c %i "$TMP/out/kmemsnap.prom")" != "$inode"
check_eq "-o: readable by the collector's user (0644 under umask 022)" \
	"$(stat -c %a "$TMP/out/kmemsnap.prom")" 644
check_eq "-o: no temporary file left" "$(ls -A "$TMP/out")" "kmemsnap.prom"
run "$TMP/stdout" "$TMP/err" "$KMEMSNAP" export -o "$TMP/out/kmemsnap.prom" "$TMP/missing.kms"
check_eq "-o: nothing readable: exits 1" "$rc" 1
check "-o: ... and leaves the file alone" cmp -s "$TMP/out/kmemsnap.prom" "$TMP/expected"
run "$TMP/stdout" "$TMP/err" "$KMEMSNAP" export -o "$TMP/nodir/x.prom" "$TMP/dir"
check_eq "-o: a directory that does not exist: exits 1" "$rc" 1
check_grep "-o: says so" "$TMP/err" "^kmemsnap: .*/nodir/x\.prom: cannot write: "

# ---- usage ----------------------------------------------------------------
run "$TMP/usage" "$TMP/err" "$KMEMSNAP" export --format xml "$TMP/dir"
check_eq "unknown format: usage error" "$rc" 2
run "$TMP/usage" "$TMP/err" "$KMEMSNAP" export
check_eq "no input: usage error" "$rc" 2
run "$TMP/usage" "$TMP/err" "$KMEMSNAP" export - <"$TMP/modern.kms"
check_eq "standard input (read twice): usage error" "$rc" 2
run "$TMP/usage" "$TMP/err" "$KMEMSNAP" export --help
check_grep "--help explains --all" "$TMP/usage" "--all"

finish
