# A memory cgroup below the test's own, for the tests that need the kernel
# to run out of memory (real OOM, PSI, the watcher, the supervisor); sourced.
#
#   memcg_make NAME LIMIT_BYTES   sets memcg (its directory), memcg_version
#                                 (1 or 2), memcg_own (the test's cgroup as
#                                 /proc/self/cgroup names it), memcg_rel
#                                 (memcg below the hierarchy's mount, as
#                                 --cgroup takes it) and memcg_events (the
#                                 file that counts OOM kills). Returns 1 with
#                                 memcg_why set when no cgroup can be made.
#   memcg_remove                  removes it (waits for the kernel to let
#                                 go of dead tasks).
#
# cgroup v2 when /sys/fs/cgroup is a cgroup2 mount with the memory
# controller, else the v1 memory hierarchy.

memcg=
memcg_why=

memcg_make()
{
	local name=$1 limit=$2 parent limit_file swap_file swap_value mnt

	if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]] &&
		grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		memcg_version=2
		memcg_own=$(sed -n 's/^0:://p' /proc/self/cgroup)
		parent=/sys/fs/cgroup${memcg_own%/}
		# Children get the controller only if the parent hands it
		# down; a non-root cgroup with processes cannot (no internal
		# processes).
		if ! grep -qw memory "$parent/cgroup.subtree_control" &&
			! echo +memory >"$parent/cgroup.subtree_control" 2>/dev/null; then
			memcg_why="cannot enable the memory controller below $parent"
			return 1
		fi
		limit_file=memory.max
		swap_file=memory.swap.max
		swap_value=0
		memcg_events=memory.events
	else
		memcg_version=1
		mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' \
			/proc/self/mounts)
		if [[ -z $mnt ]]; then
			memcg_why="no cgroup2 memory controller and no v1 memory hierarchy"
			return 1
		fi
		memcg_own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' \
			/proc/self/cgroup)
		parent=$mnt${memcg_own%/}
		limit_file=memory.limit_in_bytes
		swap_file=memory.memsw.limit_in_bytes
		swap_value=$limit
		memcg_events=memory.oom_control
	fi
	if ! mkdir "$parent/$name" 2>/dev/null; then
		memcg_why="cannot create a memory cgroup in $parent (cgroup v$memcg_version)"
		return 1
	fi
	memcg=$parent/$name
	memcg_rel=${memcg_own%/}/$name
	if ! echo "$limit" >"$memcg/$limit_file"; then
		memcg_why="cannot set $memcg/$limit_file"
		return 1
	fi
	if [[ -e $memcg/$swap_file ]]; then
		echo "$swap_value" >"$memcg/$swap_file" || {
			memcg_why="cannot set $memcg/$swap_file"
			return 1
		}
	fi
	return 0
}

memcg_remove()
{
	local _
	for _ in $(seq 20); do
		[[ -z $memcg || ! -d $memcg ]] && return 0
		rmdir "$memcg" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "warning: could not remove $memcg" >&2
}
