/* sip/ban.c - per-source, per-extension and per-address failure bans. */
#define G_LOG_DOMAIN "ovoz-ban"

#include "ban.h"
#include "log.h"

#include <errno.h>
#include <glib.h>

struct ban_entry {
	enum sip_ban_scope scope;
	char *source;    /* NULL for address entries */
	char *address;
	char *extension; /* source-extension entries only */
	int64_t window_start;
	unsigned failures;
	uint64_t id;     /* of the ban in force, 0 when none */
	int64_t banned_since, banned_until;
	unsigned ban_failures;
	uint64_t refused;
	char *reason;
	int64_t trusted_until; /* address entries only */
};

struct sip_ban {
	struct sip_ban_config cfg;
	/* "x\nsource\next", "s\nsource" or "a\naddress" -> struct ban_entry */
	GHashTable *entries;
	uint64_t bans;
	uint64_t next_id;
};

static void ban_entry_free(struct ban_entry *e)
{
	g_free(e->source);
	g_free(e->address);
	g_free(e->extension);
	g_free(e->reason);
	g_free(e);
}

int sip_ban_new(struct sip_ban **out, const struct sip_ban_config *cfg)
{
	struct sip_ban *b;

	if (!cfg || !cfg->max_failures || !cfg->window || !cfg->ban_time ||
	    !cfg->trust_time)
		return EINVAL;
	b = g_new0(struct sip_ban, 1);
	b->cfg = *cfg;
	b->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)ban_entry_free);
	*out = b;
	return 0;
}

void sip_ban_free(struct sip_ban *b)
{
	if (!b)
		return;
	g_hash_table_destroy(b->entries);
	g_free(b);
}

const char *sip_ban_scope_name(enum sip_ban_scope scope)
{
	switch (scope) {
	case SIP_BAN_SOURCE_EXTENSION:
		return "source_extension";
	case SIP_BAN_SOURCE:
		return "source";
	case SIP_BAN_ADDRESS:
		return "address";
	}
	return "unknown";
}

static char *ban_key(enum sip_ban_scope scope,
		     const struct sip_ban_source *src, const char *user)
{
	switch (scope) {
	case SIP_BAN_SOURCE_EXTENSION:
		return g_strconcat("x\n", src->source, "\n", user ? user : "",
				   NULL);
	case SIP_BAN_SOURCE:
		return g_strconcat("s\n", src->source, NULL);
	case SIP_BAN_ADDRESS:
		break;
	}
	return g_strconcat("a\n", src->address, NULL);
}

static struct ban_entry *ban_lookup(struct sip_ban *b,
				    enum sip_ban_scope scope,
				    const struct sip_ban_source *src,
				    const char *user)
{
	g_autofree char *key = ban_key(scope, src, user);

	return g_hash_table_lookup(b->entries, key);
}

static struct ban_entry *ban_get(struct sip_ban *b, enum sip_ban_scope scope,
				 const struct sip_ban_source *src,
				 const char *user)
{
	struct ban_entry *e = ban_lookup(b, scope, src, user);

	if (e)
		return e;
	e = g_new0(struct ban_entry, 1);
	e->scope = scope;
	e->address = g_strdup(src->address);
	if (scope != SIP_BAN_ADDRESS)
		e->source = g_strdup(src->source);
	if (scope == SIP_BAN_SOURCE_EXTENSION)
		e->extension = g_strdup(user ? user : "");
	g_hash_table_insert(b->entries, ban_key(scope, src, user), e);
	return e;
}

static bool ban_entry_banned(const struct ban_entry *e, int64_t now)
{
	return e && e->banned_until > now;
}

static void ban_entry_info(const struct ban_entry *e, struct sip_ban_info *out)
{
	if (!out)
		return;
	*out = (struct sip_ban_info){
		.id = e->id,
		.scope = e->scope,
		.source = e->source,
		.address = e->address,
		.extension = e->extension,
		.reason = e->reason ? e->reason : "",
		.since = e->banned_since,
		.until = e->banned_until,
		.failures = e->ban_failures,
		.refused = e->refused,
	};
}

bool sip_ban_check(struct sip_ban *b, const struct sip_ban_source *src,
		   const char *user, int64_t now, struct sip_ban_info *out)
{
	struct ban_entry *e = ban_lookup(b, SIP_BAN_ADDRESS, src, NULL);

	if (!ban_entry_banned(e, now) || e->trusted_until > now)
		e = ban_lookup(b, SIP_BAN_SOURCE, src, NULL);
	if (!ban_entry_banned(e, now))
		e = user ? ban_lookup(b, SIP_BAN_SOURCE_EXTENSION, src, user)
			 : NULL;
	if (!ban_entry_banned(e, now))
		return false;
	e->refused++;
	ban_entry_info(e, out);
	return true;
}

