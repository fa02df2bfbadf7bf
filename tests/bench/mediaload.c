/*
 * tests/bench/mediaload.c - media relay load: N concurrent calls, each an
 * SDES-SRTP caller (RTP/SAVP, AES_CM_128_HMAC_SHA1_80) and a plain RTP
 * callee (RTP/AVP), 50 packets/s each way, through a relay that translates
 * SRTP <-> RTP. Reports the relay's CPU per relayed packet (utime+stime of
 * the server process and its children / packets received by the
 * generator), loss, one-way latency through the relay (send timestamp in
 * the payload, kernel receive timestamp) and RSS growth per call, and what
 * the generator itself dropped or sent late (valid=0 if it did). A
 * measurement, never a test.
 *
 * Targets (how the calls are set up):
 *   --target ovoz       SIP over UDP: the callee registers (digest), the
 *                       caller INVITEs (407 + digest), the callee answers;
 *                       Ovoz must relay UDP<->UDP ([media] relay_udp=always)
 *   --target rtpengine  ng control protocol (bencode over UDP): offer with
 *                       transport-protocol RTP/AVP toward the callee, answer
 *   --target floor      this program's --serve-floor: per packet one libsrtp2
 *                       protect or unprotect and one sendto(), no signalling
 *                       (its ports come from its stdout: --floor-ports)
 * libsrtp2's AES-CM and HMAC-SHA1 are Ovoz's OpenSSL types (media/
 * srtp_crypto.c, compiled in) unless --srtp nss keeps libsrtp's own, in the
 * generator and in --serve-floor alike.
 * The media itself is mediapump.c: every call's caller shares one of
 * --gen-sockets K caller sockets and its callee one of K callee sockets
 * (ports from --media-base, outside the relays' port range; a port another
 * program holds is replaced by a free one, and the SDP says which), so all
 * calls' endpoints share one address per side and socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loadlib.h"
#include "mediapump.h"
#include "mediautil.h"
#include "media/srtp_crypto.h"

static struct {
	const char *target, *label, *ka, *kr, *ports, *srtp;
	int calls, warmup, duration, server_pid, media_base, ctl_port;
	int sip_port_a, sip_port_b, serve_floor, gen_sockets;
	const char *user_a, *user_b, *password, *domain;
} opt = {
	.target = "ovoz", .label = "ovoz", .calls = 100, .warmup = 5,
	.duration = 20, .media_base = 16000, .ctl_port = 15460,
	.sip_port_a = 15481, .sip_port_b = 15482, .user_a = "1001",
	.user_b = "1000", .password = "benchpass", .domain = "bench",
	.srtp = "openssl", .gen_sockets = 1,
};

static struct call *calls;

/* ---- SDP: what the generator offers and reads back ---------------------- */

static int sdp_caller(char *buf, size_t sz, struct call *c, int i)
{
	char k[41];

	bench_b64(c->key_a, k);
	return snprintf(buf, sz,
		"v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/SAVP 0\r\n"
		"a=rtpmap:0 PCMU/8000\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
		"a=sendrecv\r\n", i + 1, c->pa, k);
}

static int sdp_callee(char *buf, size_t sz, int i)
{
	return snprintf(buf, sz,
		"v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\n"
		"a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", i + 1,
		calls[i].pb);
}

/* The audio address of an SDP (c= then m=audio), and its SDES key. */
static int sdp_read(const char *sdp, struct sockaddr_in *a, uint8_t *key)
{
	char ip[64] = "127.0.0.1";
	const char *c = strstr(sdp, "c=IN IP4 "), *m = strstr(sdp, "m=audio ");
	const char *k = strstr(sdp, "AES_CM_128_HMAC_SHA1_80 inline:");
	int port;

	if (c)
		sscanf(c + 9, "%63[0-9.]", ip);
	if (!m || sscanf(m + 8, "%d", &port) != 1)
		return -1;
	bench_addr(a, ip, port);
	if (key && (!k || bench_unb64(k + 31, key)))
		return -1;
	return 0;
}

/* ---- SIP over UDP for Ovoz ---------------------------------------------- */

static int sip_a, sip_b;
static struct sockaddr_in sip_srv;
static struct digest_ha1 ha1_a, ha1_b;

