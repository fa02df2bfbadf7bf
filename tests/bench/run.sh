#!/usr/bin/env bash
# Ovoz vs Kamailio 5.6: full digest REGISTERs over WSS, same generator, same
# parameters, same machine, one run.
# MODE=calls: call setup instead (WSS callers -> proxy -> UDP sipp callee). A measurement, not a test: never part of
# the meson test suite. See docs/benchmarks.md.
#
# Usage: tests/bench/run.sh            (as root on Debian 12 for apt installs)
#        MODE=calls tests/bench/run.sh   call setup through the proxy instead
# Environment knobs (defaults in brackets):
#   MODE [register]  register: REGISTER load (regload.c), extensions 1000..;
#                    calls: WSS callers 2000.. call a UDP sipp UAS
#                    registered as 1000 (callload.c, uac_register.xml,
#                    uas_answer.xml, kamailio-calls.cfg.in)
#   CONNS [500]      WebSocket connections, one extension each (1000..);
#                    MODE=calls: [200], callers 2000..
#   WARMUP [5]       seconds of load before the measured window
#   DURATION [20]    measured window, seconds
#   PIN [1]          1: generator on CPU 0, server on CPU 1 (taskset);
#                    0: no pinning (both share both cores)
#   SERVERS ["ovoz kamailio-lean kamailio"]   which servers, in order:
#                    kamailio-lean: kamailio-lean.cfg.in, an operator's
#                    registrar (auth_db, usrloc in memory, no audit row);
#                    kamailio: kamailio.cfg.in, plus an sqlops audit row per
#                    REGISTER (MODE=calls: kamailio-calls.cfg.in; no lean)
#   PROFILE [0]      1: afterwards, an extra Ovoz round under `perf record`
#                    (not part of the numbers), top symbols to the out dir
#   BUILD [build-bench]         meson build dir (release, no sanitizers)
#   OVOZ_PORT [15443] KAM_PORT [15444] SIP_UDP_PORT [15460]
#   MODE=calls also: KAM_UDP_PORT [15461] (Kamailio's UDP listener),
#                    UAS_PORT [15470] (the sipp callee's UDP port)
#   OVOZ_ARGS [""]   extra ovoz flags, for diagnosis only (e.g. --config F)
#
# Idempotent: the work dir BUILD/bench-run is recreated on each run; every
# process it starts is stopped by PID on exit (also on error or Ctrl-C).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

MODE=${MODE:-register}
case "$MODE" in
register) CONNS=${CONNS:-500}; FIRST_EXT=1000 ;;
calls) CONNS=${CONNS:-200}; FIRST_EXT=2000 ;;
*) echo "MODE must be register or calls" >&2; exit 2 ;;
esac
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-20}
PIN=${PIN:-1}
if [ "$MODE" = calls ]; then
	SERVERS=${SERVERS:-"ovoz kamailio"}
else
	SERVERS=${SERVERS:-"ovoz kamailio-lean kamailio"}
fi
PROFILE=${PROFILE:-0}
BUILD=${BUILD:-build-bench}
OVOZ_PORT=${OVOZ_PORT:-15443}
KAM_PORT=${KAM_PORT:-15444}
SIP_UDP_PORT=${SIP_UDP_PORT:-15460}
OVOZ_ARGS=${OVOZ_ARGS:-}
KAM_UDP_PORT=${KAM_UDP_PORT:-15461}
UAS_PORT=${UAS_PORT:-15470}
CALLEE_EXT=1000
PASSWORD=benchpass
REALM=bench
TOKEN=bench-admin-token-0123456789

out="$root/$BUILD/bench-run"
pids=()

log() { printf '[bench] %s\n' "$*" >&2; }

. "$here/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites ----------------------------------------------------------
bench_install kamailio kamailio-websocket-modules kamailio-tls-modules \
	 kamailio-sqlite-modules sqlite3 libwebsockets-dev libssl-dev \
	 pkg-config curl util-linux iproute2 $([ "$MODE" = calls ] && echo sip-tester)

# ---- build ------------------------------------------------------------------
bench_build_ovoz
mkdir -p "$BUILD/bench"
# A generator is rebuilt when it is missing or older than any bench source.
stale() { # binary sources...
	local bin=$1 src
	shift
	[ -x "$bin" ] || return 0
	for src in "$@" "$here/loadlib.c" "$here/loadlib.h" "$here/wsclient.c" "$here/wsclient.h"; do
		[ "$src" -nt "$bin" ] && return 0
	done
	return 1
}
build_gen() { # name
	cc -O2 -Wall -o "$root/$BUILD/bench/$1" "$here/$1.c" "$here/loadlib.c" \
		"$here/wsclient.c" $(pkg-config --cflags --libs libwebsockets openssl)
}
REGLOAD="$root/$BUILD/bench/regload"
stale "$REGLOAD" "$here/regload.c" && build_gen regload
CALLLOAD="$root/$BUILD/bench/callload"
if [ "$MODE" = calls ] && stale "$CALLLOAD" "$here/callload.c"; then
	build_gen callload
