#!/usr/bin/env bash
# Call set-up time, browser to softphone, Ovoz vs Kamailio 5.6 + rtpengine
# (userspace): headless Chromium with SIP.js (the end-to-end harness page)
# calls baresip (UDP, auto-answer) CALLS times through each server, one call
# at a time, same machine, one run (tests/bench/setup.mjs does the calls).
# Reported per server, p50/p95 in ms from the first INVITE SIP.js sends:
# the 2xx, the first RTP the browser receives, the first remote audio frame
# with energy; the browser's ICE checking -> first RTP; and for Ovoz, from
# its log, first valid ICE check -> DTLS-SRTP keyed -> media flowing both
# ways. A measurement, never a test: not part of meson test. See
# docs/benchmarks.md, "Call set-up".
#
# Usage: tests/bench/setup.sh        (as root on Debian 12 for apt installs)
# Environment knobs (defaults in brackets):
#   CALLS [20]      measured calls per server
#   WARMUP [2]      calls before them, not counted
#   SERVERS ["ovoz kamailio"]
#   BUILD [build-bench]  meson build dir (release, no sanitizers)
#   KAM_PORT [15444] KAM_UDP_PORT [15461] NG_PORT [15490]
#   RTP_LO [20000] RTP_HI [29999]   rtpengine's port range
#   OFFER_FLAGS ["replace-origin replace-session-connection ICE=remove
#                RTP/AVP DTLS=off SDES-off rtcp-mux-demux"]
#   ANSWER_FLAGS ["replace-origin replace-session-connection ICE=force
#                 rtcp-mux-require"]
#                   rtpengine_offer() / rtpengine_answer() flags for the
#                   browser's call (offer towards baresip, answer towards
#                   the browser). rtpengine's default DTLS role is active
#                   (it answers a=setup:active). Adding DTLS=passive
#                   gets no audio on rtpengine 10.5: it sends its
#                   ClientHello from the offer on (its ICE checks to the
#                   browser succeed before the answer), then resets to a
#                   passive endpoint, and no handshake completes.
#   BUNDLE_FIX [1]  1: Kamailio puts a=group:BUNDLE back into rtpengine's
#                   answer (rtpengine 10.5 drops it, Chromium refuses the
#                   answer of its max-bundle offer without it); 0: as is
#   RTPENGINE_LOG [6]  rtpengine's --log-level (7: DTLS and ICE details)
#   OVOZ_LOG [info] Ovoz's --log-level (its set-up line is at message)
# Every process it starts is stopped by PID on exit (also on error or
# Ctrl-C); Ovoz, baresip and Chromium are started and stopped by setup.mjs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

CALLS=${CALLS:-20}
WARMUP=${WARMUP:-2}
SERVERS=${SERVERS:-"ovoz kamailio"}
BUILD=${BUILD:-build-bench}
KAM_PORT=${KAM_PORT:-15444}
KAM_UDP_PORT=${KAM_UDP_PORT:-15461}
NG_PORT=${NG_PORT:-15490}
RTP_LO=${RTP_LO:-20000}
RTP_HI=${RTP_HI:-29999}
OFFER_FLAGS=${OFFER_FLAGS:-"replace-origin replace-session-connection ICE=remove RTP/AVP DTLS=off SDES-off rtcp-mux-demux"}
ANSWER_FLAGS=${ANSWER_FLAGS:-"replace-origin replace-session-connection ICE=force rtcp-mux-require"}
OVOZ_LOG=${OVOZ_LOG:-info}
BUNDLE_FIX=${BUNDLE_FIX:-1}
RTPENGINE_LOG=${RTPENGINE_LOG:-6}
PASSWORD=benchpass
REALM=bench
CALLER=2000
CALLEE=1000

out="$root/$BUILD/setup-run"
pids=()
log() { printf '[setup] %s\n' "$*" >&2; }

. "$here/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# ---- prerequisites ----------------------------------------------------------
bench_install kamailio kamailio-websocket-modules kamailio-tls-modules \
	 kamailio-sqlite-modules rtpengine-daemon sqlite3 baresip chromium \
	 curl iproute2
command -v node >/dev/null || bench_install nodejs
command -v npm >/dev/null || bench_install npm
# The Debian packages enable system services; this benchmark never uses them.
[ -d node_modules/playwright-core ] && [ -d node_modules/sip.js ] ||
	npm ci --no-audit --no-fund >/dev/null

bench_build_ovoz
certs/make-dev-certs.sh >/dev/null
CERT="$root/certs/dev/server.pem"
KEY="$root/certs/dev/server.key"
rm -rf "$out"
mkdir -p "$out"

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "kernel: $(uname -r); loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "ovoz: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo '+dirty') ($BUILD, release)"
	echo "kamailio: $(kamailio -v | head -1)"
	echo "rtpengine: $(rtpengine --version 2>&1 | head -1)"
	echo "chromium: $(chromium --version 2>/dev/null | head -1); baresip: $(dpkg-query -W -f '${Version}' baresip)"
	echo "sip.js: $(node -p "require('./node_modules/sip.js/package.json').version")"
	echo "params: calls=$CALLS warmup=$WARMUP"
} | tee "$out/env.txt" >&2

run_node() {	# LABEL ARGS...: setup.mjs, summary to LABEL.json, calls to LABEL.calls
	local label=$1
	shift
	OVOZ_BIN="$OVOZ_BIN" node "$here/setup.mjs" --calls "$CALLS" \
		--warmup "$WARMUP" --realm "$REALM" --password "$PASSWORD" \
		--caller "$CALLER" --callee "$CALLEE" "$@" \
		>"$out/$label.json" 2>"$out/$label.calls" || {
		log "$label: setup.mjs failed:"; tail -30 "$out/$label.calls" >&2
		return 1; }
}