static void sip_send(int fd, const char *m, int n)
{
	sendto(fd, m, (size_t)n, 0, (struct sockaddr *)&sip_srv, sizeof(sip_srv));
}

static int sip_recv(int fd, char *buf, size_t sz, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recv(fd, buf, sz - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

static int status_of(const char *m)
{
	return strncmp(m, "SIP/2.0 ", 8) ? 0 : atoi(m + 8);
}

/* Copy header @name's first value (no CRLF) into @out; "" if absent. */
static void hdr(const char *m, const char *name, char *out, size_t sz)
{
	const char *p = m;
	size_t nl = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, sz, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			return;
		}
	}
}

/* Every line of header @name, CRLF-terminated, appended to @out. */
static void hdr_all(const char *m, const char *name, char *out, size_t sz)
{
	const char *p = m;
	size_t nl = strlen(name), o = strlen(out);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *e = strstr(p, "\r\n");

			o += (size_t)snprintf(out + o, sz - o, "%.*s\r\n",
					      (int)(e - p), p);
		}
	}
}

static void sip_register(void)
{
	char m[4096], r[8192], auth[1024] = "", ha2[33], in[128];
	int n, i;

	n = snprintf(in, sizeof(in), "REGISTER:sip:%s", opt.domain);
	md5_hex(in, (size_t)n, ha2);
	for (i = 1; i <= 2; i++) {
		n = snprintf(m, sizeof(m),
			"REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKreg%d;rport\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=rb\r\nTo: <sip:%s@%s>\r\n"
			"Call-ID: reg-b\r\nCSeq: %d REGISTER\r\nContact: <sip:%s@127.0.0.1:%d>\r\n"
			"Expires: 3600\r\n%s%s%sContent-Length: 0\r\n\r\n",
			opt.domain, opt.sip_port_b, i, opt.user_b, opt.domain,
			opt.user_b, opt.domain, i, opt.user_b, opt.sip_port_b,
			auth[0] ? "Authorization: " : "", auth, auth[0] ? "\r\n" : "");
		sip_send(sip_b, m, n);
		if (sip_recv(sip_b, r, sizeof(r), 3000) < 0)
			bench_die("REGISTER: no answer");
		if (status_of(r) == 200)
			return;
		if (status_of(r) != 401 ||
		    digest_answer(r, "WWW-Authenticate", opt.user_b, opt.password,
				  &ha1_b, "sip:bench", ha2, auth, sizeof(auth)))
			bench_die("REGISTER refused");
	}
	bench_die("REGISTER: not accepted");
}

/* The callee: answer an INVITE with 200 and our SDP (call from Call-ID). */
static void callee_handle(const char *r)
{
	char m[8192], cid[128], to[256], body[512], cseq[64];
	int i, n, bl;

	if (strncmp(r, "INVITE ", 7))
		return; /* ACK and the rest need no answer */
	hdr(r, "Call-ID", cid, sizeof(cid));
	if (sscanf(cid, "mb-%d", &i) != 1 || i < 0 || i >= opt.calls)
		return;
	if (sdp_read(strstr(r, "\r\n\r\n"), &calls[i].rb, NULL))
		bench_die("INVITE to the callee without an audio address");
	hdr(r, "To", to, sizeof(to));
	hdr(r, "CSeq", cseq, sizeof(cseq));
	bl = sdp_callee(body, sizeof(body), i);
	m[0] = '\0';
	n = snprintf(m, sizeof(m), "SIP/2.0 200 OK\r\n");
	hdr_all(r, "Via", m, sizeof(m));
	hdr_all(r, "Record-Route", m, sizeof(m));
	hdr_all(r, "From", m, sizeof(m));
	n = (int)strlen(m);
	n += snprintf(m + n, sizeof(m) - (size_t)n,
		"To: %s;tag=b%d\r\nCall-ID: %s\r\nCSeq: %s\r\n"
		"Contact: <sip:%s@127.0.0.1:%d>\r\nContent-Type: application/sdp\r\n"
		"Content-Length: %d\r\n\r\n%s", to, i, cid, cseq, opt.user_b,
		opt.sip_port_b, bl, body);
	sip_send(sip_b, m, n);
}

