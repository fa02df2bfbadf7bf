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
#include <libwebsockets.h>
#include "loadlib.h"
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum phase { PH_CONNECT, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };
enum cstate {
	CS_IDLE, CS_REG_401, CS_REG_200, CS_REGISTERED,
	CS_INV_407, CS_INV_200, CS_BYE_200
};

#define RX_MAX 16384
#define TX_MAX 4096
#define TXQ 4

struct txbuf {
	size_t len;
	unsigned char buf[LWS_PRE + TX_MAX];
};

struct conn {
	struct lws *wsi;
	int idx;
	int established;
	int reconnect_due;
	int registered;
	char user[16];
	char host[32];		/* random .invalid host, like SIP.js */
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
	char realm[64];
	char ha1[33];		/* cached for realm */
	struct txbuf txq[TXQ];
	int txh, txn;
	size_t rxlen;
	char rx[RX_MAX + 1];
};

static struct {
	const char *host;
	int port;
	const char *ca;
	const char *password;
	const char *domain;
	const char *label;
	const char *callee;
	int nconn;
	int first_ext;
	double warmup;
	double duration;
	int server_pid;
	int callee_pid;
	double call_timeout;
	int verbose;
} opt = {
	.host = "127.0.0.1", .port = 0, .ca = NULL, .password = "benchpass",
	.domain = "bench", .label = "server", .callee = "1000", .nconn = 200,
	.first_ext = 2000, .warmup = 5, .duration = 20, .server_pid = 0,
	.callee_pid = 0, .call_timeout = 10, .verbose = 0,
};

static struct lws_context *ctx;
static struct conn *conns;
static enum phase phase = PH_CONNECT;
static double phase_t0, t_start;
static int n_established, n_registered;
static long n_done_total, n_done_window, n_errors, n_timeouts, n_reconnects,
	n_closed, n_inflight;
static double *lat_setup, *lat_cycle;	/* ms, calls completed in the window */
static size_t lat_n, lat_cap;
static char cipher[96] = "?";
static char ha2_reg[33], ha2_inv[33];
static lws_sorted_usec_list_t tick_sul;
static volatile sig_atomic_t interrupted;

static struct cpu_snap snap0, snap1;
static double gen_cpu0, gen_cpu1, win_t0, win_t1;

/* Copy parameter @name of a Digest challenge into @out ("" if absent). */
static void ch_param(const char *h, const char *end, const char *name,
		     char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = h;

	out[0] = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		if ((size_t)(end - p) > nl && !strncasecmp(p, name, nl) &&
		    p[nl] == '=') {
			const char *v = p + nl + 1, *ve;

			if (*v == '"') {
				v++;
				ve = memchr(v, '"', (size_t)(end - v));
			} else {
				ve = v;
				while (ve < end && *ve != ',' && *ve != ' ')
					ve++;
			}
			if (!ve)
				ve = end;
			if ((size_t)(ve - v) >= outsz)
				return;
			memcpy(out, v, (size_t)(ve - v));
			out[ve - v] = 0;
			return;
		}
		/* skip this param */
		while (p < end && *p != ',') {
			if (*p == '"') {
				const char *q = memchr(p + 1, '"',
						       (size_t)(end - p - 1));
				p = q ? q + 1 : end;
			} else {
				p++;
			}
		}
	}
}


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

/* Queue one message (already written at txq[tail].buf + LWS_PRE). */
static char *tx_slot(struct conn *c)
{
	if (c->txn >= TXQ) {
		fprintf(stderr, "callload: tx queue full\n");
		exit(2);
	}
	return (char *)c->txq[(c->txh + c->txn) % TXQ].buf + LWS_PRE;
}

static void tx_commit(struct conn *c, int len)
{
	if (len <= 0 || len >= TX_MAX) {
		fprintf(stderr, "callload: message too long\n");
		exit(2);
	}
	c->txq[(c->txh + c->txn) % TXQ].len = (size_t)len;
	c->txn++;
	lws_callback_on_writable(c->wsi);
}

static void send_register(struct conn *c, const char *auth)
{
	char branch[17];

	rand_hex(branch, 8);
	c->reg_cseq++;
	tx_commit(c, snprintf(tx_slot(c), TX_MAX,
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
		opt.domain, c->host, branch, c->user, opt.domain, c->user,
		opt.domain, c->reg_tag, c->reg_callid, c->reg_cseq, c->user,
		c->host, auth ? "Authorization: " : "", auth ? auth : "",
		auth ? "\r\n" : ""));
}

