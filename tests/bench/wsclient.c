/* tests/bench/wsclient.c - the wss client side of regload.c and callload.c. */
#define _GNU_SOURCE
#include "wsclient.h"
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ws_opt opt = {
	.host = "127.0.0.1", .port = 0, .ca = NULL, .password = "benchpass",
	.domain = "bench", .label = "server", .nconn = 500, .first_ext = 1000,
	.users = 0, .warmup = 5, .duration = 20, .count = 0, .server_pid = 0,
	.callee_pid = 0, .verbose = 0,
};
enum phase phase = PH_CONNECT;
double phase_t0;
int n_established;
long n_done_total, n_done_window, n_errors, n_timeouts, n_reconnects,
	n_closed, n_inflight;
char cipher[96] = "?";

static const struct ws_hooks *hk;
static struct lws_context *ctx;
static char *conns;		/* opt.nconn of hk->conn_size each */
static lws_sorted_usec_list_t tick_sul;
static volatile sig_atomic_t interrupted;

static struct cpu_snap snap0, snap1;
static unsigned long long callee0, callee1;
static double gen_cpu0, gen_cpu1, win_t0, win_t1;

static struct wsconn *conn_at(int i)
{
	return (struct wsconn *)(conns + (size_t)i * hk->conn_size);
}

/* ---- options ---- */

void ws_parse(int argc, char **argv, const struct option *extra,
	      int (*on_extra)(int o, const char *arg), void (*usage)(void))
{
	static const struct option common[] = {
		{"host", 1, 0, 'h'}, {"port", 1, 0, 'p'}, {"ca", 1, 0, 'a'},
		{"conns", 1, 0, 'n'}, {"first-ext", 1, 0, 'f'},
		{"password", 1, 0, 'w'}, {"domain", 1, 0, 'd'},
		{"warmup", 1, 0, 'W'}, {"duration", 1, 0, 'D'},
		{"server-pid", 1, 0, 's'}, {"label", 1, 0, 'l'},
		{"verbose", 0, 0, 'v'},
	};
	size_t nc = sizeof(common) / sizeof(common[0]), ne = 0;
	struct option lo[32];
	int o;

	while (extra && extra[ne].name)
		ne++;
	if (nc + ne + 1 > sizeof(lo) / sizeof(lo[0]))
		abort();
	memcpy(lo, common, sizeof(common));
	memcpy(lo + nc, extra, ne * sizeof(*extra));
	memset(&lo[nc + ne], 0, sizeof(lo[0]));
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'h': opt.host = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'a': opt.ca = optarg; break;
		case 'n': opt.nconn = atoi(optarg); break;
		case 'f': opt.first_ext = atoi(optarg); break;
		case 'w': opt.password = optarg; break;
		case 'd': opt.domain = optarg; break;
		case 'W': opt.warmup = atof(optarg); break;
		case 'D': opt.duration = atof(optarg); break;
		case 's': opt.server_pid = atoi(optarg); break;
		case 'l': opt.label = optarg; break;
		case 'v': opt.verbose = 1; break;
		default:
			if (o == '?' || on_extra(o, optarg))
				usage();
		}
	}
	if (opt.port <= 0 || opt.nconn <= 0 || opt.duration <= 0 ||
	    opt.duration > 3600 || opt.warmup < 0 || opt.warmup > 600 ||
	    opt.nconn > 20000)
		usage();
}

/* ---- send queue ---- */

char *ws_tx_slot(struct wsconn *w)
{
	if (w->txn >= TXQ) {
		fprintf(stderr, "%s: tx queue full\n", hk->name);
		exit(2);
	}
	return (char *)w->txq[(w->txh + w->txn) % TXQ].buf + LWS_PRE;
}

void ws_tx_commit(struct wsconn *w, int len)
{
	if (len <= 0 || len >= TX_MAX) {
		fprintf(stderr, "%s: message too long\n", hk->name);
		exit(2);
	}
	w->txq[(w->txh + w->txn) % TXQ].len = (size_t)len;
	w->txn++;
	lws_callback_on_writable(w->wsi);
}

/* ---- libwebsockets ---- */

static int connect_one(struct wsconn *w)
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
	ci.opaque_user_data = w;
	ci.pwsi = &w->wsi;
	w->established = 0;
	w->rxlen = 0;
	w->txn = 0;
	w->txh = 0;
	hk->reset(w);
	if (!lws_client_connect_via_info(&ci)) {
		w->reconnect_due = 1;
		return -1;
	}
	return 0;
}

static int cb_sip(struct lws *wsi, enum lws_callback_reasons reason,
		  void *user, void *in, size_t len)
{
	struct wsconn *w = lws_get_opaque_user_data(wsi);
	struct txbuf *tb;
	int n;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!w)
			break;
		w->established = 1;
		n_established++;
		if (!strcmp(cipher, "?")) {
			SSL *ssl = lws_get_ssl(wsi);

			if (ssl)
				snprintf(cipher, sizeof(cipher), "%s/%s",
					 SSL_get_version(ssl),
					 SSL_get_cipher_name(ssl));
		}
		hk->established(w);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!w)
			break;
		if (w->rxlen + len > RX_MAX) {
			fprintf(stderr, "%s: message too large\n", hk->name);
			w->rxlen = 0;
			break;
		}
		memcpy(w->rx + w->rxlen, in, len);
		w->rxlen += len;
		if (lws_is_final_fragment(wsi) &&
		    !lws_remaining_packet_payload(wsi)) {
			w->rx[w->rxlen] = 0;
			w->rxlen = 0;
			hk->message(w, w->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!w || !w->txn)
			break;
		tb = &w->txq[w->txh];
		n = lws_write(wsi, tb->buf + LWS_PRE, tb->len, LWS_WRITE_TEXT);
		if (n < (int)tb->len)
			return -1;
		w->txh = (w->txh + 1) % TXQ;
		w->txn--;
		if (w->txn)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!w)
			break;
		if (opt.verbose || (n_closed < 5 && phase < PH_DRAIN))
			fprintf(stderr, "%s: conn %d %s%s%.*s\n", hk->name,
				w->idx, reason == LWS_CALLBACK_CLIENT_CLOSED ?
				"closed" : "connection error",
				in ? ": " : "", in ? (int)len : 0,
				in ? (char *)in : "");
		n_closed++;
		if (w->established)
			n_established--;
		hk->closed(w);
		w->established = 0;
		w->wsi = NULL;
		if (phase != PH_DRAIN && phase != PH_DONE)
			w->reconnect_due = 1;
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

