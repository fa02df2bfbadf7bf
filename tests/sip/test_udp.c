/* tests/sip/test_udp.c - the UDP listener on a real loopback socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/udp.h"

struct seen {
	GPtrArray *msgs;
	struct sip_addr src;
};

static void on_recv(struct sip_transport *tp, const struct sip_addr *src,
		    const uint8_t *buf, size_t len, void *arg)
{
	struct seen *s = arg;

	g_ptr_array_add(s->msgs, g_strndup((const char *)buf, len));
	s->src = *src;
}

static void pump(unsigned ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, FALSE);
}

static void test_receive_send_exclusive(void **state)
{
	struct seen s = {.msgs = g_ptr_array_new_with_free_func(g_free)};
	struct sip_udp *u = NULL, *u2 = NULL;
	g_autofree char *err = NULL, *err2 = NULL;
	char local[SIP_ADDR_STRLEN], buf[64];
	int fd;
	struct sip_addr me = {.len = sizeof(me.ss)};

	assert_int_equal(sip_udp_open(&u, "127.0.0.1:0", NULL, on_recv, &s,
				      &err), 0);
	sip_addr_format(sip_udp_local(u), local, sizeof(local));
	/* A second listener on the same port fails loudly. */
	assert_int_equal(sip_udp_open(&u2, local, NULL, on_recv, &s, &err2),
			 EADDRINUSE);
	assert_non_null(strstr(err2, "cannot bind"));

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sip_addr bindaddr;
	sip_addr_parse(&bindaddr, "127.0.0.1:0");
	bind(fd, (struct sockaddr *)&bindaddr.ss, bindaddr.len);
	getsockname(fd, (struct sockaddr *)&me.ss, &me.len);
	const struct sip_addr *dst = sip_udp_local(u);
	sendto(fd, "\r\n\r\n", 4, 0, (const struct sockaddr *)&dst->ss, dst->len);
	sendto(fd, "OPTIONS x", 9, 0, (const struct sockaddr *)&dst->ss, dst->len);
	pump(100);
	/* The keep-alive never reaches the stack. */
	assert_int_equal(s.msgs->len, 1);
	assert_string_equal(g_ptr_array_index(s.msgs, 0), "OPTIONS x");
	assert_true(sip_addr_equal(&s.src, &me));

	assert_int_equal(sip_transport_send(sip_udp_transport(u), &me, "pong", 4), 0);
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	for (int i = 0; n < 0 && i < 50; i++) {
		g_usleep(2000);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	}
	assert_int_equal(n, 4);
	close(fd);
	sip_udp_free(u);
	g_ptr_array_unref(s.msgs);
}

static void test_bad_address(void **state)
{
	struct sip_udp *u = NULL;
	g_autofree char *err = NULL;

	assert_int_equal(sip_udp_open(&u, "localhost", NULL, on_recv, NULL,
				      &err), EINVAL);
	assert_null(u);
	assert_non_null(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive_send_exclusive),
		cmocka_unit_test(test_bad_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
