/* sip/registrar.c - REGISTER processing: authentication, domains, contacts
 * and the reply; the table of bindings is sip/registrar_table.c. */
#define G_LOG_DOMAIN "ovoz-registrar"

#include "registrar_private.h"
#include "log.h"
#include "ephemeral.h"

#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>


/* What one REGISTER is about; filled as it is processed. */
struct reg_job {
	struct sip_registrar *r;
	const struct sip_request *req;
	const char *user;
	char source[SIP_ADDR_STRLEN];
	const char *transport;
	char *user_agent;
	char *path; /* the REGISTER's Path (RFC 3327), or NULL */
	bool refresh; /* a plain refresh (see struct sip_reg_attempt) */
};

static const char *const outcome_names[] = {
	[SIP_REG_REGISTERED] = "registered",
	[SIP_REG_UNREGISTERED] = "unregistered",
	[SIP_REG_QUERIED] = "queried",
	[SIP_REG_CHALLENGED] = "challenged",
	[SIP_REG_STALE_NONCE] = "stale_nonce",
	[SIP_REG_BAD_NONCE] = "bad_nonce",
	[SIP_REG_NONCE_REPLAY] = "nonce_replay",
	[SIP_REG_WRONG_PASSWORD] = "wrong_password",
	[SIP_REG_UNKNOWN_EXTENSION] = "unknown_extension",
	[SIP_REG_USERNAME_MISMATCH] = "username_mismatch",
	[SIP_REG_BAD_CREDENTIALS] = "bad_credentials",
	[SIP_REG_INTERVAL_TOO_BRIEF] = "interval_too_brief",
	[SIP_REG_BAD_CONTACT] = "bad_contact",
	[SIP_REG_BANNED] = "banned",
	[SIP_REG_OUT_OF_ORDER] = "out_of_order",
	[SIP_REG_FOREIGN_DOMAIN] = "foreign_domain",
	[SIP_REG_ERROR] = "error",
	[SIP_REG_CREDENTIAL_EXPIRED] = "credential_expired",
};

const char *sip_reg_outcome_name(enum sip_reg_outcome o)
{
	if ((unsigned)o >= G_N_ELEMENTS(outcome_names))
		return "error";
	return outcome_names[o];
}