static int invite(char *m, size_t sz, int i, int cseq, const char *auth)
{
	char body[1024];
	int bl = sdp_caller(body, sizeof(body), &calls[i], i);

	return snprintf(m, sz,
		"INVITE sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKi%d.%d;rport\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=a%d\r\nTo: <sip:%s@%s>\r\n"
		"Call-ID: mb-%d\r\nCSeq: %d INVITE\r\nContact: <sip:%s@127.0.0.1:%d>\r\n"
		"%s%s%sContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		opt.user_b, opt.domain, opt.sip_port_a, i, cseq, opt.user_a,
		opt.domain, i, opt.user_b, opt.domain, i, cseq, opt.user_a,
		opt.sip_port_a, auth ? "Proxy-Authorization: " : "",
		auth ? auth : "", auth ? "\r\n" : "", bl, body);
}

/* ACK for the 407 (same branch) or for the 200 (new branch, Route set). */
static void ack(const char *r, int i, int cseq, int ok)
{
	char m[4096], to[256], route[2048] = "", rr[2048] = "", *p;
	char contact[32];
	int n;

	hdr(r, "To", to, sizeof(to));
	snprintf(contact, sizeof(contact), "127.0.0.1:%d", opt.sip_port_b);
	if (ok) {
		hdr_all(r, "Record-Route", rr, sizeof(rr));
		/* Our Route set is the Record-Route list reversed. */
		while ((p = strrchr(rr, 'R')) && p > rr && p[-1] == '\n') {
			strcat(route, "Route");
			strcat(route, p + strlen("Record-Route"));
			*p = '\0';
		}
		if (!strncmp(rr, "Record-Route", 12)) {
			strcat(route, "Route");
			strcat(route, rr + 12);
		}
	}
	n = snprintf(m, sizeof(m),
		"ACK sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%d.%d;rport\r\n"
		"%sMax-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=a%d\r\nTo: %s\r\n"
		"Call-ID: mb-%d\r\nCSeq: %d ACK\r\nContent-Length: 0\r\n\r\n",
		opt.user_b, ok ? contact : opt.domain, opt.sip_port_a,
		ok ? "ack" : "i", i, cseq, route, opt.user_a, opt.domain, i, to,
		i, cseq);
	sip_send(sip_a, m, n);
}

static int setup_ovoz(int i)
{
	char m[8192], r[8192], auth[1024], ha2[33], in[128], cid[32], got[128];
	struct pollfd p[2] = {{.fd = sip_a, .events = POLLIN},
			      {.fd = sip_b, .events = POLLIN}};
	double end = now_s() + 5;
	int n, cseq = 1, st;

	n = snprintf(in, sizeof(in), "INVITE:sip:%s@%s", opt.user_b, opt.domain);
	md5_hex(in, (size_t)n, ha2);
	snprintf(cid, sizeof(cid), "mb-%d", i);
	n = invite(m, sizeof(m), i, cseq, NULL);
	sip_send(sip_a, m, n);
	while (now_s() < end) {
		if (poll(p, 2, 100) <= 0)
			continue;
		if ((p[1].revents & POLLIN) && sip_recv(sip_b, r, sizeof(r), 0) > 0)
			callee_handle(r);
		if (!(p[0].revents & POLLIN) || sip_recv(sip_a, r, sizeof(r), 0) < 0)
			continue;
		hdr(r, "Call-ID", got, sizeof(got));
		if (strcmp(got, cid))
			continue; /* a late retransmission for an earlier call */
		st = status_of(r);
		if (st == 407 && cseq == 1) {
			ack(r, i, cseq, 0);
			if (digest_answer(r, "Proxy-Authenticate", opt.user_a,
					  opt.password, &ha1_a,
					  in + strlen("INVITE:"), ha2, auth,
					  sizeof(auth)))
				bench_die("INVITE: no usable challenge");
			n = invite(m, sizeof(m), i, ++cseq, auth);
			sip_send(sip_a, m, n);
		} else if (st == 200) {
			ack(r, i, cseq, 1);
			return sdp_read(strstr(r, "\r\n\r\n"), &calls[i].ra,
					calls[i].key_r);
		} else if (st >= 300) {
			fprintf(stderr, "mediaload: call %d: %.60s\n", i, r);
			return -1;
		}
	}
	return -1;
}