fi
certs/make-dev-certs.sh >/dev/null
CERT="$root/certs/dev/server.pem"
KEY="$root/certs/dev/server.key"
CA="$root/certs/dev/ca.pem"

ports=("$OVOZ_PORT" "$KAM_PORT" "$SIP_UDP_PORT")
[ "$MODE" = calls ] && ports+=("$KAM_UDP_PORT" "$UAS_PORT")
for p in "${ports[@]}"; do
	if port_busy "$p"; then log "port $p is in use"; exit 1; fi
done

rm -rf "$out"
mkdir -p "$out"

if [ "$PIN" = 1 ]; then
	SRV_CPU=(taskset -c 1)
	GEN_CPU=(taskset -c 0)
else
	SRV_CPU=()
	GEN_CPU=()
fi

run_load() {	# run_load LABEL PORT SERVER_PID
	"${GEN_CPU[@]}" "$REGLOAD" --port "$2" --ca "$CA" --conns "$CONNS" \
		--users "$CONNS" --first-ext "$FIRST_EXT" --password "$PASSWORD" \
		--domain "$REALM" --warmup "$WARMUP" --duration "$DURATION" \
		--server-pid "$3" --label "$1" \
		>"$out/$1.result" 2>"$out/$1.regload.log" || {
		log "$1: generator failed:"; cat "$out/$1.regload.log" >&2
		return 1; }
	cat "$out/$1.result"
}

# Extensions the server must know: the generator's, and in MODE=calls the
# callee's.
exts() {
	[ "$MODE" = calls ] && echo "$CALLEE_EXT"
	seq "$FIRST_EXT" $((FIRST_EXT + CONNS - 1))
}

# ---- Ovoz -------------------------------------------------------------------
start_ovoz() {
	rm -rf "$out/ovoz"
	mkdir -p "$out/ovoz"
	"${SRV_CPU[@]}" "$OVOZ_BIN" --sip-udp "127.0.0.1:$SIP_UDP_PORT" \
		--https "127.0.0.1:$OVOZ_PORT" --cert "$CERT" --key "$KEY" \
		--db "$out/ovoz/ovoz.db" --realm "$REALM" --admin-token "$TOKEN" \
		--log-level warning $OVOZ_ARGS >"$out/ovoz/ovoz.log" 2>&1 &
	OVOZ_PID=$!
	pids+=("$OVOZ_PID")
	local i
	for i in $(seq 100); do
		curl -skf -o /dev/null -H "Authorization: Bearer $TOKEN" \
			"https://127.0.0.1:$OVOZ_PORT/api/extensions" && break
		kill -0 "$OVOZ_PID" 2>/dev/null || {
			log "ovoz exited:"; cat "$out/ovoz/ovoz.log" >&2; exit 1; }
		sleep 0.1
	done
	# The extensions over REST, one keep-alive connection (curl -K).
	local cfg="$out/ovoz/create.curl" n nexts=0
	: >"$cfg"
	for n in $(exts); do
		[ "$nexts" = 0 ] || echo next >>"$cfg"
		nexts=$((nexts + 1))
		printf 'url = "https://127.0.0.1:%s/api/extensions"\ninsecure\nsilent\nrequest = "POST"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"extension\\":\\"%s\\",\\"password\\":\\"%s\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
			"$OVOZ_PORT" "$TOKEN" "$n" "$PASSWORD" >>"$cfg"
	done
	curl -sk -K "$cfg" >"$out/ovoz/create.codes"
	if [ "$(grep -cE '^20[01]$' "$out/ovoz/create.codes")" != "$nexts" ]; then
		log "extension creation: $(sort "$out/ovoz/create.codes" | uniq -c | tr '\n' ' ')"
		exit 1
	fi
}

bench_ovoz() {
	log "ovoz: $OVOZ_BIN on 127.0.0.1:$OVOZ_PORT"
	start_ovoz
	run_load ovoz "$OVOZ_PORT" "$OVOZ_PID"
	stop_pid "$OVOZ_PID"
	pids=("${pids[@]/$OVOZ_PID}")
	sqlite3 "$out/ovoz/ovoz.db" "SELECT outcome, status, count(*) FROM register_attempts GROUP BY 1, 2" \
		>"$out/ovoz/attempts.txt" 2>/dev/null || true
}

