/*
 * media/session.c - the signalling side of a call's media relay: creation
 * (ports, ICE credentials, SDES keys), parameter changes posted to the
 * worker, events posted back, and the life cycle. The packet path is in
 * media/leg.c.
 */
#define G_LOG_DOMAIN "ovoz-media"

#include "leg.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

/* Defaults: RFC-free operational choices, see docs/architecture.md. */
#define SESSION_RTP_TIMEOUT_MS 60000
#define SESSION_HOLD_FACTOR 10
#define SESSION_ONE_WAY_MS 5000

/* --- events, worker -> signalling */

struct posted {
	struct media_session *s;
	struct media_session_event ev;
	char *reason;
};

static void posted_free(gpointer data)
{
	struct posted *p = data;

	media_session_unref(p->s);
	g_free(p->reason);
	g_free(p);
}

static gboolean posted_deliver(gpointer data)
{
	struct posted *p = data;

	if (!g_atomic_int_get(&p->s->destroyed) && p->s->event_h)
		p->s->event_h(p->s, &p->ev, p->s->arg);
	return G_SOURCE_REMOVE;
}

void media_session_post(struct media_session *s,
			enum media_session_event_kind kind,
			enum media_leg_id leg, const char *fmt, ...)
{
	struct posted *p = g_new0(struct posted, 1);
	va_list ap;

	p->s = media_session_ref(s);
	if (fmt) {
		va_start(ap, fmt);
		p->reason = g_strdup_vprintf(fmt, ap);
		va_end(ap);
	}
	p->ev = (struct media_session_event){kind, leg, p->reason, -1, -1};
	g_main_context_invoke_full(s->event_ctx, G_PRIORITY_DEFAULT,
				   posted_deliver, p, posted_free);
}

void media_session_post_event(struct media_session *s,
			      const struct media_session_event *ev)
{
	struct posted *p = g_new0(struct posted, 1);

	p->s = media_session_ref(s);
	p->ev = *ev;
	p->ev.reason = NULL;
	g_main_context_invoke_full(s->event_ctx, G_PRIORITY_DEFAULT,
				   posted_deliver, p, posted_free);
}

/* --- life cycle */

static void session_free(gpointer data)
{
	struct media_session *s = data;

	for (int i = 0; i < 2; i++) {
		struct leg *l = &s->legs[i];

		g_clear_pointer(&l->srtp, media_srtp_free);
		g_clear_pointer(&l->early, g_free);
		g_clear_pointer(&l->dtls, media_dtls_unref);
		media_stream_unref(l->stream);
	}
	media_cert_unref(s->cert);
	g_main_context_unref(s->event_ctx);
	g_mutex_clear(&s->stats_lock);
	memset(s->local, 0, sizeof(s->local));
}

struct media_session *media_session_ref(struct media_session *s)
{
	return g_atomic_rc_box_acquire(s);
}

void media_session_unref(struct media_session *s)
{
	if (s)
		g_atomic_rc_box_release_full(s, session_free);
}

static void session_unref_cb(gpointer data)
{
	media_session_unref(data);
}

