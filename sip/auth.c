/* sip/auth.c - digest challenges and checks for registrar and proxy. */
#define G_LOG_DOMAIN "ovoz-auth"

#include "auth.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>

#include "sip/ban.h"
#include "sip/ephemeral.h"

struct sip_auth {
	struct sip_auth_config cfg;
	char *realm;
	char **md5_only;
	char *ephemeral_secret; /* NULL: off */
	struct sip_stack *stack;
	sip_auth_credentials_h credentials;
	void *ctx;
	struct sip_digest *digest;
	struct sip_ban *ban;
	uint64_t failures;
	int64_t (*clock)(void);
};

static int64_t auth_wall_clock(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

void sip_auth_set_clock(struct sip_auth *a, int64_t (*now)(void))
{
	a->clock = now ? now : auth_wall_clock;
	sip_digest_set_clock(a->digest, now);
}

int sip_auth_new(struct sip_auth **out, const struct sip_auth_config *cfg,
		 struct sip_stack *stack, sip_auth_credentials_h credentials,
		 void *ctx)
{
	struct sip_auth *a;
	struct sip_ban_config bc;
	int err;

	if (!cfg || !cfg->realm || !*cfg->realm || !stack || !cfg->nonce_ttl ||
	    cfg->n_algs == 0 || cfg->n_algs > 2)
		return EINVAL;
	bc = (struct sip_ban_config){
		.max_failures = cfg->ban_failures,
		.window = cfg->ban_window,
		.ban_time = cfg->ban_time,
		.trust_time = cfg->trust_time,
	};
	a = g_new0(struct sip_auth, 1);
	a->cfg = *cfg;
	a->realm = g_strdup(cfg->realm);
	a->cfg.realm = a->realm;
	a->md5_only = g_strdupv((char **)cfg->md5_only_user_agents);
	a->cfg.md5_only_user_agents = NULL;
	if (cfg->ephemeral_secret && *cfg->ephemeral_secret)
		a->ephemeral_secret = g_strdup(cfg->ephemeral_secret);
	a->cfg.ephemeral_secret = NULL;
	a->stack = stack;
	a->credentials = credentials;
	a->ctx = ctx;
	a->clock = auth_wall_clock;
	err = sip_digest_new(&a->digest, a->realm, a->cfg.nonce_ttl);
	if (!err)
		err = sip_ban_new(&a->ban, &bc);
	if (err) {
		sip_auth_free(a);
		return err;
	}
	*out = a;
	return 0;
}

void sip_auth_free(struct sip_auth *a)
{
	if (!a)
		return;
	sip_ban_free(a->ban);
	sip_digest_free(a->digest);
	g_strfreev(a->md5_only);
	if (a->ephemeral_secret)
		memset(a->ephemeral_secret, 0, strlen(a->ephemeral_secret));
	g_free(a->ephemeral_secret);
	g_free(a->realm);
	g_free(a);
}

static enum sip_auth_verdict auth_done(struct sip_auth_result *res,
				       enum sip_auth_verdict v, int status,
				       const char *detail)
{
	res->verdict = v;
	res->status = status;
	res->detail = detail;
	return v;
}

static enum sip_auth_verdict auth_refuse(struct sip_auth *a,
					 const struct sip_request *req,
					 struct sip_auth_result *res,
					 enum sip_auth_verdict v, int status,
					 const char *reason, const char *detail)
{
	sip_stack_reply(a->stack, req, status, reason, NULL);
	return auth_done(res, v, status, detail);
}

/* RFC 8760: one challenge per algorithm, in the configured order. */
static enum sip_auth_verdict auth_challenge(struct sip_auth *a,
					    const struct sip_request *req,
					    const char *bind,
					    bool proxy, bool stale,
					    struct sip_auth_result *res,
					    enum sip_auth_verdict v,
					    const char *detail)
{
	/* Only an opt-in list needs the User-Agent (most have none). */
	g_autofree char *ua = a->md5_only && *a->md5_only
		? sip_message_header_text(req->msg, "User-Agent") : NULL;
	char *values[2] = {NULL, NULL};
	const char *hdrs[5] = {NULL};
	const char *name = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	enum sip_digest_alg md5 = SIP_DIGEST_MD5;
	const enum sip_digest_alg *algs = a->cfg.algs;
	unsigned n = a->cfg.n_algs;
	int status = proxy ? 407 : 401;

	for (char **p = a->md5_only; p && *p && ua; p++)
		if (**p && g_ascii_strncasecmp(ua, *p, strlen(*p)) == 0) {
			algs = &md5;
			n = 1;
		}
	for (unsigned i = 0; i < n; i++) {
		values[i] = sip_digest_challenge(a->digest, algs[i], stale,
						 bind);
		hdrs[2 * i] = name;
		hdrs[2 * i + 1] = values[i];
	}
	sip_stack_reply(a->stack, req, status,
			proxy ? "Proxy Authentication Required"
			      : "Unauthorized",
			hdrs);
	g_free(values[0]);
	g_free(values[1]);
	return auth_done(res, v, status, detail);
}

/* Digest outcomes that end in a fresh challenge, and what they mean. */
static const struct {
	enum sip_auth_verdict verdict;
	bool stale;
	const char *detail;
} auth_rechallenge[] = {
	[SIP_DIGEST_STALE] = {SIP_AUTH_STALE_NONCE, true,
			      "nonce expired, re-challenged"},
	[SIP_DIGEST_BAD_NONCE] = {SIP_AUTH_BAD_NONCE, false,
				  "nonce not issued by this server to this "
				  "source (restart? forged?), re-challenged"},
	[SIP_DIGEST_REPLAY] = {SIP_AUTH_NONCE_REPLAY, false,
			       "nonce count reused (replay?), re-challenged"},
};

#define AUTH_FORBIDDEN "Forbidden - wrong extension or password"

/* Who sent @req: the source bans count on, and the text its nonces are
 * bound to (the IP for UDP, the flow for a WebSocket). */
struct auth_source {
	char source[SIP_ADDR_STRLEN];
	char address[SIP_ADDR_STRLEN];
	char bind[SIP_ADDR_STRLEN + 8];
	struct sip_ban_source ban;
};

static void auth_source_of(const struct sip_request *req,
			   struct auth_source *s)
{
	sip_addr_host(&req->src, s->address, sizeof(s->address));
	if (req->tp && sip_transport_is_flow(req->tp)) {
		g_strlcpy(s->source, sip_transport_id(req->tp),
			  sizeof(s->source));
		g_snprintf(s->bind, sizeof(s->bind), "flow:%s", s->source);
	} else {
		sip_addr_format(&req->src, s->source, sizeof(s->source));
		g_snprintf(s->bind, sizeof(s->bind), "ip:%s", s->address);
	}
	s->ban.source = s->source;
	s->ban.address = s->address;
}

static const char *auth_ban_what(const struct sip_ban_info *b)
{
	switch (b->scope) {
	case SIP_BAN_SOURCE_EXTENSION:
		return "this source for this extension";
	case SIP_BAN_SOURCE:
		return "this source";
	case SIP_BAN_ADDRESS:
		break;
	}
	return "this address";
}

/* A verified failure: count it, and refuse with @reason. */
static enum sip_auth_verdict auth_fail(struct sip_auth *a,
				       const struct sip_request *req,
				       const struct auth_source *src,
				       const char *user,
				       enum sip_ban_failure_kind kind,
				       struct sip_auth_result *res,
				       enum sip_auth_verdict v,
				       const char *reason, const char *detail)
{
	struct sip_ban_info ban;

	a->failures++;
	if (!sip_ban_failure(a->ban, &src->ban, user, kind, a->clock(), &ban))
		return auth_refuse(a, req, res, v, 403, reason, detail);
	g_snprintf(res->text, sizeof(res->text),
		   "%s; ban #%" G_GUINT64_FORMAT " refuses %s for %" G_GINT64_FORMAT
		   " s (%s)",
		   detail, ban.id, auth_ban_what(&ban), ban.until - ban.since,
		   ban.reason);
	return auth_refuse(a, req, res, v, 403, reason, res->text);
}

static enum sip_auth_verdict auth_banned(struct sip_auth *a,
					 const struct sip_request *req,
					 const struct sip_ban_info *ban,
					 struct sip_auth_result *res)
{
	g_snprintf(res->text, sizeof(res->text),
		   "refused by ban #%" G_GUINT64_FORMAT " on %s for %"
		   G_GINT64_FORMAT " more s: %s",
		   ban->id, auth_ban_what(ban), ban->until - a->clock(),
		   ban->reason);
	return auth_refuse(a, req, res, SIP_AUTH_BANNED, 403,
			   "Forbidden - too many failed attempts, retry later",
			   res->text);
}

/* The credentials' nonce: fresh, issued to this source, count unused. */
static enum sip_auth_verdict auth_nonce(struct sip_auth *a,
					const struct sip_request *req,
					const struct auth_source *src,
					const struct sip_digest_credentials *c,
					bool proxy, struct sip_auth_result *res)
{
	enum sip_digest_result dr = sip_digest_nonce_use(a->digest, c,
							 src->bind);

	if (dr == SIP_DIGEST_OK)
		return SIP_AUTH_OK;
	if ((unsigned)dr < G_N_ELEMENTS(auth_rechallenge) &&
	    auth_rechallenge[dr].detail)
		return auth_challenge(a, req, src->bind, proxy,
				      auth_rechallenge[dr].stale, res,
				      auth_rechallenge[dr].verdict,
				      auth_rechallenge[dr].detail);
	return auth_refuse(a, req, res, SIP_AUTH_BAD_CREDENTIALS, 400,
			   "Bad Request - malformed Authorization",
			   sip_digest_result_text(dr));
}

/* True when @username is an ephemeral credential for @user and ephemeral
 * credentials are on; *@expiry gets its expiry. */
static bool auth_is_ephemeral(const struct sip_auth *a, const char *username,
			      const char *user, int64_t *expiry)
{
	const char *ext;

	return a->ephemeral_secret &&
	       sip_ephemeral_parse(username, expiry, &ext) &&
	       strcmp(ext, user) == 0;
}

/*
 * The HA1s of an ephemeral credential, made on the fly from the minted
 * password. An expired one is refused without counting toward a ban: it
 * is an old web phone tab, not a guess.
 */
static enum sip_auth_verdict auth_ephemeral_ha1(struct sip_auth *a,
						const struct sip_request *req,
						const char *username,
						int64_t expiry,
						char *ha1_md5, char *ha1_sha,
						struct sip_auth_result *res)
{
	char pw[SIP_EPHEMERAL_PASSWORD_MAX];
	int64_t now = a->clock();

	if (expiry <= now) {
		g_snprintf(res->text, sizeof(res->text),
			   "credential_expired: ephemeral credential expired "
			   "%" G_GINT64_FORMAT " s ago",
			   now - expiry);
		return auth_refuse(a, req, res, SIP_AUTH_CREDENTIAL_EXPIRED, 403,
				   "Forbidden - credential expired",
				   res->text);
	}
	sip_ephemeral_password(a->ephemeral_secret, username, pw);
	sip_digest_ha1(SIP_DIGEST_MD5, username, a->realm, pw, ha1_md5);
	sip_digest_ha1(SIP_DIGEST_SHA256, username, a->realm, pw, ha1_sha);
	memset(pw, 0, sizeof(pw));
	return SIP_AUTH_OK;
}

enum sip_auth_verdict sip_auth_check(struct sip_auth *a,
				     const struct sip_request *req,
				     const char *user, bool proxy,
				     struct sip_auth_result *res)
{
	sip_t *sip = sip_message_sip(req->msg);
	struct sip_digest_credentials cred;
	char ha1_md5[SIP_DIGEST_HEX_MAX] = "", ha1_sha[SIP_DIGEST_HEX_MAX] = "";
	struct auth_source src;
	struct sip_ban_info ban;
	enum sip_digest_result dr;
	int64_t expiry = 0;
	bool ephemeral;
	int err;

	auth_source_of(req, &src);
	if (sip_ban_check(a->ban, &src.ban, user, a->clock(), &ban))
		return auth_banned(a, req, &ban, res);
	dr = sip_digest_find(a->digest,
			     proxy ? sip->sip_proxy_authorization
				   : sip->sip_authorization,
			     &cred);
	if (dr == SIP_DIGEST_MISSING)
		return auth_challenge(a, req, src.bind, proxy, false, res,
				      SIP_AUTH_CHALLENGED, "challenge sent");
	if (dr != SIP_DIGEST_OK)
		return auth_refuse(a, req, res, SIP_AUTH_BAD_CREDENTIALS, 400,
				   "Bad Request - malformed Authorization",
				   "malformed Authorization header");
	/* Nothing counts before the nonce proves the answer came from the
	 * source we challenged. */
	if (auth_nonce(a, req, &src, &cred, proxy, res) != SIP_AUTH_OK)
		return res->verdict;
	ephemeral = auth_is_ephemeral(a, cred.username, user, &expiry);
	if (!ephemeral && strcmp(cred.username, user) != 0)
		return auth_fail(a, req, &src, user, SIP_BAN_UNKNOWN_EXTENSION,
				 res, SIP_AUTH_USERNAME_MISMATCH,
				 proxy ? "Forbidden - auth username does not "
					 "match From"
				       : "Forbidden - auth username does not "
					 "match To",
				 "authentication username differs from the "
				 "extension");
	err = a->credentials ? a->credentials(a->ctx, user, ha1_md5, ha1_sha)
			     : ENOENT;
	if (err == ENOENT)
		return auth_fail(a, req, &src, user, SIP_BAN_UNKNOWN_EXTENSION,
				 res, SIP_AUTH_UNKNOWN_USER, AUTH_FORBIDDEN,
				 "unknown extension");
	if (err)
		return auth_refuse(a, req, res, SIP_AUTH_ERROR, 500,
				   "Server Internal Error",
				   "credentials lookup failed");
	if (ephemeral &&
	    auth_ephemeral_ha1(a, req, cred.username, expiry, ha1_md5,
			       ha1_sha, res) != SIP_AUTH_OK)
		return res->verdict;
	if (!sip_digest_response_ok(&cred, sip_message_method(req->msg),
				    cred.alg == SIP_DIGEST_SHA256 ? ha1_sha
								  : ha1_md5))
		return auth_fail(a, req, &src, user, SIP_BAN_WRONG_PASSWORD,
				 res, SIP_AUTH_WRONG_PASSWORD, AUTH_FORBIDDEN,
				 "wrong password (digest mismatch)");
	sip_ban_success(a->ban, &src.ban, user, a->clock());
	return auth_done(res, SIP_AUTH_OK, 0, "authenticated");
}

void sip_auth_bans_foreach(struct sip_auth *a, sip_ban_h fn, void *arg)
{
	sip_ban_foreach(a->ban, a->clock(), fn, arg);
}

int sip_auth_ban_lift(struct sip_auth *a, uint64_t id)
{
	return sip_ban_lift(a->ban, id, a->clock());
}

uint64_t sip_auth_failures(const struct sip_auth *a)
{
	return a->failures;
}

uint64_t sip_auth_bans(const struct sip_auth *a)
{
	return sip_ban_count(a->ban);
}

unsigned sip_auth_bans_active(struct sip_auth *a)
{
	return sip_ban_active(a->ban, a->clock());
}

void sip_auth_prune(struct sip_auth *a)
{
	sip_ban_prune(a->ban, a->clock());
}
