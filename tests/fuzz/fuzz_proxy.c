/*
 * tests/fuzz/fuzz_proxy.c - arbitrary datagrams into the whole SIP core
 * (stack, registrar, auth, proxy) over fake transports, alternately from a
 * UDP peer and a WebSocket flow. Ovoz must never crash or leak on what a
 * network can send; what it answers is checked elsewhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "fake_transport.h"
#include "sip/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_core {
	struct sip_stack *st;
	struct sip_auth *auth;
	struct sip_registrar *reg;
	struct sip_proxy *px;
	struct sip_transport *udp, *ws;
	struct fake_transport *udp_f, *ws_f;
	struct sip_addr src;
};

static int fuzz_creds(void *ctx, const char *user, char *md5, char *sha)
{
	if (strcmp(user, "1001") != 0)
		return ENOENT;
	sip_digest_ha1(SIP_DIGEST_MD5, user, "fuzz", "secret", md5);
	sip_digest_ha1(SIP_DIGEST_SHA256, user, "fuzz", "secret", sha);
	return 0;
}

static bool fuzz_is_ext(void *ctx, const char *user)
{
	return strcmp(user, "1001") == 0;
}

static struct sip_transport *fuzz_flow(void *ctx, const char *id)
{
	struct fuzz_core *c = ctx;

	return strcmp(id, "wss-1") == 0 ? c->ws : NULL;
}

static struct fuzz_core *fuzz_core(void)
{
	static struct fuzz_core *c;
	static const struct sip_proxy_hooks hooks = {
		.is_extension = fuzz_is_ext, .flow = fuzz_flow};
	struct sip_auth_config ac = {
		.realm = "fuzz", .nonce_ttl = 300, .ban_failures = 5,
		.ban_window = 60, .ban_time = 300, .trust_time = 3600,
		.algs = {SIP_DIGEST_MD5}, .n_algs = 1};
	static const char *const domains[] = {"fuzz", NULL};
	struct sip_registrar_config rc = {
		.min_expires = 60, .max_expires = 3600,
		.default_expires = 3600, .max_contacts = 10,
		.domains = domains};
	struct sip_proxy_config pc = {.domain = "fuzz", .udp_host = "127.0.0.1",
				      .udp_port = 5060, .ws_host = "127.0.0.1",
				      .ws_port = 8443};

	if (c)
		return c;
	g_log_set_writer_func(g_log_writer_default, NULL, NULL);
	g_setenv("G_MESSAGES_DEBUG", "", TRUE);
	c = g_new0(struct fuzz_core, 1);
	sip_stack_new(&c->st, NULL);
	sip_auth_new(&c->auth, &ac, c->st, fuzz_creds, c);
	sip_registrar_new(&c->reg, &rc, c->st, c->auth, NULL, c);
	c->udp = fake_transport_new(SIP_TRANSPORT_UDP, "udp", &c->udp_f);
	c->ws = fake_transport_new(SIP_TRANSPORT_WSS, "wss-1", &c->ws_f);
	sip_addr_parse(&c->src, "127.0.0.1:40000");
	sip_registrar_restore(c->reg, "1001", "<sip:1001@127.0.0.1:40000>",
			      "127.0.0.1:40000", "fuzz", "c", 1,
			      g_get_real_time() / G_USEC_PER_SEC + 86400, NULL);
	sip_proxy_new(&c->px, &pc, c->st, c->auth, c->reg, c->udp, &hooks, c);
	sip_stack_set_handler(c->st, "REGISTER", sip_registrar_handle, c->reg);
	sip_stack_set_handler(c->st, "*", sip_proxy_handle_request, c->px);
	sip_stack_set_response_handler(c->st, sip_proxy_handle_response, c->px);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_core *c = fuzz_core();
	bool ws = size && (data[size - 1] & 1);

	sip_stack_receive(c->st, ws ? c->ws : c->udp, &c->src, data, size);
	/* Drop what was sent so memory stays flat over a long run. */
	while (fake_transport_pending(c->udp_f))
		sip_message_unref(fake_transport_pop(c->udp_f));
	while (fake_transport_pending(c->ws_f))
		sip_message_unref(fake_transport_pop(c->ws_f));
	return 0;
}
