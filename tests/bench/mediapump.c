/*
 * tests/bench/mediapump.c - the media generator's packet pump (see
 * mediapump.h). All calls share K caller and K callee sockets (call i uses
 * pair i % K); a received packet is matched to its call and side by the
 * relay's source port, never by its payload (the payload's call number is
 * only checked). Every 1 ms slot, 1/20 of the calls send one packet each
 * way, one sendmmsg() per socket and up to BATCH packets; the send time
 * (CLOCK_REALTIME) is written into the payload right before the batch is
 * protected and sent, and latency is the kernel's receive timestamp
 * (SO_TIMESTAMPNS) minus it, so the generator's own receive delay is not
 * counted: after each slot's sends it reads until its sockets are empty or
 * the next slot is due, then sleeps (no wake-up per arriving packet).
 * SO_RXQ_OVFL and SO_MEMINFO count what the generator's sockets dropped, and
 * packets sent more than LATE_NS after their slot (or not sent) count as
 * "behind": both belong to the generator, not to the relay.
 */
#define _GNU_SOURCE
#include "mediapump.h"
#include "mediautil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT_PAYLOAD 160 /* PCMU, 20 ms */
#define PKT_MAX (12 + PKT_PAYLOAD + SRTP_MAX_TRAILER_LEN)
#define MAGIC 0x4f564f5aU
#define HIST_US 10       /* latency histogram bin */
#define HIST_BINS 200000 /* up to 2 s, then overflow */
#define BATCH 64         /* packets per sendmmsg() */
#define RBATCH 64        /* packets per recvmmsg() */
#define LATE_NS 1000000  /* a packet sent later than this after its slot */
#define SOCKBUF (32 << 20)
#define CTL_SZ (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)))

static struct call *calls;
static int ncalls, nsock;   /* nsock = K sockets per side */
static int *fds;            /* [side * K + j]; side 0 caller, 1 callee */
static uint32_t *ovfl;      /* last SO_RXQ_OVFL per socket */
static int32_t portmap[65536]; /* relay port -> call << 1 | side, or -1 */
static uint64_t hist[HIST_BINS + 1];
static struct pump_stats st;
static int phase_now;

static struct {
	struct mmsghdr m[RBATCH];
	struct iovec iov[RBATCH];
	struct sockaddr_in from[RBATCH];
	uint8_t buf[RBATCH][2048];
	uint8_t ctl[RBATCH][CTL_SZ] __attribute__((aligned(8)));
} rx;

static struct {
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	uint8_t buf[BATCH][PKT_MAX];
} tx;

