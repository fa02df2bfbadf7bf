/* tests/gateway/test_api_bans.c - GET /api/bans and DELETE /api/bans/{id}
 * over a live sip_auth that a scanner got banned from. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "api_util.h"
#include "fake_transport.h"
#include "sip_util.h"
#include "gateway/api.h"
#include "gateway/store.h"
#include "sip/auth.h"
#include "sip/stack.h"
#include "test_util.h"

#define REALM TEST_API_REALM
#define TOKEN TEST_API_TOKEN
#define SCANNER "192.0.2.50:5060"

struct fixture {
	struct test_db db;
	struct test_api c;
	struct sip_stack *st;
	struct sip_auth *auth;
	struct sip_transport *udp;
	struct fake_transport *udp_f;
	struct sip_addr src;
	unsigned cseq;
};

static int no_creds(void *ctx, const char *user, char *md5, char *sha)
{
	return ENOENT;
}

static void on_register(struct sip_stack *st, const struct sip_request *req,
			void *arg)
{
	struct fixture *f = arg;
	struct sip_auth_result res;

	sip_auth_check(f->auth, req,
		       sip_message_sip(req->msg)->sip_to->a_url->url_user,
		       false, &res);
}

static int setup(void **state)
{
	struct fixture *f = g_new0(struct fixture, 1);
	g_autofree char *token_sha256 =
		g_compute_checksum_for_string(G_CHECKSUM_SHA256, TOKEN, -1);
	struct sip_auth_config ac = test_auth_config(REALM, 5);
	struct gateway_api_config cfg = {.realm = REALM,
					 .min_password_len = 8,
					 .token_sha256 = token_sha256};

	test_db_open(&f->db);
	sip_stack_new(&f->st, NULL);
	assert_int_equal(sip_auth_new(&f->auth, &ac, f->st, no_creds, f), 0);
	sip_stack_set_handler(f->st, "REGISTER", on_register, f);
	f->udp = fake_transport_new(SIP_TRANSPORT_UDP, "udp", &f->udp_f);
	sip_addr_parse(&f->src, SCANNER);
	cfg.auth = f->auth;
	assert_int_equal(gateway_api_new(&f->c.api, f->db.store, &cfg, NULL, f),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_api_clear(&f->c);
	sip_auth_free(f->auth);
	sip_stack_free(f->st);
	sip_transport_unref(f->udp);
	test_db_close(&f->db);
	g_free(f);
	return 0;
}

/* REGISTER for @user with @auth (or none); the reply's status and, for a
 * 401, its nonce in *@nonce. */
static int reg(struct fixture *f, const char *user, const char *auth,
	       char **nonce)
{
	g_autofree char *msg =
		test_register_text(REALM, SCANNER, user, f->cseq++, auth);

	return test_sip_exchange(f->st, f->udp, f->udp_f, &f->src, msg, nonce);
}

/* Five unknown extensions from one source: a scanner, banned. */
static void scan(struct fixture *f)
{
	for (int i = 0; i < 5; i++) {
		g_autofree char *user = g_strdup_printf("90%02d", i);
		g_autofree char *nonce = NULL, *auth = NULL;
		assert_int_equal(reg(f, user, NULL, &nonce), 401);
		auth = g_strdup_printf(
			"Digest username=\"%s\", realm=\"" REALM "\", "
			"nonce=\"%s\", uri=\"sip:" REALM "\", "
			"response=\"00000000000000000000000000000000\", "
			"algorithm=MD5, cnonce=\"c\", qop=auth, nc=00000001",
			user, nonce);
		assert_int_equal(reg(f, user, auth, NULL), 403);
	}
}

static int call(struct fixture *f, const char *method, const char *path,
		bool with_token)
{
	return test_api_request(&f->c, method, path, NULL,
				with_token ? "Bearer " TOKEN : NULL, NULL, 0);
}

static JsonArray *bans(struct fixture *f)
{
	assert_int_equal(call(f, "GET", "/api/bans", true), 200);
	assert_non_null(f->c.json);
	return json_object_get_array_member(json_node_get_object(f->c.json),
					    "bans");
}

static void test_list_and_lift(void **state)
{
	struct fixture *f = *state;
	JsonObject *b;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *path = NULL;

	assert_int_equal(call(f, "GET", "/api/bans", false), 401);
	assert_int_equal(json_array_get_length(bans(f)), 0);
	scan(f);
	assert_int_equal(reg(f, "1001", NULL, NULL), 403);

	/* Nothing ever authenticated from there: the whole address. */
	assert_int_equal(json_array_get_length(bans(f)), 1);
	b = json_array_get_object_element(bans(f), 0);
	assert_string_equal(json_object_get_string_member(b, "scope"),
			    "address");
	assert_true(json_object_get_null_member(b, "source"));
	assert_string_equal(json_object_get_string_member(b, "address"),
			    "192.0.2.50");
	assert_true(json_object_get_null_member(b, "extension"));
	assert_non_null(strstr(json_object_get_string_member(b, "reason"),
			       "5 failed authentications"));
	assert_int_equal(json_object_get_int_member(b, "failures"), 5);
	assert_int_equal(json_object_get_int_member(b, "refused"), 1);
	assert_true(json_object_get_int_member(b, "since") >= now);
	assert_int_equal(json_object_get_int_member(b, "until") -
				 json_object_get_int_member(b, "since"),
			 300);
	assert_true(json_object_get_int_member(b, "remaining") <= 300);
	assert_true(json_object_get_int_member(b, "remaining") >= 295);
	path = g_strdup_printf("/api/bans/%" G_GINT64_FORMAT,
			       json_object_get_int_member(b, "id"));

	assert_int_equal(call(f, "DELETE", path, false), 401);
	assert_int_equal(call(f, "DELETE", "/api/bans/abc", true), 400);
	assert_int_equal(call(f, "DELETE", "/api/bans/999", true), 404);
	assert_int_equal(call(f, "DELETE", path, true), 204);
	assert_int_equal(json_array_get_length(bans(f)), 0);
	assert_int_equal(call(f, "DELETE", path, true), 404);
	/* Lifted: the source is challenged again, not refused. */
	assert_int_equal(reg(f, "1001", NULL, NULL), 401);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_and_lift, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
