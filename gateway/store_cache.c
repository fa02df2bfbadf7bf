/*
 * gateway/store_cache.c - the HA1 values of every extension, in memory.
 *
 * The registrar and the proxy ask for credentials on every REGISTER and
 * INVITE; answering from memory keeps sqlite (and its locks) off the
 * signalling path. The table stays the truth: the cache is loaded from it
 * at open and changed only by gateway_store_extension_create/update/delete,
 * after their write succeeded, in the same call. A failed write changes
 * neither. Rows changed in the file by another program are seen at the
 * next start.
 *
 * Threading: signalling thread only, like the extension writes; the
 * writer thread never touches it.
 */
#define G_LOG_DOMAIN "ovoz-store"

#include "gateway/store.h"
#include "gateway/store_private.h"

#include <errno.h>

struct store_cred {
	char *ha1_md5;
	char *ha1_sha256;
	bool srtp; /* offer SRTP (SDES) to its UDP phones */
};

static void store_cred_free(struct store_cred *c)
{
	g_free(c->ha1_md5);
	g_free(c->ha1_sha256);
	g_free(c);
}

/* Replace *@slot with a copy of @v unless @v is NULL. */
static void store_cache_set(char **slot, const char *v)
{
	if (!v)
		return;
	g_free(*slot);
	*slot = g_strdup(v);
}

/** store_cache_load() - (re)build the cache from the extensions table. */
int store_cache_load(struct gateway_store *s)
{
	g_autoptr(GPtrArray) rows = NULL;
	int err;

	err = gateway_store_extension_list(s, &rows);
	if (err)
		return err;
	store_cache_free(s);
	s->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)store_cred_free);
	for (guint i = 0; i < rows->len; i++) {
		const struct gateway_extension *e = rows->pdata[i];

		store_cache_put(s, e->extension, e->ha1_md5, e->ha1_sha256);
		store_cache_set_srtp(s, e->extension, e->srtp);
	}
	return 0;
}

void store_cache_put(struct gateway_store *s, const char *ext,
		     const char *ha1_md5, const char *ha1_sha256)
{
	struct store_cred *c;

	if (!s->cache)
		return;
	c = g_hash_table_lookup(s->cache, ext);
	if (!c) {
		/* An update of a row the cache does not know cannot happen
		 * (every write goes through here); say so if it does. */
		if (!ha1_md5 || !ha1_sha256) {
			g_warning("credentials cache: %s missing; restart to"
				  " reload it",
				  ext);
			return;
		}
		c = g_new0(struct store_cred, 1);
		g_hash_table_insert(s->cache, g_strdup(ext), c);
	}
	store_cache_set(&c->ha1_md5, ha1_md5);
	store_cache_set(&c->ha1_sha256, ha1_sha256);
}

void store_cache_set_srtp(struct gateway_store *s, const char *ext, bool srtp)
{
	struct store_cred *c = s->cache ? g_hash_table_lookup(s->cache, ext)
					: NULL;

	if (c)
		c->srtp = srtp;
}

bool gateway_store_extension_srtp(struct gateway_store *s, const char *ext)
{
	const struct store_cred *c =
		s && ext && s->cache ? g_hash_table_lookup(s->cache, ext) : NULL;

	return c && c->srtp;
}

void store_cache_remove(struct gateway_store *s, const char *ext)
{
	if (s->cache)
		g_hash_table_remove(s->cache, ext);
}

void store_cache_free(struct gateway_store *s)
{
	g_clear_pointer(&s->cache, g_hash_table_unref);
}

/**
 * gateway_store_credentials() - the HA1 values of @ext, from memory.
 * Borrowed until the next extension write. ENOENT if unknown, EINVAL for
 * NULL arguments.
 */
int gateway_store_credentials(struct gateway_store *s, const char *ext,
			      const char **ha1_md5, const char **ha1_sha256)
{
	const struct store_cred *c;

	if (!s || !ext || !ha1_md5 || !ha1_sha256)
		return EINVAL;
	c = s->cache ? g_hash_table_lookup(s->cache, ext) : NULL;
	if (!c)
		return ENOENT;
	*ha1_md5 = c->ha1_md5;
	*ha1_sha256 = c->ha1_sha256;
	return 0;
}

/** gateway_store_has_extension() - whether @ext exists, from memory. */
bool gateway_store_has_extension(struct gateway_store *s, const char *ext)
{
	return s && ext && s->cache && g_hash_table_contains(s->cache, ext);
}
