/*
 * gateway/app.c - wires the parts of a running Ovoz together: the store
 * feeds the registrar's credentials and persists its UDP bindings and
 * attempts; the API sees the registrar's live contacts.
 */
#define G_LOG_DOMAIN "ovoz"

#include "gateway/gateway.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <string.h>

#include <sofia-sip/sip_header.h>

#include "gateway/doctor.h"
#include "sip/digest.h"
#include "sip/log.h"

/* ---- registrar hooks ---- */

/* From the store's memory: a locked database never delays a REGISTER. */
static int app_credentials(void *ctx, const char *user, char *ha1_md5,
			   char *ha1_sha256)
{
	struct gateway *gw = ctx;
	const char *md5, *sha256;
	int err = gateway_store_credentials(gw->store, user, &md5, &sha256);

	if (err)
		return err;
	g_strlcpy(ha1_md5, md5, SIP_DIGEST_HEX_MAX);
	g_strlcpy(ha1_sha256, sha256, SIP_DIGEST_HEX_MAX);
	return 0;
}

/* UDP bindings survive restarts; WebSocket ones die with their flow.
 * Written behind, by the store's writer thread, within milliseconds. */
static void app_binding(void *ctx, const struct sip_binding *b,
			enum sip_binding_event ev)
{
	struct gateway *gw = ctx;

	if (b->flow)
		return;
	if (ev == SIP_BINDING_REMOVED) {
		gateway_store_writer_location_delete(gw->store, b->user,
						     b->contact);
		return;
	}
	struct gateway_location l = {
		.extension = b->user,
		.contact = b->contact,
		.transport = (char *)sip_transport_kind_name(b->transport),
		.source = b->source,
		.user_agent = b->user_agent,
		.call_id = b->call_id,
		.cseq = b->cseq,
		.expires_at = b->expires_at,
		.updated_at = g_get_real_time() / G_USEC_PER_SEC,
		.path = b->path,
	};
	gateway_store_writer_location_put(gw->store, &l);
}

/* A refused REGISTER in the doctor's words (gateway/doctor.c), the same
 * sentence GET /api/extensions/{ext}/doctor shows. */
static void app_attempt_doctor(const struct gateway_attempt *row)
{
	struct gateway_doctor_finding f = {.count = 1};
	g_autofree char *host = NULL, *text = NULL, *ext = NULL, *safe = NULL;

	if (!gateway_doctor_code_of_outcome(row->outcome, &f.code) ||
	    f.code == GATEWAY_DOCTOR_OTHER_FAILURE)
		return;
	/* The doctor names addresses, not ports. */
	host = gateway_doctor_host(row->source);
	f.extension = row->extension;
	f.source = host;
	f.user_agent = row->user_agent;
	text = gateway_doctor_text(&f);
	ext = sip_log_escape(row->extension, SIP_LOG_FIELD_MAX);
	safe = sip_log_escape(text, 2 * SIP_LOG_FIELD_MAX);
	g_message("doctor: %s: %s", ext, safe);
}

/*
 * A plain refresh (and its challenge) is not stored: it changes nothing an
 * operator diagnoses with, the binding's live state (/status: expiresAt)
 * shows it, and at a few thousand phones the refresh rows would push the
 * failures out of the bounded log. It was also two sqlite rows per
 * registration, the largest single cost of a refresh.
 */
static void app_attempt(void *ctx, const struct sip_reg_attempt *a)
{
	struct gateway *gw = ctx;

	if (a->refresh)
		return;
	struct gateway_attempt row = {
		.at = g_get_real_time() / G_USEC_PER_SEC,
		.extension = (char *)a->user,
		.source = (char *)a->source,
		.transport = (char *)a->transport,
		.user_agent = (char *)a->user_agent,
		.outcome = (char *)sip_reg_outcome_name(a->outcome),
		.status = a->status,
		.detail = (char *)a->detail,
	};

	gateway_store_writer_attempt(gw->store, &row, gw->cfg->attempts_keep);
	app_attempt_doctor(&row);
}

/* ---- API hooks ---- */

