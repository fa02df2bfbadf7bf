/*
 * tests/media/test_dtls_openssl.c - media/dtls.c against the openssl
 * command line tool over real loopback UDP: s_server with Ovoz as the
 * DTLS client, s_client with Ovoz as the server; both sides must export
 * the same SRTP keying material (RFC 5764 4.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dtls_peer.h"
#include "media/dtls.h"
#include "media/srtp.h"
#include "test_util.h"

static int udp_socket(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	assert_true(fd >= 0);
	for (unsigned p = 15000 + getpid() % 3000; p < 20000; p++) {
		sa.sin_port = htons(p);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			*port = (uint16_t)p;
			fcntl(fd, F_SETFL, O_NONBLOCK);
			return fd;
		}
	}
	fail_msg("no free UDP port in 15000+");
	return -1;
}

static char *run_openssl(const char *const *argv)
{
	char *out = NULL;
	int status = 0;

	assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
				 G_SPAWN_SEARCH_PATH |
					 G_SPAWN_STDERR_TO_DEV_NULL,
				 NULL, NULL, &out, NULL, &status, NULL));
	assert_true(g_spawn_check_wait_status(status, NULL));
	return out;
}

/* A certificate made by openssl itself, and its fingerprint in SDP form. */
static char *openssl_cert(const char *dir)
{
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	g_autofree char *crt = g_build_filename(dir, "cert.pem", NULL);
	const char *req[] = {"openssl", "req", "-x509", "-newkey", "ec",
			     "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			     "-keyout", key, "-out", crt, "-subj", "/CN=peer",
			     "-days", "1", NULL};
	const char *fp[] = {"openssl", "x509", "-noout", "-fingerprint",
			    "-sha256", "-in", crt, NULL};
	g_autofree char *r = run_openssl(req);
	g_autofree char *out = run_openssl(fp);
	char *eq = strchr(out, '=');

	/* "sha256 Fingerprint=AB:CD:..." */
	assert_non_null(eq);
	return g_strconcat("sha-256 ", g_strstrip(eq + 1), NULL);
}

struct child {
	GPid pid;
	int in, out;
	GString *text;
};

/* Killed by the test's teardown even when an assertion fails first. */
static struct child *live_child;

static void child_spawn(struct child *c, const char *const *argv)
{
	c->text = g_string_new(NULL);
	assert_true(g_spawn_async_with_pipes(
		NULL, (char **)argv, NULL,
		G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
			G_SPAWN_STDERR_TO_DEV_NULL,
		NULL, NULL, &c->pid, &c->in, &c->out, NULL, NULL));
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	live_child = c;
}

static void child_read(struct child *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->out, buf, sizeof(buf))) > 0)
		g_string_append_len(c->text, buf, n);
}

static void child_kill(struct child *c)
{
	live_child = NULL;
	kill(c->pid, SIGTERM);
	waitpid(c->pid, NULL, 0);
	g_spawn_close_pid(c->pid);
	close(c->in);
	close(c->out);
	g_string_free(c->text, TRUE);
}

/* The hex after "Keying material: " once printed, else NULL. */
static char *child_keying_material(struct child *c)
{
	const char *p = strstr(c->text->str, "Keying material: ");
	const char *e;

	if (!p)
		return NULL;
	p += strlen("Keying material: ");
	e = strchr(p, '\n');
	return e ? g_strstrip(g_strndup(p, e - p)) : NULL;
}

/* Our client/server over UDP until connected and the tool printed keys. */
static char *udp_run(struct dtls_peer *p, struct child *c, bool learn_peer)
{
	uint8_t buf[2048];
	gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	char *km = NULL;

	while (g_get_monotonic_time() < end && !p->failed) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(p->fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);

		if (n > 0) {
			if (learn_peer && !p->have_to) {
				p->to = from;
				p->have_to = true;
			}
			media_dtls_receive(p->d, buf, (size_t)n);
		}
		g_main_context_iteration(p->ctx, FALSE);
		child_read(c);
		if (!km)
			km = child_keying_material(c);
		if (km && p->connected)
			break;
		if (n <= 0)
			g_usleep(2000);
	}
	return km;
}

static int kill_live_child(void **state)
{
	if (live_child)
		child_kill(live_child);
	while (g_main_context_iteration(NULL, FALSE))
		;
	return 0;
}

static void check_keying_material(struct dtls_peer *p, const char *km,
				  enum media_dtls_role role)
{
	struct media_srtp_key tx, rx;
	const struct media_srtp_key *client, *server;
	GString *mine = g_string_new(NULL);

