/*
 * tests/bench/mediafloor.c - the benchmark's floor: a minimal SDES-SRTP <->
 * RTP relay with no signalling, one SRTP operation and one sendto() per
 * packet (mediaload --serve-floor). Its ports go to stdout, then "ready".
 */
#define _GNU_SOURCE
#include "mediautil.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

int bench_floor_serve(int calls, int base_port, const char *ka_hex,
		      const char *kr_hex)
{
	struct epoll_event ev[256];
	struct sockaddr_in *peer = calloc((size_t)calls * 2, sizeof(*peer));
	int *fd = calloc((size_t)calls * 2, sizeof(int));
	srtp_t *rx = calloc((size_t)calls, sizeof(srtp_t));
	srtp_t *tx = calloc((size_t)calls, sizeof(srtp_t));
	uint8_t ka[30], kr[30], b[2048];
	int ep = epoll_create1(0), i, n, k, len;

	bench_hexkey(ka_hex, ka);
	bench_hexkey(kr_hex, kr);
	for (i = 0; i < calls * 2; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};

		int got;

		fd[i] = bench_udp_bind(base_port + i, &got);
		printf("%d\n", got);
		epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &e);
		if (!(i & 1)) {
			rx[i / 2] = bench_srtp(ka, 1);
			tx[i / 2] = bench_srtp(kr, 0);
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, ev, 256, -1);
		for (k = 0; k < n; k++) {
			int s = (int)ev[k].data.u32, o = s ^ 1;
			socklen_t al = sizeof(peer[s]);
			ssize_t r;

			while ((r = recvfrom(fd[s], b, sizeof(b) - 32, 0,
					     (struct sockaddr *)&peer[s], &al)) > 0) {
				len = (int)r;
				if ((s & 1) ? srtp_protect(tx[s / 2], b, &len)
					    : srtp_unprotect(rx[s / 2], b, &len))
					continue;
				if (peer[o].sin_port)
					sendto(fd[o], b, (size_t)len, 0,
					       (struct sockaddr *)&peer[o],
					       sizeof(peer[o]));
			}
		}
	}
	return 0;
}
