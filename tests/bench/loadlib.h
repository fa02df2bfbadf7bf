/*
 * tests/bench/loadlib.h - what the load generators share: clocks, MD5 and
 * random hex for digest, and CPU accounting of a server and its children
 * from /proc (utime + stime), plus the whole machine's busy share; MD5
 * digest answers (RFC 2617, qop=auth) and latency samples with percentiles.
 */
#ifndef OVOZ_BENCH_LOADLIB_H
#define OVOZ_BENCH_LOADLIB_H

#include <openssl/evp.h>
#include <stddef.h>

struct cpu_snap {
	int npids;
	int pids[4096];
	unsigned long long ticks[4096];
	unsigned long long total;
	unsigned long long sys;	/* the kernel's share (stime) of total */
	unsigned long long sys_busy, sys_all;	/* /proc/stat "cpu" line */
};

extern const EVP_MD *md5; /* set by main() */

double now_s(void);
void md5_hex(const char *s, size_t n, char out[33]);
void rand_hex(char *out, size_t nbytes);
int read_stat(int pid, int *ppid, unsigned long long *ticks);
/* read_stat(), and the kernel's share (stime) apart in @sys_ticks. */
int read_stat_split(int pid, int *ppid, unsigned long long *ticks,
		    unsigned long long *sys_ticks);
/* The server @root and every descendant process (Kamailio forks). */
void snap_pids(struct cpu_snap *s, int root);
void sys_stat(unsigned long long *busy, unsigned long long *all);
void snap_take(struct cpu_snap *s);
double rusage_s(void);

/* HA1 of one user, cached for the last realm it was computed for. */
struct digest_ha1 {
	char realm[64];
	char ha1[33];
};

/*
 * Answer the MD5 challenge in header @hname (WWW-Authenticate or
 * Proxy-Authenticate) of response @msg for @user/@password: request URI
 * @uri, H(A2) @ha2. The credentials (the header value) go to @auth.
 * Returns -1 if there is no usable MD5 challenge.
 */
int digest_answer(const char *msg, const char *hname, const char *user,
		  const char *password, struct digest_ha1 *cache,
		  const char *uri, const char *ha2, char *auth, size_t authsz);

/* Latency samples in ms; latv_pct() wants them latv_sort()ed. */
struct latv {
	double *v;
	size_t n, cap;
};

void latv_add(struct latv *l, double ms);
void latv_sort(struct latv *l);
double latv_pct(const struct latv *l, double p);
void latv_free(struct latv *l);

#endif