static int64_t registrar_wall_clock(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

int64_t reg_now(const struct sip_registrar *r)
{
	return r->clock();
}

void sip_registrar_set_clock(struct sip_registrar *r, int64_t (*now)(void))
{
	r->clock = now ? now : registrar_wall_clock;
}

/* ---- replies and the attempts log ---- */

static void reg_log(struct reg_job *job, enum sip_reg_outcome outcome,
		    int status, const char *detail)
{
	struct sip_registrar *r = job->r;
	struct sip_reg_attempt a = {
		.user = job->user,
		.source = job->source,
		.transport = job->transport,
		.user_agent = job->user_agent,
		.outcome = outcome,
		.status = status,
		.detail = detail,
		.refresh = job->refresh,
	};

	if (sip_log_enabled(G_LOG_LEVEL_MESSAGE)) {
		g_autofree char *user = sip_log_escape(job->user,
						       SIP_LOG_FIELD_MAX);
		g_autofree char *ua = sip_log_escape(job->user_agent,
						     SIP_LOG_FIELD_MAX);

		g_autofree char *text = sip_log_escape(detail,
						       SIP_LOG_TEXT_MAX);

		g_message("REGISTER %s from %s (%s%s%s): %d %s",
			  *user ? user : "(no user)", job->source,
			  job->transport, ua ? ", " : "", ua ? ua : "",
			  status, text ? text : "");
	}
	if (r->hooks.attempt)
		r->hooks.attempt(r->ctx, &a);
}

static void reg_fail(struct reg_job *job, enum sip_reg_outcome outcome,
		     int status, const char *reason, const char *detail)
{
	sip_stack_reply(job->r->stack, job->req, status, reason, NULL);
	reg_log(job, outcome, status, detail);
}

/* ---- contacts ---- */

static unsigned reg_contact_expires(const struct sip_registrar *r,
				    const sip_contact_t *m,
				    const sip_expires_t *ex)
{
	unsigned long v;

	if (m->m_expires) {
		char *end;
		errno = 0;
		v = strtoul(m->m_expires, &end, 10);
		if (errno || *end || end == m->m_expires)
			v = 0xffffffffUL; /* absurd: clamp below */
	} else if (ex) {
		v = ex->ex_delta;
	} else {
		v = r->cfg.default_expires;
	}
	if (v > r->cfg.max_expires)
		v = r->cfg.max_expires;
	return (unsigned)v;
}

/* Contact text to store and echo: everything but expires. */
char *reg_contact_text(su_home_t *home, const sip_contact_t *m,
		       char **uri_out, char **instance_out)
{
	sip_contact_t *c = (sip_contact_t *)msg_header_dup_one(
		home, (const msg_header_t *)m);
	const char *inst;
	char *text, *uri;

	if (!c)
		return NULL;
	msg_header_remove_param(c->m_common, "expires");
	text = sip_message_field_text((const msg_header_t *)c);
	uri = url_as_string(home, c->m_url);
	if (!text || !uri) {
		g_free(text);
		return NULL;
	}
	inst = msg_params_find(c->m_params, "+sip.instance");
	*uri_out = g_strdup(uri);
	*instance_out = inst ? g_strdup(inst) : NULL;
	return text;
}

/* The REGISTER's Path list as one header value, or NULL (RFC 3327). */
static char *reg_path_text(const sip_t *sip)
{
	GString *s = NULL;

	for (const sip_path_t *p = sip->sip_path; p; p = p->r_next) {
		g_autofree char *one = sip_message_field_text(
			(const msg_header_t *)p);
		if (!s)
			s = g_string_new(NULL);
		else
			g_string_append(s, ", ");
		g_string_append(s, one ? one : "");
	}
	return s ? g_string_free(s, FALSE) : NULL;
}

static void reg_reply_ok(struct reg_job *job)
{
	struct sip_registrar *r = job->r;
	GPtrArray *list = reg_bindings(r, job->user, false);
	struct sip_message *resp = NULL;
	int64_t now = reg_now(r);

	if (sip_message_new_reply(&resp, job->req->msg, 200, "OK", NULL))
		return;
	for (guint i = 0; list && i < list->len; i++) {
		const struct sip_binding *b = g_ptr_array_index(list, i);
		int64_t left = b->expires_at - now;
		g_autofree char *v = g_strdup_printf(
			"%s;expires=%" G_GINT64_FORMAT, b->contact,
			left > 0 ? left : 0);
		sip_message_add_header(resp, "Contact", v);
	}
	/* RFC 3327 5.3: the registrar echoes the Path it stored. */
	if (job->path)
		sip_message_add_header(resp, "Path", job->path);
	sip_stack_send_reply(r->stack, job->req, resp);
	sip_message_unref(resp);
}

/* One parsed Contact, checked before anything changes. */
struct reg_update {
	char *contact;
	char *uri;
	char *instance;
	unsigned expires;
};

static void reg_update_clear(struct reg_update *u)
{
	g_free(u->contact);
	g_free(u->uri);
	g_free(u->instance);
}

/* @b, made by a REGISTER in this process, would be left as it is by @u
 * from @job apart from its expiry time. */
static bool reg_unchanged(const struct reg_job *job,
			  const struct sip_binding *b,
			  const struct reg_update *u)
{
	const sip_t *sip = sip_message_sip(job->req->msg);
	struct sip_transport *tp = job->req->tp;

	return b->interval && u->expires == b->interval &&
	       sip->sip_call_id && strcmp(b->call_id, sip->sip_call_id->i_id) == 0 &&
	       strcmp(b->contact, u->contact) == 0 &&
	       g_strcmp0(b->instance, u->instance) == 0 &&
	       strcmp(b->source, job->source) == 0 &&
	       g_strcmp0(b->user_agent, job->user_agent) == 0 &&
	       g_strcmp0(b->path, job->path) == 0 &&
	       b->transport == sip_transport_kind(tp) &&
	       b->flow == (sip_transport_is_flow(tp) ? tp : NULL);
}

/* Every update renews a binding it leaves unchanged (see reg_unchanged). */
static bool reg_all_unchanged(const struct reg_job *job, GPtrArray *list,
			      const struct reg_update *ups, guint n)
{
	for (guint i = 0; i < n; i++) {
		int k = ups[i].expires ? reg_find(list, ups[i].uri,
						  ups[i].instance)
				       : -1;
		if (k < 0 || !reg_unchanged(job, g_ptr_array_index(list, k),
					    &ups[i]))
			return false;
	}
	return n > 0;
}

/*
 * Would this (unauthenticated) REGISTER be a plain refresh? Asked when it
 * is challenged, so that the challenge of a refresh is not stored either.
 */
static bool reg_would_refresh(struct reg_job *job)
{
	sip_t *sip = sip_message_sip(job->req->msg);
	GPtrArray *list = reg_bindings(job->r, job->user, false);
	su_home_t home[1] = {SU_HOME_INIT(home)};
	bool same = list && sip->sip_contact;

	for (const sip_contact_t *m = sip->sip_contact; same && m;
	     m = m->m_next) {
		struct reg_update u = {0};

		if (m->m_url->url_type == url_any) {
			same = false;
			break;
		}
		u.expires = reg_contact_expires(job->r, m, sip->sip_expires);
		u.contact = reg_contact_text(home, m, &u.uri, &u.instance);
		same = u.contact && reg_all_unchanged(job, list, &u, 1);
		reg_update_clear(&u);
	}
	su_home_deinit(home);
	return same;
}

static void reg_apply(struct reg_job *job, struct reg_update *u)
{
	struct sip_registrar *r = job->r;
	sip_t *sip = sip_message_sip(job->req->msg);
	GPtrArray *list = reg_bindings(r, job->user, true);
	int i = reg_find(list, u->uri, u->instance);
	struct sip_binding *b;
	bool fresh = i < 0;

	if (u->expires == 0) {
		if (i >= 0)
			reg_remove_at(r, list, (guint)i);
		return;
	}
	if (fresh) {
		/* Full: the binding closest to expiry makes room. */
		if (list->len >= r->cfg.max_contacts) {
			guint oldest = 0;
			for (guint k = 1; k < list->len; k++) {
				struct sip_binding *x = g_ptr_array_index(list, k);
				struct sip_binding *o = g_ptr_array_index(list, oldest);
				if (x->expires_at < o->expires_at)
					oldest = k;
			}
			reg_remove_at(r, list, oldest);
		}
		b = g_new0(struct sip_binding, 1);
		b->user = g_strdup(job->user);
		g_ptr_array_add(list, b);
	} else {
		b = g_ptr_array_index(list, i);
		g_free(b->contact);
		g_free(b->uri);
		g_free(b->instance);
		g_free(b->path);
		g_free(b->source);
		g_free(b->user_agent);
		g_free(b->call_id);
		g_clear_pointer(&b->flow, sip_transport_unref);
	}
	b->contact = g_steal_pointer(&u->contact);
	b->uri = g_steal_pointer(&u->uri);
	b->instance = g_steal_pointer(&u->instance);
	b->path = g_strdup(job->path);
	b->source = g_strdup(job->source);
	b->user_agent = g_strdup(job->user_agent);
	b->call_id = g_strdup(sip->sip_call_id ? sip->sip_call_id->i_id : "");
	b->cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
	b->expires_at = reg_now(r) + u->expires;
	b->interval = u->expires;
	b->transport = sip_transport_kind(job->req->tp);
	b->addr = job->req->src;
	if (sip_transport_is_flow(job->req->tp))
		b->flow = sip_transport_ref(job->req->tp);
	reg_emit(r, b, fresh ? SIP_BINDING_ADDED : SIP_BINDING_REFRESHED);
}

/* RFC 3261 10.3 steps 6-8 for an authenticated REGISTER. */
static void reg_update_bindings(struct reg_job *job)
{
	struct sip_registrar *r = job->r;
	sip_t *sip = sip_message_sip(job->req->msg);
	const sip_contact_t *m;
	GArray *updates;
	su_home_t home[1] = {SU_HOME_INIT(home)};
	unsigned n = 0, removed = 0, max_exp = 0;

	if (!sip->sip_contact) {
		reg_reply_ok(job);
		reg_log(job, SIP_REG_QUERIED, 200, "bindings queried");
		return;
	}
	if (sip->sip_contact->m_url->url_type == url_any) {
		if (sip->sip_contact->m_next || !sip->sip_expires ||
		    sip->sip_expires->ex_delta != 0) {
			reg_fail(job, SIP_REG_BAD_CONTACT, 400,
				 "Bad Request - '*' needs Expires: 0",
				 "'Contact: *' without Expires: 0");
			return;
		}
		sip_registrar_remove_user(r, job->user);
		reg_reply_ok(job);
		reg_log(job, SIP_REG_UNREGISTERED, 200,
			"unregistered all contacts");
		return;
	}

	updates = g_array_new(FALSE, TRUE, sizeof(struct reg_update));
	g_array_set_clear_func(updates, (GDestroyNotify)reg_update_clear);
	for (m = sip->sip_contact; m; m = m->m_next) {
		struct reg_update u = {0};
		if (m->m_url->url_type == url_any) {
			reg_fail(job, SIP_REG_BAD_CONTACT, 400,
				 "Bad Request - '*' mixed with contacts",
				 "'Contact: *' mixed with other contacts");
			goto out;
		}
		u.expires = reg_contact_expires(r, m, sip->sip_expires);
		if (u.expires && u.expires < r->cfg.min_expires) {
			g_autofree char *min = g_strdup_printf(
				"%u", r->cfg.min_expires);
			g_autofree char *detail = g_strdup_printf(
				"interval %u s below the minimum %u s",
				u.expires, r->cfg.min_expires);
			const char *hdrs[] = {"Min-Expires", min, NULL};
			sip_stack_reply(r->stack, job->req, 423,
					"Interval Too Brief", hdrs);
			reg_log(job, SIP_REG_INTERVAL_TOO_BRIEF, 423, detail);
			goto out;
		}
		u.contact = reg_contact_text(home, m, &u.uri, &u.instance);
		if (!u.contact) {
			reg_fail(job, SIP_REG_BAD_CONTACT, 400,
				 "Bad Request - unusable Contact",
				 "unusable Contact");
			goto out;
		}
		g_array_append_val(updates, u);
	}

	/* RFC 3261 10.3 step 7: an older REGISTER of the same Call-ID must
	 * not undo a newer one. Equal CSeq is a retransmission: harmless. */
	GPtrArray *list = reg_bindings(r, job->user, false);
	for (guint i = 0; i < updates->len; i++) {
		struct reg_update *u = &g_array_index(updates, struct reg_update, i);
		int k = reg_find(list, u->uri, u->instance);
		const struct sip_binding *b = k >= 0 ? g_ptr_array_index(list, k) : NULL;
		if (b && sip->sip_call_id && sip->sip_cseq &&
		    strcmp(b->call_id, sip->sip_call_id->i_id) == 0 &&
		    sip->sip_cseq->cs_seq < b->cseq) {
			reg_fail(job, SIP_REG_OUT_OF_ORDER, 500,
				 "Server Internal Error - out-of-order REGISTER",
				 "out-of-order REGISTER (older CSeq) ignored");
			goto out;
		}
	}

	job->refresh = reg_all_unchanged(job, list,
					 &g_array_index(updates,
							struct reg_update, 0),
					 updates->len);
	for (guint i = 0; i < updates->len; i++) {
		struct reg_update *u = &g_array_index(updates, struct reg_update, i);
		if (u->expires == 0)
			removed++;
		else
			n++;
		if (u->expires > max_exp)
			max_exp = u->expires;
		reg_apply(job, u);
	}
	reg_reply_ok(job);
	reg_drop_empty(r, job->user);
	{
		g_autofree char *detail = n
			? g_strdup_printf("registered for %u s (%u contact%s)",
					  max_exp, n, n == 1 ? "" : "s")
			: g_strdup_printf("unregistered %u contact%s", removed,
					  removed == 1 ? "" : "s");
		reg_log(job, n ? SIP_REG_REGISTERED : SIP_REG_UNREGISTERED, 200,
			detail);
	}
out:
	g_array_unref(updates);
	su_home_deinit(home);
}

/* Authentication verdicts as attempt outcomes. */
static const enum sip_reg_outcome reg_auth_outcome[] = {
	[SIP_AUTH_OK] = SIP_REG_REGISTERED,
	[SIP_AUTH_CHALLENGED] = SIP_REG_CHALLENGED,
	[SIP_AUTH_STALE_NONCE] = SIP_REG_STALE_NONCE,
	[SIP_AUTH_BAD_NONCE] = SIP_REG_BAD_NONCE,
	[SIP_AUTH_NONCE_REPLAY] = SIP_REG_NONCE_REPLAY,
	[SIP_AUTH_WRONG_PASSWORD] = SIP_REG_WRONG_PASSWORD,
	[SIP_AUTH_UNKNOWN_USER] = SIP_REG_UNKNOWN_EXTENSION,
	[SIP_AUTH_USERNAME_MISMATCH] = SIP_REG_USERNAME_MISMATCH,
	[SIP_AUTH_BAD_CREDENTIALS] = SIP_REG_BAD_CREDENTIALS,
	[SIP_AUTH_BANNED] = SIP_REG_BANNED,
	[SIP_AUTH_ERROR] = SIP_REG_ERROR,
	[SIP_AUTH_CREDENTIAL_EXPIRED] = SIP_REG_CREDENTIAL_EXPIRED,
};

static void reg_authenticate(struct reg_job *job)
{
	struct sip_auth_result res;
	enum sip_auth_verdict v = sip_auth_check(job->r->auth, job->req,
						 job->user, false, &res);

	if (v == SIP_AUTH_OK) {
		reg_update_bindings(job);
		return;
	}
	if (v == SIP_AUTH_CHALLENGED)
		job->refresh = reg_would_refresh(job);
	reg_log(job, (unsigned)v < G_N_ELEMENTS(reg_auth_outcome)
			     ? reg_auth_outcome[v] : SIP_REG_ERROR,
		res.status, res.detail);
}

/* @a and @b name the same host: case-insensitive, brackets of an IPv6
 * literal optional. */
static bool reg_host_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 1 && a[0] == '[' && a[la - 1] == ']') {
		a++;
		la -= 2;
	}
	if (lb > 1 && b[0] == '[' && b[lb - 1] == ']') {
		b++;
		lb -= 2;
	}
	return la == lb && g_ascii_strncasecmp(a, b, la) == 0;
}

