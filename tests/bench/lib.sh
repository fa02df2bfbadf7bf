# tests/bench/lib.sh - what the benchmark scripts share: stopping what they
# started (by PID), port checks, on-demand Debian packages and the release
# build of ovoz. Sourced by run.sh, media.sh and setup.sh after they set
# log(), pids=() and out=; not a script of its own.

stop_pid() {	# stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "PID $pid did not stop on SIGTERM: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

forget() {	# forget PID: it was stopped already, drop it from pids
	local p
	for p in "${!pids[@]}"; do
		[ "${pids[$p]}" != "$1" ] || unset 'pids[p]'
	done
}

bench_cleanup() {	# stop every PID in pids, and stray Kamailio workers
	local p
	for p in "${pids[@]}"; do [ -z "$p" ] || stop_pid "$p"; done
	pids=()
	# Kamailio workers that outlived their main process (should not happen).
	for p in $(cat "$out"/kamailio*.children 2>/dev/null); do
		if kill -0 "$p" 2>/dev/null &&
		   grep -q kamailio "/proc/$p/comm" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
}

port_busy() {	# port_busy PORT: is something listening (TCP) or bound (UDP)?
	[ -n "$(ss -Hltun "( sport = :$1 )" 2>/dev/null)" ]
}

bench_install() {	# bench_install PKG...: apt-get what is missing (root)
	local need=() p
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
	done
	[ ${#need[@]} -gt 0 ] || return 0
	log "installing ${need[*]}"
	if [ "$(id -u)" != 0 ]; then
		log "not root: install them first"; exit 1
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
	# Debian packages may enable system services; the benchmarks never
	# use them (every server is started here, on its own ports).
}

bench_build_ovoz() {	# release build of ovoz in $BUILD; sets OVOZ_BIN
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" --buildtype=release -Dtests=false >/dev/null
	fi
	ninja -C "$BUILD" gateway/ovoz >/dev/null
	OVOZ_BIN="$root/$BUILD/gateway/ovoz"
}