static uint64_t real_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void sock_tune(int fd)
{
	int sz = SOCKBUF, one = 1, got;
	socklen_t gl = sizeof(got);

	/* FORCE needs CAP_NET_ADMIN (root); otherwise up to rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)))
		bench_die("SO_TIMESTAMPNS/SO_RXQ_OVFL");
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl);
	if (got < SOCKBUF)
		fprintf(stderr, "mediaload: receive buffer only %d bytes\n", got);
}

void pump_open(struct call *c, int n, int k, int base)
{
	int *port = calloc((size_t)k * 2, sizeof(int));
	int i;

	calls = c;
	ncalls = n;
	nsock = k;
	fds = calloc((size_t)k * 2, sizeof(int));
	ovfl = calloc((size_t)k * 2, sizeof(uint32_t));
	for (i = 0; i < 2 * k; i++) {
		fds[i] = bench_udp_bind(base + i, &port[i]);
		sock_tune(fds[i]);
	}
	for (i = 0; i < n; i++) {
		c[i].pa = port[i % k];
		c[i].pb = port[k + i % k];
	}
	for (i = 0; i < RBATCH; i++) {
		rx.iov[i].iov_base = rx.buf[i];
		rx.iov[i].iov_len = sizeof(rx.buf[i]);
		rx.m[i].msg_hdr.msg_iov = &rx.iov[i];
		rx.m[i].msg_hdr.msg_iovlen = 1;
	}
	for (i = 0; i < BATCH; i++) {
		tx.iov[i].iov_base = tx.buf[i];
		tx.m[i].msg_hdr.msg_iov = &tx.iov[i];
		tx.m[i].msg_hdr.msg_iovlen = 1;
		tx.m[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
	}
	free(port);
}

static void map_port(const struct sockaddr_in *a, int v)
{
	int p = ntohs(a->sin_port);

	if (portmap[p] >= 0) {
		fprintf(stderr, "mediaload: relay port %d used by calls %d and %d\n",
			p, portmap[p] >> 1, v >> 1);
		exit(1);
	}
	portmap[p] = v;
}

void pump_map(void)
{
	memset(portmap, 0xff, sizeof(portmap));
	for (int i = 0; i < ncalls; i++) {
		if (!calls[i].ready)
			continue;
		map_port(&calls[i].ra, i << 1);
		map_port(&calls[i].rb, i << 1 | 1);
	}
}

/* One RTP packet of call @i, @side, into @b; its length. */
static int build(uint8_t *b, int i, int side)
{
	struct call *c = &calls[i];
	uint32_t v[4] = {MAGIC, (uint32_t)i, (uint32_t)phase_now, 0};
	uint16_t seq = side ? c->seq_b++ : c->seq_a++;
	uint32_t ssrc = htonl(side ? c->ssrc_b : c->ssrc_a);
	uint32_t ts = htonl((uint32_t)seq * 160);

	memset(b + 12, 0xff, PKT_PAYLOAD);
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memcpy(b + 4, &ts, 4);
	memcpy(b + 8, &ssrc, 4);
	memcpy(b + 20, v, sizeof(v));
	return 12 + PKT_PAYLOAD;
}

/* Stamp, protect (caller side) and send @n packets of calls @idx. */
static void send_batch(int side, int j, const int *idx, int n, uint64_t slot)
{
	uint64_t t = real_ns(), mono = bench_now_ns();
	int late = mono > slot + LATE_NS, k, m = 0, sent = 0, r;

	for (k = 0; k < n; k++) {
		struct call *c = &calls[idx[k]];
		uint8_t *b = tx.buf[m];
		int len = build(b, idx[k], side);

		memcpy(b + 12, &t, 8);
		if (!side && srtp_protect(c->tx_a, b, &len) != srtp_err_status_ok)
			continue;
		tx.iov[m].iov_len = (size_t)len;
		tx.m[m].msg_hdr.msg_name = side ? &c->rb : &c->ra;
		m++;
	}
	while (sent < m) {
		r = sendmmsg(fds[side * nsock + j], tx.m + sent,
			     (unsigned)(m - sent), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		sent += r;
	}
	if (phase_now == 1) {
		if (mono - slot > st.late_max_ns)
			st.late_max_ns = mono - slot;
		st.tx_meas += (uint64_t)sent;
		st.behind += late ? (uint64_t)n : (uint64_t)(n - sent);
	}
}

/* Every call of slot @phase sends one packet each way. */
static void send_slot(int phase, uint64_t slot)
{
	int idx[BATCH], side, j, i, n;

	for (side = 0; side < 2; side++) {
		for (j = 0; j < nsock; j++) {
			n = 0;
			for (i = phase; i < ncalls; i += 20) {
				if (i % nsock != j || !calls[i].ready)
					continue;
				idx[n++] = i;
				if (n == BATCH) {
					send_batch(side, j, idx, n, slot);
					n = 0;
				}
			}
			if (n)
				send_batch(side, j, idx, n, slot);
		}
	}
}

/* The kernel's receive time and drop counter from @h's control data. */
static uint64_t cmsg_read(struct msghdr *h, int s)
{
	struct cmsghdr *cm;
	uint64_t t = 0;

	for (cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			t = (uint64_t)ts.tv_sec * 1000000000ull +
			    (uint64_t)ts.tv_nsec;
		} else if (cm->cmsg_type == SO_RXQ_OVFL) {
			uint32_t d;

			memcpy(&d, CMSG_DATA(cm), sizeof(d));
			if (d > ovfl[s])
				ovfl[s] = d;
		}
	}
	return t ? t : real_ns();
}

static void recv_one(int s, struct mmsghdr *mm, uint8_t *b)
{
	const struct sockaddr_in *from = mm->msg_hdr.msg_name;
	int side = s >= nsock, len = (int)mm->msg_len, e, i;
	uint64_t kt = cmsg_read(&mm->msg_hdr, s), t;
	const struct sockaddr_in *want;
	uint32_t v[4];

	e = portmap[ntohs(from->sin_port)];
	if (e < 0 || (e & 1) != side) {
		st.stray++;
		return;
	}
	i = e >> 1;
	want = side ? &calls[i].rb : &calls[i].ra;
	if (from->sin_addr.s_addr != want->sin_addr.s_addr) {
		st.stray++;
		return;
	}
	if (!side && srtp_unprotect(calls[i].rx_a, b, &len) != srtp_err_status_ok) {
		st.bad_srtp++;
		return;
	}
	if (len < 12 + 36)
		return;
	memcpy(&t, b + 12, 8);
	memcpy(v, b + 20, sizeof(v));
	if (v[0] != MAGIC)
		return;
	if (v[1] != (uint32_t)i) {
		st.misrouted++;
		return;
	}
	st.rx_total++;
	if (v[2] != 1)
		return;
	st.rx_meas++;
	t = kt > t ? (kt - t) / 1000 / HIST_US : 0;
	hist[t < HIST_BINS ? t : HIST_BINS]++;
}

/* One recvmmsg() batch from socket @s; 1 if it may hold more. */
static int recv_sock(int s)
{
	int r, k;

	for (k = 0; k < RBATCH; k++) {
		struct msghdr *h = &rx.m[k].msg_hdr;

		h->msg_name = &rx.from[k];
		h->msg_namelen = sizeof(rx.from[k]);
		h->msg_control = rx.ctl[k];
		h->msg_controllen = CTL_SZ;
	}
	r = recvmmsg(fds[s], rx.m, RBATCH, MSG_DONTWAIT, NULL);
	for (k = 0; k < r; k++)
		recv_one(s, &rx.m[k], rx.buf[k]);
	return r == RBATCH;
}

/* Read every socket, a batch each in turn, until all are empty or the
 * slot at @next is due. Latency comes from the kernel's receive time, so
 * reading once per slot costs no accuracy and saves wake-ups. */
static void recv_until(uint64_t next)
{
	int more = 1, s;

	while (more && bench_now_ns() < next) {
		more = 0;
		for (s = 0; s < 2 * nsock; s++)
			more |= recv_sock(s);
	}
}

void pump_run(double secs, int phase)
{
	uint64_t start = bench_now_ns(), end = start + (uint64_t)(secs * 1e9);
	uint64_t slot = start - start % 1000000, t;

	phase_now = phase;
	while ((t = bench_now_ns()) < end) {
		if (slot > t) {
			struct timespec at = {.tv_sec = (time_t)(slot / 1000000000),
					      .tv_nsec = (long)(slot % 1000000000)};

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
			continue;
		}
		if (phase == 1 && t > slot + LATE_NS)
			st.late_slots++;
		send_slot((int)((slot / 1000000) % 20), slot);
		slot += 1000000;
		recv_until(slot);
	}
}

void pump_stats(struct pump_stats *s)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t ml;

	*s = st;
	s->gen_drops = 0;
	for (int i = 0; i < 2 * nsock; i++) {
		/* The cmsg only shows drops before a packet that arrived;
		 * SO_MEMINFO has the socket's counter now. */
		ml = sizeof(mi);
		if (!getsockopt(fds[i], SOL_SOCKET, SO_MEMINFO, mi, &ml) &&
		    ml > SK_MEMINFO_DROPS * sizeof(uint32_t) &&
		    mi[SK_MEMINFO_DROPS] > ovfl[i])
			ovfl[i] = mi[SK_MEMINFO_DROPS];
		s->gen_drops += ovfl[i];
	}
}

double pump_lat_pct(double p)
{
	uint64_t total = 0, acc = 0;
	size_t i;

	for (i = 0; i <= HIST_BINS; i++)
		total += hist[i];
	for (i = 0; i <= HIST_BINS; i++) {
		acc += hist[i];
		if (total && acc >= (uint64_t)(p * (double)total))
			return (double)(i * HIST_US + HIST_US / 2) / 1000.0;
	}
	return -1;
}

void pump_close(void)
{
	for (int i = 0; i < 2 * nsock; i++)
		close(fds[i]);
	free(fds);
	free(ovfl);
}
