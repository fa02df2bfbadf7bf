// SPDX-License-Identifier: MIT
/*
 * regload - SIP-over-WSS REGISTER load generator for the Ovoz benchmark.
 *
 * Keeps N WebSocket (wss, subprotocol "sip") connections open; each one
 * loops over a full digest registration: REGISTER -> 401 -> REGISTER with
 * an MD5 qop=auth Authorization -> 200. Connection i registers extension
 * (first_ext + i % users). One libwebsockets context, one thread, poll loop.
 *
 * Phases: connect all N, warm up for --warmup seconds, then a measured
 * window of --duration seconds (or until --count registrations completed).
 * Only registrations that complete inside the window are counted, and only
 * the window is used for CPU: utime+stime of --server-pid and all of its
 * descendants (from /proc/PID/stat), and this process's own getrusage().
 *
 * Not part of the test suite; built and run by tests/bench/run.sh.
 */
#define _GNU_SOURCE
#include "wsclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cstate { CS_IDLE, CS_WAIT_401, CS_WAIT_200 };

#define REG_TIMEOUT 5.0	/* s */

struct conn {
	struct wsconn ws;	/* first: the hooks cast it back */
	char callid[40];
	char tag[20];
	unsigned cseq;
	enum cstate state;
	double t0;		/* start of the current registration */
};

static struct latv lat;	/* ms, registrations completed in the window */
static char ha2_md5[33];

/* ---- SIP ---- */

static int build_register(struct conn *c, const char *auth)
{
	char branch[17];

	rand_hex(branch, 8);
	return snprintf(ws_tx_slot(&c->ws), TX_MAX,
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/WSS %s;branch=z9hG4bK%s\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:%s@%s>\r\n"
		"From: <sip:%s@%s>;tag=%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u REGISTER\r\n"
		"Contact: <sip:%s@%s;transport=ws>;expires=600\r\n"
		"Expires: 600\r\n"
		"Allow: INVITE,ACK,CANCEL,BYE,OPTIONS\r\n"
		"Supported: path,gruu,outbound\r\n"
		"User-Agent: regload/1.0\r\n"
		"%s%s%s"
		"Content-Length: 0\r\n\r\n",
		opt.domain, c->ws.host, branch, c->ws.user, opt.domain,
		c->ws.user, opt.domain, c->tag, c->callid, c->cseq, c->ws.user,
		c->ws.host,
		auth ? "Authorization: " : "", auth ? auth : "",
		auth ? "\r\n" : "");
}

static void start_reg(struct conn *c)
{
	c->t0 = now_s();
	c->cseq++;
	c->state = CS_WAIT_401;
	n_inflight++;
	ws_tx_commit(&c->ws, build_register(c, NULL));
}

/* Answer the MD5 challenge in the 401 held in @msg. */
static int answer_401(struct conn *c, const char *msg)
{
	char uri[128], auth[1024];

	snprintf(uri, sizeof(uri), "sip:%s", opt.domain);
	if (digest_answer(msg, "WWW-Authenticate", c->ws.user, opt.password,
			  &c->ws.ha1, uri, ha2_md5, auth, sizeof(auth)))
		return -1;
	c->cseq++;
	c->state = CS_WAIT_200;
	ws_tx_commit(&c->ws, build_register(c, auth));
	return 0;
}

static void handle_msg(struct wsconn *w, char *msg)
{
	struct conn *c = (struct conn *)w;
	int status;

	if (strncmp(msg, "SIP/2.0 ", 8))
		return;		/* a request from the server: ignore */
	status = atoi(msg + 8);
	if (status < 200)
		return;
	if (c->state == CS_WAIT_401 && status == 401) {
		if (answer_401(c, msg) == 0)
			return;
		status = -1;
	} else if (c->state == CS_WAIT_200 && status == 200) {
		double t = now_s();

		n_inflight--;
		n_done_total++;
		if (phase == PH_MEASURE) {
			n_done_window++;
			latv_add(&lat, (t - c->t0) * 1e3);
			if (opt.count && n_done_window >= opt.count)
				ws_end_window(t);
		}
		c->state = CS_IDLE;
		if (phase == PH_WARMUP || phase == PH_MEASURE)
			start_reg(c);
		return;
	}
	/* anything else is an error: count it and start over */
	n_errors++;
	if (opt.verbose || n_errors <= 5)
		fprintf(stderr, "regload: conn %d (%s) state %d got %.*s\n",
			c->ws.idx, c->ws.user, c->state,
			(int)strcspn(msg, "\r\n"), msg);
	n_inflight--;
	c->state = CS_IDLE;
	if (phase == PH_WARMUP || phase == PH_MEASURE)
		start_reg(c);
}