bool sip_registrar_serves_domain(const struct sip_registrar *r,
				 const char *host)
{
	for (char **d = r->domains; host && d && *d; d++)
		if (reg_host_equal(*d, host))
			return true;
	return false;
}

/* RFC 3261 10.3 steps 1 and 3: the Request-URI and the address of record
 * must name a domain served here. True when refused (reply sent). */
static bool reg_refuse_foreign(struct reg_job *job)
{
	sip_t *sip = sip_message_sip(job->req->msg);
	const char *hosts[] = {sip->sip_request->rq_url->url_host,
			       sip->sip_to->a_url->url_host};
	g_autofree char *detail = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(hosts); i++) {
		if (sip_registrar_serves_domain(job->r, hosts[i]))
			continue;
		detail = g_strdup_printf("%s domain %s is not served here",
					 i == 0 ? "Request-URI" : "To",
					 hosts[i] ? hosts[i] : "(none)");
		reg_fail(job, SIP_REG_FOREIGN_DOMAIN, 403,
			 "Forbidden - domain not served here", detail);
		return true;
	}
	return false;
}

void sip_registrar_handle(struct sip_stack *st, const struct sip_request *req,
			  void *arg)
{
	struct sip_registrar *r = arg;
	sip_t *sip = sip_message_sip(req->msg);
	struct reg_job job = {
		.r = r,
		.req = req,
		.transport = sip_transport_kind_name(
			sip_transport_kind(req->tp)),
	};
	const url_t *to = sip->sip_to ? sip->sip_to->a_url : NULL;

	/* The address of record is the extension, also when a client wrote
	 * its ephemeral username there. */
	job.user = to ? sip_ephemeral_url_user(to->url_user, to->url_password)
		      : "";
	job.user_agent = sip_message_field_text(
		(const msg_header_t *)sip->sip_user_agent);
	job.path = reg_path_text(sip);
	sip_addr_format(&req->src, job.source, sizeof(job.source));

	if (!to || !*job.user) {
		reg_fail(&job, SIP_REG_BAD_CONTACT, 400,
			 "Bad Request - To has no user part",
			 "To header has no extension");
	} else if (!reg_refuse_foreign(&job)) {
		reg_authenticate(&job);
	}
	g_free(job.user_agent);
	g_free(job.path);
}

