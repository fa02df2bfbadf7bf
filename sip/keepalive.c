/* sip/keepalive.c - OPTIONS pings to UDP contacts; drop the silent ones. */
#define G_LOG_DOMAIN "ovoz-keepalive"

#include "keepalive.h"
#include "log.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

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

static void ka_ping(const struct sip_binding *b, void *arg)
{
	struct ka_round *round = arg;
	struct sip_keepalive *ka = round->ka;
	char *key;
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
	g_autofree char *branch = g_strdup_printf(KA_COOKIE "%08x%08x",
						  g_random_int(),
						  g_random_int());
	g_autofree char *msg = g_strdup_printf(
		"OPTIONS %s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s:%u;branch=%s;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:ovoz@%s>;tag=%08x\r\n"
		"To: <%s>\r\n"
		"Call-ID: %s@%s\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n",
		b->uri, ka->host, ka->cfg.port, branch, ka->domain,
		g_random_int(), b->uri, branch, ka->host);
	sip_transport_send(ka->udp, &b->addr, msg, strlen(msg));
	g_hash_table_replace(ka->pending, g_steal_pointer(&branch), key);
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
