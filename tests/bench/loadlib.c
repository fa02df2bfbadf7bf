/* tests/bench/loadlib.c - shared by regload.c and callload.c. */
#define _GNU_SOURCE
#include "loadlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

/* ---- time, hashing ---- */

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const EVP_MD *md5; /* set by main() */

void md5_hex(const char *s, size_t n, char out[33])
{
	unsigned char d[16];
	unsigned int dl = 0;
	static const char hx[] = "0123456789abcdef";

	EVP_Digest(s, n, d, &dl, md5, NULL);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[32] = 0;
}

void rand_hex(char *out, size_t nbytes)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < nbytes; i++) {
		unsigned v = (unsigned)random();
		out[2 * i] = hx[v & 15];
		out[2 * i + 1] = hx[(v >> 4) & 15];
	}
	out[2 * nbytes] = 0;
}

/* ---- /proc CPU accounting ---- */


int read_stat(int pid, int *ppid, unsigned long long *ticks)
{
	return read_stat_split(pid, ppid, ticks, NULL);
}

int read_stat_split(int pid, int *ppid, unsigned long long *ticks,
		    unsigned long long *sys_ticks)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	char *p;
	unsigned long ut, st;
	int pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p)
		return -1;
	/* after ')': state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &pp, &ut, &st) != 3)
		return -1;
	if (ppid)
		*ppid = pp;
	if (ticks)
		*ticks = (unsigned long long)ut + st;
	if (sys_ticks)
		*sys_ticks = st;
	return 0;
}

/* The server and every descendant process (Kamailio forks its workers). */
void snap_pids(struct cpu_snap *s, int root)
{
	int all[32768], par[32768], nall = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	s->npids = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && nall < 32768) {
		int pid = atoi(e->d_name), pp;

		if (pid > 0 && read_stat(pid, &pp, NULL) == 0) {
			all[nall] = pid;
			par[nall++] = pp;
		}
	}
	closedir(d);
	s->pids[s->npids++] = root;
	for (int changed = 1; changed;) {
		changed = 0;
		for (int i = 0; i < nall; i++) {
			int in = 0, parent_in = 0;

			for (int j = 0; j < s->npids; j++) {
				if (s->pids[j] == all[i])
					in = 1;
				if (s->pids[j] == par[i])
					parent_in = 1;
			}
			if (!in && parent_in && s->npids < 4096) {
				s->pids[s->npids++] = all[i];
				changed = 1;
			}
		}
	}
}

void sys_stat(unsigned long long *busy, unsigned long long *all)
{
	unsigned long long v[10] = {0};
	FILE *f = fopen("/proc/stat", "r");

	*busy = *all = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		for (int i = 0; i < 8; i++)
			*all += v[i];
		*busy = *all - v[3] - v[4];	/* minus idle, iowait */
	}
	fclose(f);
}

void snap_take(struct cpu_snap *s)
{
	s->total = s->sys = 0;
	for (int i = 0; i < s->npids; i++) {
		unsigned long long t = 0, st = 0;

		if (read_stat_split(s->pids[i], NULL, &t, &st) == 0) {
			s->ticks[i] = t;
			s->sys += st;
		} else {
			s->ticks[i] = 0;
		}
		s->total += s->ticks[i];
	}
	sys_stat(&s->sys_busy, &s->sys_all);
}

double rusage_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}


/* ---- digest ---- */

/* Copy parameter @name of a Digest challenge into @out ("" if absent). */
static void ch_param(const char *h, const char *end, const char *name,
		     char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = h;

	out[0] = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		if ((size_t)(end - p) > nl && !strncasecmp(p, name, nl) &&
		    p[nl] == '=') {
			const char *v = p + nl + 1, *ve;

			if (*v == '"') {
				v++;
				ve = memchr(v, '"', (size_t)(end - v));
			} else {
				ve = v;
				while (ve < end && *ve != ',' && *ve != ' ')
					ve++;
			}
			if (!ve)
				ve = end;
			if ((size_t)(ve - v) >= outsz)
				return;
			memcpy(out, v, (size_t)(ve - v));
			out[ve - v] = 0;
			return;
		}
		/* skip this param */
		while (p < end && *p != ',') {
			if (*p == '"') {
				const char *q = memchr(p + 1, '"',
						       (size_t)(end - p - 1));
				p = q ? q + 1 : end;
			} else {
				p++;
			}
		}
	}
}

int digest_answer(const char *msg, const char *hname, const char *user,
		  const char *password, struct digest_ha1 *cache,
		  const char *uri, const char *ha2, char *auth, size_t authsz)
{
	const char *p = msg, *best = NULL, *best_end = NULL;
	char realm[64], nonce[256], qop[32], alg[32], opaque[256];
	char ha1in[256], cnonce[17], resp_in[512], resp[33];
	size_t hl = strlen(hname);
	int n;

	/* Pick the challenge whose algorithm is MD5 (or absent). */
	while ((p = strstr(p, "\r\n"))) {
		const char *h = p + 2, *e;

		p = h;
		if (strncasecmp(h, hname, hl) || h[hl] != ':')
			continue;
		e = strstr(h, "\r\n");
		if (!e)
			e = h + strlen(h);
		h += hl + 1;
		while (*h == ' ')
			h++;
		if (strncasecmp(h, "Digest ", 7))
			continue;
		ch_param(h + 7, e, "algorithm", alg, sizeof(alg));
		if (!alg[0] || !strcasecmp(alg, "MD5")) {
			best = h + 7;
			best_end = e;
			break;
		}
	}
	if (!best)
		return -1;
	ch_param(best, best_end, "realm", realm, sizeof(realm));
	ch_param(best, best_end, "nonce", nonce, sizeof(nonce));
	ch_param(best, best_end, "qop", qop, sizeof(qop));
	ch_param(best, best_end, "opaque", opaque, sizeof(opaque));
	if (!nonce[0])
		return -1;
	if (strcmp(realm, cache->realm)) {
		snprintf(cache->realm, sizeof(cache->realm), "%s", realm);
		n = snprintf(ha1in, sizeof(ha1in), "%s:%s:%s", user, realm,
			     password);
		md5_hex(ha1in, (size_t)n, cache->ha1);
	}
	rand_hex(cnonce, 8);
	n = snprintf(resp_in, sizeof(resp_in), "%s:%s:00000001:%s:auth:%s",
		     cache->ha1, nonce, cnonce, ha2);
	md5_hex(resp_in, (size_t)n, resp);
	snprintf(auth, authsz,
		 "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		 "uri=\"%s\", response=\"%s\", algorithm=MD5, "
		 "cnonce=\"%s\", qop=auth, nc=00000001%s%s%s",
		 user, realm, nonce, uri, resp, cnonce,
		 opaque[0] ? ", opaque=\"" : "", opaque, opaque[0] ? "\"" : "");
	return 0;
}

/* ---- latency samples ---- */

void latv_add(struct latv *l, double ms)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 65536;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = ms;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void latv_sort(struct latv *l)
{
	qsort(l->v, l->n, sizeof(*l->v), cmp_d);
}

double latv_pct(const struct latv *l, double p)
{
	size_t i;

	if (!l->n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
	return l->v[i];
}

void latv_free(struct latv *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
