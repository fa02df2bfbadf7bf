// SPDX-License-Identifier: MIT
/*
 * callload - SIP-over-WSS call setup load generator for the Ovoz benchmark.
 *
 * Keeps N WebSocket (wss, subprotocol "sip") connections open. Connection i
 * is extension (first_ext + i): it registers once (REGISTER -> 401 ->
 * REGISTER + Authorization -> 200), then places calls to --callee in a
 * closed loop, one call at a time per connection:
 *
 *   INVITE (SDP) -> 407, ACK
 *   INVITE + Proxy-Authorization (MD5, qop=auth, nc, cnonce) -> 1xx, 200
 *   ACK  (to the 200's Contact, Route = Record-Route set reversed)
 *   BYE  (same target and route set) -> 200
 *
 * A call counts when its BYE gets 200. The next call starts at once.
 * Reported latencies: "setup" = first INVITE sent -> 200 for INVITE
 * received (includes the 407 round trip), and "cycle" = first INVITE ->
 * 200 for BYE.
 *
 * Phases: connect and register all N, warm up for --warmup seconds, then a
 * measured window of --duration seconds. Only calls that complete inside
 * the window count, and only the window is used for CPU: utime+stime of
 * --server-pid and all of its descendants (from /proc/PID/stat), of
 * --callee-pid (the sipp UAS, informational), and this process's own
 * getrusage().
 *
 * Not part of the test suite; built and run by tests/bench/run.sh
 * (MODE=calls).
 */
#define _GNU_SOURCE
#include "wsclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum cstate {
	CS_IDLE, CS_REG_401, CS_REG_200, CS_REGISTERED,
	CS_INV_407, CS_INV_200, CS_BYE_200
};

#define CALL_TIMEOUT 10.0	/* s, per state */

struct conn {
	struct wsconn ws;	/* first: the hooks cast it back */
	int registered;
	char reg_callid[40];
	char reg_tag[20];
	unsigned reg_cseq;
	/* the current call */
	char callid[40];
	char tag[20];
	char inv_branch[24];
	char to_tag[128];
	char target[512];	/* remote target (200's Contact URI) */
	char route[2048];	/* Route header value, "" if none */
	unsigned cseq;
	enum cstate state;
	double t0;		/* first INVITE of the current call */
	double t_answer;	/* its 200 */
	double t_state;		/* last state change, for timeouts */
};

static const char *callee = "1000";
static int n_registered;
static struct latv lat_setup, lat_cycle; /* ms, calls completed in the window */
static char ha2_reg[33], ha2_inv[33];

/* ---- SIP ---- */

static const char sdp[] =
	"v=0\r\n"
	"o=- 4242 1 IN IP4 127.0.0.1\r\n"
	"s=-\r\n"
	"c=IN IP4 127.0.0.1\r\n"
	"t=0 0\r\n"
	"m=audio 40000 RTP/AVP 0 8 101\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";

static void set_state(struct conn *c, enum cstate s)
{
	c->state = s;
	c->t_state = now_s();
}

static void send_register(struct conn *c, const char *auth)
{
	char branch[17];

	rand_hex(branch, 8);
	c->reg_cseq++;
	ws_tx_commit(&c->ws, snprintf(ws_tx_slot(&c->ws), TX_MAX,
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/WSS %s;branch=z9hG4bK%s\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:%s@%s>\r\n"
		"From: <sip:%s@%s>;tag=%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u REGISTER\r\n"
		"Contact: <sip:%s@%s;transport=ws>;expires=3600\r\n"
		"Expires: 3600\r\n"
		"Allow: INVITE,ACK,CANCEL,BYE,OPTIONS\r\n"
		"Supported: path,gruu,outbound\r\n"
		"User-Agent: callload/1.0\r\n"
		"%s%s%s"
		"Content-Length: 0\r\n\r\n",
		opt.domain, c->ws.host, branch, c->ws.user, opt.domain,
		c->ws.user, opt.domain, c->reg_tag, c->reg_callid, c->reg_cseq,
		c->ws.user, c->ws.host, auth ? "Authorization: " : "",
		auth ? auth : "", auth ? "\r\n" : ""));
}

