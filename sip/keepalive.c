/* sip/keepalive.c - OPTIONS pings to UDP contacts; drop the silent ones. */
#define G_LOG_DOMAIN "ovoz-keepalive"

#include "keepalive.h"
#include "log.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

#define KA_COOKIE "z9hG4bKka"

struct sip_keepalive {
	struct sip_keepalive_config cfg;
	char *domain, *host;
	struct sip_registrar *registrar;
	struct sip_transport *udp;
	GHashTable *missed;  /* "user\nuri" -> GUINT unanswered pings */
	GHashTable *pending; /* branch -> "user\nuri" */
	guint timer;
	unsigned dropped;
};

static char *ka_key(const struct sip_binding *b)
{
	return g_strconcat(b->user, "\n", b->uri, NULL);
}

struct ka_round {
	struct sip_keepalive *ka;
	GPtrArray *drop; /* keys to drop, collected before removing */
};

/* OPTIONS to the contact of @b, built with sofia-sip (RFC 3261 11). */
static struct sip_message *ka_options(struct sip_keepalive *ka,
				      const struct sip_binding *b,
				      const char *branch)
{
	struct sip_message *m = NULL;
	g_autofree char *port = g_strdup_printf("%u", ka->cfg.port);
	g_autofree char *from_uri = g_strconcat("sip:ovoz@", ka->domain, NULL);
	g_autofree char *tag = g_strdup_printf("%08x", g_random_int());
	g_autofree char *call_id = g_strconcat(branch, "@", ka->host, NULL);
	g_autofree char *branch_param = g_strconcat("branch=", branch, NULL);
	su_home_t *home;
	sip_via_t *via;
	sip_from_t *from;
	sip_to_t *to;
	sip_cseq_t *cseq;

	if (sip_message_new_request(&m, "OPTIONS", URL_STRING_MAKE(b->uri)))
		return NULL;
	home = msg_home(sip_message_msg(m));
	via = sip_via_create(home, ka->host, port, "SIP/2.0/UDP",
			     branch_param, "rport", NULL);
	from = sip_from_create(home, URL_STRING_MAKE(from_uri));
	to = sip_to_create(home, URL_STRING_MAKE(b->uri));
	cseq = sip_cseq_create(home, 1, sip_method_options, "OPTIONS");
	if (!via || !from || !to || !cseq || sip_from_tag(home, from, tag) ||
	    sip_message_add_copy(m, via, false) ||
	    sip_message_add_header(m, "Max-Forwards", "70") ||
	    sip_message_add_copy(m, from, false) ||
	    sip_message_add_copy(m, to, false) ||
	    sip_message_add_header(m, "Call-ID", call_id) ||
	    sip_message_add_copy(m, cseq, false)) {
		sip_message_unref(m);
		return NULL;
	}
	return m;
}

static void ka_send(struct sip_keepalive *ka, const struct sip_binding *b,
		    const char *branch)
{
	struct sip_message *m = ka_options(ka, b, branch);

	sip_message_send(m, ka->udp, &b->addr);
	sip_message_unref(m);
}

static void ka_ping(const struct sip_binding *b, void *arg)
{
	struct ka_round *round = arg;
	struct sip_keepalive *ka = round->ka;
	char *key, *branch;
	guint missed;

	if (b->flow || !b->addr.len)
		return; /* WebSocket flows have their own ping/pong */
	key = ka_key(b);
	missed = GPOINTER_TO_UINT(g_hash_table_lookup(ka->missed, key));
	if (missed >= ka->cfg.max_missed) {
		g_ptr_array_add(round->drop, key);
		return;
	}
	g_hash_table_replace(ka->missed, g_strdup(key),
			     GUINT_TO_POINTER(missed + 1));
	branch = g_strdup_printf(KA_COOKIE "%08x%08x", g_random_int(),
				 g_random_int());
	ka_send(ka, b, branch);
	g_hash_table_replace(ka->pending, branch, key);
}

void sip_keepalive_run(struct sip_keepalive *ka)
{
	struct ka_round round = {.ka = ka,
				 .drop = g_ptr_array_new_with_free_func(g_free)};

	/* Pings of the last round still unanswered stay counted. */
	g_hash_table_remove_all(ka->pending);
	sip_registrar_foreach(ka->registrar, NULL, ka_ping, &round);
	for (guint i = 0; i < round.drop->len; i++) {
		const char *key = g_ptr_array_index(round.drop, i);
		g_auto(GStrv) part = g_strsplit(key, "\n", 2);
		g_autofree char *user = sip_log_escape(part[0],
						       SIP_LOG_FIELD_MAX);
		g_autofree char *contact = sip_log_escape(part[1],
							  SIP_LOG_FIELD_MAX);

		g_message("%s: contact %s stopped answering %u pings, dropped",
			  user, contact, ka->cfg.max_missed);
		sip_registrar_remove_contact(ka->registrar, part[0], part[1]);
		g_hash_table_remove(ka->missed, key);
		ka->dropped++;
	}
	g_ptr_array_unref(round.drop);
}

static gboolean ka_tick(gpointer data)
{
	sip_keepalive_run(data);
	return G_SOURCE_CONTINUE;
}

bool sip_keepalive_handle_response(struct sip_keepalive *ka,
				   const struct sip_message *msg)
{
	sip_t *sip = sip_message_sip(msg);
	const char *key;

	if (!sip->sip_via || !sip->sip_via->v_branch ||
	    !g_str_has_prefix(sip->sip_via->v_branch, KA_COOKIE))
		return false;
	key = g_hash_table_lookup(ka->pending, sip->sip_via->v_branch);
	if (key)
		g_hash_table_remove(ka->missed, key);
	return true;
}

int sip_keepalive_new(struct sip_keepalive **out,
		      const struct sip_keepalive_config *cfg,
		      struct sip_registrar *registrar,
		      struct sip_transport *udp)
{
	struct sip_keepalive *ka;

	if (!cfg || !registrar || !udp || !cfg->domain || !cfg->host)
		return EINVAL;
	ka = g_new0(struct sip_keepalive, 1);
	ka->cfg = *cfg;
	if (!ka->cfg.max_missed)
		ka->cfg.max_missed = 3;
	ka->domain = g_strdup(cfg->domain);
	ka->host = g_strdup(cfg->host);
	ka->registrar = registrar;
	ka->udp = udp;
	ka->missed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   NULL);
	ka->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    g_free);
	if (cfg->interval)
		ka->timer = g_timeout_add_seconds(cfg->interval, ka_tick, ka);
	*out = ka;
	return 0;
}

void sip_keepalive_free(struct sip_keepalive *ka)
{
	if (!ka)
		return;
	if (ka->timer)
		g_source_remove(ka->timer);
	g_hash_table_destroy(ka->missed);
	g_hash_table_destroy(ka->pending);
	g_free(ka->domain);
	g_free(ka->host);
	g_free(ka);
}

unsigned sip_keepalive_dropped(const struct sip_keepalive *ka)
{
	return ka->dropped;
}
