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

static void child_spawn(struct child *c, const char *const *argv)
{
	c->text = g_string_new(NULL);
	assert_true(g_spawn_async_with_pipes(
		NULL, (char **)argv, NULL,
		G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
			G_SPAWN_STDERR_TO_DEV_NULL,
		NULL, NULL, &c->pid, &c->in, &c->out, NULL, NULL));
	fcntl(c->out, F_SETFL, O_NONBLOCK);
}

static void child_read(struct child *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->out, buf, sizeof(buf))) > 0)
		g_string_append_len(c->text, buf, n);
}

/* Stop the tool if it was started (the teardown calls this even when an
 * assertion failed first). */
static void child_kill(struct child *c)
{
	if (!c->text)
		return;
	kill(c->pid, SIGTERM);
	waitpid(c->pid, NULL, 0);
	g_spawn_close_pid(c->pid);
	close(c->in);
	close(c->out);
	g_string_free(c->text, TRUE);
	c->text = NULL;
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

/* One run against the tool: its certificate in a temporary folder, ours,
 * our endpoint and the tool's process. */
struct interop {
	char *dir, *fp, *key, *crt, *km;
	struct media_cert *mine;
	struct dtls_peer p;
	struct child c;
};

static int interop_setup(void **state)
{
	struct interop *t = g_new0(struct interop, 1);

	t->dir = g_dir_make_tmp("ovoz-dtls-XXXXXX", NULL);
	assert_non_null(t->dir);
	t->fp = openssl_cert(t->dir);
	t->key = g_build_filename(t->dir, "key.pem", NULL);
	t->crt = g_build_filename(t->dir, "cert.pem", NULL);
	t->mine = dtls_peer_new_cert();
	*state = t;
	return 0;
}

static int interop_teardown(void **state)
{
	struct interop *t = *state;

	child_kill(&t->c);
	if (t->p.d)
		dtls_peer_clear(&t->p);
	while (g_main_context_iteration(NULL, FALSE))
		;
	media_cert_unref(t->mine);
	test_remove_dir(t->dir);
	g_free(t->dir);
	g_free(t->fp);
	g_free(t->key);
	g_free(t->crt);
	g_free(t->km);
	g_free(t);
	return 0;
}

/* Ovoz as the DTLS client of "openssl s_server". */
static void test_interop_openssl_s_server(void **state)
{
	struct interop *t = *state;
	g_autofree char *accept = NULL;
	uint16_t port = 0, me = 0;
	int probe = udp_socket(&port);

	/* Free the port for s_server, keep our own socket elsewhere. */
	close(probe);
	accept = g_strdup_printf("127.0.0.1:%u", port);
	const char *argv[] = {"openssl", "s_server", "-dtls1_2", "-accept",
			      accept, "-cert", t->crt, "-key", t->key,
			      "-use_srtp", "SRTP_AES128_CM_SHA1_80",
			      "-keymatexport", "EXTRACTOR-dtls_srtp",
			      "-keymatexportlen", "60", "-naccept", "1", NULL};
	child_spawn(&t->c, argv);
	for (gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	     !strstr(t->c.text->str, "ACCEPT") &&
	     g_get_monotonic_time() < end;)
		g_usleep(10000), child_read(&t->c);
	assert_non_null(strstr(t->c.text->str, "ACCEPT"));

	dtls_peer_init(&t->p, NULL, t->mine, MEDIA_DTLS_CLIENT, t->fp, 0,
		       NULL);
	t->p.fd = udp_socket(&me);
	t->p.to = (struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	t->p.have_to = true;
	media_dtls_start(t->p.d);
	t->km = udp_run(&t->p, &t->c, false);
	assert_null(t->p.reason);
	check_keying_material(&t->p, t->km, MEDIA_DTLS_CLIENT);
	assert_non_null(strstr(t->c.text->str,
			       "SRTP Extension negotiated, "
			       "profile=SRTP_AES128_CM_SHA1_80"));
}

/* Ovoz as the DTLS server of "openssl s_client". */
static void test_interop_openssl_s_client(void **state)
{
	struct interop *t = *state;
	g_autofree char *connect = NULL;
	uint16_t port = 0;

	dtls_peer_init(&t->p, NULL, t->mine, MEDIA_DTLS_SERVER, t->fp, 0,
		       NULL);
	t->p.fd = udp_socket(&port);
	connect = g_strdup_printf("127.0.0.1:%u", port);
	const char *argv[] = {"openssl", "s_client", "-dtls1_2", "-connect",
			      connect, "-cert", t->crt, "-key", t->key,
			      "-use_srtp", "SRTP_AES128_CM_SHA1_80",
			      "-keymatexport", "EXTRACTOR-dtls_srtp",
			      "-keymatexportlen", "60", NULL};
	child_spawn(&t->c, argv);
	t->km = udp_run(&t->p, &t->c, true);
	assert_null(t->p.reason);
	check_keying_material(&t->p, t->km, MEDIA_DTLS_SERVER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_interop_openssl_s_server,
						interop_setup,
						interop_teardown),
		cmocka_unit_test_setup_teardown(test_interop_openssl_s_client,
						interop_setup,
						interop_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