static void send_invite(struct conn *c, const char *auth)
{
	rand_hex(c->inv_branch, 8);
	c->cseq++;
	ws_tx_commit(&c->ws, snprintf(ws_tx_slot(&c->ws), TX_MAX,
		"INVITE sip:%s@%s SIP/2.0\r\n"
		"Via: SIP/2.0/WSS %s;branch=z9hG4bK%s\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:%s@%s>\r\n"
		"From: \"%s\" <sip:%s@%s>;tag=%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u INVITE\r\n"
		"Contact: <sip:%s@%s;transport=ws;ob>\r\n"
		"Allow: INVITE,ACK,CANCEL,BYE,OPTIONS,INFO,UPDATE\r\n"
		"Supported: outbound\r\n"
		"User-Agent: callload/1.0\r\n"
		"%s%s%s"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		callee, opt.domain, c->ws.host, c->inv_branch, callee,
		opt.domain, c->ws.user, c->ws.user, opt.domain, c->tag,
		c->callid, c->cseq, c->ws.user, c->ws.host,
		auth ? "Proxy-Authorization: " : "", auth ? auth : "",
		auth ? "\r\n" : "", sizeof(sdp) - 1, sdp));
}

/* ACK for a non-2xx final response: same branch and CSeq number. */
static void send_ack_non2xx(struct conn *c, const char *to_tag)
{
	ws_tx_commit(&c->ws, snprintf(ws_tx_slot(&c->ws), TX_MAX,
		"ACK sip:%s@%s SIP/2.0\r\n"
		"Via: SIP/2.0/WSS %s;branch=z9hG4bK%s\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:%s@%s>%s%s\r\n"
		"From: \"%s\" <sip:%s@%s>;tag=%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u ACK\r\n"
		"Content-Length: 0\r\n\r\n",
		callee, opt.domain, c->ws.host, c->inv_branch, callee,
		opt.domain, to_tag[0] ? ";tag=" : "", to_tag, c->ws.user,
		c->ws.user, opt.domain, c->tag, c->callid, c->cseq));
}

/* In-dialog request (ACK for 2xx, BYE) to the remote target via the
 * route set. */
static void send_in_dialog(struct conn *c, const char *method, unsigned cseq)
{
	char branch[17];

	rand_hex(branch, 8);
	ws_tx_commit(&c->ws, snprintf(ws_tx_slot(&c->ws), TX_MAX,
		"%s %s SIP/2.0\r\n"
		"Via: SIP/2.0/WSS %s;branch=z9hG4bK%s\r\n"
		"Max-Forwards: 70\r\n"
		"%s%s%s"
		"To: <sip:%s@%s>;tag=%s\r\n"
		"From: \"%s\" <sip:%s@%s>;tag=%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u %s\r\n"
		"User-Agent: callload/1.0\r\n"
		"Content-Length: 0\r\n\r\n",
		method, c->target, c->ws.host, branch,
		c->route[0] ? "Route: " : "", c->route,
		c->route[0] ? "\r\n" : "",
		callee, opt.domain, c->to_tag, c->ws.user, c->ws.user,
		opt.domain, c->tag, c->callid, cseq, method));
}

static void start_call(struct conn *c)
{
	c->t0 = now_s();
	rand_hex(c->callid, 12);
	rand_hex(c->tag, 5);
	c->cseq = 0;
	c->to_tag[0] = 0;
	c->target[0] = 0;
	c->route[0] = 0;
	set_state(c, CS_INV_407);
	n_inflight++;
	send_invite(c, NULL);
}

/*
 * Header lookup in a whole message: each header line named @name (or its
 * compact form @compact) is passed to @fn with its value (start, end).
 * Folded lines are not expected here.
 */
static int hdr_each(const char *msg, const char *name, const char *compact,
		    void (*fn)(const char *, const char *, void *), void *arg)
{
	const char *p = strstr(msg, "\r\n"), *body = strstr(msg, "\r\n\r\n");
	size_t nl = strlen(name), cl = compact ? strlen(compact) : 0;
	int n = 0;

	while (p && (!body || p < body)) {
		const char *h = p + 2, *e = strstr(h, "\r\n"), *v = NULL;

		if (!e)
			e = h + strlen(h);
		if (!strncasecmp(h, name, nl) &&
		    (h[nl] == ':' || h[nl] == ' ' || h[nl] == '\t'))
			v = h + nl;
		else if (cl && !strncasecmp(h, compact, cl) &&
			 (h[cl] == ':' || h[cl] == ' ' || h[cl] == '\t'))
			v = h + cl;
		if (v) {
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == ':') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				fn(v, e, arg);
				n++;
			}
		}
		p = e;
	}
	return n;
}