	assert_non_null(km);
	assert_int_equal(p->connected, 1);
	assert_int_equal(media_dtls_keys(p->d, &tx, &rx), 0);
	assert_int_equal(tx.profile, MEDIA_SRTP_AES128_CM_SHA1_80);
	client = role == MEDIA_DTLS_CLIENT ? &tx : &rx;
	server = role == MEDIA_DTLS_CLIENT ? &rx : &tx;
	/* RFC 5764 §4.2 order: client key, server key, client salt, server
	 * salt. */
	for (int i = 0; i < 16; i++)
		g_string_append_printf(mine, "%02X", client->master[i]);
	for (int i = 0; i < 16; i++)
		g_string_append_printf(mine, "%02X", server->master[i]);
	for (int i = 16; i < 30; i++)
		g_string_append_printf(mine, "%02X", client->master[i]);
	for (int i = 16; i < 30; i++)
		g_string_append_printf(mine, "%02X", server->master[i]);
	assert_string_equal(mine->str, km);
	g_string_free(mine, TRUE);
}

static void test_interop_openssl_s_server(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("ovoz-dtls-XXXXXX", NULL);
	g_autofree char *fp = openssl_cert(dir);
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	g_autofree char *crt = g_build_filename(dir, "cert.pem", NULL);
	g_autofree char *km = NULL;
	g_autofree char *accept = NULL;
	struct media_cert *mine = dtls_peer_new_cert();
	struct dtls_peer p;
	struct child c;
	uint16_t port = 0, me = 0;
	int probe = udp_socket(&port);

	/* Free the port for s_server, keep our own socket elsewhere. */
	close(probe);
	accept = g_strdup_printf("127.0.0.1:%u", port);
	const char *argv[] = {"openssl", "s_server", "-dtls1_2", "-accept",
			      accept, "-cert", crt, "-key", key, "-use_srtp",
			      "SRTP_AES128_CM_SHA1_80", "-keymatexport",
			      "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
			      "-naccept", "1", NULL};
	child_spawn(&c, argv);
	for (gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	     !strstr(c.text->str, "ACCEPT") && g_get_monotonic_time() < end;)
		g_usleep(10000), child_read(&c);
	assert_non_null(strstr(c.text->str, "ACCEPT"));

	dtls_peer_init(&p, NULL, mine, MEDIA_DTLS_CLIENT, fp, 0, NULL);
	p.fd = udp_socket(&me);
	p.to = (struct sockaddr_in){.sin_family = AF_INET,
				    .sin_port = htons(port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	p.have_to = true;
	media_dtls_start(p.d);
	km = udp_run(&p, &c, false);
	assert_null(p.reason);
	check_keying_material(&p, km, MEDIA_DTLS_CLIENT);
	assert_non_null(strstr(c.text->str, "SRTP Extension negotiated, "
					    "profile=SRTP_AES128_CM_SHA1_80"));
	child_kill(&c);
	dtls_peer_clear(&p);
	media_cert_unref(mine);
	test_remove_dir(dir);
}

static void test_interop_openssl_s_client(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("ovoz-dtls-XXXXXX", NULL);
	g_autofree char *fp = openssl_cert(dir);
	g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
	g_autofree char *crt = g_build_filename(dir, "cert.pem", NULL);
	g_autofree char *km = NULL;
	g_autofree char *connect = NULL;
	struct media_cert *mine = dtls_peer_new_cert();
	struct dtls_peer p;
	struct child c;
	uint16_t port = 0;

	dtls_peer_init(&p, NULL, mine, MEDIA_DTLS_SERVER, fp, 0, NULL);
	p.fd = udp_socket(&port);
	connect = g_strdup_printf("127.0.0.1:%u", port);
	const char *argv[] = {"openssl", "s_client", "-dtls1_2", "-connect",
			      connect, "-cert", crt, "-key", key, "-use_srtp",
			      "SRTP_AES128_CM_SHA1_80", "-keymatexport",
			      "EXTRACTOR-dtls_srtp", "-keymatexportlen", "60",
			      NULL};
	child_spawn(&c, argv);
	km = udp_run(&p, &c, true);
	assert_null(p.reason);
	check_keying_material(&p, km, MEDIA_DTLS_SERVER);
	child_kill(&c);
	dtls_peer_clear(&p);
	media_cert_unref(mine);
	test_remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_interop_openssl_s_server,
					  kill_live_child),
		cmocka_unit_test_teardown(test_interop_openssl_s_client,
					  kill_live_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