# ---- Kamailio ---------------------------------------------------------------
start_kamailio() {	# start_kamailio LABEL CONFIG_IN [EXTRA_SQL]: sets KAM_PID
	local label=$1 kd="$out/$1" n ha1 i
	shift
	mkdir -p "$kd"
	sqlite3 "$kd/kamailio.db" <"$here/kamailio-db.sql" >/dev/null
	[ -z "${2:-}" ] || sqlite3 "$kd/kamailio.db" <"$2" >/dev/null
	{
		echo "BEGIN;"
		for n in $(exts); do
			ha1=$(printf '%s' "$n:$REALM:$PASSWORD" | md5sum | cut -d' ' -f1)
			echo "INSERT INTO subscriber (username, domain, ha1) VALUES ('$n', '$REALM', '$ha1');"
		done
		echo "COMMIT;"
	} | sqlite3 "$kd/kamailio.db"
	sed -e "s|@PORT@|$KAM_PORT|g" -e "s|@UDP_PORT@|$KAM_UDP_PORT|g" \
		-e "s|@CERT@|$CERT|g" -e "s|@KEY@|$KEY|g" \
		-e "s|@DB@|$kd/kamailio.db|g" "$1" >"$kd/kamailio.cfg"
	kamailio -c -f "$kd/kamailio.cfg" -Y "$kd" >"$kd/check.log" 2>&1 || {
		log "kamailio config check failed:"; cat "$kd/check.log" >&2; exit 1; }
	log "kamailio: $(kamailio -v | head -1) on 127.0.0.1:$KAM_PORT"
	"${SRV_CPU[@]}" kamailio -DD -E -m 256 -M 16 -f "$kd/kamailio.cfg" \
		-Y "$kd" -P "$kd/kamailio.pid" >"$kd/kamailio.log" 2>&1 &
	KAM_PID=$!
	pids+=("$KAM_PID")
	for i in $(seq 100); do
		port_busy "$KAM_PORT" && break
		kill -0 "$KAM_PID" 2>/dev/null || {
			log "kamailio exited:"; cat "$kd/kamailio.log" >&2; exit 1; }
		sleep 0.1
	done
	sleep 1	# let every worker finish its child_init
	pgrep -P "$KAM_PID" >"$out/$label.children" || true
}

bench_kamailio() {	# bench_kamailio LABEL CONFIG_IN
	local kd="$out/$1"
	start_kamailio "$1" "$2"
	run_load "$1" "$KAM_PORT" "$KAM_PID"
	stop_pid "$KAM_PID"
	pids=("${pids[@]/$KAM_PID}")
	sqlite3 "$kd/kamailio.db" "SELECT outcome, status, count(*) FROM register_attempts GROUP BY 1, 2" \
		>"$kd/attempts.txt" 2>/dev/null || true
}