static void copy_val(const char *v, const char *e, void *arg)
{
	char **out = arg;	/* out[0] = buffer, out[1] = size */
	size_t sz = (size_t)out[1], n = (size_t)(e - v);

	if (out[0][0])
		return;		/* first one only */
	if (n >= sz)
		n = sz - 1;
	memcpy(out[0], v, n);
	out[0][n] = 0;
}

static int get_hdr(const char *msg, const char *name, const char *compact,
		   char *buf, size_t sz)
{
	char *arg[2] = { buf, (char *)sz };

	buf[0] = 0;
	hdr_each(msg, name, compact, copy_val, arg);
	return buf[0] ? 0 : -1;
}

/* Record-Route entries, in order, split at commas outside <> and "". */
struct rrset {
	int n;
	char e[16][512];
};

static void rr_add(const char *v, const char *e, void *arg)
{
	struct rrset *rs = arg;
	const char *s = v;
	int in_angle = 0, in_q = 0;

	for (const char *p = v; p <= e; p++) {
		if (p == e || (*p == ',' && !in_angle && !in_q)) {
			const char *a = s, *b = p;

			while (a < b && (*a == ' ' || *a == '\t'))
				a++;
			while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
				b--;
			if (b > a && rs->n < 16 && (size_t)(b - a) < 512) {
				memcpy(rs->e[rs->n], a, (size_t)(b - a));
				rs->e[rs->n][b - a] = 0;
				rs->n++;
			}
			s = p + 1;
			continue;
		}
		if (*p == '"')
			in_q = !in_q;
		else if (!in_q && *p == '<')
			in_angle = 1;
		else if (!in_q && *p == '>')
			in_angle = 0;
	}
}

static void tag_of(const char *to, char *out, size_t sz)
{
	const char *t = strcasestr(to, ";tag=");
	size_t n;

	out[0] = 0;
	if (!t)
		return;
	t += 5;
	n = strcspn(t, ";, \t>");
	if (n >= sz)
		n = sz - 1;
	memcpy(out, t, n);
	out[n] = 0;
}

