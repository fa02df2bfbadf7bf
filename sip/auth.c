/* sip/auth.c - digest challenges and checks for registrar and proxy. */
#define G_LOG_DOMAIN "ovoz-auth"

#include "auth.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include <sofia-sip/sip_header.h>

#include "sip/ban.h"

struct sip_auth {
	struct sip_auth_config cfg;
	char *realm;
	char **md5_only;
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
}

int sip_auth_new(struct sip_auth **out, const struct sip_auth_config *cfg,
		 struct sip_stack *stack, sip_auth_credentials_h credentials,
		 void *ctx)
{
	struct sip_auth *a;
	struct sip_ban_config bc;
	int err;

	if (!cfg || !cfg->realm || !*cfg->realm || !stack)
		return EINVAL;
	a = g_new0(struct sip_auth, 1);
	a->cfg = *cfg;
	a->realm = g_strdup(cfg->realm);
	a->cfg.realm = a->realm;
	a->md5_only = g_strdupv((char **)cfg->md5_only_user_agents);
	a->cfg.md5_only_user_agents = NULL;
	if (!a->cfg.nonce_ttl)
		a->cfg.nonce_ttl = 300;
	if (a->cfg.n_algs == 0 || a->cfg.n_algs > 2) {
		a->cfg.algs[0] = SIP_DIGEST_MD5;
		a->cfg.n_algs = 1;
	}
	a->stack = stack;
	a->credentials = credentials;
	a->ctx = ctx;
	a->clock = auth_wall_clock;
	bc.max_failures = cfg->ban_failures ? cfg->ban_failures : 5;
	bc.window = cfg->ban_window ? cfg->ban_window : 60;
	bc.ban_time = cfg->ban_time ? cfg->ban_time : 300;
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
					    bool proxy, bool stale,
					    struct sip_auth_result *res,
					    enum sip_auth_verdict v,
					    const char *detail)
{
	g_autofree char *ua = sip_message_header_text(req->msg, "User-Agent");
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
		values[i] = sip_digest_challenge(a->digest, algs[i], stale);
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
				  "nonce not issued by this server "
				  "(restart?), re-challenged"},
	[SIP_DIGEST_REPLAY] = {SIP_AUTH_NONCE_REPLAY, false,
			       "nonce count reused (replay?), re-challenged"},
};

#define AUTH_FORBIDDEN "Forbidden - wrong extension or password"

enum sip_auth_verdict sip_auth_check(struct sip_auth *a,
				     const struct sip_request *req,
				     const char *user, bool proxy,
				     struct sip_auth_result *res)
{
	sip_t *sip = sip_message_sip(req->msg);
	struct sip_digest_credentials cred;
	char ha1_md5[SIP_DIGEST_HEX_MAX] = "", ha1_sha[SIP_DIGEST_HEX_MAX] = "";
	char ip[SIP_ADDR_STRLEN];
	enum sip_digest_result dr;
	int64_t now = a->clock();
	int err;

	sip_addr_host(&req->src, ip, sizeof(ip));
	if (sip_ban_is_banned(a->ban, ip, user, now))
		return auth_refuse(a, req, res, SIP_AUTH_BANNED, 403,
				   "Forbidden - too many failed attempts, "
				   "retry later",
				   "refused: too many failed attempts from "
				   "this source");
	dr = sip_digest_find(a->digest,
			     proxy ? sip->sip_proxy_authorization
				   : sip->sip_authorization,
			     &cred);
	if (dr == SIP_DIGEST_MISSING)
		return auth_challenge(a, req, proxy, false, res,
				      SIP_AUTH_CHALLENGED, "challenge sent");
	if (dr != SIP_DIGEST_OK)
		return auth_refuse(a, req, res, SIP_AUTH_BAD_CREDENTIALS, 400,
				   "Bad Request - malformed Authorization",
				   "malformed Authorization header");
	if (strcmp(cred.username, user) != 0) {
		a->failures++;
		sip_ban_failure(a->ban, ip, user, true, now);
		return auth_refuse(a, req, res, SIP_AUTH_USERNAME_MISMATCH, 403,
				   proxy ? "Forbidden - auth username does not "
					   "match From"
					 : "Forbidden - auth username does not "
					   "match To",
				   "authentication username differs from the "
				   "extension");
	}
	err = a->credentials ? a->credentials(a->ctx, user, ha1_md5, ha1_sha)
			     : ENOENT;
	if (err) {
		a->failures++;
		sip_ban_failure(a->ban, ip, user, false, now);
		if (err != ENOENT)
			return auth_refuse(a, req, res, SIP_AUTH_ERROR, 500,
					   "Server Internal Error",
					   "credentials lookup failed");
		return auth_refuse(a, req, res, SIP_AUTH_UNKNOWN_USER, 403,
				   AUTH_FORBIDDEN, "unknown extension");
	}
	dr = sip_digest_verify(a->digest, &cred,
			       sip_message_method(req->msg),
			       cred.alg == SIP_DIGEST_SHA256 ? ha1_sha
							     : ha1_md5);
	if ((unsigned)dr < G_N_ELEMENTS(auth_rechallenge) &&
	    auth_rechallenge[dr].detail)
		return auth_challenge(a, req, proxy, auth_rechallenge[dr].stale,
				      res, auth_rechallenge[dr].verdict,
				      auth_rechallenge[dr].detail);
	if (dr == SIP_DIGEST_MISMATCH) {
		a->failures++;
		sip_ban_failure(a->ban, ip, user, true, now);
		return auth_refuse(a, req, res, SIP_AUTH_WRONG_PASSWORD, 403,
				   AUTH_FORBIDDEN,
				   "wrong password (digest mismatch)");
	}
	if (dr != SIP_DIGEST_OK)
		return auth_refuse(a, req, res, SIP_AUTH_BAD_CREDENTIALS, 400,
				   "Bad Request - malformed Authorization",
				   sip_digest_result_text(dr));
	sip_ban_success(a->ban, ip, user, now);
	return auth_done(res, SIP_AUTH_OK, 0, "authenticated");
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
