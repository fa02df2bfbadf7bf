/* media/port.c - even/odd UDP port pairs from a range, bound exclusively. */
#include "port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

struct media_port_pool {
	GMutex lock;
	struct sockaddr_storage ip; /* port 0 */
	socklen_t ip_len;
	uint16_t first;	 /* first even port */
	unsigned slots;	 /* pairs in the range */
	unsigned cursor; /* next slot to try */
	unsigned used;
	uint8_t *busy; /* one byte per slot */
};

static void pool_clear(gpointer data)
{
	struct media_port_pool *pool = data;

	g_free(pool->busy);
	g_mutex_clear(&pool->lock);
}

static int parse_ip(const char *ip, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (ip && inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		*len = sizeof(*in);
		return 0;
	}
	if (ip && inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		*len = sizeof(*in6);
		return 0;
	}
	return EINVAL;
}

int media_port_pool_new(struct media_port_pool **out, const char *ip,
			uint16_t lo, uint16_t hi)
{
	struct media_port_pool *pool;
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned first = lo + (lo & 1u);

	if (parse_ip(ip, &ss, &len) != 0 || lo == 0 || first + 1 > hi)
		return EINVAL;
	pool = g_atomic_rc_box_new0(struct media_port_pool);
	g_mutex_init(&pool->lock);
	pool->ip = ss;
	pool->ip_len = len;
	pool->first = (uint16_t)first;
	pool->slots = (hi - first + 1) / 2;
	pool->busy = g_new0(uint8_t, pool->slots);
	*out = pool;
	return 0;
}

struct media_port_pool *media_port_pool_ref(struct media_port_pool *pool)
{
	return g_atomic_rc_box_acquire(pool);
}

void media_port_pool_unref(struct media_port_pool *pool)
{
	if (pool)
		g_atomic_rc_box_release_full(pool, pool_clear);
}

unsigned media_port_pool_size(struct media_port_pool *pool)
{
	return pool->slots;
}

unsigned media_port_pool_used(struct media_port_pool *pool)
{
	unsigned n;

	g_mutex_lock(&pool->lock);
	n = pool->used;
	g_mutex_unlock(&pool->lock);
	return n;
}

/* A socket bound to @port on the pool's IP, or -errno. No SO_REUSE*. */
static int bind_port(const struct media_port_pool *pool, uint16_t port)
{
	struct sockaddr_storage ss = pool->ip;
	int fd, one = 1;

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* "::" must not also take the IPv4 port behind our back. */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, pool->ip_len) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* Bind slot @i; 0, or an errno (EADDRINUSE when another socket has it). */
static int bind_slot(struct media_port_pool *pool, unsigned i, bool rtcp,
		     struct media_ports *p)
{
	uint16_t port = (uint16_t)(pool->first + 2 * i);
	int fd = bind_port(pool, port), fd2 = -1;

	if (fd < 0)
		return -fd;
	if (rtcp) {
		fd2 = bind_port(pool, port + 1);
		if (fd2 < 0) {
			close(fd);
			return -fd2;
		}
	}
	p->rtp_fd = fd;
	p->rtcp_fd = fd2;
	p->rtp_port = port;
	p->rtcp_port = rtcp ? port + 1 : 0;
	return 0;
}

int media_port_alloc(struct media_port_pool *pool, bool rtcp,
		     struct media_ports **out)
{
	struct media_ports p = {.rtp_fd = -1, .rtcp_fd = -1};
	int err = ENOSPC;

	g_mutex_lock(&pool->lock);
	for (unsigned k = 0; k < pool->slots; k++) {
		unsigned i = (pool->cursor + k) % pool->slots;
		int r;

		if (pool->busy[i])
			continue;
		r = bind_slot(pool, i, rtcp, &p);
		if (r == EADDRINUSE) {
			err = EADDRINUSE;
			continue;
		}
		if (r != 0) {
			err = r;
			break;
		}
		pool->busy[i] = 1;
		pool->used++;
		pool->cursor = (i + 1) % pool->slots;
		err = 0;
		break;
	}
	g_mutex_unlock(&pool->lock);
	if (err)
		return err;
	p.pool = media_port_pool_ref(pool);
	*out = g_memdup2(&p, sizeof(p));
	return 0;
}

void media_port_free(struct media_ports *p)
{
	struct media_port_pool *pool;
	unsigned i;

	if (!p)
		return;
	pool = p->pool;
	/* Close first: the pair is free only once nothing holds it. */
	if (p->rtp_fd >= 0)
		close(p->rtp_fd);
	if (p->rtcp_fd >= 0)
		close(p->rtcp_fd);
	i = (p->rtp_port - pool->first) / 2u;
	g_mutex_lock(&pool->lock);
	if (i < pool->slots && pool->busy[i]) {
		pool->busy[i] = 0;
		pool->used--;
	}
	g_mutex_unlock(&pool->lock);
	media_port_pool_unref(pool);
	g_free(p);
}