/* ---- rtpengine's ng protocol --------------------------------------------- */

static int ng_fd;

static size_t bstr(char *o, const char *s)
{
	return (size_t)sprintf(o, "%zu:%s", strlen(s), s);
}

/* Send one ng command, return the "sdp" of the reply in @sdp. */
static int ng(int i, const char *cmd, const char *sdp, char *out, size_t osz)
{
	static char m[8192], r[8192];
	char cid[32], tag[32], *p;
	size_t o;
	ssize_t n;
	unsigned long len;

	snprintf(cid, sizeof(cid), "mb-%d", i);
	o = (size_t)sprintf(m, "%c%d d", cmd[0], i);
	o += bstr(m + o, "command");
	o += bstr(m + o, cmd);
	o += bstr(m + o, "call-id");
	o += bstr(m + o, cid);
	o += bstr(m + o, "from-tag");
	snprintf(tag, sizeof(tag), "a%d", i);
	o += bstr(m + o, tag);
	if (!strcmp(cmd, "answer")) {
		o += bstr(m + o, "to-tag");
		snprintf(tag, sizeof(tag), "b%d", i);
		o += bstr(m + o, tag);
	} else {
		o += bstr(m + o, "transport-protocol");
		o += bstr(m + o, "RTP/AVP");
	}
	if (sdp) {
		o += bstr(m + o, "sdp");
		o += bstr(m + o, sdp);
	}
	m[o++] = 'e';
	send(ng_fd, m, o, 0);
	if (sip_recv(ng_fd, r, sizeof(r), 3000) < 0)
		return -1;
	n = (ssize_t)strlen(r);
	p = strstr(r, "3:sdp");
	if (!p || !strstr(r, "6:result2:ok")) {
		fprintf(stderr, "mediaload: ng %s: %.*s\n", cmd, (int)n, r);
		return -1;
	}
	len = strtoul(p + 5, &p, 10);
	if (*p != ':' || len >= osz)
		return -1;
	memcpy(out, p + 1, len);
	out[len] = '\0';
	return 0;
}

static int setup_rtpengine(int i)
{
	char sdp[1024], out[4096];

	sdp_caller(sdp, sizeof(sdp), &calls[i], i);
	if (ng(i, "offer", sdp, out, sizeof(out)) ||
	    sdp_read(out, &calls[i].rb, NULL))
		return -1;
	sdp_callee(sdp, sizeof(sdp), i);
	if (ng(i, "answer", sdp, out, sizeof(out)) ||
	    sdp_read(out, &calls[i].ra, calls[i].key_r))
		return -1;
	return 0;
}

static FILE *floor_ports;

static int setup_floor(int i)
{
	int pa, pb;

	if (!floor_ports && !(floor_ports = fopen(opt.ports, "r")))
		bench_die("--floor-ports: cannot open");
	if (fscanf(floor_ports, "%d %d", &pa, &pb) != 2)
		bench_die("--floor-ports: too few ports");
	bench_addr(&calls[i].ra, "127.0.0.1", pa);
	bench_addr(&calls[i].rb, "127.0.0.1", pb);
	bench_hexkey(opt.kr, calls[i].key_r);
	return 0;
}

/* ---- results ------------------------------------------------------------ */

