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
enum cstate { CS_IDLE, CS_WAIT_401, CS_WAIT_200 };

#define RX_MAX 16384
#define TX_MAX 2048

struct conn {
	struct lws *wsi;
	int idx;
	int established;
	int reconnect_due;
	char user[16];
	char host[32];		/* random .invalid host, like SIP.js */
	char callid[40];
	char tag[20];
	unsigned cseq;
	enum cstate state;
	double t0;		/* start of the current registration */
	char realm[64];
	char ha1[33];		/* cached for realm */
	size_t txlen;
	unsigned char tx[LWS_PRE + TX_MAX];
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
	int nconn;
	int first_ext;
	int users;
	double warmup;
	double duration;
	long count;
	int server_pid;
	double reg_timeout;
	int verbose;
} opt = {
	.host = "127.0.0.1", .port = 0, .ca = NULL, .password = "benchpass",
	.domain = "bench", .label = "server", .nconn = 500, .first_ext = 1000,
	.users = 500, .warmup = 5, .duration = 20, .count = 0, .server_pid = 0,
	.reg_timeout = 5, .verbose = 0,
};

static struct lws_context *ctx;
static struct conn *conns;
static enum phase phase = PH_CONNECT;
static double phase_t0, t_start;
static int n_established;
static long n_done_total, n_done_window, n_errors, n_timeouts, n_reconnects,
	n_closed, n_inflight;
static double *lat;		/* ms, registrations completed in the window */
static size_t lat_n, lat_cap;
static char cipher[96] = "?";
static char ha2_md5[33];
static lws_sorted_usec_list_t tick_sul;
static volatile sig_atomic_t interrupted;

static struct cpu_snap snap0, snap1;
static double gen_cpu0, gen_cpu1, win_t0, win_t1;

/* ---- SIP ---- */

static void queue_tx(struct conn *c, int len)
{
	if (len <= 0 || len >= TX_MAX) {
		fprintf(stderr, "regload: message too long\n");
		exit(2);
	}
	c->txlen = (size_t)len;
	lws_callback_on_writable(c->wsi);
}

static int build_register(struct conn *c, const char *auth)
{
	char branch[17];

	rand_hex(branch, 8);
	return snprintf((char *)c->tx + LWS_PRE, TX_MAX,
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
		opt.domain, c->host, branch, c->user, opt.domain, c->user,
		opt.domain, c->tag, c->callid, c->cseq, c->user, c->host,
		auth ? "Authorization: " : "", auth ? auth : "",
		auth ? "\r\n" : "");
}

static void start_reg(struct conn *c)
{
	c->t0 = now_s();
	c->cseq++;
	c->state = CS_WAIT_401;
	n_inflight++;
	queue_tx(c, build_register(c, NULL));
}

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

/* Answer the MD5 challenge in the 401 held in @msg. */
static int answer_401(struct conn *c, const char *msg)
{
	const char *p = msg, *best = NULL, *best_end = NULL;
	char realm[64], nonce[256], qop[32], alg[32], opaque[256];
	char ha1in[256], ha1[33], cnonce[17], resp_in[512], resp[33];
	char auth[1024];
	int n;

	/* Pick the WWW-Authenticate whose algorithm is MD5 (or absent). */
	while ((p = strstr(p, "\r\n"))) {
		const char *h = p + 2, *e;

		p = h;
		if (strncasecmp(h, "WWW-Authenticate:", 17))
			continue;
		e = strstr(h, "\r\n");
		if (!e)
			e = h + strlen(h);
		h += 17;
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
	memcpy(ha1, c->ha1, sizeof(ha1));
	rand_hex(cnonce, 8);
	n = snprintf(resp_in, sizeof(resp_in), "%s:%s:00000001:%s:auth:%s",
		     ha1, nonce, cnonce, ha2_md5);
	md5_hex(resp_in, (size_t)n, resp);
	snprintf(auth, sizeof(auth),
		 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		 "uri=\"sip:%s\", response=\"%s\", algorithm=MD5, "
		 "cnonce=\"%s\", qop=auth, nc=00000001%s%s%s",
		 c->user, realm, nonce, opt.domain, resp, cnonce,
		 opaque[0] ? ", opaque=\"" : "", opaque, opaque[0] ? "\"" : "");
	c->cseq++;
	c->state = CS_WAIT_200;
	queue_tx(c, build_register(c, auth));
	return 0;
}

static void lat_add(double ms)
{
	if (lat_n == lat_cap) {
		lat_cap = lat_cap ? lat_cap * 2 : 65536;
		lat = realloc(lat, lat_cap * sizeof(*lat));
		if (!lat)
			abort();
	}
	lat[lat_n++] = ms;
}

static void handle_msg(struct conn *c, char *msg)
{
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
			lat_add((t - c->t0) * 1e3);
			if (opt.count && n_done_window >= opt.count) {
				win_t1 = t;
				snap_take(&snap1);
				gen_cpu1 = rusage_s();
				phase = PH_DRAIN;
				phase_t0 = t;
			}
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
			c->idx, c->user, c->state,
			(int)strcspn(msg, "\r\n"), msg);
	n_inflight--;
	c->state = CS_IDLE;
	if (phase == PH_WARMUP || phase == PH_MEASURE)
		start_reg(c);
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
	c->state = CS_IDLE;
	c->rxlen = 0;
	c->txlen = 0;
	if (!lws_client_connect_via_info(&ci)) {
		c->reconnect_due = 1;
		return -1;
	}
	return 0;
}

