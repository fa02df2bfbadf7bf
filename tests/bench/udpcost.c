/*
 * tests/bench/udpcost.c - what the kernel costs per UDP datagram on this
 * machine, on loopback, with no relay at all: an empty system call, one
 * sendto() + recv() pair, the same on a connected socket, and sendmmsg()
 * of 64 datagrams + one recv() each or one recvmmsg() for all. Every
 * relay in tests/bench/media.sh pays at least one receive and one send per
 * relayed packet, so this bounds how cheap any of them can be. A
 * measurement, never a test. Build and run (pinned, machine idle):
 *   cc -O2 -o udpcost tests/bench/udpcost.c && taskset -c 1 ./udpcost
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define N 200000
#define BATCH 64
#define LEN 172 /* 12-byte RTP header + 160 bytes of PCMU */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(const char *what, double t0, int n)
{
	printf("%-42s %6.3f us\n", what, (now_s() - t0) * 1e6 / n);
}

int main(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct mmsghdr m[BATCH];
	struct iovec io[BATCH];
	char buf[2048] = {0};
	double t;

	if (a < 0 || b < 0 || bind(b, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(b, (struct sockaddr *)&sa, &sl))
		return 1;
	t = now_s();
	for (int i = 0; i < N * 5; i++)
		syscall(SYS_getppid);
	report("empty system call (getppid)", t, N * 5);
	t = now_s();
	for (int i = 0; i < N; i++) {
		sendto(a, buf, LEN, 0, (struct sockaddr *)&sa, sizeof(sa));
		recv(b, buf, sizeof(buf), 0);
	}
	report("sendto + recv, per datagram", t, N);
	t = now_s();
	for (int i = 0; i < N; i++)
		recv(b, buf, sizeof(buf), MSG_DONTWAIT);
	report("recv on an empty socket (EAGAIN)", t, N);
	if (connect(a, (struct sockaddr *)&sa, sizeof(sa)))
		return 1;
	t = now_s();
	for (int i = 0; i < N; i++) {
		send(a, buf, LEN, 0);
		recv(b, buf, sizeof(buf), 0);
	}
	report("connected send + recv, per datagram", t, N);
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		io[i] = (struct iovec){buf, LEN};
		m[i].msg_hdr.msg_iov = &io[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	t = now_s();
	for (int i = 0; i < N / BATCH; i++) {
		sendmmsg(a, m, BATCH, 0);
		for (int j = 0; j < BATCH; j++)
			recv(b, buf, sizeof(buf), 0);
	}
	report("sendmmsg of 64 + recv each, per datagram", t, N / BATCH * BATCH);
	t = now_s();
	for (int i = 0; i < N / BATCH; i++) {
		sendmmsg(a, m, BATCH, 0);
		for (int j = 0; j < BATCH; j++)
			io[j].iov_len = LEN;
		recvmmsg(b, m, BATCH, 0, NULL);
	}
	report("sendmmsg of 64 + recvmmsg of 64, per datagram", t, N / BATCH * BATCH);
	close(a);
	close(b);
	return 0;
}