# ---- MODE=calls: the UDP callee and the call generator ----------------------
# Register the callee from UAS_PORT (one-shot sipp UAC), then answer every
# call on that same port (sipp UAS): the servers route to the source address
# of the REGISTER. Sets UAS_PID.
start_callee() {	# start_callee LABEL SERVER_UDP_PORT
	local d="$out/$1-callee" i
	mkdir -p "$d"
	(cd "$d" && "${GEN_CPU[@]}" timeout 20 sipp "127.0.0.1:$2" \
		-sf "$here/uac_register.xml" -m 1 -s "$CALLEE_EXT" \
		-au "$CALLEE_EXT" -ap "$PASSWORD" -key domain "$REALM" \
		-i 127.0.0.1 -p "$UAS_PORT" -nostdin -timeout 10 \
		-timeout_error -trace_err >"$d/register.out" 2>&1) || {
		log "$1: callee registration failed:"
		tail -20 "$d/register.out" >&2
		cat "$d"/*_errors.log >&2 2>/dev/null || true
		exit 1; }
	# -aa: answer the servers' OPTIONS keep-alives (Ovoz pings UDP
	# contacts every 30 s by default); -f 10: fewer statistics screens.
	(cd "$d" && exec "${GEN_CPU[@]}" sipp -sf "$here/uas_answer.xml" \
		-i 127.0.0.1 -p "$UAS_PORT" -nostdin -aa -f 10 \
		>"$d/uas.out" 2>&1) &
	UAS_PID=$!
	pids+=("$UAS_PID")
	for i in $(seq 50); do
		port_busy "$UAS_PORT" && break
		sleep 0.1
	done
	# UAS_PID is the subshell that exec'd sipp: sipp itself.
}

stop_callee() {
	stop_pid "$UAS_PID"
	pids=("${pids[@]/$UAS_PID}")
}

run_calls() {	# run_calls LABEL PORT SERVER_PID
	"${GEN_CPU[@]}" "$CALLLOAD" --port "$2" --ca "$CA" --conns "$CONNS" \
		--first-ext "$FIRST_EXT" --callee "$CALLEE_EXT" \
		--password "$PASSWORD" --domain "$REALM" --warmup "$WARMUP" \
		--duration "$DURATION" --server-pid "$3" --callee-pid "$UAS_PID" \
		--label "$1" >"$out/$1.result" 2>"$out/$1.callload.log" || {
		log "$1: generator failed:"; cat "$out/$1.callload.log" >&2
		return 1; }
	cat "$out/$1.result"
}

bench_ovoz_calls() {
	log "ovoz: $OVOZ_BIN on 127.0.0.1:$OVOZ_PORT (calls)"
	start_ovoz
	start_callee ovoz "$SIP_UDP_PORT"
	run_calls ovoz "$OVOZ_PORT" "$OVOZ_PID"
	stop_callee
	stop_pid "$OVOZ_PID"
	pids=("${pids[@]/$OVOZ_PID}")
	sqlite3 "$out/ovoz/ovoz.db" "SELECT disposition, status, hangup_by, count(*) FROM calls GROUP BY 1, 2, 3" \
		>"$out/ovoz/calls.txt" 2>/dev/null || true
}

bench_kamailio_calls() {
	local kd="$out/kamailio"
	start_kamailio kamailio "$here/kamailio-calls.cfg.in" "$here/kamailio-calls.sql"
	start_callee kamailio "$KAM_UDP_PORT"
	run_calls kamailio "$KAM_PORT" "$KAM_PID"
	stop_callee
	stop_pid "$KAM_PID"
	pids=("${pids[@]/$KAM_PID}")
	sqlite3 "$kd/kamailio.db" "SELECT disposition, status, hangup_by, count(*) FROM calls GROUP BY 1, 2, 3" \
		>"$kd/calls.txt" 2>/dev/null || true
}

# ---- run --------------------------------------------------------------------
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "kernel: $(uname -r); loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "ovoz: $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet 2>/dev/null || echo '+dirty') ($BUILD, release)"
	echo "kamailio: $(kamailio -v | head -1)"
	echo "libwebsockets: $(pkg-config --modversion libwebsockets); openssl: $(openssl version | cut -d' ' -f2); sqlite: $(sqlite3 --version | cut -d' ' -f1)"
	[ "$MODE" = register ] || echo "sipp: $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1)"
	echo "params: mode=$MODE conns=$CONNS warmup=${WARMUP}s duration=${DURATION}s pin=$PIN${OVOZ_ARGS:+ ovoz_args=$OVOZ_ARGS}"
} | tee "$out/env.txt" >&2

for s in $SERVERS; do
	case "$s" in
	ovoz) if [ "$MODE" = calls ]; then bench_ovoz_calls; else bench_ovoz; fi ;;
	kamailio) if [ "$MODE" = calls ]; then bench_kamailio_calls
		  else bench_kamailio kamailio "$here/kamailio.cfg.in"; fi ;;
	kamailio-lean)
		[ "$MODE" = register ] || { log "kamailio-lean: MODE=register only"; exit 1; }
		bench_kamailio kamailio-lean "$here/kamailio-lean.cfg.in" ;;
	*) log "unknown server $s"; exit 1 ;;
	esac
done

# ---- table ------------------------------------------------------------------
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$out/$1.result"; }
if [ "$MODE" = calls ]; then
{
	printf '\n%-9s %8s %8s %8s %11s %9s %9s %10s %11s %6s\n' server 'calls/s' \
		'p50 ms' 'p99 ms' 'srv us/call' 'srv CPU%' 'gen CPU%' 'gen us/call' \
		'sipp CPU%' errors
	for s in $SERVERS; do
		[ -s "$out/$s.result" ] || continue
		printf '%-9s %8s %8s %8s %11s %9s %9s %10s %11s %6s\n' "$s" \
			"$(field "$s" rate)" "$(field "$s" p50_ms)" "$(field "$s" p99_ms)" \
			"$(field "$s" server_us_per_call)" "$(field "$s" server_cpu_pct)" \
			"$(field "$s" gen_cpu_pct)" "$(field "$s" gen_us_per_call)" \
			"$(field "$s" callee_cpu_pct)" \
			"$(( $(field "$s" errors) + $(field "$s" timeouts) ))"
	done
	echo "(p50/p99: first INVITE -> 200 for INVITE, including the 407 round)"
	if [ -s "$out/ovoz.result" ] && [ -s "$out/kamailio.result" ]; then
		awk -v o="$(field ovoz server_us_per_call)" -v k="$(field kamailio server_us_per_call)" \
		    -v orate="$(field ovoz rate)" -v krate="$(field kamailio rate)" 'BEGIN {
			printf "\nCPU per call, Ovoz/Kamailio: %.2f\n", o / k
			printf "Throughput, Ovoz/Kamailio: %.2f\n", orate / krate }'
	fi
	for s in $SERVERS; do
		[ -s "$out/$s/calls.txt" ] &&
			echo "$s call-log rows: $(tr '\n' ' ' <"$out/$s/calls.txt")"
	done
	echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/table.txt"
else
{
	printf '\n%-13s %8s %8s %8s %10s %9s %9s %9s %6s\n' server 'reg/s' 'p50 ms' \
		'p99 ms' 'srv us/reg' 'srv CPU%' 'gen CPU%' 'gen us/reg' errors
	for s in $SERVERS; do
		[ -s "$out/$s.result" ] || continue
		printf '%-13s %8s %8s %8s %10s %9s %9s %9s %6s\n' "$s" \
			"$(field "$s" rate)" "$(field "$s" p50_ms)" "$(field "$s" p99_ms)" \
			"$(field "$s" server_us_per_reg)" "$(field "$s" server_cpu_pct)" \
			"$(field "$s" gen_cpu_pct)" "$(field "$s" gen_us_per_reg)" \
			"$(( $(field "$s" errors) + $(field "$s" timeouts) ))"
	done
	for k in kamailio-lean kamailio; do
		[ -s "$out/ovoz.result" ] && [ -s "$out/$k.result" ] || continue
		awk -v o="$(field ovoz server_us_per_reg)" -v k="$(field "$k" server_us_per_reg)" \
		    -v orate="$(field ovoz rate)" -v krate="$(field "$k" rate)" -v name="$k" 'BEGIN {
			printf "\nCPU per registration, Ovoz/%s: %.2f (target <= 0.50: %s)\n",
				name, o / k, (o / k <= 0.5 ? "met" : "NOT met")
			printf "Throughput, Ovoz/%s: %.2f\n", name, orate / krate }'
	done
	echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/table.txt"
fi

# ---- optional profile (separate round; its numbers are not reported) -------
if [ "$PROFILE" = 1 ]; then
	command -v perf >/dev/null || { log "perf missing (apt-get install linux-perf)"; exit 1; }
	log "profile: Ovoz under the same load, perf record -g"
	start_ovoz
	if [ "$MODE" = calls ]; then
		start_callee ovoz-profile "$SIP_UDP_PORT"
		"${GEN_CPU[@]}" "$CALLLOAD" --port "$OVOZ_PORT" --ca "$CA" \
			--conns "$CONNS" --first-ext "$FIRST_EXT" \
			--callee "$CALLEE_EXT" --password "$PASSWORD" \
			--domain "$REALM" --warmup "$((WARMUP + 12))" --duration 2 \
			--server-pid "$OVOZ_PID" --label ovoz-profile \
			>"$out/ovoz-profile.result" 2>/dev/null &
	else
		"${GEN_CPU[@]}" "$REGLOAD" --port "$OVOZ_PORT" --ca "$CA" --conns "$CONNS" \
			--users "$CONNS" --password "$PASSWORD" --domain "$REALM" \
			--warmup "$((WARMUP + 12))" --duration 2 --server-pid "$OVOZ_PID" \
			--label ovoz-profile >"$out/ovoz-profile.result" 2>/dev/null &
	fi
	gen=$!
	pids+=("$gen")
	sleep "$WARMUP"
	# DWARF unwinding: the release build and Debian's libraries have no
	# frame pointers. 10 s at 499 Hz keeps perf.data near 50 MB.
	perf record -q -F 499 --call-graph dwarf,8192 -p "$OVOZ_PID" \
		-o "$out/perf.data" -- sleep 10 >/dev/null 2>&1
	wait "$gen" || true
	[ "$MODE" = calls ] && stop_callee
	stop_pid "$OVOZ_PID"
	perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio \
		-g none --percent-limit 0.7 2>/dev/null | grep -v '^$' \
		>"$out/perf-self.txt" || true
	perf report -i "$out/perf.data" --children --sort symbol --stdio \
		-g none --percent-limit 2 2>/dev/null | grep -v '^$' \
		>"$out/perf-children.txt" || true
	log "profile: $out/perf-self.txt and $out/perf-children.txt"
fi
