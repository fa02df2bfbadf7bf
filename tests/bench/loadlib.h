/*
 * tests/bench/loadlib.h - what the load generators share: clocks, MD5 and
 * random hex for digest, and CPU accounting of a server and its children
 * from /proc (utime + stime), plus the whole machine's busy share.
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
	unsigned long long sys_busy, sys_all;	/* /proc/stat "cpu" line */
};

extern const EVP_MD *md5; /* set by main() */

double now_s(void);
void md5_hex(const char *s, size_t n, char out[33]);
void rand_hex(char *out, size_t nbytes);
int read_stat(int pid, int *ppid, unsigned long long *ticks);
/* The server @root and every descendant process (Kamailio forks). */
void snap_pids(struct cpu_snap *s, int root);
void sys_stat(unsigned long long *busy, unsigned long long *all);
void snap_take(struct cpu_snap *s);
double rusage_s(void);

#endif