static void app_contact_json(const struct sip_binding *b, void *arg)
{
	JsonArray *array = arg;
	JsonObject *o = json_object_new();
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	json_object_set_string_member(o, "contact", b->contact);
	json_object_set_string_member(o, "transport",
				      sip_transport_kind_name(b->transport));
	json_object_set_string_member(o, "source", b->source);
	json_object_set_string_member(o, "userAgent",
				      b->user_agent ? b->user_agent : "");
	json_object_set_int_member(o, "expires",
				   b->expires_at > now ? b->expires_at - now : 0);
	json_object_set_int_member(o, "expiresAt", b->expires_at);
	json_array_add_object_element(array, o);
}

static void app_contacts(void *ctx, const char *ext, JsonArray *array)
{
	struct gateway *gw = ctx;

	sip_registrar_foreach(gw->registrar, ext, app_contact_json, array);
}

static void app_flow_collect(const struct sip_binding *b, void *arg)
{
	if (b->flow)
		g_ptr_array_add(arg, sip_transport_ref(b->flow));
}

/*
 * A deleted extension's bindings go, and so do the WebSocket connections
 * they were made on: a web phone signed in as it learns at once (close
 * code 4410, "extension deleted") instead of at its next refresh, and
 * says so. UDP phones find out at their next REGISTER (403).
 */
static void app_extension_deleted(void *ctx, const char *ext)
{
	struct gateway *gw = ctx;
	g_autoptr(GPtrArray) flows =
		g_ptr_array_new_with_free_func((GDestroyNotify)sip_transport_unref);

	sip_registrar_foreach(gw->registrar, ext, app_flow_collect, flows);
	sip_registrar_remove_user(gw->registrar, ext);
	for (guint i = 0; i < flows->len; i++)
		gateway_ws_close_flow(g_ptr_array_index(flows, i),
				      GATEWAY_WS_CLOSE_EXTENSION_DELETED,
				      "extension deleted");
}

/* ---- start-up ---- */

static void app_domain_add(GPtrArray *list, const char *host)
{
	if (!host || !*host)
		return;
	for (guint i = 0; i < list->len; i++)
		if (g_ascii_strcasecmp(g_ptr_array_index(list, i), host) == 0)
			return;
	g_ptr_array_add(list, g_strdup(host));
}

/* Every address of this machine: what a wildcard listener answers on. */
static void app_domain_add_interfaces(GPtrArray *list)
{
	struct ifaddrs *ifs = NULL;

	if (getifaddrs(&ifs) != 0)
		return;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct sip_addr a = {0};
		char host[SIP_ADDR_STRLEN];
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;

		if (fam != AF_INET && fam != AF_INET6)
			continue;
		a.len = fam == AF_INET ? sizeof(struct sockaddr_in)
				       : sizeof(struct sockaddr_in6);
		memcpy(&a.ss, i->ifa_addr, a.len);
		app_domain_add(list, sip_addr_host(&a, host, sizeof(host)));
	}
	freeifaddrs(ifs);
}

/* The listen address's host; a wildcard means every interface. */
static void app_domain_add_listen(GPtrArray *list, const char *listen)
{
	struct sip_addr a;
	char host[SIP_ADDR_STRLEN];

	if (!listen || sip_addr_parse(&a, listen) != 0)
		return;
	sip_addr_host(&a, host, sizeof(host));
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		app_domain_add_interfaces(list);
	else
		app_domain_add(list, host);
}

/* The domains REGISTERs may name: the realm, [sip] domains, the listen
 * addresses (all interfaces for a wildcard) and the media IP. */
static char **app_local_domains(const struct gateway_config *cfg)
{
	GPtrArray *list = g_ptr_array_new();

	app_domain_add(list, cfg->realm);
	for (char **d = cfg->domains; d && *d; d++)
		app_domain_add(list, *d);
	if (strcmp(cfg->sip_udp, "off") != 0)
		app_domain_add_listen(list, cfg->sip_udp);
	app_domain_add_listen(list, cfg->https);
	app_domain_add(list, cfg->media_ip);
	g_ptr_array_add(list, NULL);
	return (char **)g_ptr_array_free(list, FALSE);
}

static char *app_sha256_hex(const char *text)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

/* The admin token: from the config, else the stored hash, else a new one
 * printed once. Only its SHA-256 is kept. */
