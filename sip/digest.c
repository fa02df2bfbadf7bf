/* sip/digest.c - SIP digest authentication: HA1, nonces, nonce counts. */
#define G_LOG_DOMAIN "ovoz-digest"

#include "digest.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>

#include <glib.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/su_string.h>

#define DIGEST_SECRET_LEN 32
#define DIGEST_TS_LEN 8
#define DIGEST_RAND_LEN 8
#define DIGEST_MAC_LEN 16
#define DIGEST_NONCE_RAW (DIGEST_TS_LEN + DIGEST_RAND_LEN + DIGEST_MAC_LEN)
#define DIGEST_NONCE_B64 43 /* base64url of 32 octets, unpadded */
/* Random bytes fetched at once: one getrandom(2) per 32 challenges, not
 * one per challenge. */
#define DIGEST_POOL_LEN 256
/* Nonces stamped up to this far in the future are accepted (clock steps). */
#define DIGEST_SKEW 5

struct digest_nc {
	int64_t issued;
	guint32 nc;
};

struct sip_digest {
	char *realm;
	unsigned ttl;
	guint8 secret[DIGEST_SECRET_LEN];
	GHmac *mac_key;           /* keyed with secret; copied per MAC */
	guint8 pool[DIGEST_POOL_LEN]; /* getrandom(2) output not used yet */
	size_t pool_left;         /* at the pool's end */
	GHashTable *nonce_counts; /* nonce text -> struct digest_nc */
	GQueue nc_order;          /* the table's keys, oldest use first */
	GStringChunk *strings;    /* unquoted credentials of the last find */
	int64_t (*now)(void);
};

