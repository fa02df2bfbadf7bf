/*
 * tests/bench/mediautil.c - what the media benchmark's generator and its
 * floor relay share: a monotonic clock, loopback UDP sockets, libsrtp2
 * sessions and SDES key text. Bench code: errors end the program.
 */
#define _GNU_SOURCE
#include "mediautil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void bench_die(const char *what)
{
	fprintf(stderr, "mediaload: %s\n", what);
	exit(1);
}

/* A UDP socket on 127.0.0.1:@port; if another program holds that port,
 * any free one. The port it got goes to *@got. */
int bench_udp_bind(int port, int *got)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), sz = 1 << 20;
	int r;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&a, sizeof(a));
	if (r < 0 && errno == EADDRINUSE && got) {
		a.sin_port = 0;
		r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (r < 0) {
		fprintf(stderr, "mediaload: bind %d: %s\n", port, strerror(errno));
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (got) {
		getsockname(fd, (struct sockaddr *)&a, &al);
		*got = ntohs(a.sin_port);
	}
	return fd;
}

void bench_addr(struct sockaddr_in *a, const char *ip, int port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a->sin_addr);
}

srtp_t bench_srtp(const uint8_t *key, int inbound)
{
	srtp_policy_t p;
	srtp_t s;

	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_rtp_default(&p.rtp);
	srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = (unsigned char *)key;
	p.window_size = 1024;
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		bench_die("srtp_create");
	return s;
}

void bench_b64(const uint8_t *k, char out[41])
{
	EVP_EncodeBlock((unsigned char *)out, k, 30);
}

int bench_unb64(const char *in, uint8_t k[30])
{
	uint8_t tmp[33];

	if (EVP_DecodeBlock(tmp, (const unsigned char *)in, 40) < 30)
		return -1;
	memcpy(k, tmp, 30);
	return 0;
}

void bench_hexkey(const char *hex, uint8_t k[30])
{
	for (int j = 0; j < 30; j++)
		sscanf(hex + 2 * j, "%2hhx", &k[j]);
}