round_ovoz() {
	log "ovoz: $OVOZ_BIN"
	run_node ovoz --target ovoz --log-level "$OVOZ_LOG" || true
}

round_kamailio() {
	local kd="$out/kamailio" n ha1 i
	mkdir -p "$kd"
	for p in "$KAM_PORT" "$KAM_UDP_PORT" "$NG_PORT"; do
		if port_busy "$p"; then log "port $p is in use"; return 1; fi
	done
	rtpengine --config-file=none --foreground --table=-1 \
		--interface=127.0.0.1 --listen-ng="127.0.0.1:$NG_PORT" \
		--port-min="$RTP_LO" --port-max="$RTP_HI" --log-stderr \
		--log-level="$RTPENGINE_LOG" --pidfile="$kd/rtpengine.pid" \
		>"$kd/rtpengine.log" 2>&1 &
	local rpid=$!
	pids+=("$rpid")
	sqlite3 "$kd/kamailio.db" <"$here/kamailio-db.sql" >/dev/null
	for n in "$CALLER" "$CALLEE"; do
		ha1=$(printf '%s' "$n:$REALM:$PASSWORD" | md5sum | cut -d' ' -f1)
		echo "INSERT INTO subscriber (username, domain, ha1) VALUES ('$n', '$REALM', '$ha1');"
	done | sqlite3 "$kd/kamailio.db"
	local dtls
	dtls=$(sed -n 's/.*DTLS=\([a-z]*\).*/\1/p' <<<"$ANSWER_FLAGS")
	sed -e "s|@PORT@|$KAM_PORT|g" -e "s|@UDP_PORT@|$KAM_UDP_PORT|g" \
		-e "s|@CERT@|$CERT|g" -e "s|@KEY@|$KEY|g" -e "s|@DB@|$kd/kamailio.db|g" \
		-e "s|@NG_PORT@|$NG_PORT|g" -e "s|@OFFER_FLAGS@|$OFFER_FLAGS|g" \
		-e "s|@ANSWER_FLAGS@|$ANSWER_FLAGS|g" -e "s|@DTLS@|${dtls:-default}|g" \
		-e "s|@BUNDLE_FIX@|$BUNDLE_FIX|g" \
		"$here/kamailio-webrtc.cfg.in" >"$kd/kamailio.cfg"
	kamailio -c -f "$kd/kamailio.cfg" -Y "$kd" >"$kd/check.log" 2>&1 || {
		log "kamailio config check failed:"; cat "$kd/check.log" >&2; return 1; }
	kamailio -DD -E -m 64 -M 16 -f "$kd/kamailio.cfg" -Y "$kd" \
		-P "$kd/kamailio.pid" >"$kd/kamailio.log" 2>&1 &
	local kpid=$!
	pids+=("$kpid")
	for i in $(seq 100); do
		port_busy "$KAM_PORT" && port_busy "$NG_PORT" && break
		kill -0 "$kpid" 2>/dev/null || {
			log "kamailio exited:"; cat "$kd/kamailio.log" >&2; return 1; }
		sleep 0.1
	done
	sleep 1	# let every worker finish its child_init
	pgrep -P "$kpid" >"$out/kamailio.children" || true
	log "kamailio + rtpengine on 127.0.0.1:$KAM_PORT (WSS), :$KAM_UDP_PORT (UDP), NG :$NG_PORT"
	log "answer flags: $ANSWER_FLAGS"
	run_node kamailio --target kamailio --wss "wss://127.0.0.1:$KAM_PORT/ws" \
		--udp-port "$KAM_UDP_PORT" || true
	stop_pid "$kpid"; forget "$kpid"
	stop_pid "$rpid"; forget "$rpid"
}

for s in $SERVERS; do
	"round_$s"
done

# ---- table ------------------------------------------------------------------
node - "$out" $SERVERS <<'EOF' | tee "$out/table.txt"
const fs = require('node:fs');
const [dir, ...servers] = process.argv.slice(2);
const rows = [
  ['inviteTo2xx', 'INVITE -> 200 OK'],
  ['inviteToFirstRtp', 'INVITE -> first RTP in the browser (track unmute)'],
  ['inviteToFirstPacketStats', 'INVITE -> first RTP (getStats)'],
  ['inviteToAudio', 'INVITE -> first audio frame with energy (a)'],
  ['browserIceCheckingToDtls', 'browser ICE checking -> DTLS connected'],
  ['browserIceCheckingToFirstRtp', 'browser ICE checking -> first RTP'],
  ['ovozFirstCheckToDtls', 'Ovoz: first ICE check -> DTLS-SRTP keyed'],
  ['ovozFirstCheckToFlowing', 'Ovoz: first ICE check -> media flowing (b)'],
];
const res = {};
for (const s of servers) {
  try { res[s] = JSON.parse(fs.readFileSync(`${dir}/${s}.json`, 'utf8')); } catch { res[s] = null; }
}
const w = 52;
console.log('\n' + 'p50 / p95 ms'.padEnd(w) + servers.map((s) => s.padStart(16)).join(''));
for (const [k, label] of rows) {
  const cells = servers.map((s) => {
    const v = res[s]?.[k];
    return (v ? `${v.p50} / ${v.p95}` : '-').padStart(16);
  });
  console.log(label.padEnd(w) + cells.join(''));
}
console.log('calls measured (no audio within 5 s):'.padEnd(w) + servers.map((s) =>
  (res[s] ? `${res[s].calls} (${res[s].failed})` : 'failed').padStart(16)).join(''));
EOF
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/table.txt"
