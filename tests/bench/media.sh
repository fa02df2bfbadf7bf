#!/usr/bin/env bash
# Media relay benchmark: Ovoz vs rtpengine (userspace) vs a floor, the same
# generator (mediaload.c), the same SDES-SRTP caller <-> plain RTP callee
# calls, 50 packets/s each way per call, same machine, one run.
# A measurement, never a test: not part of meson test. See docs/benchmarks.md.
#
# Usage: tests/bench/media.sh        (as root on Debian 12 for apt installs)
# Environment knobs (defaults in brackets):
#   NS ["100 500 1000 2000"]  concurrent calls, one round per server per N
#   WARMUP [5] DURATION [20]  seconds of media before / in the window
#   PIN [1]        1: generator on CPU 0, server on CPU 1; 0: no pinning
#   GEN_RT [1]     1: the generator runs SCHED_FIFO (chrt -f 10, root), so
#                  other programs on its core cannot delay its sends
#   GEN_SOCKETS [1] caller and callee sockets the generator's calls share
#   SERVERS ["ovoz rtpengine floor"]  also: floor_nss (the floor with
#                  libsrtp2's own crypto, NSS on Debian, instead of Ovoz's
#                  OpenSSL types) and ovoz_base (Ovoz built from BASE_REV)
#   BASE_REV []    a commit for ovoz_base, built release in $BUILD/base
#   BUILD [build-bench]  meson build dir (release, no sanitizers)
#   OVOZ_PORT [15443] SIP_UDP_PORT [15460] NG_PORT [15490]
#   RTP_LO [20000] RTP_HI [29999]   the relays' port range
#   MEDIA_BASE [16000]  the generator's ports (2 * GEN_SOCKETS, below
#                  RTP_LO; a port another program holds is replaced by a
#                  free one)
#   SIP_A [15481] SIP_B [15482]     the generator's SIP ports (Ovoz)
# Every process it starts is stopped by PID on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

NS=${NS:-"100 500 1000 2000"}
WARMUP=${WARMUP:-5}
DURATION=${DURATION:-20}
PIN=${PIN:-1}
GEN_RT=${GEN_RT:-1}
GEN_SOCKETS=${GEN_SOCKETS:-1}
SERVERS=${SERVERS:-"ovoz rtpengine floor"}
BUILD=${BUILD:-build-bench}
BASE_REV=${BASE_REV:-}
OVOZ_PORT=${OVOZ_PORT:-15443}
SIP_UDP_PORT=${SIP_UDP_PORT:-15460}
NG_PORT=${NG_PORT:-15490}
RTP_LO=${RTP_LO:-20000}
RTP_HI=${RTP_HI:-29999}
MEDIA_BASE=${MEDIA_BASE:-16000}
SIP_A=${SIP_A:-15481}
SIP_B=${SIP_B:-15482}
PASSWORD=benchpass
REALM=bench
TOKEN=bench-admin-token-0123456789

out="$root/$BUILD/media-run"
pids=()
log() { printf '[media] %s\n' "$*" >&2; }

. "$here/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites ----------------------------------------------------------
bench_install rtpengine-daemon libsrtp2-dev libssl-dev pkg-config curl util-linux
# The Debian package enables a system service; this benchmark never uses it.

bench_build_ovoz
GEN="$root/$BUILD/bench/mediaload"
mkdir -p "$BUILD/bench"
if [ ! -x "$GEN" ] || [ "$here/mediaload.c" -nt "$GEN" ] || [ "$here/loadlib.c" -nt "$GEN" ] ||
   [ "$here/mediautil.c" -nt "$GEN" ] || [ "$here/mediafloor.c" -nt "$GEN" ] ||
   [ "$here/mediapump.c" -nt "$GEN" ] || [ "$here/mediapump.h" -nt "$GEN" ] ||
   [ "$root/media/srtp_crypto.c" -nt "$GEN" ]; then
	cc -O2 -Wall -I"$root" -o "$GEN" "$here/mediaload.c" "$here/mediautil.c" \
		"$here/mediafloor.c" "$here/mediapump.c" "$here/loadlib.c" \
		"$root/media/srtp_crypto.c" -lpthread \
		$(pkg-config --cflags --libs libsrtp2 openssl)
fi
OVOZ_BASE_BIN=
if [ -n "$BASE_REV" ]; then	# sources from git, never a checkout
	base="$root/$BUILD/base"
	if [ "$(cat "$base/REV" 2>/dev/null)" != "$(git rev-parse "$BASE_REV")" ]; then
		rm -rf "$base"; mkdir -p "$base/src"
		git archive "$BASE_REV" | tar -x -C "$base/src"
		git rev-parse "$BASE_REV" >"$base/REV"
	fi
	[ -f "$base/build/build.ninja" ] ||
		meson setup "$base/build" "$base/src" --buildtype=release -Dtests=false >/dev/null
	ninja -C "$base/build" gateway/ovoz >/dev/null
	OVOZ_BASE_BIN="$base/build/gateway/ovoz"
