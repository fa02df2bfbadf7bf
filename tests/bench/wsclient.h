/*
 * tests/bench/wsclient.h - the WebSocket client side both load generators
 * share: options, the libwebsockets context and its N wss connections
 * (subprotocol "sip") with their receive buffer and send queue, reconnects,
 * the run phases (connect, warm-up, measured window, drain) and the CPU
 * accounting of the window.
 *
 * A generator's connection struct starts with a struct wsconn; the
 * generator fills in struct ws_hooks, calls ws_parse() and ws_run(), then
 * prints its RESULT line from ws_window().
 */
#ifndef OVOZ_BENCH_WSCLIENT_H
#define OVOZ_BENCH_WSCLIENT_H

#include <libwebsockets.h>
#include <getopt.h>
#include "loadlib.h"

#define RX_MAX 16384
#define TX_MAX 4096
#define TXQ 4

enum phase { PH_CONNECT, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

struct txbuf {
	size_t len;
	unsigned char buf[LWS_PRE + TX_MAX];
};

struct wsconn {
	struct lws *wsi;
	int idx;
	int established;
	int reconnect_due;
	char user[16];
	char host[32];		/* random .invalid host, like SIP.js */
	struct digest_ha1 ha1;
	struct txbuf txq[TXQ];
	int txh, txn;
	size_t rxlen;
	char rx[RX_MAX + 1];
};

/* Options common to both generators; the defaults are regload's. */
struct ws_opt {
	const char *host;
	int port;
	const char *ca;
	const char *password;
	const char *domain;
	const char *label;
	int nconn;
	int first_ext;
	int users;		/* conn i: first_ext + i % users (0: + i) */
	double warmup;
	double duration;
	long count;		/* window ends after this many (0: duration) */
	int server_pid;
	int callee_pid;		/* also accounted in the window if > 0 */
	int verbose;
};

struct ws_hooks {
	const char *name;	/* "regload": prefix of every message */
	size_t conn_size;	/* sizeof the generator's struct conn */
	const int *ready;	/* how many connections are ready for load */
	const char *ready_up;	/* "%d connections <ready_up> in %.2f s" */
	const char *ready_only;	/* "only %d/%d connections<ready_only> after" */
	void (*init)(struct wsconn *w);		/* once, before connecting */
	void (*reset)(struct wsconn *w);	/* on every (re)connect */
	void (*established)(struct wsconn *w);
	void (*message)(struct wsconn *w, char *msg);
	void (*closed)(struct wsconn *w);	/* after the common part */
	void (*go)(struct wsconn *w);		/* warm-up starts */
	void (*check)(struct wsconn *w, double t); /* every tick (20 ms) */
};

/* CPU and rate of the measured window. */
struct ws_window {
	double win;		/* s */
	double rate;		/* n_done_window / s */
	double srv_s, srv_us;	/* server CPU: s, us per completed */
	double gen_s, gen_us;	/* this process */
	double callee_s, callee_us;
	double sys_busy;	/* % of the whole machine */
	int server_pids;
};

extern struct ws_opt opt;
extern enum phase phase;
extern double phase_t0;
extern int n_established;
extern long n_done_total, n_done_window, n_errors, n_timeouts, n_reconnects,
	n_closed, n_inflight;
extern char cipher[96];

/*
 * Parse the common options plus @extra (handled by @on_extra, which returns
 * -1 for an unknown one); call @usage on any error or out-of-range value.
 */
void ws_parse(int argc, char **argv, const struct option *extra,
	      int (*on_extra)(int o, const char *arg), void (*usage)(void));
/* MD5, signals, context; returns -1 if the context fails. */
int ws_init(const struct ws_hooks *h);
/* Connect all, run the phases until PH_DONE; -1 without a window. */
int ws_run(void);
void ws_window(struct ws_window *w);
void ws_done(void);

/* Queue one message: write it at ws_tx_slot(), then ws_tx_commit(len). */
char *ws_tx_slot(struct wsconn *w);
void ws_tx_commit(struct wsconn *w, int len);
/* The measured window ends now (duration or count reached). */
void ws_end_window(double t);

#endif