static int cb_sip(struct lws *wsi, enum lws_callback_reasons reason,
		  void *user, void *in, size_t len)
{
	struct conn *c = lws_get_opaque_user_data(wsi);
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
		if (phase == PH_WARMUP || phase == PH_MEASURE)
			start_reg(c);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!c)
			break;
		if (c->rxlen + len > RX_MAX) {
			fprintf(stderr, "regload: message too large\n");
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
		if (!c || !c->txlen)
			break;
		n = lws_write(wsi, c->tx + LWS_PRE, c->txlen, LWS_WRITE_TEXT);
		if (n < (int)c->txlen)
			return -1;
		c->txlen = 0;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!c)
			break;
		if (opt.verbose || (n_closed < 5 && phase < PH_DRAIN))
			fprintf(stderr, "regload: conn %d %s%s%.*s\n", c->idx,
				reason == LWS_CALLBACK_CLIENT_CLOSED ?
				"closed" : "connection error",
				in ? ": " : "", in ? (int)len : 0,
				in ? (char *)in : "");
		n_closed++;
		if (c->established)
			n_established--;
		if (c->state != CS_IDLE)
			n_inflight--;
		c->established = 0;
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

static void tick(lws_sorted_usec_list_t *sul)
{
	double t = now_s();

	(void)sul;
	if (interrupted && phase != PH_DONE)
		phase = PH_DONE;
	if (opt.server_pid && phase != PH_DONE && kill(opt.server_pid, 0) &&
	    errno == ESRCH) {
		fprintf(stderr, "regload: server PID %d exited\n",
			opt.server_pid);
		phase = PH_DONE;
	}
	switch (phase) {
	case PH_CONNECT:
		if (n_established == opt.nconn) {
			fprintf(stderr, "regload: %d connections up in %.2f s "
				"(%s); warm-up %.0f s\n", n_established,
				t - phase_t0, cipher, opt.warmup);
			phase = PH_WARMUP;
			phase_t0 = t;
			for (int i = 0; i < opt.nconn; i++)
				if (conns[i].established)
					start_reg(&conns[i]);
		} else if (t - phase_t0 > 60) {
			fprintf(stderr, "regload: only %d/%d connections after "
				"60 s\n", n_established, opt.nconn);
			phase = PH_DONE;
		}
		break;
	case PH_WARMUP:
		if (t - phase_t0 >= opt.warmup) {
			if (opt.server_pid)
				snap_pids(&snap0, opt.server_pid);
			snap1.npids = snap0.npids;
			memcpy(snap1.pids, snap0.pids,
			       sizeof(int) * (size_t)snap0.npids);
			snap_take(&snap0);
			gen_cpu0 = rusage_s();
			win_t0 = t;
			phase = PH_MEASURE;
			phase_t0 = t;
		}
		break;
	case PH_MEASURE:
		if (!opt.count && t - phase_t0 >= opt.duration) {
			win_t1 = t;
			snap_take(&snap1);
			gen_cpu1 = rusage_s();
			phase = PH_DRAIN;
			phase_t0 = t;
		} else if (opt.count && t - phase_t0 > 600) {
			fprintf(stderr, "regload: count not reached in 600 s\n");
			win_t1 = t;
			snap_take(&snap1);
			gen_cpu1 = rusage_s();
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
		} else if (c->state != CS_IDLE && t - c->t0 > opt.reg_timeout) {
			n_timeouts++;
			n_inflight--;
			c->state = CS_IDLE;
			if (phase == PH_WARMUP || phase == PH_MEASURE)
				start_reg(c);
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

static double pct(double p)
{
	size_t i;

	if (!lat_n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(lat_n - 1) + 0.5);
	return lat[i];
}

static void on_sig(int s)
{
	(void)s;
	interrupted = 1;
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

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", 1, 0, 'h'}, {"port", 1, 0, 'p'}, {"ca", 1, 0, 'a'},
		{"conns", 1, 0, 'n'}, {"first-ext", 1, 0, 'f'},
		{"users", 1, 0, 'u'}, {"password", 1, 0, 'w'},
		{"domain", 1, 0, 'd'}, {"warmup", 1, 0, 'W'},
		{"duration", 1, 0, 'D'}, {"count", 1, 0, 'c'},
		{"server-pid", 1, 0, 's'}, {"label", 1, 0, 'l'},
		{"verbose", 0, 0, 'v'}, {0, 0, 0, 0}
	};
	struct lws_context_creation_info info;
	char ha2in[128];
	int o, n;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'a': opt.ca = optarg; break;
		case 'n': opt.nconn = atoi(optarg); break;
		case 'f': opt.first_ext = atoi(optarg); break;
		case 'u': opt.users = atoi(optarg); break;
		case 'w': opt.password = optarg; break;
		case 'd': opt.domain = optarg; break;
		case 'W': opt.warmup = atof(optarg); break;
		case 'D': opt.duration = atof(optarg); break;
		case 'c': opt.count = atol(optarg); break;
		case 's': opt.server_pid = atoi(optarg); break;
		case 'l': opt.label = optarg; break;
		case 'v': opt.verbose = 1; break;
		default: usage();
		}
	}
	if (opt.port <= 0 || opt.nconn <= 0 || opt.users <= 0 ||
	    opt.duration <= 0 || opt.duration > 3600 || opt.warmup < 0 ||
	    opt.warmup > 600 || opt.nconn > 20000)
		usage();

	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!md5)
		md5 = EVP_md5();
	n = snprintf(ha2in, sizeof(ha2in), "REGISTER:sip:%s", opt.domain);
	md5_hex(ha2in, (size_t)n, ha2_md5);
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
		fprintf(stderr, "regload: lws_create_context failed\n");
		return 1;
	}

	conns = calloc((size_t)opt.nconn, sizeof(*conns));
	if (!conns)
		return 1;
	t_start = phase_t0 = now_s();
	for (int i = 0; i < opt.nconn; i++) {
		struct conn *c = &conns[i];

		c->idx = i;
		snprintf(c->user, sizeof(c->user), "%d",
			 opt.first_ext + i % opt.users);
		rand_hex(c->host, 6);
		strcat(c->host, ".invalid");
		rand_hex(c->callid, 12);
		rand_hex(c->tag, 4);
		c->cseq = 1;
		connect_one(c);
	}
	lws_sul_schedule(ctx, 0, &tick_sul, tick, 20 * LWS_US_PER_MS);
	while (phase != PH_DONE)
		if (lws_service(ctx, 0) < 0)
			break;

	if (win_t1 <= win_t0) {
		fprintf(stderr, "regload: no measured window (interrupted or "
			"connections failed)\n");
		lws_context_destroy(ctx);
		return 1;
	}
	qsort(lat, lat_n, sizeof(*lat), cmp_d);
	{
		double win = win_t1 - win_t0;
		long hz = sysconf(_SC_CLK_TCK);
		double srv_s = (double)(snap1.total - snap0.total) / (double)hz;
		double gen_s = gen_cpu1 - gen_cpu0;
		double sys_busy = snap1.sys_all > snap0.sys_all ?
			100.0 * (double)(snap1.sys_busy - snap0.sys_busy) /
			(double)(snap1.sys_all - snap0.sys_all) : 0;
		double rate = (double)n_done_window / win;
		double us = n_done_window ? srv_s * 1e6 / (double)n_done_window : 0;

		printf("RESULT label=%s conns=%d window_s=%.2f regs=%ld "
		       "rate=%.0f p50_ms=%.2f p99_ms=%.2f server_cpu_s=%.2f "
		       "server_cpu_pct=%.0f server_us_per_reg=%.1f "
		       "server_pids=%d gen_cpu_s=%.2f gen_cpu_pct=%.0f "
		       "gen_us_per_reg=%.1f machine_busy_pct=%.0f errors=%ld "
		       "timeouts=%ld reconnects=%ld tls=%s\n",
		       opt.label, opt.nconn, win, n_done_window, rate,
		       pct(50), pct(99), srv_s, 100 * srv_s / win, us,
		       snap0.npids, gen_s, 100 * gen_s / win,
		       n_done_window ? gen_s * 1e6 / (double)n_done_window : 0,
		       sys_busy, n_errors, n_timeouts,
		       n_reconnects, cipher);
	}
	lws_context_destroy(ctx);
	free(conns);
	free(lat);
	return n_done_window > 0 ? 0 : 1;
}