fi
certs/make-dev-certs.sh >/dev/null
rm -rf "$out"
mkdir -p "$out"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ "$PIN" = 1 ]; then SRV_CPU=(taskset -c 1); GEN_CPU=(taskset -c 0)
else SRV_CPU=(); GEN_CPU=(); fi
[ "$GEN_RT" != 1 ] || GEN_CPU=(chrt -f 10 "${GEN_CPU[@]}")

gen() {	# gen LABEL N SERVER_PID ARGS...: one measured round
	local label=$1 n=$2 spid=$3
	shift 3
	"${GEN_CPU[@]}" "$GEN" --label "$label" --calls "$n" --warmup "$WARMUP" \
		--duration "$DURATION" --server-pid "$spid" \
		--media-base "$MEDIA_BASE" --gen-sockets "$GEN_SOCKETS" "$@" \
		>"$out/$label-$n.result" 2>"$out/$label-$n.log" || {
		log "$label N=$n: generator failed:"; tail -5 "$out/$label-$n.log" >&2
		return 1; }
	cat "$out/$label-$n.result"
}


round_ovoz() {	# N [LABEL BINARY]
	local label=${2:-ovoz} bin=${3:-$OVOZ_BIN}
	local d="$out/$label-$1" i
	mkdir -p "$d"
	printf '[media]\nrelay_udp = always\nrtp_ports = %s-%s\n' "$RTP_LO" "$RTP_HI" >"$d/ovoz.ini"
	"${SRV_CPU[@]}" "$bin" --config "$d/ovoz.ini" \
		--sip-udp "127.0.0.1:$SIP_UDP_PORT" --https "127.0.0.1:$OVOZ_PORT" \
		--cert certs/dev/server.pem --key certs/dev/server.key \
		--db "$d/ovoz.db" --realm "$REALM" --admin-token "$TOKEN" \
		--media-ip 127.0.0.1 --log-level warning >"$d/ovoz.log" 2>&1 &
	local pid=$!
	pids+=("$pid")
	for i in $(seq 100); do
		curl -skf -o /dev/null -H "Authorization: Bearer $TOKEN" \
			"https://127.0.0.1:$OVOZ_PORT/api/extensions" && break
		sleep 0.1
	done
	for e in 1000 1001; do
		curl -skf -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' \
			-d "{\"extension\":\"$e\",\"password\":\"$PASSWORD\"}" \
			"https://127.0.0.1:$OVOZ_PORT/api/extensions"
	done
	gen "$label" "$1" "$pid" --target ovoz --ctl-port "$SIP_UDP_PORT" \
		--sip-port-a "$SIP_A" --sip-port-b "$SIP_B" --user-a 1001 \
		--user-b 1000 --password "$PASSWORD" --domain "$REALM" || true
	stop_pid "$pid"; forget "$pid"
}

round_ovoz_base() {	# N
	[ -n "$OVOZ_BASE_BIN" ] || { log "ovoz_base needs BASE_REV"; return 0; }
	round_ovoz "$1" ovoz-base "$OVOZ_BASE_BIN"
}

round_rtpengine() {	# N
	local d="$out/rtpengine-$1" i
	mkdir -p "$d"
	"${SRV_CPU[@]}" rtpengine --config-file=none --foreground --table=-1 \
		--interface=127.0.0.1 --listen-ng="127.0.0.1:$NG_PORT" \
		--port-min="$RTP_LO" --port-max="$RTP_HI" --log-stderr \
		--log-level=4 --pidfile="$d/rtpengine.pid" >"$d/rtpengine.log" 2>&1 &
	local pid=$!
	pids+=("$pid")
	sleep 1
	gen rtpengine "$1" "$pid" --target rtpengine --ctl-port "$NG_PORT" || true
	stop_pid "$pid"; forget "$pid"
}

round_floor() {	# N [LABEL SRTP]: SRTP is openssl or nss
	local label=${2:-floor} srtp=${3:-openssl}
	local ka kr f="$out/$label-ports-$1" i
	ka=$(openssl rand -hex 30); kr=$(openssl rand -hex 30)
	"${SRV_CPU[@]}" "$GEN" --serve-floor --calls "$1" --ctl-port "$RTP_LO" \
		--srtp "$srtp" --key-a "$ka" --key-r "$kr" >"$f" \
		2>"$out/$label-serve-$1.log" &
	local pid=$!
	pids+=("$pid")
	for i in $(seq 100); do
		grep -q ready "$f" 2>/dev/null && break
		sleep 0.1
	done
	gen "$label" "$1" "$pid" --target floor --floor-ports "$f" \
		--key-a "$ka" --key-r "$kr" || true
	stop_pid "$pid"; forget "$pid"
}

round_floor_nss() { round_floor "$1" floor-nss nss; }

log "$(rtpengine --version 2>&1 | head -1); ovoz $(git rev-parse --short HEAD)"
for n in $NS; do
	for s in $SERVERS; do
		"round_$s" "$n"
	done
done | tee "$out/summary.txt"