static int app_admin_token(struct gateway *gw, char **err)
{
	char *stored = NULL;

	if (gw->cfg->admin_token && *gw->cfg->admin_token) {
		gw->token_sha256 = app_sha256_hex(gw->cfg->admin_token);
		return 0;
	}
	if (gateway_store_setting_get(gw->store, "admin_token_sha256",
				      &stored) == 0) {
		gw->token_sha256 = stored;
		return 0;
	}
	uint8_t raw[24];
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		*err = g_strdup("no randomness for the admin token");
		return EIO;
	}
	g_autofree char *token = g_base64_encode(raw, sizeof(raw));
	for (char *p = token; *p; p++)
		if (*p == '+' || *p == '/')
			*p = (*p == '+') ? '-' : '_';
	gw->token_sha256 = app_sha256_hex(token);
	if (gateway_store_setting_set(gw->store, "admin_token_sha256",
				      gw->token_sha256)) {
		*err = g_strdup("cannot store the admin token");
		return EIO;
	}
	fprintf(stdout, "Ovoz admin token (shown once, keep it safe): %s\n",
		token);
	fflush(stdout);
	return 0;
}

/* The secret of ephemeral credentials: from the config, else the stored
 * one, else a new random one stored at once, so credentials minted before
 * a restart stay good. */
static int app_ephemeral_secret(struct gateway *gw, char **err)
{
	uint8_t raw[32];

	if (gw->cfg->ephemeral_secret && *gw->cfg->ephemeral_secret) {
		gw->ephemeral_secret = g_strdup(gw->cfg->ephemeral_secret);
		return 0;
	}
	if (gateway_store_setting_get(gw->store, "ephemeral_secret",
				      &gw->ephemeral_secret) == 0)
		return 0;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		*err = g_strdup("no randomness for the ephemeral secret");
		return EIO;
	}
	gw->ephemeral_secret = g_base64_encode(raw, sizeof(raw));
	memset(raw, 0, sizeof(raw));
	if (gateway_store_setting_set(gw->store, "ephemeral_secret",
				      gw->ephemeral_secret)) {
		*err = g_strdup("cannot store the ephemeral secret");
		return EIO;
	}
	return 0;
}

static void app_restore(struct gateway *gw)
{
	g_autoptr(GPtrArray) rows = NULL;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	unsigned n = 0;

	gateway_store_location_purge(gw->store, now);
	if (gateway_store_location_list(gw->store, &rows))
		return;
	for (guint i = 0; i < rows->len; i++) {
		const struct gateway_location *l = g_ptr_array_index(rows, i);
		if (sip_registrar_restore(gw->registrar, l->extension,
					  l->contact, l->source, l->user_agent,
					  l->call_id, l->cseq,
					  l->expires_at, l->path) == 0)
			n++;
	}
	if (n)
		g_message("restored %u UDP registration%s from %s", n,
			  n == 1 ? "" : "s", gw->cfg->db);
}

static void app_udp_recv(struct sip_transport *tp, const struct sip_addr *src,
			 const uint8_t *buf, size_t len, void *arg)
{
	struct gateway *gw = arg;

	sip_stack_receive(gw->stack, tp, src, buf, len);
}

static int app_open_store(struct gateway *gw, char **err)
{
	g_autofree char *dir = g_path_get_dirname(gw->cfg->db);
	int rc;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		*err = g_strdup_printf("cannot create %s: %s", dir,
				       g_strerror(errno));
		return errno;
	}
	rc = gateway_store_open(&gw->store, gw->cfg->db);
	if (rc)
		*err = g_strdup_printf("cannot open database %s: %s",
				       gw->cfg->db, g_strerror(rc));
	return rc;
}