static gboolean session_tick(gpointer data)
{
	struct media_session *s = data;

	media_leg_tick(s, g_get_monotonic_time());
	return s->stopped ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static int leg_open(struct media_session *s, struct leg *l,
		    const struct media_session_config *cfg,
		    struct media_ports **ports, struct media_ice **ice)
{
	struct media_ice_config ic = {.consent_timeout_us = s->consent_us};
	struct media_leg_local *loc = &s->local[l->id];
	int rc;

	rc = media_port_alloc(cfg->pool, l->kind != MEDIA_LEG_WEBRTC, ports);
	if (rc != 0)
		return rc;
	loc->rtp_port = (*ports)->rtp_port;
	loc->rtcp_port = (*ports)->rtcp_port;
	if (l->kind == MEDIA_LEG_SRTP_SDES) {
		rc = media_srtp_key_random(&l->sdes_tx,
					   MEDIA_SRTP_AES128_CM_SHA1_80);
		loc->sdes_key = l->sdes_tx;
		return rc;
	}
	if (l->kind != MEDIA_LEG_WEBRTC)
		return 0;
	rc = media_ice_new(ice, &ic, g_get_monotonic_time());
	if (rc != 0)
		return rc;
	g_strlcpy(loc->ice_ufrag, media_ice_local_ufrag(*ice),
		  sizeof(loc->ice_ufrag));
	g_strlcpy(loc->ice_pwd, media_ice_local_pwd(*ice), sizeof(loc->ice_pwd));
	g_strlcpy(loc->fingerprint, media_cert_fingerprint(s->cert),
		  sizeof(loc->fingerprint));
	return 0;
}

/* Ports and ICE for both legs first, streams after: a failure frees all. */
static int legs_open(struct media_session *s,
		     const struct media_session_config *cfg)
{
	struct media_ports *ports[2] = {0};
	struct media_ice *ice[2] = {0};
	struct media_stream_handlers h[2];
	int rc = 0;

	for (int i = 0; i < 2 && rc == 0; i++)
		rc = leg_open(s, &s->legs[i], cfg, &ports[i], &ice[i]);
	if (rc != 0) {
		for (int i = 0; i < 2; i++) {
			media_port_free(ports[i]);
			media_ice_free(ice[i]);
		}
		return rc;
	}
	for (int i = 0; i < 2; i++) {
		h[i] = (struct media_stream_handlers){
			media_leg_packet, media_leg_stream_event, &s->legs[i]};
		if (rc != 0) { /* the other leg failed: never handed over */
			media_port_free(ports[i]);
			media_ice_free(ice[i]);
		} else if (ice[i]) {
			rc = media_stream_new(&s->legs[i].stream, s->worker,
					      ports[i], ice[i], &h[i]);
		} else {
			rc = media_stream_new_plain(&s->legs[i].stream,
						    s->worker, ports[i], &h[i]);
		}
	}
	/* Arguments are checked here: only the worker's epoll set fails. */
	if (rc != 0 && s->legs[0].stream)
		media_stream_destroy(s->legs[0].stream);
	return rc;
}

static bool config_valid(const struct media_session_config *cfg)
{
	for (int i = 0; i < 2; i++) {
		if (cfg->kind[i] > MEDIA_LEG_SRTP_SDES)
			return false;
		if (cfg->kind[i] == MEDIA_LEG_WEBRTC && !cfg->cert)
			return false;
	}
	return cfg->worker && cfg->pool && cfg->consent_timeout_us >= 0;
}

static void session_init(struct media_session *s,
			 const struct media_session_config *cfg)
{
	s->worker = cfg->worker;
	s->cert = cfg->cert ? media_cert_ref(cfg->cert) : NULL;
	s->event_ctx = g_main_context_ref(
		cfg->event_context ? cfg->event_context
				   : g_main_context_default());
	s->event_h = cfg->event_h;
	s->arg = cfg->arg;
	s->rtp_timeout_ms = cfg->rtp_timeout_ms ? cfg->rtp_timeout_ms
						: SESSION_RTP_TIMEOUT_MS;
	s->hold_timeout_ms = cfg->hold_timeout_ms
				     ? cfg->hold_timeout_ms
				     : s->rtp_timeout_ms * SESSION_HOLD_FACTOR;
	s->one_way_ms = cfg->one_way_ms ? cfg->one_way_ms : SESSION_ONE_WAY_MS;
	s->consent_us = cfg->consent_timeout_us;
	g_mutex_init(&s->stats_lock);
	memset(s->route, LEG_NO_ROUTE, sizeof(s->route));
	for (int i = 0; i < 2; i++) {
		s->legs[i].session = s;
		s->legs[i].id = (enum media_leg_id)i;
		s->legs[i].kind = cfg->kind[i];
		s->stats[i].rx_age_ms = -1;
	}
	s->started_us = g_get_monotonic_time();
}

int media_session_new(struct media_session **out,
		      const struct media_session_config *cfg)
{
	struct media_session *s;
	unsigned tick_ms;
	int rc;

	if (!cfg || !config_valid(cfg))
		return EINVAL;
	s = g_atomic_rc_box_new0(struct media_session);
	session_init(s, cfg);
	rc = legs_open(s, cfg);
	if (rc != 0) {
		media_session_unref(s);
		return rc;
	}
	/* A quarter of the shortest timeout, at most a second. */
	tick_ms = MIN(1000, MIN(s->one_way_ms, s->rtp_timeout_ms) / 4);
	media_worker_timer_add(s->worker, &s->tick, MAX(tick_ms, 10),
			       session_tick, media_session_ref(s),
			       session_unref_cb);
	*out = s;
	return 0;
}

static gboolean session_stop(gpointer data)
{
	struct media_session *s = data;

	if (s->stopped)
		return G_SOURCE_REMOVE;
	s->stopped = true;
	media_leg_stop(&s->legs[0]);
	media_leg_stop(&s->legs[1]);
	/* The last snapshot stays readable after the end of the call. */
	media_leg_tick(s, g_get_monotonic_time());
	media_worker_timer_remove(&s->tick);
	return G_SOURCE_REMOVE;
}

void media_session_destroy(struct media_session *s)
{
	if (!s || !g_atomic_int_compare_and_exchange(&s->destroyed, 0, 1))
		return;
	media_worker_invoke(s->worker, session_stop, media_session_ref(s),
			    session_unref_cb);
}

/* --- parameters, signalling -> worker */

struct remote_job {
	struct media_session *s;
	enum media_leg_id leg;
	char ufrag[MEDIA_ICE_CRED_MAX + 1];
	char fingerprint[MEDIA_CERT_FINGERPRINT_MAX];
	bool role_set;
	enum media_dtls_role role;
	struct sockaddr_storage rtp, rtcp;
	socklen_t rtp_len, rtcp_len;
	struct media_srtp_key sdes_rx;
	enum media_direction dir;
};

static void remote_job_free(gpointer data)
{
	struct remote_job *j = data;

	media_session_unref(j->s);
	memset(j, 0, sizeof(*j));
	g_free(j);
}

static void apply_webrtc(struct leg *l, struct remote_job *j)
{
	bool reset = false;

	if (j->ufrag[0])
		media_ice_set_remote_ufrag(media_stream_ice(l->stream),
					   j->ufrag);
	if (j->role_set && (!l->role_set || l->role != j->role)) {
		l->role_set = true;
		l->role = j->role;
		reset = true;
	}
	if (j->fingerprint[0] && strcmp(j->fingerprint, l->fingerprint)) {
		/* Our offer went out before the answer: check it now. A
		 * changed one on a known endpoint is a new DTLS session. */
		if (!reset && l->dtls && !l->fingerprint[0] &&
		    media_dtls_set_remote_fingerprint(l->dtls,
						      j->fingerprint) == 0) {
			g_strlcpy(l->fingerprint, j->fingerprint,
				  sizeof(l->fingerprint));
		} else {
			g_strlcpy(l->fingerprint, j->fingerprint,
				  sizeof(l->fingerprint));
			reset = true;
		}
	}
	if (reset || (!l->dtls && l->role_set))
		media_leg_dtls_reset(l);
}

static void apply_plain(struct leg *l, struct remote_job *j)
{
	if (j->rtp_len) {
		media_stream_set_remote(
			l->stream, (struct sockaddr *)&j->rtp, j->rtp_len,
			j->rtcp_len ? (struct sockaddr *)&j->rtcp : NULL,
			j->rtcp_len);
		media_leg_addr_text(&j->rtp, l->signalled,
				    sizeof(l->signalled));
	}
	if (l->kind == MEDIA_LEG_SRTP_SDES && j->sdes_rx.len &&
	    (j->sdes_rx.len != l->sdes_rx.len ||
	     memcmp(j->sdes_rx.master, l->sdes_rx.master, j->sdes_rx.len))) {
		l->sdes_rx = j->sdes_rx;
		media_leg_sdes_rekey(l);
	}
}

static gboolean remote_apply(gpointer data)
{
	struct remote_job *j = data;
	struct leg *l = &j->s->legs[j->leg];

	if (j->s->stopped)
		return G_SOURCE_REMOVE;
	l->dir = j->dir;
	if (l->kind == MEDIA_LEG_WEBRTC)
		apply_webrtc(l, j);
	else
		apply_plain(l, j);
	return G_SOURCE_REMOVE;
}

/* Signalling thread: only what is fixed at creation or kept on this side. */
static int remote_check(const struct media_session *s, enum media_leg_id leg,
			const struct media_leg_remote *r)
{
	const char *hash;
	uint8_t digest[MEDIA_CERT_DIGEST_MAX];
	size_t dlen;

	if (r->fingerprint &&
	    (strlen(r->fingerprint) >= MEDIA_CERT_FINGERPRINT_MAX ||
	     media_cert_fingerprint_parse(r->fingerprint,
					  strlen(r->fingerprint), &hash,
					  digest, &dlen) != 0))
		return EINVAL;
	if (r->ice_ufrag && (strlen(r->ice_ufrag) < 4 ||
			     strlen(r->ice_ufrag) > MEDIA_ICE_CRED_MAX))
		return EINVAL;
	if ((r->rtp && (r->rtp_len == 0 ||
			r->rtp_len > sizeof(struct sockaddr_storage))) ||
	    (r->rtcp && (r->rtcp_len == 0 ||
			 r->rtcp_len > sizeof(struct sockaddr_storage))))
		return EINVAL;
	if (r->direction > MEDIA_DIR_INACTIVE)
		return EINVAL;
	if (s->legs[leg].kind == MEDIA_LEG_SRTP_SDES && r->sdes_key.len &&
	    (r->sdes_key.profile != s->local[leg].sdes_key.profile ||
	     r->sdes_key.len != media_srtp_master_len(r->sdes_key.profile)))
		return EINVAL;
	return 0;
}

int media_session_set_remote(struct media_session *s, enum media_leg_id leg,
			     const struct media_leg_remote *r)
{
	struct remote_job *j;
	int rc;

	if (leg > MEDIA_LEG_B || !r)
		return EINVAL;
	rc = remote_check(s, leg, r);
	if (rc != 0)
		return rc;
	j = g_new0(struct remote_job, 1);
	j->s = media_session_ref(s);
	j->leg = leg;
	if (r->ice_ufrag)
		g_strlcpy(j->ufrag, r->ice_ufrag, sizeof(j->ufrag));
	if (r->fingerprint)
		g_strlcpy(j->fingerprint, r->fingerprint,
			  sizeof(j->fingerprint));
	j->role_set = r->dtls_role_set;
	j->role = r->dtls_role;
	if (r->rtp)
		memcpy(&j->rtp, r->rtp, j->rtp_len = r->rtp_len);
	if (r->rtcp)
		memcpy(&j->rtcp, r->rtcp, j->rtcp_len = r->rtcp_len);
	j->sdes_rx = r->sdes_key;
	j->dir = r->direction;
	media_worker_invoke(s->worker, remote_apply, j, remote_job_free);
	return 0;
}

struct routes_job {
	struct media_session *s;
	uint8_t route[2][128];
	uint32_t clock[2][128];
};

static void routes_job_free(gpointer data)
{
	struct routes_job *j = data;

	media_session_unref(j->s);
	g_free(j);
}

static gboolean routes_apply(gpointer data)
{
	struct routes_job *j = data;

	memcpy(j->s->route, j->route, sizeof(j->route));
	memcpy(j->s->clock, j->clock, sizeof(j->clock));
	return G_SOURCE_REMOVE;
}

int media_session_set_routes(struct media_session *s,
			     const struct media_pt_route *routes, size_t n)
{
	struct routes_job *j;

	for (size_t i = 0; i < n; i++)
		if (routes[i].pt_a > 127 || routes[i].pt_b > 127)
			return EINVAL;
	j = g_new0(struct routes_job, 1);
	j->s = media_session_ref(s);
	memset(j->route, LEG_NO_ROUTE, sizeof(j->route));
	for (unsigned pt = 0; pt < 128; pt++)
		j->clock[0][pt] = j->clock[1][pt] = 8000;
	for (size_t i = 0; i < n; i++) {
		uint32_t rate = routes[i].clock_rate ? routes[i].clock_rate
						     : 8000;

		j->route[MEDIA_LEG_A][routes[i].pt_a] = routes[i].pt_b;
		j->route[MEDIA_LEG_B][routes[i].pt_b] = routes[i].pt_a;
		j->clock[MEDIA_LEG_A][routes[i].pt_a] = rate;
		j->clock[MEDIA_LEG_B][routes[i].pt_b] = rate;
	}
	media_worker_invoke(s->worker, routes_apply, j, routes_job_free);
	return 0;
}

struct small_job {
	struct media_session *s;
	enum media_leg_id leg;
	enum media_direction dir;
	struct media_ice *ice; /* ICE restart: taken by the worker */
};

static void small_job_free(gpointer data)
{
	struct small_job *j = data;

	media_ice_free(j->ice);
	media_session_unref(j->s);
	g_free(j);
}

static gboolean direction_apply(gpointer data)
{
	struct small_job *j = data;

	j->s->legs[j->leg].dir = j->dir;
	return G_SOURCE_REMOVE;
}

void media_session_set_direction(struct media_session *s,
				 enum media_leg_id leg, enum media_direction d)
{
	struct small_job *j;

	if (leg > MEDIA_LEG_B || d > MEDIA_DIR_INACTIVE)
		return;
	j = g_new0(struct small_job, 1);
	j->s = media_session_ref(s);
	j->leg = leg;
	j->dir = d;
	media_worker_invoke(s->worker, direction_apply, j, small_job_free);
}

static gboolean answered_apply(gpointer data)
{
	struct small_job *j = data;
	struct media_session *s = j->s;

	if (s->stopped)
		return G_SOURCE_REMOVE;
	s->started_us = g_get_monotonic_time();
	s->timeout_reported = false;
	s->legs[0].one_way_reported = false;
	s->legs[1].one_way_reported = false;
	return G_SOURCE_REMOVE;
}

void media_session_answered(struct media_session *s)
{
	struct small_job *j = g_new0(struct small_job, 1);

	j->s = media_session_ref(s);
	media_worker_invoke(s->worker, answered_apply, j, small_job_free);
}

static gboolean ice_apply(gpointer data)
{
	struct small_job *j = data;
	struct leg *l = &j->s->legs[j->leg];

	if (j->s->stopped)
		return G_SOURCE_REMOVE;
	if (media_stream_set_ice(l->stream, j->ice) == 0)
		j->ice = NULL;
	return G_SOURCE_REMOVE;
}

int media_session_ice_restart(struct media_session *s, enum media_leg_id leg)
{
	struct media_ice_config ic = {.consent_timeout_us = s->consent_us};
	struct media_leg_local *loc;
	struct small_job *j;
	struct media_ice *ice;
	int rc;

	if (leg > MEDIA_LEG_B || s->legs[leg].kind != MEDIA_LEG_WEBRTC)
		return EINVAL;
	rc = media_ice_new(&ice, &ic, g_get_monotonic_time());
	if (rc != 0)
		return rc;
	loc = &s->local[leg];
	g_strlcpy(loc->ice_ufrag, media_ice_local_ufrag(ice),
		  sizeof(loc->ice_ufrag));
	g_strlcpy(loc->ice_pwd, media_ice_local_pwd(ice), sizeof(loc->ice_pwd));
	j = g_new0(struct small_job, 1);
	j->s = media_session_ref(s);
	j->leg = leg;
	j->ice = ice;
	media_worker_invoke(s->worker, ice_apply, j, small_job_free);
	return 0;
}

/* --- reading */

void media_session_local(struct media_session *s, enum media_leg_id leg,
			 struct media_leg_local *out)
{
	*out = s->local[leg == MEDIA_LEG_B];
}

void media_session_stats(struct media_session *s, enum media_leg_id leg,
			 struct media_leg_stats *out)
{
	g_mutex_lock(&s->stats_lock);
	*out = s->stats[leg == MEDIA_LEG_B];
	g_mutex_unlock(&s->stats_lock);
}

const char *media_session_event_name(enum media_session_event_kind k)
{
	static const char *const names[] = {
		[MEDIA_SESSION_EVENT_DTLS_CONNECTED] = "dtls-connected",
		[MEDIA_SESSION_EVENT_DTLS_FAILED] = "dtls-failed",
		[MEDIA_SESSION_EVENT_CONSENT_EXPIRED] = "consent-expired",
		[MEDIA_SESSION_EVENT_RTP_TIMEOUT] = "rtp-timeout",
		[MEDIA_SESSION_EVENT_ONE_WAY] = "one-way",
		[MEDIA_SESSION_EVENT_MEDIA_FLOWING] = "media-flowing",
	};

	return (unsigned)k < G_N_ELEMENTS(names) ? names[k] : "?";
}

const char *media_leg_name(enum media_leg_id leg)
{
	return leg == MEDIA_LEG_A ? "A" : "B";
}