/* ---- the measured window ---- */

static unsigned long long pid_ticks(int pid)
{
	unsigned long long t = 0;

	if (pid > 0)
		read_stat(pid, NULL, &t);
	return t;
}

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

void ws_end_window(double t)
{
	win_t1 = t;
	snap_take(&snap1);
	callee1 = pid_ticks(opt.callee_pid);
	gen_cpu1 = rusage_s();
	phase = PH_DRAIN;
	phase_t0 = t;
}

void ws_window(struct ws_window *w)
{
	long hz = sysconf(_SC_CLK_TCK);
	double done = (double)n_done_window;

	w->win = win_t1 - win_t0;
	w->srv_s = (double)(snap1.total - snap0.total) / (double)hz;
	w->callee_s = (double)(callee1 - callee0) / (double)hz;
	w->gen_s = gen_cpu1 - gen_cpu0;
	w->sys_busy = snap1.sys_all > snap0.sys_all ?
		100.0 * (double)(snap1.sys_busy - snap0.sys_busy) /
		(double)(snap1.sys_all - snap0.sys_all) : 0;
	w->rate = done / w->win;
	w->srv_us = n_done_window ? w->srv_s * 1e6 / done : 0;
	w->gen_us = n_done_window ? w->gen_s * 1e6 / done : 0;
	w->callee_us = n_done_window ? w->callee_s * 1e6 / done : 0;
	w->server_pids = snap0.npids;
}

/* ---- phases ---- */

static void tick(lws_sorted_usec_list_t *sul)
{
	double t = now_s();

	(void)sul;
	if (interrupted && phase != PH_DONE)
		phase = PH_DONE;
	if (opt.server_pid && phase != PH_DONE && kill(opt.server_pid, 0) &&
	    errno == ESRCH) {
		fprintf(stderr, "%s: server PID %d exited\n", hk->name,
			opt.server_pid);
		phase = PH_DONE;
	}
	switch (phase) {
	case PH_CONNECT:
		if (*hk->ready == opt.nconn) {
			fprintf(stderr, "%s: %d connections %s in %.2f s (%s); "
				"warm-up %.0f s\n", hk->name, *hk->ready,
				hk->ready_up, t - phase_t0, cipher,
				opt.warmup);
			phase = PH_WARMUP;
			phase_t0 = t;
			for (int i = 0; i < opt.nconn; i++)
				hk->go(conn_at(i));
		} else if (t - phase_t0 > 60) {
			fprintf(stderr, "%s: only %d/%d connections%s after "
				"60 s\n", hk->name, *hk->ready, opt.nconn,
				hk->ready_only);
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
		if (!opt.count && t - phase_t0 >= opt.duration) {
			ws_end_window(t);
		} else if (opt.count && t - phase_t0 > 600) {
			fprintf(stderr, "%s: count not reached in 600 s\n",
				hk->name);
			ws_end_window(t);
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
		struct wsconn *w = conn_at(i);

		if (w->reconnect_due && !w->wsi) {
			w->reconnect_due = 0;
			n_reconnects++;
			connect_one(w);
		} else {
			hk->check(w, t);
		}
	}
	/* Always re-arm: lws_service() must wake up to see PH_DONE. */
	lws_sul_schedule(ctx, 0, &tick_sul, tick, 20 * LWS_US_PER_MS);
}

/* ---- set-up and main loop ---- */

static void on_sig(int s)
{
	(void)s;
	interrupted = 1;
}

int ws_init(const struct ws_hooks *h)
{
	struct lws_context_creation_info info;

	hk = h;
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!md5)
		md5 = EVP_md5();
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
		fprintf(stderr, "%s: lws_create_context failed\n", hk->name);
		return -1;
	}
	return 0;
}

int ws_run(void)
{
	conns = calloc((size_t)opt.nconn, hk->conn_size);
	if (!conns)
		return -1;
	phase_t0 = now_s();
	for (int i = 0; i < opt.nconn; i++) {
		struct wsconn *w = conn_at(i);

		w->idx = i;
		snprintf(w->user, sizeof(w->user), "%d", opt.first_ext +
			 (opt.users ? i % opt.users : i));
		rand_hex(w->host, 6);
		strcat(w->host, ".invalid");
		hk->init(w);
		connect_one(w);
	}
	lws_sul_schedule(ctx, 0, &tick_sul, tick, 20 * LWS_US_PER_MS);
	while (phase != PH_DONE)
		if (lws_service(ctx, 0) < 0)
			break;

	if (win_t1 <= win_t0) {
		fprintf(stderr, "%s: no measured window (interrupted or "
			"connections failed)\n", hk->name);
		return -1;
	}
	return 0;
}

void ws_done(void)
{
	lws_context_destroy(ctx);
	free(conns);
	conns = NULL;
}