static void send_invite(struct conn *c, const char *auth)
{
	rand_hex(c->inv_branch, 8);
	c->cseq++;
	tx_commit(c, snprintf(tx_slot(c), TX_MAX,
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
		opt.callee, opt.domain, c->host, c->inv_branch, opt.callee,
		opt.domain, c->user, c->user, opt.domain, c->tag, c->callid,
		c->cseq, c->user, c->host,
		auth ? "Proxy-Authorization: " : "", auth ? auth : "",
		auth ? "\r\n" : "", sizeof(sdp) - 1, sdp));
}

/* ACK for a non-2xx final response: same branch and CSeq number. */
static void send_ack_non2xx(struct conn *c, const char *to_tag)
{
	tx_commit(c, snprintf(tx_slot(c), TX_MAX,
		"ACK sip:%s@%s SIP/2.0\r\n"
		"Via: SIP/2.0/WSS %s;branch=z9hG4bK%s\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:%s@%s>%s%s\r\n"
		"From: \"%s\" <sip:%s@%s>;tag=%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u ACK\r\n"
		"Content-Length: 0\r\n\r\n",
		opt.callee, opt.domain, c->host, c->inv_branch, opt.callee,
		opt.domain, to_tag[0] ? ";tag=" : "", to_tag, c->user, c->user,
		opt.domain, c->tag, c->callid, c->cseq));
}

/* In-dialog request (ACK for 2xx, BYE) to the remote target via the
 * route set. */