static long rss_kib(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: mediaload --target ovoz|rtpengine|floor --calls N\n"
		"  [--warmup S] [--duration S] [--server-pid P] [--label L]\n"
		"  [--media-base PORT] [--gen-sockets K] [--ctl-port PORT] (ovoz: its SIP UDP port;\n"
		"  rtpengine: its ng port) [--user-a E] [--user-b E]\n"
		"  [--password P] [--domain D] [--srtp openssl|nss]\n"
		"  floor: --key-a HEX --key-r HEX --floor-ports FILE (--serve-floor's output)\n"
		"  mediaload --serve-floor --calls N --ctl-port FIRST_PORT --key-a HEX --key-r HEX\n"
		"    (prints its ports, one a line, then \"ready\")\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--serve-floor")) {
			opt.serve_floor = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--target")) opt.target = v;
		else if (!strcmp(a, "--label")) opt.label = v;
		else if (!strcmp(a, "--calls")) opt.calls = atoi(v);
		else if (!strcmp(a, "--warmup")) opt.warmup = atoi(v);
		else if (!strcmp(a, "--duration")) opt.duration = atoi(v);
		else if (!strcmp(a, "--server-pid")) opt.server_pid = atoi(v);
		else if (!strcmp(a, "--media-base")) opt.media_base = atoi(v);
		else if (!strcmp(a, "--gen-sockets")) opt.gen_sockets = atoi(v);
		else if (!strcmp(a, "--ctl-port")) opt.ctl_port = atoi(v);
		else if (!strcmp(a, "--sip-port-a")) opt.sip_port_a = atoi(v);
		else if (!strcmp(a, "--sip-port-b")) opt.sip_port_b = atoi(v);
		else if (!strcmp(a, "--user-a")) opt.user_a = v;
		else if (!strcmp(a, "--user-b")) opt.user_b = v;
		else if (!strcmp(a, "--password")) opt.password = v;
		else if (!strcmp(a, "--domain")) opt.domain = v;
		else if (!strcmp(a, "--key-a")) opt.ka = v;
		else if (!strcmp(a, "--key-r")) opt.kr = v;
		else if (!strcmp(a, "--floor-ports")) opt.ports = v;
		else if (!strcmp(a, "--srtp")) opt.srtp = v;
		else usage();
	}
	if (opt.calls <= 0 || opt.gen_sockets <= 0 || ((opt.serve_floor || !strcmp(opt.target, "floor")) &&
			       (!opt.ka || !opt.kr)))
		usage();
}

static void setup_all(void)
{
	double t0 = now_s();
	int i, ok = 0;

	if (!strcmp(opt.target, "ovoz")) {
		bench_addr(&sip_srv, "127.0.0.1", opt.ctl_port);
		sip_a = bench_udp_bind(opt.sip_port_a, NULL);
		sip_b = bench_udp_bind(opt.sip_port_b, NULL);
		sip_register();
	} else if (!strcmp(opt.target, "rtpengine")) {
		struct sockaddr_in a;

		bench_addr(&a, "127.0.0.1", opt.ctl_port);
		ng_fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (connect(ng_fd, (struct sockaddr *)&a, sizeof(a)))
			bench_die("ng connect");
	}
	pump_open(calls, opt.calls, opt.gen_sockets, opt.media_base);
	for (i = 0; i < opt.calls; i++) {
		struct call *c = &calls[i];
		int r;

		if (opt.ka)
			bench_hexkey(opt.ka, c->key_a);
		else
			RAND_bytes(c->key_a, 30);
		RAND_bytes((uint8_t *)&c->ssrc_a, 4);
		RAND_bytes((uint8_t *)&c->ssrc_b, 4);
		if (!strcmp(opt.target, "ovoz"))
			r = setup_ovoz(i);
		else if (!strcmp(opt.target, "rtpengine"))
			r = setup_rtpengine(i);
		else
			r = setup_floor(i);
		if (r) {
			fprintf(stderr, "mediaload: call %d not set up\n", i);
			continue;
		}
		c->tx_a = bench_srtp(c->key_a, 0);
		c->rx_a = bench_srtp(c->key_r, 1);
		c->ready = 1;
		ok++;
	}
	pump_map();
	fprintf(stderr, "mediaload: %d of %d calls set up in %.1f s\n", ok,
		opt.calls, now_s() - t0);
}

/* Packets the kernel dropped on any CPU's input backlog (loopback
 * delivery), from /proc/net/softnet_stat's second column. */
