/*
 * tests/bench/mediautil.h - helpers of the media benchmark (mediaload.c,
 * mediafloor.c). Bench code, not the product: failures exit(1).
 */
#ifndef OVOZ_BENCH_MEDIAUTIL_H
#define OVOZ_BENCH_MEDIAUTIL_H

#include <netinet/in.h>
#include <srtp2/srtp.h>
#include <stdint.h>

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);
/** Print "mediaload: @what" and exit(1). */
void bench_die(const char *what);
/** A non-blocking UDP socket on 127.0.0.1:@port; with @got, a port another
 *  program holds is replaced by a free one, written to *@got. */
int bench_udp_bind(int port, int *got);
/** @a = @ip:@port (IPv4). */
void bench_addr(struct sockaddr_in *a, const char *ip, int port);
/** An AES_CM_128_HMAC_SHA1_80 session with the 30-byte @key, for any
 *  inbound or outbound SSRC. */
srtp_t bench_srtp(const uint8_t *key, int inbound);
/** SDES inline key text (base64 of 30 bytes) and back (0 or -1). */
void bench_b64(const uint8_t *k, char out[41]);
int bench_unb64(const char *in, uint8_t k[30]);
/** 30 key bytes from 60 hex digits. */
void bench_hexkey(const char *hex, uint8_t k[30]);
/** The floor relay for @calls calls on ports from @base_port; never
 *  returns. Keys in hex: @ka the caller's, @kr the relay's toward it. */
int bench_floor_serve(int calls, int base_port, const char *ka_hex,
		      const char *kr_hex);

#endif