static char *ban_reason(const struct sip_ban *b, const struct ban_entry *e)
{
	unsigned n = b->cfg.max_failures, w = b->cfg.window;

	switch (e->scope) {
	case SIP_BAN_SOURCE_EXTENSION:
		return g_strdup_printf("%u wrong password%s for %s within %u s",
				       n, n == 1 ? "" : "s", e->extension, w);
	case SIP_BAN_SOURCE:
		return g_strdup_printf("%u attempt%s at unknown extensions "
				       "within %u s",
				       n, n == 1 ? "" : "s", w);
	case SIP_BAN_ADDRESS:
		break;
	}
	return g_strdup_printf("%u failed authentication%s from this address "
			       "within %u s, none succeeded recently",
			       n, n == 1 ? "" : "s", w);
}

/* Count one failure in @e's window; true when it starts a ban. */
static bool ban_entry_fail(struct sip_ban *b, struct ban_entry *e, int64_t now)
{
	if (ban_entry_banned(e, now))
		return false;
	if (now - e->window_start >= b->cfg.window) {
		e->window_start = now;
		e->failures = 0;
	}
	if (++e->failures < b->cfg.max_failures)
		return false;
	e->id = ++b->next_id;
	e->banned_since = now;
	e->banned_until = now + b->cfg.ban_time;
	e->ban_failures = e->failures;
	e->refused = 0;
	e->failures = 0;
	g_free(e->reason);
	e->reason = ban_reason(b, e);
	b->bans++;
	g_autofree char *ext = sip_log_escape(e->extension, SIP_LOG_FIELD_MAX);
	g_autofree char *why = sip_log_escape(e->reason, SIP_LOG_TEXT_MAX);
	g_autofree char *who = sip_log_escape(e->source ? e->source
							: e->address,
					      SIP_LOG_FIELD_MAX);

	g_message("ban #%" G_GUINT64_FORMAT ": %s %s%s%s refused for %u s: %s",
		  e->id, sip_ban_scope_name(e->scope), who, ext ? " for " : "",
		  ext ? ext : "", b->cfg.ban_time, why);
	return true;
}

bool sip_ban_failure(struct sip_ban *b, const struct sip_ban_source *src,
		     const char *user, enum sip_ban_failure_kind kind,
		     int64_t now, struct sip_ban_info *out)
{
	struct ban_entry *addr = ban_get(b, SIP_BAN_ADDRESS, src, NULL);
	struct ban_entry *e = kind == SIP_BAN_WRONG_PASSWORD
		? ban_get(b, SIP_BAN_SOURCE_EXTENSION, src, user)
		: ban_get(b, SIP_BAN_SOURCE, src, NULL);
	struct ban_entry *started = NULL;

	/* The address as a whole only while nothing from it authenticates:
	 * an office NAT is spared, only its failing sources are refused. A
	 * ban of the address covers its sources: one ban, not two. */
	if (addr->trusted_until <= now && ban_entry_fail(b, addr, now))
		started = addr;
	else if (ban_entry_fail(b, e, now))
		started = e;
	if (started)
		ban_entry_info(started, out);
	return started != NULL;
}

void sip_ban_success(struct sip_ban *b, const struct sip_ban_source *src,
		     const char *user, int64_t now)
{
	struct ban_entry *addr = ban_get(b, SIP_BAN_ADDRESS, src, NULL);
	g_autofree char *key = ban_key(SIP_BAN_SOURCE_EXTENSION, src, user);

	addr->trusted_until = now + b->cfg.trust_time;
	addr->failures = 0;
	g_hash_table_remove(b->entries, key);
}

void sip_ban_foreach(struct sip_ban *b, int64_t now, sip_ban_h fn, void *arg)
{
	GHashTableIter it;
	gpointer v;
	struct sip_ban_info info;

	g_hash_table_iter_init(&it, b->entries);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		if (!ban_entry_banned(v, now))
			continue;
		ban_entry_info(v, &info);
		fn(&info, arg);
	}
}

int sip_ban_lift(struct sip_ban *b, uint64_t id, int64_t now)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, b->entries);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct ban_entry *e = v;
		if (e->id != id || !ban_entry_banned(e, now))
			continue;
		g_autofree char *who = sip_log_escape(
			e->source ? e->source : e->address, SIP_LOG_FIELD_MAX);

		g_message("ban #%" G_GUINT64_FORMAT " (%s %s) lifted", id,
			  sip_ban_scope_name(e->scope), who);
		e->banned_until = 0;
		e->failures = 0;
		e->id = 0;
		return 0;
	}
	return ENOENT;
}

struct ban_prune {
	int64_t now;
	unsigned window;
};

static gboolean ban_entry_expired(gpointer key, gpointer value, gpointer data)
{
	const struct ban_entry *e = value;
	const struct ban_prune *p = data;

	return e->banned_until <= p->now && e->trusted_until <= p->now &&
	       (e->failures == 0 || p->now - e->window_start >= p->window);
}

void sip_ban_prune(struct sip_ban *b, int64_t now)
{
	struct ban_prune p = {.now = now, .window = b->cfg.window};

	g_hash_table_foreach_remove(b->entries, ban_entry_expired, &p);
}

uint64_t sip_ban_count(const struct sip_ban *b)
{
	return b->bans;
}

unsigned sip_ban_active(struct sip_ban *b, int64_t now)
{
	GHashTableIter it;
	gpointer v;
	unsigned n = 0;

	g_hash_table_iter_init(&it, b->entries);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ban_entry_banned(v, now);
	return n;
}
