/* tests/media/test_port.c - RTP port pairs: exclusive, skipped, exhausted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "media/port.h"

/* Bind 127.0.0.1:@port, optionally with SO_REUSEADDR + SO_REUSEPORT, the
 * way a careless program would. Returns the fd or -errno. */
static int grab(uint16_t port, bool reuse)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	if (reuse) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&in, sizeof(in)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* An even base where @n ports are free right now (kernel's ephemeral
 * range, so >= 32768: nothing of the project's fixed ports). */
static uint16_t free_range(unsigned n)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in in = {.sin_family = AF_INET};
		socklen_t len = sizeof(in);
		int fd = grab(0, false);
		uint16_t base;
		bool ok = true;

		getsockname(fd, (struct sockaddr *)&in, &len);
		close(fd);
		base = ntohs(in.sin_port) & ~1u;
		if (base + n > 65535)
			continue;
		for (unsigned i = 0; i < n && ok; i++) {
			int f = grab(base + i, false);

			ok = f >= 0;
			if (f >= 0)
				close(f);
		}
		if (ok)
			return base;
	}
	fail_msg("no free port range");
	return 0;
}

static void test_pairs_and_exhaustion(void **state)
{
	uint16_t base = free_range(4);
	struct media_port_pool *pool = NULL;
	struct media_ports *a = NULL, *b = NULL, *c = NULL;

	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", base,
					     base + 3),
			 0);
	assert_int_equal(media_port_pool_size(pool), 2);
	assert_int_equal(media_port_alloc(pool, true, &a), 0);
	assert_int_equal(a->rtp_port, base);
	assert_int_equal(a->rtcp_port, base + 1);
	assert_true(a->rtp_fd >= 0 && a->rtcp_fd >= 0);
	assert_int_equal(media_port_alloc(pool, false, &b), 0);
	assert_int_equal(b->rtp_port, base + 2);
	assert_int_equal(b->rtcp_port, 0);
	assert_int_equal(b->rtcp_fd, -1);
	assert_int_equal(media_port_pool_used(pool), 2);

	/* Full: signalling answers 503 from this. */
	assert_int_equal(media_port_alloc(pool, false, &c), ENOSPC);
	assert_null(c);

	/* Freed pairs come back; the port is really released. */
	media_port_free(a);
	assert_int_equal(media_port_pool_used(pool), 1);
	assert_int_equal(media_port_alloc(pool, true, &c), 0);
	assert_int_equal(c->rtp_port, base);
	media_port_free(b);
	media_port_free(c);
	assert_int_equal(media_port_pool_used(pool), 0);
	media_port_pool_unref(pool);
}

static void test_exclusive_bind(void **state)
{
	uint16_t base = free_range(2);
	struct media_port_pool *pool = NULL;
	struct media_ports *a = NULL;

	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", base,
					     base + 1),
			 0);
	assert_int_equal(media_port_alloc(pool, true, &a), 0);
	/* Even a socket asking to share cannot take our RTP or RTCP port. */
	assert_int_equal(grab(base, true), -EADDRINUSE);
	assert_int_equal(grab(base + 1, true), -EADDRINUSE);
	media_port_free(a);
	media_port_pool_unref(pool);
}

static void test_port_in_use_is_skipped(void **state)
{
	uint16_t base = free_range(6);
	struct media_port_pool *pool = NULL;
	struct media_ports *a = NULL, *b = NULL;
	int other = grab(base, false), other_rtcp = grab(base + 5, false);

	assert_true(other >= 0 && other_rtcp >= 0);
	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", base,
					     base + 5),
			 0);
	/* base is someone else's: skipped, not shared. */
	assert_int_equal(media_port_alloc(pool, true, &a), 0);
	assert_int_equal(a->rtp_port, base + 2);
	/* base+4 is free but its RTCP port base+5 is not. */
	assert_int_equal(media_port_alloc(pool, true, &b), EADDRINUSE);
	assert_null(b);
	/* Without RTCP (rtcp-mux) the pair's even port is enough. */
	assert_int_equal(media_port_alloc(pool, false, &b), 0);
	assert_int_equal(b->rtp_port, base + 4);
	media_port_free(a);
	media_port_free(b);
	close(other);
	close(other_rtcp);
	media_port_pool_unref(pool);
}

static void test_bad_config(void **state)
{
	struct media_port_pool *pool = NULL;
	struct media_ports *p = NULL;

	assert_int_equal(media_port_pool_new(&pool, "not-an-ip", 20000, 20010),
			 EINVAL);
	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", 20001, 20001),
			 EINVAL);
	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", 0, 100),
			 EINVAL);
	assert_null(pool);
	/* Odd lo: starts at the next even port. */
	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", 20001, 20004),
			 0);
	assert_int_equal(media_port_pool_size(pool), 1);
	media_port_pool_unref(pool);
	/* An address this machine does not have fails with bind's error. */
	assert_int_equal(media_port_pool_new(&pool, "192.0.2.1", 40000, 40001),
			 0);
	assert_int_equal(media_port_alloc(pool, false, &p), EADDRNOTAVAIL);
	media_port_pool_unref(pool);
}

struct race {
	struct media_port_pool *pool;
	struct media_ports *got[8];
	int err;
};

static gpointer alloc_many(gpointer data)
{
	struct race *r = data;

	/* cmocka's asserts are not for threads: keep the first error. */
	for (int i = 0; i < 8 && !r->err; i++)
		r->err = media_port_alloc(r->pool, true, &r->got[i]);
	return NULL;
}

static void test_threads_get_distinct_pairs(void **state)
{
	uint16_t base = free_range(32);
	struct media_port_pool *pool = NULL;
	struct race r1 = {0}, r2 = {0};
	GThread *t1, *t2;
	GHashTable *seen = g_hash_table_new(NULL, NULL);

	assert_int_equal(media_port_pool_new(&pool, "127.0.0.1", base,
					     base + 31),
			 0);
	r1.pool = r2.pool = pool;
	t1 = g_thread_new("a", alloc_many, &r1);
	t2 = g_thread_new("b", alloc_many, &r2);
	g_thread_join(t1);
	g_thread_join(t2);
	assert_int_equal(r1.err, 0);
	assert_int_equal(r2.err, 0);
	for (int i = 0; i < 8; i++) {
		g_hash_table_add(seen, GUINT_TO_POINTER(r1.got[i]->rtp_port));
		g_hash_table_add(seen, GUINT_TO_POINTER(r2.got[i]->rtp_port));
		media_port_free(r1.got[i]);
		media_port_free(r2.got[i]);
	}
	assert_int_equal(g_hash_table_size(seen), 16);
	assert_int_equal(media_port_pool_used(pool), 0);
	g_hash_table_unref(seen);
	media_port_pool_unref(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs_and_exhaustion),
		cmocka_unit_test(test_exclusive_bind),
		cmocka_unit_test(test_port_in_use_is_skipped),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_threads_get_distinct_pairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
