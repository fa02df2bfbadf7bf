/* sip/ban.c - per-pair and per-address authentication failure bans. */
#define G_LOG_DOMAIN "ovoz-ban"

#include "ban.h"

#include <errno.h>
#include <glib.h>

struct ban_entry {
	int64_t window_start;
	unsigned failures;
	int64_t banned_until;
	int64_t trusted_until; /* address keys only */
};

struct sip_ban {
	struct sip_ban_config cfg;
	GHashTable *entries; /* "ip" or "ip\nuser" -> struct ban_entry */
	uint64_t bans;
};

int sip_ban_new(struct sip_ban **out, const struct sip_ban_config *cfg)
{
	struct sip_ban *b;

	if (!cfg || !cfg->max_failures || !cfg->window)
		return EINVAL;
	b = g_new0(struct sip_ban, 1);
	b->cfg = *cfg;
	b->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   g_free);
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

static char *ban_pair_key(const char *ip, const char *user)
{
	return g_strconcat(ip, "\n", user ? user : "", NULL);
}

static struct ban_entry *ban_entry_get(struct sip_ban *b, char *key)
{
	struct ban_entry *e = g_hash_table_lookup(b->entries, key);

	if (e) {
		g_free(key);
		return e;
	}
	e = g_new0(struct ban_entry, 1);
	g_hash_table_insert(b->entries, key, e);
	return e;
}

static bool ban_entry_banned(const struct ban_entry *e, int64_t now)
{
	return e && e->banned_until > now;
}

bool sip_ban_is_banned(struct sip_ban *b, const char *ip, const char *user,
		       int64_t now)
{
	struct ban_entry *e = g_hash_table_lookup(b->entries, ip);

	if (ban_entry_banned(e, now) && e->trusted_until <= now)
		return true;
	if (!user)
		return false;
	g_autofree char *key = ban_pair_key(ip, user);
	return ban_entry_banned(g_hash_table_lookup(b->entries, key), now);
}

/* Count one failure in @e's window; true when it crosses the limit. */
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
	e->banned_until = now + b->cfg.ban_time;
	e->failures = 0;
	b->bans++;
	return true;
}

bool sip_ban_failure(struct sip_ban *b, const char *ip, const char *user,
		     bool user_exists, int64_t now)
{
	bool started = false;
	struct ban_entry *addr = ban_entry_get(b, g_strdup(ip));

	if (user_exists)
		started = ban_entry_fail(
			b, ban_entry_get(b, ban_pair_key(ip, user)), now);
	/* Unknown usernames count against the address; an address that has
	 * authenticated recently is an office NAT and is spared. */
	if (!user_exists && addr->trusted_until <= now)
		started = ban_entry_fail(b, addr, now) || started;
	if (started)
		g_message("%s%s%s: %u authentication failures within %u s, "
			  "refused for %u s",
			  ip, user_exists ? " for " : "",
			  user_exists ? user : "", b->cfg.max_failures,
			  b->cfg.window, b->cfg.ban_time);
	return started;
}

void sip_ban_success(struct sip_ban *b, const char *ip, const char *user,
		     int64_t now)
{
	struct ban_entry *addr = ban_entry_get(b, g_strdup(ip));
	g_autofree char *key = ban_pair_key(ip, user);

	addr->trusted_until = now + b->cfg.ban_time;
	addr->banned_until = 0;
	addr->failures = 0;
	g_hash_table_remove(b->entries, key);
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