static int64_t digest_real_now(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

/* Fill @buf from getrandom(2); 0 or an errno value. */
static int digest_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sip_digest_new(struct sip_digest **out, const char *realm,
		   unsigned nonce_ttl)
{
	struct sip_digest *d;

	if (!realm || !*realm || nonce_ttl == 0)
		return EINVAL;
	d = g_new0(struct sip_digest, 1);
	d->realm = g_strdup(realm);
	d->ttl = nonce_ttl;
	/* The kernel's CSPRNG, not GLib's Mersenne Twister: nonces expose
	 * their random part, and MT state can be rebuilt from its output.
	 * A fresh secret per process makes every old nonce BAD_NONCE. */
	if (digest_random(d->secret, DIGEST_SECRET_LEN)) {
		g_free(d->realm);
		g_free(d);
		return EIO;
	}
	d->mac_key = g_hmac_new(G_CHECKSUM_SHA256, d->secret,
				DIGEST_SECRET_LEN);
	d->nonce_counts = g_hash_table_new_full(g_str_hash, g_str_equal,
						g_free, g_free);
	d->strings = g_string_chunk_new(256);
	d->now = digest_real_now;
	*out = d;
	return 0;
}

void sip_digest_free(struct sip_digest *d)
{
	if (!d)
		return;
	g_queue_clear(&d->nc_order);
	g_hash_table_destroy(d->nonce_counts);
	g_string_chunk_free(d->strings);
	g_hmac_unref(d->mac_key);
	memset(d->secret, 0, sizeof(d->secret));
	memset(d->pool, 0, sizeof(d->pool));
	g_free(d->realm);
	g_free(d);
}

void sip_digest_set_clock(struct sip_digest *d, int64_t (*now)(void))
{
	d->now = now ? now : digest_real_now;
}

static GChecksumType digest_type(enum sip_digest_alg alg)
{
	return alg == SIP_DIGEST_SHA256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5;
}

/* H(a:b:c...) of NULL-terminated parts, lowercase hex into @out. */
static void digest_hash(enum sip_digest_alg alg, char out[SIP_DIGEST_HEX_MAX],
			...)
{
	GChecksum *c = g_checksum_new(digest_type(alg));
	const char *part;
	bool first = true;
	va_list ap;

	va_start(ap, out);
	while ((part = va_arg(ap, const char *))) {
		if (!first)
			g_checksum_update(c, (const guchar *)":", 1);
		g_checksum_update(c, (const guchar *)part, (gssize)strlen(part));
		first = false;
	}
	va_end(ap);
	g_strlcpy(out, g_checksum_get_string(c), SIP_DIGEST_HEX_MAX);
	g_checksum_free(c);
}

void sip_digest_ha1(enum sip_digest_alg alg, const char *user,
		    const char *realm, const char *password,
		    char out[SIP_DIGEST_HEX_MAX])
{
	digest_hash(alg, out, user, realm, password, NULL);
}

/* HMAC over timestamp, random part and the source the nonce was issued
 * to: a nonce answered from anywhere else does not verify. */
static void digest_mac(const struct sip_digest *d, const guint8 *data,
		       const char *source, guint8 mac[DIGEST_MAC_LEN])
{
	/* A copy of the keyed state: the key is not padded and hashed in
	 * again for every nonce. */
	GHmac *h = g_hmac_copy(d->mac_key);
	guint8 full[32];
	gsize len = sizeof(full);

	g_hmac_update(h, data, DIGEST_TS_LEN + DIGEST_RAND_LEN);
	g_hmac_update(h, (const guchar *)"\n", 1);
	g_hmac_update(h, (const guchar *)(source ? source : ""), -1);
	g_hmac_get_digest(h, full, &len);
	g_hmac_unref(h);
	memcpy(mac, full, DIGEST_MAC_LEN);
}

/* @len (at most DIGEST_POOL_LEN) bytes of the kernel's CSPRNG output,
 * taken from the pool; each byte is handed out once and then wiped. */
static int digest_pool_take(struct sip_digest *d, guint8 *out, size_t len)
{
	if (d->pool_left < len) {
		int err = digest_random(d->pool, DIGEST_POOL_LEN);
		if (err)
			return err;
		d->pool_left = DIGEST_POOL_LEN;
	}
	d->pool_left -= len;
	memcpy(out, d->pool + d->pool_left, len);
	memset(d->pool + d->pool_left, 0, len);
	return 0;
}

static char *digest_nonce_new(struct sip_digest *d, const char *source)
{
	guint8 raw[DIGEST_NONCE_RAW];
	guint64 ts = (guint64)d->now();
	char *b64;

	for (int i = 0; i < DIGEST_TS_LEN; i++)
		raw[i] = (guint8)(ts >> (8 * (DIGEST_TS_LEN - 1 - i)));
	if (digest_pool_take(d, raw + DIGEST_TS_LEN, DIGEST_RAND_LEN))
		return NULL;
	digest_mac(d, raw, source, raw + DIGEST_TS_LEN + DIGEST_RAND_LEN);
	b64 = g_base64_encode(raw, sizeof(raw));
	g_strdelimit(b64, "+", '-');
	g_strdelimit(b64, "/", '_');
	b64[DIGEST_NONCE_B64] = '\0'; /* drop the '=' pad */
	return b64;
}

/* Decode and authenticate @nonce; its timestamp into *@ts. */
static bool digest_nonce_is_ours(const struct sip_digest *d,
				 const char *nonce, const char *source,
				 int64_t *ts)
{
	char b64[DIGEST_NONCE_B64 + 2];
	guint8 mac[DIGEST_MAC_LEN];
	guint8 *raw;
	gsize len = 0;
	guint64 t = 0;
	guint8 diff = 0;

	if (strlen(nonce) != DIGEST_NONCE_B64 ||
	    strspn(nonce, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789-_") != DIGEST_NONCE_B64)
		return false;
	memcpy(b64, nonce, DIGEST_NONCE_B64);
	b64[DIGEST_NONCE_B64] = '=';
	b64[DIGEST_NONCE_B64 + 1] = '\0';
	g_strdelimit(b64, "-", '+');
	g_strdelimit(b64, "_", '/');
	raw = g_base64_decode(b64, &len);
	if (len != DIGEST_NONCE_RAW) {
		g_free(raw);
		return false;
	}
	digest_mac(d, raw, source, mac);
	for (int i = 0; i < DIGEST_MAC_LEN; i++)
		diff |= mac[i] ^ raw[DIGEST_TS_LEN + DIGEST_RAND_LEN + i];
	for (int i = 0; i < DIGEST_TS_LEN; i++)
		t = (t << 8) | raw[i];
	g_free(raw);
	*ts = (int64_t)t;
	return diff == 0;
}

char *sip_digest_challenge(struct sip_digest *d, enum sip_digest_alg alg,
			   bool stale, const char *source)
{
	g_autofree char *nonce = digest_nonce_new(d, source);

	return g_strdup_printf("Digest realm=\"%s\", nonce=\"%s\", "
			       "algorithm=%s, qop=\"auth\"%s",
			       d->realm, nonce,
			       alg == SIP_DIGEST_SHA256 ? "SHA-256" : "MD5",
			       stale ? ", stale=true" : "");
}

/* A parameter value, unquoted into d->strings; NULL when absent or bad. */
static const char *digest_param(const struct sip_digest *d,
				msg_param_t const *params, const char *name)
{
	const char *v = msg_params_find(params, name);
	GString *s;
	const char *out;

	if (!v)
		return NULL;
	if (*v != '"')
		return g_string_chunk_insert(d->strings, v);
	s = g_string_new(NULL);
	for (v++; *v && *v != '"'; v++) {
		if (*v == '\\' && v[1])
			v++;
		g_string_append_c(s, *v);
	}
	out = *v == '"' && v[1] == '\0'
		      ? g_string_chunk_insert_len(d->strings, s->str,
						  (gssize)s->len)
		      : NULL;
	g_string_free(s, TRUE);
	return out;
}

static enum sip_digest_result
digest_parse(const struct sip_digest *d, msg_param_t const *params,
	     struct sip_digest_credentials *c)
{
	const char *alg = digest_param(d, params, "algorithm");

	memset(c, 0, sizeof(*c));
	if (!alg || su_casematch(alg, "MD5"))
		c->alg = SIP_DIGEST_MD5;
	else if (su_casematch(alg, "SHA-256"))
		c->alg = SIP_DIGEST_SHA256;
	else
		return SIP_DIGEST_MALFORMED;
	c->username = digest_param(d, params, "username");
	c->realm = digest_param(d, params, "realm");
	c->nonce = digest_param(d, params, "nonce");
	c->uri = digest_param(d, params, "uri");
	c->response = digest_param(d, params, "response");
	c->cnonce = digest_param(d, params, "cnonce");
	c->qop = digest_param(d, params, "qop");
	c->nc = digest_param(d, params, "nc");
	/* RFC 2069 (no qop) has no replay protection: we require qop=auth. */
	if (!c->username || !c->realm || !c->nonce || !c->uri ||
	    !c->response || !c->cnonce || !c->qop || !c->nc ||
	    !su_casematch(c->qop, "auth") || strlen(c->nc) != 8 ||
	    strspn(c->nc, "0123456789abcdefABCDEF") != 8)
		return SIP_DIGEST_MALFORMED;
	return SIP_DIGEST_OK;
}

enum sip_digest_result sip_digest_find(const struct sip_digest *d,
				       const msg_auth_t *list,
				       struct sip_digest_credentials *out)
{
	g_string_chunk_clear(d->strings);
	for (const msg_auth_t *au = list; au; au = au->au_next) {
		const char *realm;

		if (!au->au_scheme || !su_casematch(au->au_scheme, "Digest"))
			continue;
		realm = digest_param(d, au->au_params, "realm");
		if (!realm || strcmp(realm, d->realm) != 0)
			continue;
		return digest_parse(d, au->au_params, out);
	}
	return SIP_DIGEST_MISSING;
}

/*
 * Forget nonces that can no longer verify. Keys are queued in the order
 * they were first used, so this looks at expired entries only: a sweep of
 * the whole table on every REGISTER made the cost grow with the load.
 */
static void digest_nc_prune(struct sip_digest *d, int64_t oldest)
{
	const char *key;

	while ((key = g_queue_peek_head(&d->nc_order))) {
		const struct digest_nc *e = g_hash_table_lookup(d->nonce_counts,
								key);
		if (e && e->issued >= oldest)
			break;
		g_queue_pop_head(&d->nc_order);
		g_hash_table_remove(d->nonce_counts, key); /* frees key */
	}
}

/* Constant time in the length of @a (both are hex digests). */
static bool digest_hex_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(g_ascii_tolower(a[i]) ^
					g_ascii_tolower(b[i < lb ? i : 0]));
	return diff == 0;
}

enum sip_digest_result sip_digest_nonce_use(struct sip_digest *d,
					    const struct sip_digest_credentials *c,
					    const char *source)
{
	int64_t now = d->now(), issued, oldest = now - (int64_t)d->ttl;
	struct digest_nc *e;
	guint32 nc;

	digest_nc_prune(d, oldest);
	if (!c->nonce || !c->nc)
		return SIP_DIGEST_MALFORMED;
	if (!digest_nonce_is_ours(d, c->nonce, source, &issued))
		return SIP_DIGEST_BAD_NONCE;
	if (issued < oldest || issued > now + DIGEST_SKEW)
		return SIP_DIGEST_STALE;
	nc = (guint32)g_ascii_strtoull(c->nc, NULL, 16);
	e = g_hash_table_lookup(d->nonce_counts, c->nonce);
	if (e && nc <= e->nc)
		return SIP_DIGEST_REPLAY;
	if (!e) {
		char *key = g_strdup(c->nonce);
		e = g_new0(struct digest_nc, 1);
		e->issued = issued;
		g_hash_table_insert(d->nonce_counts, key, e);
		g_queue_push_tail(&d->nc_order, key);
	}
	e->nc = nc;
	return SIP_DIGEST_OK;
}

bool sip_digest_response_ok(const struct sip_digest_credentials *c,
			    const char *method, const char *ha1)
{
	char ha2[SIP_DIGEST_HEX_MAX], expect[SIP_DIGEST_HEX_MAX];

	if (!c->nonce || !c->nc || !c->response || !c->uri || !c->cnonce ||
	    !c->qop || !method || !ha1)
		return false;
	digest_hash(c->alg, ha2, method, c->uri, NULL);
	digest_hash(c->alg, expect, ha1, c->nonce, c->nc, c->cnonce, c->qop,
		    ha2, NULL);
	return digest_hex_equal(c->response, expect);
}

enum sip_digest_result sip_digest_verify(struct sip_digest *d,
					 const struct sip_digest_credentials *c,
					 const char *method, const char *ha1,
					 const char *source)
{
	enum sip_digest_result r;

	if (!c->nonce || !c->nc || !c->response || !c->uri || !c->cnonce ||
	    !c->qop || !method || !ha1)
		return SIP_DIGEST_MALFORMED;
	r = sip_digest_nonce_use(d, c, source);
	if (r != SIP_DIGEST_OK)
		return r;
	return sip_digest_response_ok(c, method, ha1) ? SIP_DIGEST_OK
						       : SIP_DIGEST_MISMATCH;
}

const char *sip_digest_result_text(enum sip_digest_result r)
{
	static const char *const text[] = {
		[SIP_DIGEST_OK] = "ok",
		[SIP_DIGEST_MISSING] = "no credentials for our realm",
		[SIP_DIGEST_MALFORMED] = "malformed credentials",
		[SIP_DIGEST_STALE] = "nonce expired",
		[SIP_DIGEST_BAD_NONCE] = "nonce not ours",
		[SIP_DIGEST_REPLAY] = "nonce count reused (replay)",
		[SIP_DIGEST_MISMATCH] = "wrong password (digest mismatch)",
	};

	if ((unsigned)r < G_N_ELEMENTS(text) && text[r])
		return text[r];
	return "unknown";
}