static gboolean reg_tick(gpointer data)
{
	struct sip_registrar *r = data;

	sip_registrar_expire(r, reg_now(r));
	sip_auth_prune(r->auth);
	return G_SOURCE_CONTINUE;
}

int sip_registrar_new(struct sip_registrar **out,
		      const struct sip_registrar_config *cfg,
		      struct sip_stack *stack, struct sip_auth *auth,
		      const struct sip_registrar_hooks *hooks, void *ctx)
{
	struct sip_registrar *r;

	if (!cfg || !stack || !auth || !cfg->max_expires ||
	    !cfg->default_expires || !cfg->max_contacts ||
	    cfg->default_expires > cfg->max_expires ||
	    cfg->default_expires < cfg->min_expires || !cfg->domains ||
	    !cfg->domains[0])
		return EINVAL;
	r = g_new0(struct sip_registrar, 1);
	r->cfg = *cfg;
	r->domains = g_strdupv((char **)cfg->domains);
	r->cfg.domains = NULL;
	r->stack = stack;
	r->auth = auth;
	if (hooks)
		r->hooks = *hooks;
	r->ctx = ctx;
	r->clock = registrar_wall_clock;
	r->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref);
	r->timer = g_timeout_add_seconds(1, reg_tick, r);
	*out = r;
	return 0;
}

void sip_registrar_free(struct sip_registrar *r)
{
	if (!r)
		return;
	if (r->timer)
		g_source_remove(r->timer);
	g_hash_table_destroy(r->users);
	g_strfreev(r->domains);
	g_free(r);
}