static void send_in_dialog(struct conn *c, const char *method, unsigned cseq)
{
	char branch[17];

	rand_hex(branch, 8);
	tx_commit(c, snprintf(tx_slot(c), TX_MAX,
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
		method, c->target, c->host, branch,
		c->route[0] ? "Route: " : "", c->route,
		c->route[0] ? "\r\n" : "",
		opt.callee, opt.domain, c->to_tag, c->user, c->user,
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

/*
 * Answer the MD5 challenge named @hname (WWW-Authenticate or
 * Proxy-Authenticate) in @msg; the credentials go to @auth.
 */
static int digest_answer(struct conn *c, const char *msg, const char *hname,
			 const char *uri, const char *ha2, char *auth,
			 size_t authsz)
{
	const char *p = msg, *best = NULL, *best_end = NULL;
	char realm[64], nonce[256], qop[32], alg[32], opaque[256];
	char ha1in[256], cnonce[17], resp_in[512], resp[33];
	size_t hl = strlen(hname);
	int n;

	while ((p = strstr(p, "\r\n"))) {
		const char *h = p + 2, *e;

		p = h;
		if (strncasecmp(h, hname, hl) || h[hl] != ':')
			continue;
		e = strstr(h, "\r\n");
		if (!e)
			e = h + strlen(h);
		h += hl + 1;
		while (*h == ' ')
			h++;
		if (strncasecmp(h, "Digest ", 7))
			continue;
		ch_param(h + 7, e, "algorithm", alg, sizeof(alg));
		if (!alg[0] || !strcasecmp(alg, "MD5")) {
			best = h + 7;
			best_end = e;
			break;
		}
	}
	if (!best)
		return -1;
	ch_param(best, best_end, "realm", realm, sizeof(realm));
	ch_param(best, best_end, "nonce", nonce, sizeof(nonce));
	ch_param(best, best_end, "qop", qop, sizeof(qop));
	ch_param(best, best_end, "opaque", opaque, sizeof(opaque));
	if (!nonce[0])
		return -1;
	if (strcmp(realm, c->realm)) {
		snprintf(c->realm, sizeof(c->realm), "%s", realm);
		n = snprintf(ha1in, sizeof(ha1in), "%s:%s:%s", c->user, realm,
			     opt.password);
		md5_hex(ha1in, (size_t)n, c->ha1);
	}
	rand_hex(cnonce, 8);
	n = snprintf(resp_in, sizeof(resp_in), "%s:%s:00000001:%s:auth:%s",
		     c->ha1, nonce, cnonce, ha2);
	md5_hex(resp_in, (size_t)n, resp);
	snprintf(auth, authsz,
		 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		 "uri=\"%s\", response=\"%s\", algorithm=MD5, "
		 "cnonce=\"%s\", qop=auth, nc=00000001%s%s%s",
		 c->user, realm, nonce, uri, resp, cnonce,
		 opaque[0] ? ", opaque=\"" : "", opaque, opaque[0] ? "\"" : "");
	return 0;
}

static void lat_add(double setup_ms, double cycle_ms)
{
	if (lat_n == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 65536;
		lat_setup = realloc(lat_setup, lat_cap * sizeof(double));
		lat_cycle = realloc(lat_cycle, lat_cap * sizeof(double));
		if (!lat_setup || !lat_cycle)
			abort();
	}
	lat_setup[lat_n] = setup_ms;
	lat_cycle[lat_n++] = cycle_ms;
}

static void call_failed(struct conn *c, const char *why, const char *msg)
{
	n_errors++;
	if (opt.verbose || n_errors <= 5)
		fprintf(stderr, "callload: conn %d (%s) state %d: %s: %.*s\n",
			c->idx, c->user, c->state, why,
			msg ? (int)strcspn(msg, "\r\n") : 0, msg ? msg : "");
	n_inflight--;
	set_state(c, CS_REGISTERED);
}

static void handle_msg(struct conn *c, char *msg)
{
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
			if (digest_answer(c, msg, "WWW-Authenticate", uri,
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
			"%.*s\n", c->idx, c->user,
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
			snprintf(uri, sizeof(uri), "sip:%s@%s", opt.callee,
				 opt.domain);
			if (digest_answer(c, msg, "Proxy-Authenticate", uri,
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
			lat_add((c->t_answer - c->t0) * 1e3, (t - c->t0) * 1e3);
		}
		set_state(c, CS_REGISTERED);
		goto next;
	}
	return;
next:
	if (phase == PH_WARMUP || phase == PH_MEASURE)
		start_call(c);
}

/* ---- libwebsockets ---- */

static int connect_one(struct conn *c)
{
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = opt.host;
	ci.port = opt.port;
	ci.path = "/ws";
	ci.host = opt.host;
	ci.origin = NULL;	/* not a browser: no Origin header */
	ci.protocol = "sip";
	ci.ssl_connection = LCCSCF_USE_SSL |
			    LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
	if (!opt.ca)
		ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED |
				     LCCSCF_ALLOW_INSECURE;
	ci.opaque_user_data = c;
	ci.pwsi = &c->wsi;
	c->established = 0;
	c->registered = 0;
	c->state = CS_IDLE;
	c->rxlen = 0;
	c->txn = 0;
	c->txh = 0;
	if (!lws_client_connect_via_info(&ci)) {
		c->reconnect_due = 1;
		return -1;
	}
	return 0;
}

static void start_register(struct conn *c)
{
	set_state(c, CS_REG_401);
	send_register(c, NULL);
}

static int cb_sip(struct lws *wsi, enum lws_callback_reasons reason,
		  void *user, void *in, size_t len)
{
	struct conn *c = lws_get_opaque_user_data(wsi);
	struct txbuf *tb;
	int n;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!c)
			break;
		c->established = 1;
		n_established++;
		if (!strcmp(cipher, "?")) {
			SSL *ssl = lws_get_ssl(wsi);

			if (ssl)
				snprintf(cipher, sizeof(cipher), "%s/%s",
					 SSL_get_version(ssl),
					 SSL_get_cipher_name(ssl));
		}
		start_register(c);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!c)
			break;
		if (c->rxlen + len > RX_MAX) {
			fprintf(stderr, "callload: message too large\n");
			c->rxlen = 0;
			break;
		}
		memcpy(c->rx + c->rxlen, in, len);
		c->rxlen += len;
		if (lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi)) {
			c->rx[c->rxlen] = 0;
			c->rxlen = 0;
			handle_msg(c, c->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!c || !c->txn)
			break;
		tb = &c->txq[c->txh];
		n = lws_write(wsi, tb->buf + LWS_PRE, tb->len, LWS_WRITE_TEXT);
		if (n < (int)tb->len)
			return -1;
		c->txh = (c->txh + 1) % TXQ;
		c->txn--;
		if (c->txn)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!c)
			break;
		if (opt.verbose || (n_closed < 5 && phase < PH_DRAIN))
			fprintf(stderr, "callload: conn %d %s%s%.*s\n", c->idx,
				reason == LWS_CALLBACK_CLIENT_CLOSED ?
				"closed" : "connection error",
				in ? ": " : "", in ? (int)len : 0,
				in ? (char *)in : "");
		n_closed++;
		if (c->established)
			n_established--;
		if (c->registered)
			n_registered--;
		if (c->state >= CS_INV_407)
			n_inflight--;
		c->established = 0;
		c->registered = 0;
		c->state = CS_IDLE;
		c->wsi = NULL;
		if (phase != PH_DRAIN && phase != PH_DONE)
			c->reconnect_due = 1;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "sip", cb_sip, 0, RX_MAX, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static unsigned long long pid_ticks(int pid)
{
	unsigned long long t = 0;

	if (pid > 0)
		read_stat(pid, NULL, &t);
	return t;
}

static unsigned long long callee0, callee1;

static void window_start(double t)
{
	if (opt.server_pid)
		snap_pids(&snap0, opt.server_pid);
	snap1.npids = snap0.npids;
	memcpy(snap1.pids, snap0.pids, sizeof(int) * (size_t)snap0.npids);
	snap_take(&snap0);
	callee0 = pid_ticks(opt.callee_pid);
	gen_cpu0 = rusage_s();
	win_t0 = t;
}

static void window_end(double t)
{
	win_t1 = t;
	snap_take(&snap1);
	callee1 = pid_ticks(opt.callee_pid);
	gen_cpu1 = rusage_s();
}

static void tick(lws_sorted_usec_list_t *sul)
{
	double t = now_s();

	(void)sul;
	if (interrupted && phase != PH_DONE)
		phase = PH_DONE;
	if (opt.server_pid && phase != PH_DONE && kill(opt.server_pid, 0) &&
	    errno == ESRCH) {
		fprintf(stderr, "callload: server PID %d exited\n",
			opt.server_pid);
		phase = PH_DONE;
	}
	switch (phase) {
	case PH_CONNECT:
		if (n_registered == opt.nconn) {
			fprintf(stderr, "callload: %d connections up and "
				"registered in %.2f s (%s); warm-up %.0f s\n",
				n_registered, t - phase_t0, cipher,
				opt.warmup);
			phase = PH_WARMUP;
			phase_t0 = t;
			for (int i = 0; i < opt.nconn; i++)
				if (conns[i].registered &&
				    conns[i].state == CS_REGISTERED)
					start_call(&conns[i]);
		} else if (t - phase_t0 > 60) {
			fprintf(stderr, "callload: only %d/%d connections "
				"registered after 60 s\n", n_registered,
				opt.nconn);
			phase = PH_DONE;
		}
		break;
	case PH_WARMUP:
		if (t - phase_t0 >= opt.warmup) {
			window_start(t);
			phase = PH_MEASURE;
			phase_t0 = t;
		}
		break;
	case PH_MEASURE:
		if (t - phase_t0 >= opt.duration) {
			window_end(t);
			phase = PH_DRAIN;
			phase_t0 = t;
		}
		break;
	case PH_DRAIN:
		if (n_inflight <= 0 || t - phase_t0 > 5)
			phase = PH_DONE;
		break;
	case PH_DONE:
		break;
	}
	for (int i = 0; i < opt.nconn && phase != PH_DONE; i++) {
		struct conn *c = &conns[i];

		if (c->reconnect_due && !c->wsi) {
			c->reconnect_due = 0;
			n_reconnects++;
			connect_one(c);
		} else if (c->state != CS_IDLE && c->state != CS_REGISTERED &&
			   t - c->t_state > opt.call_timeout) {
			n_timeouts++;
			if (opt.verbose || n_timeouts <= 5)
				fprintf(stderr, "callload: conn %d (%s) timed "
					"out in state %d (Call-ID %s)\n",
					c->idx, c->user, c->state, c->callid);
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
	/* Always re-arm: lws_service() must wake up to see PH_DONE. */
	lws_sul_schedule(ctx, 0, &tick_sul, tick, 20 * LWS_US_PER_MS);
}
static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}


static double pctl(const double *v, double p)
{
	size_t i;

	if (!lat_n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(lat_n - 1) + 0.5);
	return v[i];
}

static void on_sig(int s)
{
	(void)s;
	interrupted = 1;
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

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", 1, 0, 'h'}, {"port", 1, 0, 'p'}, {"ca", 1, 0, 'a'},
		{"conns", 1, 0, 'n'}, {"first-ext", 1, 0, 'f'},
		{"callee", 1, 0, 'e'}, {"password", 1, 0, 'w'},
		{"domain", 1, 0, 'd'}, {"warmup", 1, 0, 'W'},
		{"duration", 1, 0, 'D'}, {"server-pid", 1, 0, 's'},
		{"callee-pid", 1, 0, 'S'}, {"label", 1, 0, 'l'},
		{"verbose", 0, 0, 'v'}, {0, 0, 0, 0}
	};
	struct lws_context_creation_info info;
	char ha2in[160];
	int o, n;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'a': opt.ca = optarg; break;
		case 'n': opt.nconn = atoi(optarg); break;
		case 'f': opt.first_ext = atoi(optarg); break;
		case 'e': opt.callee = optarg; break;
		case 'w': opt.password = optarg; break;
		case 'd': opt.domain = optarg; break;
		case 'W': opt.warmup = atof(optarg); break;
		case 'D': opt.duration = atof(optarg); break;
		case 's': opt.server_pid = atoi(optarg); break;
		case 'S': opt.callee_pid = atoi(optarg); break;
		case 'l': opt.label = optarg; break;
		case 'v': opt.verbose = 1; break;
		default: usage();
		}
	}
	if (opt.port <= 0 || opt.nconn <= 0 || opt.duration <= 0 ||
	    opt.duration > 3600 || opt.warmup < 0 || opt.warmup > 600 ||
	    opt.nconn > 20000)
		usage();

	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!md5)
		md5 = EVP_md5();
	n = snprintf(ha2in, sizeof(ha2in), "REGISTER:sip:%s", opt.domain);
	md5_hex(ha2in, (size_t)n, ha2_reg);
	n = snprintf(ha2in, sizeof(ha2in), "INVITE:sip:%s@%s", opt.callee,
		     opt.domain);
	md5_hex(ha2in, (size_t)n, ha2_inv);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGPIPE, SIG_IGN);
	lws_set_log_level(LLL_ERR, NULL);

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
		       LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	info.client_ssl_ca_filepath = opt.ca;
	info.fd_limit_per_thread = (unsigned)opt.nconn + 64;
	info.timeout_secs = 30;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "callload: lws_create_context failed\n");
		return 1;
	}

	conns = calloc((size_t)opt.nconn, sizeof(*conns));
	if (!conns)
		return 1;
	t_start = phase_t0 = now_s();
	for (int i = 0; i < opt.nconn; i++) {
		struct conn *c = &conns[i];

		c->idx = i;
		snprintf(c->user, sizeof(c->user), "%d", opt.first_ext + i);
		rand_hex(c->host, 6);
		strcat(c->host, ".invalid");
		rand_hex(c->reg_callid, 12);
		rand_hex(c->reg_tag, 4);
		connect_one(c);
	}
	lws_sul_schedule(ctx, 0, &tick_sul, tick, 20 * LWS_US_PER_MS);
	while (phase != PH_DONE)
		if (lws_service(ctx, 0) < 0)
			break;

	if (win_t1 <= win_t0) {
		fprintf(stderr, "callload: no measured window (interrupted or "
			"connections failed)\n");
		lws_context_destroy(ctx);
		return 1;
	}
	{
		double win = win_t1 - win_t0;
		long hz = sysconf(_SC_CLK_TCK);
		double srv_s = (double)(snap1.total - snap0.total) / (double)hz;
		double callee_s = (double)(callee1 - callee0) / (double)hz;
		double gen_s = gen_cpu1 - gen_cpu0;
		double sys_busy = snap1.sys_all > snap0.sys_all ?
			100.0 * (double)(snap1.sys_busy - snap0.sys_busy) /
			(double)(snap1.sys_all - snap0.sys_all) : 0;
		double rate = (double)n_done_window / win;
		double us = n_done_window ? srv_s * 1e6 / (double)n_done_window : 0;
		double s50, s99, c50, c99;

		qsort(lat_setup, lat_n, sizeof(double), cmp_d);
		qsort(lat_cycle, lat_n, sizeof(double), cmp_d);
		s50 = pctl(lat_setup, 50);
		s99 = pctl(lat_setup, 99);
		c50 = pctl(lat_cycle, 50);
		c99 = pctl(lat_cycle, 99);
		printf("RESULT label=%s conns=%d window_s=%.2f calls=%ld "
		       "rate=%.0f p50_ms=%.2f p99_ms=%.2f cycle_p50_ms=%.2f "
		       "cycle_p99_ms=%.2f server_cpu_s=%.2f "
		       "server_cpu_pct=%.0f server_us_per_call=%.1f "
		       "server_pids=%d gen_cpu_s=%.2f gen_cpu_pct=%.0f "
		       "gen_us_per_call=%.1f callee_cpu_pct=%.0f "
		       "callee_us_per_call=%.1f machine_busy_pct=%.0f "
		       "errors=%ld timeouts=%ld reconnects=%ld tls=%s\n",
		       opt.label, opt.nconn, win, n_done_window, rate,
		       s50, s99, c50, c99, srv_s, 100 * srv_s / win, us,
		       snap0.npids, gen_s, 100 * gen_s / win,
		       n_done_window ? gen_s * 1e6 / (double)n_done_window : 0,
		       100 * callee_s / win,
		       n_done_window ? callee_s * 1e6 / (double)n_done_window : 0,
		       sys_busy, n_errors, n_timeouts, n_reconnects, cipher);
	}
	lws_context_destroy(ctx);
	free(conns);
	free(lat_setup);
	free(lat_cycle);
	return n_done_window > 0 ? 0 : 1;
}