static unsigned long long backlog_drops(void)
{
	unsigned long long sum = 0;
	unsigned int processed, dropped;
	char line[512];
	FILE *f = fopen("/proc/net/softnet_stat", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %x", &processed, &dropped) == 2)
			sum += dropped;
	if (f)
		fclose(f);
	return sum;
}

/* The result line: one round, the fields docs/benchmarks.md explains. */
static void report(const struct pump_stats *w0, const struct pump_stats *w1,
		   const struct pump_stats *end, double secs, double cpu_s,
		   double sys_s, double gen_cpu_s, long rss0, long rss1,
		   unsigned long long backlog)
{
	uint64_t relayed = w1->rx_total - w0->rx_total;
	uint64_t drops = end->gen_drops - w0->gen_drops;
	double loss = end->tx_meas ? 100.0 * (double)(end->tx_meas - end->rx_meas) /
				     (double)end->tx_meas : 0;
	/* Late or unsent packets up to 0.1 % of the window (scheduler
	 * hiccups) still leave the pacing honest; drops by the generator's
	 * sockets or the kernel's loopback backlog never do. */
	int valid = !drops && !backlog && end->behind * 1000 <= end->tx_meas;

	fprintf(stderr, "mediaload: window: %llu slots late, worst send %.2f ms "
		"after its slot\n", (unsigned long long)end->late_slots,
		(double)end->late_max_ns / 1e6);

	printf("%-10s calls=%d pps=%.0f cpu_us_per_pkt=%.2f "
	       "sys_us_per_pkt=%.2f loss_pct=%.3f "
	       "lat_p50_ms=%.2f lat_p99_ms=%.2f kib_per_call=%.1f "
	       "sent=%llu received=%llu bad_srtp=%llu gen_drops=%llu "
	       "behind=%llu backlog_drops=%llu stray=%llu misrouted=%llu "
	       "gen_cpu_pct=%.0f valid=%d\n",
	       opt.label, opt.calls, (double)relayed / secs,
	       cpu_s * 1e6 / (double)(relayed ? relayed : 1),
	       sys_s * 1e6 / (double)(relayed ? relayed : 1), loss,
	       pump_lat_pct(0.5), pump_lat_pct(0.99),
	       rss0 > 0 && rss1 > 0 ? (double)(rss1 - rss0) / opt.calls : -1.0,
	       (unsigned long long)end->tx_meas, (unsigned long long)end->rx_meas,
	       (unsigned long long)end->bad_srtp, (unsigned long long)drops,
	       (unsigned long long)end->behind, backlog,
	       (unsigned long long)end->stray,
	       (unsigned long long)end->misrouted, 100.0 * gen_cpu_s / secs,
	       valid);
}

int main(int argc, char **argv)
{
	struct cpu_snap *s0 = calloc(1, sizeof(*s0)), *s1 = calloc(1, sizeof(*s1));
	struct pump_stats w0, w1, end;
	long rss0 = -1, rss1 = -1;
	double t0, t1, g0, g1;
	unsigned long long bl0;

	md5 = EVP_md5();
	parse(argc, argv);
	if (srtp_init() != srtp_err_status_ok)
		bench_die("srtp_init");
	if (!strcmp(opt.srtp, "openssl") && media_srtp_crypto_install() != 0)
		bench_die("media_srtp_crypto_install");
	else if (strcmp(opt.srtp, "openssl") && strcmp(opt.srtp, "nss"))
		usage();
	if (opt.serve_floor)
		return bench_floor_serve(opt.calls, opt.ctl_port, opt.ka, opt.kr);
	calls = calloc((size_t)opt.calls, sizeof(*calls));
	if (opt.server_pid)
		rss0 = rss_kib(opt.server_pid);
	setup_all();
	pump_run(opt.warmup, 0);
	if (opt.server_pid) {
		rss1 = rss_kib(opt.server_pid);
		snap_pids(s0, opt.server_pid);
		snap_take(s0);
	}
	pump_stats(&w0);
	bl0 = backlog_drops();
	t0 = now_s();
	g0 = rusage_s();
	pump_run(opt.duration, 1);
	t1 = now_s();
	g1 = rusage_s();
	pump_stats(&w1);
	if (opt.server_pid) {
		*s1 = *s0;
		snap_take(s1);
	}
	pump_run(0.5, 2); /* in-flight packets of the window arrive */
	pump_stats(&end);
	report(&w0, &w1, &end, t1 - t0, (double)(s1->total - s0->total) /
	       (double)sysconf(_SC_CLK_TCK), (double)(s1->sys - s0->sys) /
	       (double)sysconf(_SC_CLK_TCK), g1 - g0, rss0, rss1,
	       backlog_drops() - bl0);
	pump_close();
	return 0;
}