/* ---- connection hooks (wsclient.h) ---- */

static void conn_init(struct wsconn *w)
{
	struct conn *c = (struct conn *)w;

	rand_hex(c->callid, 12);
	rand_hex(c->tag, 4);
	c->cseq = 1;
}

static void conn_reset(struct wsconn *w)
{
	((struct conn *)w)->state = CS_IDLE;
}

/* Up, or warm-up starts: register in a loop while the load is on. */
static void conn_go(struct wsconn *w)
{
	if (w->established && (phase == PH_WARMUP || phase == PH_MEASURE))
		start_reg((struct conn *)w);
}

static void conn_closed(struct wsconn *w)
{
	struct conn *c = (struct conn *)w;

	if (c->state != CS_IDLE)
		n_inflight--;
	c->state = CS_IDLE;
}

static void conn_check(struct wsconn *w, double t)
{
	struct conn *c = (struct conn *)w;

	if (c->state != CS_IDLE && t - c->t0 > REG_TIMEOUT) {
		n_timeouts++;
		n_inflight--;
		c->state = CS_IDLE;
		if (phase == PH_WARMUP || phase == PH_MEASURE)
			start_reg(c);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: regload --port P [--host 127.0.0.1] [--ca CA.pem]\n"
		"  [--conns 500] [--first-ext 1000] [--users 500]\n"
		"  [--password benchpass] [--domain bench] [--warmup 5]\n"
		"  [--duration 20 | --count N] [--server-pid PID]\n"
		"  [--label NAME] [--verbose]\n");
	exit(2);
}

static int extra_opt(int o, const char *arg)
{
	switch (o) {
	case 'u': opt.users = atoi(arg); return 0;
	case 'c': opt.count = atol(arg); return 0;
	default: return -1;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"users", 1, 0, 'u'}, {"count", 1, 0, 'c'}, {0, 0, 0, 0}
	};
	static const struct ws_hooks hooks = {
		.name = "regload", .conn_size = sizeof(struct conn),
		.ready = &n_established, .ready_up = "up", .ready_only = "",
		.init = conn_init, .reset = conn_reset,
		.established = conn_go, .message = handle_msg,
		.closed = conn_closed, .go = conn_go, .check = conn_check,
	};
	struct ws_window w;
	char ha2in[128];
	int n;

	opt.users = 500;
	ws_parse(argc, argv, lo, extra_opt, usage);
	if (opt.users <= 0)
		usage();
	if (ws_init(&hooks))
		return 1;
	n = snprintf(ha2in, sizeof(ha2in), "REGISTER:sip:%s", opt.domain);
	md5_hex(ha2in, (size_t)n, ha2_md5);
	if (ws_run()) {
		ws_done();
		return 1;
	}
	latv_sort(&lat);
	ws_window(&w);
	printf("RESULT label=%s conns=%d window_s=%.2f regs=%ld "
	       "rate=%.0f p50_ms=%.2f p99_ms=%.2f server_cpu_s=%.2f "
	       "server_cpu_pct=%.0f server_us_per_reg=%.1f "
	       "server_pids=%d gen_cpu_s=%.2f gen_cpu_pct=%.0f "
	       "gen_us_per_reg=%.1f machine_busy_pct=%.0f errors=%ld "
	       "timeouts=%ld reconnects=%ld tls=%s\n",
	       opt.label, opt.nconn, w.win, n_done_window, w.rate,
	       latv_pct(&lat, 50), latv_pct(&lat, 99), w.srv_s,
	       100 * w.srv_s / w.win, w.srv_us, w.server_pids, w.gen_s,
	       100 * w.gen_s / w.win, w.gen_us, w.sys_busy, n_errors,
	       n_timeouts, n_reconnects, cipher);
	ws_done();
	latv_free(&lat);
	return n_done_window > 0 ? 0 : 1;
}