int gateway_new(struct gateway **out, struct gateway_config *cfg,
		GMainLoop *loop, char **err)
{
	struct gateway *gw = g_new0(struct gateway, 1);
	struct sip_stack_config sc = {.server_name = OVOZ_SERVER_NAME};
	g_auto(GStrv) domains = app_local_domains(cfg);
	struct sip_registrar_config rc = {
		.min_expires = cfg->min_expires,
		.max_expires = cfg->max_expires,
		.default_expires = cfg->default_expires,
		.max_contacts = cfg->max_contacts,
		.domains = (const char *const *)domains,
	};
	struct sip_auth_config auc = {
		.realm = cfg->realm,
		.nonce_ttl = cfg->nonce_ttl,
		.ban_failures = cfg->ban_failures,
		.ban_window = cfg->ban_window,
		.ban_time = cfg->ban_time,
		/* A registered phone authenticates at least this often. */
		.trust_time = cfg->max_expires,
		.md5_only_user_agents = (const char *const *)cfg->md5_only_user_agents,
	};
	static const struct sip_registrar_hooks reg_hooks = {
		.binding = app_binding,
		.attempt = app_attempt,
	};
	struct gateway_api_hooks api_hooks = {
		.contacts = app_contacts,
		.extension_deleted = app_extension_deleted,
	};
	int rc_err;

	for (char **a = cfg->digest_algorithms; a && *a && auc.n_algs < 2; a++)
		if (**a)
			auc.algs[auc.n_algs++] = strcmp(*a, "SHA-256") == 0
				? SIP_DIGEST_SHA256 : SIP_DIGEST_MD5;
	gw->cfg = cfg;
	gw->loop = loop;
	gw->ws_per_ip = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      NULL);
	gw->flows = g_hash_table_new(g_str_hash, g_str_equal);
	gw->conn_per_ip = g_hash_table_new_full(g_str_hash, g_str_equal,
						g_free, NULL);
	gw->conn_ip = g_hash_table_new_full(g_direct_hash, g_direct_equal,
					    NULL, g_free);
	rc_err = app_open_store(gw, err);
	if (!rc_err)
		rc_err = app_admin_token(gw, err);
	if (!rc_err)
		rc_err = app_ephemeral_secret(gw, err);
	if (rc_err)
		goto fail;
	auc.ephemeral_secret = gw->ephemeral_secret;
	sip_stack_new(&gw->stack, &sc);
	rc_err = sip_auth_new(&gw->auth, &auc, gw->stack, app_credentials, gw);
	if (!rc_err)
		rc_err = sip_registrar_new(&gw->registrar, &rc, gw->stack,
					   gw->auth, &reg_hooks, gw);
	if (rc_err) {
		*err = g_strdup("cannot start the registrar");
		goto fail;
	}
	app_restore(gw);

	struct gateway_api_config ac = {
		.auth = gw->auth,
		.realm = cfg->realm,
		.min_password_len = cfg->min_password_len,
		.token_sha256 = gw->token_sha256,
		.ephemeral_secret = gw->ephemeral_secret,
		.sip_udp = cfg->sip_udp,
	};
	gateway_calls_api_hooks(&api_hooks);
	rc_err = gateway_api_new(&gw->api, gw->store, &ac, &api_hooks, gw);
	if (rc_err) {
		*err = g_strdup("cannot start the API");
		goto fail;
	}
	if (strcmp(cfg->sip_udp, "off") != 0) {
		rc_err = sip_udp_open(&gw->udp, cfg->sip_udp, NULL,
				      app_udp_recv, gw, err);
		if (rc_err)
			goto fail;
		g_message("SIP over UDP listening on %s", cfg->sip_udp);
	}
	rc_err = gateway_calls_start(gw, err);
	if (rc_err)
		goto fail;
	rc_err = gateway_server_start(gw, err);
	if (rc_err)
		goto fail;
	/* Started: from now on a locked database answers the API with 503
	 * instead of holding the loop (start-up could wait 2 s). */
	gateway_store_set_busy_timeout(gw->store, GATEWAY_STORE_API_BUSY_MS);
	*out = gw;
	return 0;
fail:
	gateway_free(gw);
	return rc_err;
}

void gateway_free(struct gateway *gw)
{
	if (!gw)
		return;
	/* The server first: closing its connections releases their flows
	 * from the registrar while the registrar still exists. */
	gateway_server_stop(gw);
	gateway_calls_stop(gw);
	sip_udp_free(gw->udp);
	gateway_api_free(gw->api);
	sip_registrar_free(gw->registrar);
	sip_auth_free(gw->auth);
	sip_stack_free(gw->stack);
	gateway_store_close(gw->store);
	g_hash_table_destroy(gw->ws_per_ip);
	g_hash_table_destroy(gw->flows);
	g_hash_table_destroy(gw->conn_ip);
	g_hash_table_destroy(gw->conn_per_ip);
	g_free(gw->conn_pending_ip);
	g_free(gw->token_sha256);
	g_free(gw->ephemeral_secret);
	g_free(gw);
}