/* The 200 for INVITE: dialog state for ACK and BYE. */
static int take_dialog(struct conn *c, const char *msg)
{
	char to[512], contact[600];
	struct rrset rs;
	const char *a, *b;
	size_t off = 0;

	if (get_hdr(msg, "To", "t", to, sizeof(to)))
		return -1;
	tag_of(to, c->to_tag, sizeof(c->to_tag));
	if (!c->to_tag[0])
		return -1;
	if (get_hdr(msg, "Contact", "m", contact, sizeof(contact)))
		return -1;
	a = strchr(contact, '<');
	if (a) {
		a++;
		b = strchr(a, '>');
	} else {
		a = contact;
		b = a + strcspn(a, ";, ");
	}
	if (!b || b - a <= 0 || (size_t)(b - a) >= sizeof(c->target))
		return -1;
	memcpy(c->target, a, (size_t)(b - a));
	c->target[b - a] = 0;
	rs.n = 0;
	hdr_each(msg, "Record-Route", NULL, rr_add, &rs);
	c->route[0] = 0;
	for (int i = rs.n - 1; i >= 0; i--) {
		int w = snprintf(c->route + off, sizeof(c->route) - off,
				 "%s%s", off ? ", " : "", rs.e[i]);

		if (w < 0 || (size_t)w >= sizeof(c->route) - off)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static void call_failed(struct conn *c, const char *why, const char *msg)
{
	n_errors++;
	if (opt.verbose || n_errors <= 5)
		fprintf(stderr, "callload: conn %d (%s) state %d: %s: %.*s\n",
			c->ws.idx, c->ws.user, c->state, why,
			msg ? (int)strcspn(msg, "\r\n") : 0, msg ? msg : "");
	n_inflight--;
	set_state(c, CS_REGISTERED);
}

static void handle_msg(struct wsconn *w, char *msg)
{
	struct conn *c = (struct conn *)w;
	char cseq[64], auth[1024], uri[128];
	const char *method;
	int status;

	if (strncmp(msg, "SIP/2.0 ", 8))
		return;		/* a request from the server: ignore */
	status = atoi(msg + 8);
	if (get_hdr(msg, "CSeq", NULL, cseq, sizeof(cseq)))
		return;
	method = cseq + strspn(cseq, "0123456789 \t");

	if (!strncmp(method, "REGISTER", 8)) {
		if (status < 200)
			return;
		if (c->state == CS_REG_401 && status == 401) {
			snprintf(uri, sizeof(uri), "sip:%s", opt.domain);
			if (digest_answer(msg, "WWW-Authenticate", c->ws.user,
					  opt.password, &c->ws.ha1, uri,
					  ha2_reg, auth, sizeof(auth)) == 0) {
				set_state(c, CS_REG_200);
				send_register(c, auth);
				return;
			}
		} else if (c->state == CS_REG_200 && status == 200) {
			c->registered = 1;
			n_registered++;
			set_state(c, CS_REGISTERED);
			if (phase == PH_WARMUP || phase == PH_MEASURE)
				start_call(c);
			return;
		}
		fprintf(stderr, "callload: conn %d (%s) REGISTER failed: "
			"%.*s\n", c->ws.idx, c->ws.user,
			(int)strcspn(msg, "\r\n"), msg);
		n_errors++;
		set_state(c, CS_IDLE);
		return;
	}
	if (!strncmp(method, "INVITE", 6)) {
		if (status < 200)
			return;
		if (c->state == CS_INV_407 && status == 407) {
			char to[512], tt[128];

			get_hdr(msg, "To", "t", to, sizeof(to));
			tag_of(to, tt, sizeof(tt));
			send_ack_non2xx(c, tt);
			snprintf(uri, sizeof(uri), "sip:%s@%s", callee,
				 opt.domain);
			if (digest_answer(msg, "Proxy-Authenticate", c->ws.user,
					  opt.password, &c->ws.ha1, uri,
					  ha2_inv, auth, sizeof(auth)) == 0) {
				set_state(c, CS_INV_200);
				send_invite(c, auth);
				return;
			}
			call_failed(c, "bad 407", msg);
			goto next;
		}
		if (c->state == CS_INV_200 && status == 200) {
			if (take_dialog(c, msg)) {
				call_failed(c, "bad 200 (no To tag or Contact)",
					    msg);
				goto next;
			}
			c->t_answer = now_s();
			send_in_dialog(c, "ACK", c->cseq);
			set_state(c, CS_BYE_200);
			send_in_dialog(c, "BYE", c->cseq + 1);
			return;
		}
		if (status == 200 && c->state == CS_BYE_200)
			return;	/* a 2xx retransmission: ACK already sent */
		if (c->state == CS_INV_200 || c->state == CS_INV_407) {
			char to[512], tt[128];

			get_hdr(msg, "To", "t", to, sizeof(to));
			tag_of(to, tt, sizeof(tt));
			if (status >= 300)
				send_ack_non2xx(c, tt);
			call_failed(c, "INVITE answered", msg);
			goto next;
		}
		return;	/* stray response of an old call */
	}
	if (!strncmp(method, "BYE", 3)) {
		double t;

		if (c->state != CS_BYE_200 || status < 200)
			return;
		if (status != 200) {
			call_failed(c, "BYE answered", msg);
			goto next;
		}
		t = now_s();
		n_inflight--;
		n_done_total++;
		if (phase == PH_MEASURE) {
			n_done_window++;
			latv_add(&lat_setup, (c->t_answer - c->t0) * 1e3);
			latv_add(&lat_cycle, (t - c->t0) * 1e3);
		}
		set_state(c, CS_REGISTERED);
		goto next;
	}
	return;
next:
	if (phase == PH_WARMUP || phase == PH_MEASURE)
		start_call(c);
}

/* ---- connection hooks (wsclient.h) ---- */

static void start_register(struct conn *c)
{
	set_state(c, CS_REG_401);
	send_register(c, NULL);
}

static void conn_init(struct wsconn *w)
{
	struct conn *c = (struct conn *)w;

	rand_hex(c->reg_callid, 12);
	rand_hex(c->reg_tag, 4);
}

static void conn_reset(struct wsconn *w)
{
	struct conn *c = (struct conn *)w;

	c->registered = 0;
	c->state = CS_IDLE;
}

static void conn_established(struct wsconn *w)
{
	start_register((struct conn *)w);
}

static void conn_closed(struct wsconn *w)
{
	struct conn *c = (struct conn *)w;

	if (c->registered)
		n_registered--;
	if (c->state >= CS_INV_407)
		n_inflight--;
	c->registered = 0;
	c->state = CS_IDLE;
}

/* Warm-up starts: the first call of every registered connection. */
static void conn_go(struct wsconn *w)
{
	struct conn *c = (struct conn *)w;

	if (c->registered && c->state == CS_REGISTERED)
		start_call(c);
}

static void conn_check(struct wsconn *w, double t)
{
	struct conn *c = (struct conn *)w;

	if (c->state != CS_IDLE && c->state != CS_REGISTERED &&
	    t - c->t_state > CALL_TIMEOUT) {
		n_timeouts++;
		if (opt.verbose || n_timeouts <= 5)
			fprintf(stderr, "callload: conn %d (%s) timed "
				"out in state %d (Call-ID %s)\n",
				c->ws.idx, c->ws.user, c->state, c->callid);
		if (c->state >= CS_INV_407) {
			n_inflight--;
			set_state(c, CS_REGISTERED);
			if (phase == PH_WARMUP || phase == PH_MEASURE)
				start_call(c);
		} else {
			start_register(c);
		}
	} else if (c->state == CS_REGISTERED && c->registered &&
		   (phase == PH_WARMUP || phase == PH_MEASURE)) {
		start_call(c);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: callload --port P [--host 127.0.0.1] [--ca CA.pem]\n"
		"  [--conns 200] [--first-ext 2000] [--callee 1000]\n"
		"  [--password benchpass] [--domain bench] [--warmup 5]\n"
		"  [--duration 20] [--server-pid PID] [--callee-pid PID]\n"
		"  [--label NAME] [--verbose]\n");
	exit(2);
}

static int extra_opt(int o, const char *arg)
{
	switch (o) {
	case 'e': callee = arg; return 0;
	case 'S': opt.callee_pid = atoi(arg); return 0;
	default: return -1;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"callee", 1, 0, 'e'}, {"callee-pid", 1, 0, 'S'}, {0, 0, 0, 0}
	};
	static const struct ws_hooks hooks = {
		.name = "callload", .conn_size = sizeof(struct conn),
		.ready = &n_registered, .ready_up = "up and registered",
		.ready_only = " registered", .init = conn_init,
		.reset = conn_reset, .established = conn_established,
		.message = handle_msg, .closed = conn_closed, .go = conn_go,
		.check = conn_check,
	};
	struct ws_window w;
	char ha2in[160];
	int n;

	opt.nconn = 200;
	opt.first_ext = 2000;
	ws_parse(argc, argv, lo, extra_opt, usage);
	if (ws_init(&hooks))
		return 1;
	n = snprintf(ha2in, sizeof(ha2in), "REGISTER:sip:%s", opt.domain);
	md5_hex(ha2in, (size_t)n, ha2_reg);
	n = snprintf(ha2in, sizeof(ha2in), "INVITE:sip:%s@%s", callee,
		     opt.domain);
	md5_hex(ha2in, (size_t)n, ha2_inv);
	if (ws_run()) {
		ws_done();
		return 1;
	}
	ws_window(&w);
	latv_sort(&lat_setup);
	latv_sort(&lat_cycle);
	printf("RESULT label=%s conns=%d window_s=%.2f calls=%ld "
	       "rate=%.0f p50_ms=%.2f p99_ms=%.2f cycle_p50_ms=%.2f "
	       "cycle_p99_ms=%.2f server_cpu_s=%.2f "
	       "server_cpu_pct=%.0f server_us_per_call=%.1f "
	       "server_pids=%d gen_cpu_s=%.2f gen_cpu_pct=%.0f "
	       "gen_us_per_call=%.1f callee_cpu_pct=%.0f "
	       "callee_us_per_call=%.1f machine_busy_pct=%.0f "
	       "errors=%ld timeouts=%ld reconnects=%ld tls=%s\n",
	       opt.label, opt.nconn, w.win, n_done_window, w.rate,
	       latv_pct(&lat_setup, 50), latv_pct(&lat_setup, 99),
	       latv_pct(&lat_cycle, 50), latv_pct(&lat_cycle, 99), w.srv_s,
	       100 * w.srv_s / w.win, w.srv_us, w.server_pids, w.gen_s,
	       100 * w.gen_s / w.win, w.gen_us, 100 * w.callee_s / w.win,
	       w.callee_us, w.sys_busy, n_errors, n_timeouts, n_reconnects,
	       cipher);
	ws_done();
	latv_free(&lat_setup);
	latv_free(&lat_cycle);
	return n_done_window > 0 ? 0 : 1;
}
