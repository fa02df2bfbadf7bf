/*
 * gateway/media.c - the relay's call table: sessions per callee leg, their
 * release with the call, what their events mean for the call (hang up,
 * one-way audio), and their statistics for the API and /metrics. The SDP
 * side of each offer and answer is gateway/media_sdp.c.
 */
#define G_LOG_DOMAIN "ovoz-media"

#include "gateway/media_private.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "media/ice.h"

static void gm_leg_free(gpointer data)
{
	struct gm_leg *l = data;

	if (l->s) {
		media_session_destroy(l->s);
		media_session_unref(l->s);
		l->call->m->sessions--;
	}
	for (int i = 0; i < 2; i++) {
		media_sdp_free(l->sdp[i]);
		g_free(l->last_in[i]);
		g_free(l->last_out[i]);
	}
	g_free(l->branch);
	g_free(l);
}

static void gm_call_free(gpointer data)
{
	struct gm_call *c = data;

	g_hash_table_destroy(c->legs);
	g_free(c->call_id);
	g_free(c);
}

struct gm_call *gm_call_get(struct gateway_media *m, const char *call_id,
			    bool create)
{
	struct gm_call *c = g_hash_table_lookup(m->calls, call_id);

	if (c || !create)
		return c;
	c = g_new0(struct gm_call, 1);
	c->m = m;
	c->call_id = g_strdup(call_id);
	/* o= ids: any 62-bit number; the same for the whole call. */
	c->sess_id = ((uint64_t)g_random_int() << 30) ^ g_random_int();
	c->legs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					gm_leg_free);
	g_hash_table_insert(m->calls, c->call_id, c);
	return c;
}

struct gm_leg *gm_leg_get(struct gm_call *c, const char *branch, bool create)
{
	struct gm_leg *l = g_hash_table_lookup(c->legs, branch);

	if (l || !create)
		return l;
	l = g_new0(struct gm_leg, 1);
	l->call = c;
	l->branch = g_strdup(branch);
	l->offerer = -1;
	g_hash_table_insert(c->legs, l->branch, l);
	return l;
}

/* ---- events ---- */

struct gm_end {
	struct gateway_media *m;
	GSource *source;
	char *call_id;
	int status;
	char *reason;
};

static gboolean gm_end_run(gpointer data)
{
	struct gm_end *e = data;

	e->m->pending_ends = g_list_remove(e->m->pending_ends, e->source);
	if (e->m->cfg.end_h && g_hash_table_contains(e->m->calls, e->call_id))
		e->m->cfg.end_h(e->m->cfg.arg, e->call_id, e->status,
				e->reason);
	return G_SOURCE_REMOVE;
}

static void gm_end_free(gpointer data)
{
	struct gm_end *e = data;

	g_free(e->call_id);
	g_free(e->reason);
	g_free(e);
}

/* End the call from a clean stack: the hang-up releases this session. */
void gm_leg_end(struct gm_leg *l, int status, const char *reason)
{
	struct gm_end *e = g_new0(struct gm_end, 1);

	e->m = l->call->m;
	e->call_id = g_strdup(l->call->call_id);
	e->status = status;
	e->reason = g_strdup(reason);
	e->m->ended++;
	e->source = g_idle_source_new();
	g_source_set_callback(e->source, gm_end_run, e, gm_end_free);
	g_source_attach(e->source, NULL);
	e->m->pending_ends = g_list_prepend(e->m->pending_ends, e->source);
	g_source_unref(e->source);
}

static void gm_on_event(struct media_session *s,
			const struct media_session_event *ev, void *arg)
{
	struct gm_leg *l = arg;
	struct gateway_media *m = l->call->m;
	const char *id = l->call->call_id;
	g_autofree char *why = NULL;

	switch (ev->kind) {
	case MEDIA_SESSION_EVENT_MEDIA_FLOWING:
		if (ev->flowing_us < 0) {
			g_message("call %s: media flowing both ways", id);
			return;
		}
		/* Set-up time an operator can compare with the browser's. */
		g_message("call %s: media flowing both ways %.1f ms after the "
			  "first ICE check (DTLS-SRTP keyed at %.1f ms)", id,
			  ev->flowing_us / 1000.0,
			  ev->dtls_us < 0 ? -1.0 : ev->dtls_us / 1000.0);
		return;
	case MEDIA_SESSION_EVENT_DTLS_CONNECTED:
		g_info("call %s: DTLS connected on leg %s", id,
		       media_leg_name(ev->leg));
		return;
	case MEDIA_SESSION_EVENT_ONE_WAY:
		if (!l->answered)
			return; /* early media need not flow both ways */
		m->one_way++;
		g_warning("call %s: one-way audio: %s", id,
			  ev->reason ? ev->reason : "");
		if (m->cfg.note_h)
			m->cfg.note_h(m->cfg.arg, id, ev->reason);
		return;
	case MEDIA_SESSION_EVENT_DTLS_FAILED:
		why = g_strdup_printf("DTLS failed on leg %s: %s",
				      media_leg_name(ev->leg),
				      ev->reason ? ev->reason : "?");
		break;
	case MEDIA_SESSION_EVENT_CONSENT_EXPIRED:
		why = g_strdup_printf("ICE consent expired on leg %s: the "
				      "browser stopped answering",
				      media_leg_name(ev->leg));
		break;
	case MEDIA_SESSION_EVENT_RTP_TIMEOUT:
		why = g_strdup_printf("media timeout: %s",
				      ev->reason ? ev->reason : "no RTP");
		break;
	}
	if (!l->answered) {
		g_message("call %s: %s (leg not answered: call kept)", id, why);
		return;
	}
	g_warning("call %s: %s; ending the call", id, why);
	gm_leg_end(l, 480, why);
}

int gm_leg_start(struct gm_leg *l)
{
	struct gateway_media *m = l->call->m;
	struct media_session_config sc = {
		.worker = media_workers_pick(m->workers),
		.pool = m->pool,
		.cert = m->cert,
		.kind = {l->kind[0], l->kind[1]},
		.event_context = NULL, /* signalling: the default context */
		.event_h = gm_on_event,
		.arg = l,
		.rtp_timeout_ms = m->cfg.rtp_timeout_ms,
		.hold_timeout_ms = m->cfg.hold_timeout_ms,
	};
	int rc = media_session_new(&l->s, &sc);

	if (rc == 0)
		m->sessions++;
	else if (rc == ENOSPC || rc == EADDRINUSE)
		m->refused_ports++;
	return rc;
}

bool gm_leg_answered(struct gm_leg *l, const struct sip_media_event *ev)
{
	if (ev->is_request || ev->status < 200 || ev->status >= 300 ||
	    !l->s || l->answered)
		return false;
	l->answered = true;
	media_session_answered(l->s);
	return true;
}

/* ---- the proxy's hooks ---- */

/* A body already answered (a retransmitted 2xx): the same answer. */
static bool gm_repeat(struct gm_leg *l, int side, const char *body,
		      size_t len, char **out)
{
	if (!l->last_in[side] || strlen(l->last_in[side]) != len ||
	    memcmp(l->last_in[side], body, len) != 0)
		return false;
	*out = g_strdup(l->last_out[side]);
	return true;
}

int gateway_media_body(struct gateway_media *m, const struct sip_media_event *ev,
		       const char *body, size_t len, char **out,
		       size_t *out_len, const char **reason)
{
	int side = ev->from_caller ? 0 : 1;
	bool offer = ev->kind == SIP_MEDIA_OFFER;
	struct media_sdp *sdp = NULL;
	struct gm_call *c;
	struct gm_leg *l;
	int rc;

	if (!ev->call_id || !ev->branch)
		return 0;
	c = gm_call_get(m, ev->call_id, offer);
	l = c ? gm_leg_get(c, ev->branch, offer) : NULL;
	if (!l || l->passthrough)
		return 0;
	if (gm_repeat(l, side, body, len, out)) {
		/* A 2xx repeating the 183's SDP still answers the call. */
		if (gm_leg_answered(l, ev))
			l->offerer = -1;
		*out_len = strlen(*out);
		return 0;
	}
	rc = media_sdp_parse(&sdp, (const uint8_t *)body, len);
	if (rc) {
		*reason = "Bad SDP";
		return 488;
	}
	if (!l->s && !gm_sdp_wants_relay(m, ev, sdp)) {
		l->passthrough = true;
		media_sdp_free(sdp);
		return 0;
	}
	rc = offer ? gm_sdp_offer(l, ev, sdp, out, reason)
		   : gm_sdp_answer(l, ev, sdp, out, reason);
	if (rc || !*out)
		return rc;
	*out_len = strlen(*out);
	g_free(l->last_in[side]);
	g_free(l->last_out[side]);
	l->last_in[side] = g_strndup(body, len);
	l->last_out[side] = g_strdup(*out);
	return 0;
}

void gateway_media_release(struct gateway_media *m, const char *call_id,
			   const char *branch, const char *why)
{
	struct gm_call *c = gm_call_get(m, call_id, false);

	if (!c)
		return;
	if (branch) {
		if (g_hash_table_remove(c->legs, branch))
			g_debug("call %s: media of branch %s released (%s)",
				call_id, branch, why);
		if (g_hash_table_size(c->legs) > 0)
			return;
	}
	g_debug("call %s: media released (%s)", call_id, why);
	g_hash_table_remove(m->calls, call_id);
}

/* ---- life ---- */

int gateway_media_new(struct gateway_media **out,
		      const struct gateway_media_config *cfg, char **err)
{
	struct gateway_media *m = g_new0(struct gateway_media, 1);
	int rc;

	m->cfg = *cfg;
	m->ip = g_strdup(cfg->ip);
	m->public_ip = cfg->public_ip && *cfg->public_ip
			       ? g_strdup(cfg->public_ip) : NULL;
	m->cfg.ip = m->ip;
	m->cfg.public_ip = m->public_ip;
	m->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 gm_call_free);
	rc = media_ice_self_test();
	if (rc) {
		*err = g_strdup("media: libnice's STUN functions are shadowed "
				"(sofia-sip exports stun_message_length too): "
				"link libnice before sofia-sip");
		goto fail;
	}
	rc = media_port_pool_new(&m->pool, m->ip, (uint16_t)cfg->rtp_lo,
				 (uint16_t)cfg->rtp_hi);
	if (rc) {
		*err = g_strdup_printf("media: bad port range %u-%u on %s",
				       cfg->rtp_lo, cfg->rtp_hi, m->ip);
		goto fail;
	}
	rc = media_cert_new(&m->cert, err);
	if (rc)
		goto fail;
	rc = media_workers_new(&m->workers, cfg->workers);
	if (rc) {
		*err = g_strdup_printf("media: cannot start workers: %s",
				       g_strerror(rc));
		goto fail;
	}
	g_message("media relay on %s%s%s, ports %u-%u, %u worker(s), "
		  "certificate %s", m->ip, m->public_ip ? " announced as " : "",
		  m->public_ip ? m->public_ip : "", cfg->rtp_lo, cfg->rtp_hi,
		  media_workers_count(m->workers),
		  media_cert_fingerprint(m->cert));
	*out = m;
	return 0;
fail:
	gateway_media_free(m);
	return rc;
}

void gateway_media_free(struct gateway_media *m)
{
	if (!m)
		return;
	/* Sessions first (they give their ports back on the workers). */
	for (GList *i = m->pending_ends; i; i = i->next)
		g_source_destroy(i->data);
	g_list_free(m->pending_ends);
	g_hash_table_destroy(m->calls);
	media_workers_free(m->workers);
	/* Events posted before the destroys hold references: drain them. */
	for (int i = 0; i < 1000 && g_main_context_iteration(NULL, FALSE); i++)
		;
	media_port_pool_unref(m->pool);
	media_cert_unref(m->cert);
	g_free(m->ip);
	g_free(m->public_ip);
	g_free(m);
}

unsigned gateway_media_sessions(const struct gateway_media *m)
{
	return m ? m->sessions : 0;
}

/* ---- statistics ---- */

static void gm_side_json(JsonBuilder *b, const char *name,
			 const struct media_leg_stats *st,
			 enum media_leg_kind kind)
{
	static const char *const kinds[] = {
		[MEDIA_LEG_WEBRTC] = "webrtc",
		[MEDIA_LEG_RTP] = "rtp",
		[MEDIA_LEG_SRTP_SDES] = "srtp-sdes",
	};

	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, kinds[kind]);
	json_builder_set_member_name(b, "peer");
	json_builder_add_string_value(b, st->peer);
	json_builder_set_member_name(b, "rxPackets");
	json_builder_add_int_value(b, (gint64)st->rx_packets);
	json_builder_set_member_name(b, "rxBytes");
	json_builder_add_int_value(b, (gint64)st->rx_bytes);
	json_builder_set_member_name(b, "txPackets");
	json_builder_add_int_value(b, (gint64)st->tx_packets);
	json_builder_set_member_name(b, "txBytes");
	json_builder_add_int_value(b, (gint64)st->tx_bytes);
	json_builder_set_member_name(b, "lost");
	json_builder_add_int_value(b, (gint64)st->rx_lost);
	json_builder_set_member_name(b, "jitterMs");
	json_builder_add_double_value(b, st->rx_jitter_ms);
	json_builder_set_member_name(b, "lastPacketAgeMs");
	json_builder_add_int_value(b, st->rx_age_ms);
	json_builder_set_member_name(b, "dropped");
	json_builder_add_int_value(b, (gint64)st->dropped);
	json_builder_end_object(b);
}

void gateway_media_call_json(struct gateway_media *m, const char *call_id,
			     JsonObject *obj)
{
	struct gm_call *c = m ? gm_call_get(m, call_id, false) : NULL;
	g_autoptr(JsonBuilder) b = NULL;
	GHashTableIter it;
	gpointer v;

	if (!c)
		return;
	b = json_builder_new();
	json_builder_begin_array(b);
	g_hash_table_iter_init(&it, c->legs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct gm_leg *l = v;
		struct media_leg_stats st[2];

		if (!l->s)
			continue;
		media_session_stats(l->s, MEDIA_LEG_A, &st[0]);
		media_session_stats(l->s, MEDIA_LEG_B, &st[1]);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "answered");
		json_builder_add_boolean_value(b, l->answered);
		gm_side_json(b, "caller", &st[0], l->kind[0]);
		gm_side_json(b, "callee", &st[1], l->kind[1]);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_object_set_member(obj, "media", json_builder_get_root(b));
}

void gateway_media_metrics(struct gateway_media *m, GString *out)
{
	uint64_t rx = 0, tx = 0, lost = 0, dropped = 0;
	GHashTableIter ci, li;
	gpointer cv, lv;

	if (!m)
		return;
	g_hash_table_iter_init(&ci, m->calls);
	while (g_hash_table_iter_next(&ci, NULL, &cv)) {
		g_hash_table_iter_init(&li, ((struct gm_call *)cv)->legs);
		while (g_hash_table_iter_next(&li, NULL, &lv)) {
			struct gm_leg *l = lv;
			struct media_leg_stats st;

			for (int i = 0; l->s && i < 2; i++) {
				media_session_stats(l->s, i, &st);
				rx += st.rx_packets;
				tx += st.tx_packets;
				lost += st.rx_lost;
				dropped += st.dropped;
			}
		}
	}
	g_string_append_printf(out,
		"# HELP ovoz_media_sessions Relayed call legs now.\n"
		"# TYPE ovoz_media_sessions gauge\n"
		"ovoz_media_sessions %u\n"
		"# HELP ovoz_media_ports_used RTP port pairs in use.\n"
		"# TYPE ovoz_media_ports_used gauge\n"
		"ovoz_media_ports_used %u\n"
		"# HELP ovoz_media_ports_total RTP port pairs in the range.\n"
		"# TYPE ovoz_media_ports_total gauge\n"
		"ovoz_media_ports_total %u\n"
		"# HELP ovoz_media_packets Packets of the live sessions.\n"
		"# TYPE ovoz_media_packets gauge\n"
		"ovoz_media_packets{direction=\"received\"} %" PRIu64 "\n"
		"ovoz_media_packets{direction=\"sent\"} %" PRIu64 "\n"
		"ovoz_media_packets{direction=\"lost\"} %" PRIu64 "\n"
		"ovoz_media_packets{direction=\"dropped\"} %" PRIu64 "\n"
		"# HELP ovoz_media_refused_total Offers refused by the relay.\n"
		"# TYPE ovoz_media_refused_total counter\n"
		"ovoz_media_refused_total{reason=\"no_ports\"} %" PRIu64 "\n"
		"ovoz_media_refused_total{reason=\"no_common_codec\"} %" PRIu64 "\n"
		"# HELP ovoz_media_one_way_total Calls flagged one-way audio.\n"
		"# TYPE ovoz_media_one_way_total counter\n"
		"ovoz_media_one_way_total %" PRIu64 "\n"
		"# HELP ovoz_media_ended_total Calls ended by the relay (timeout, "
		"DTLS failure, ICE consent).\n"
		"# TYPE ovoz_media_ended_total counter\n"
		"ovoz_media_ended_total %" PRIu64 "\n",
		m->sessions, media_port_pool_used(m->pool),
		media_port_pool_size(m->pool), rx, tx, lost, dropped,
		m->refused_ports, m->refused_codec, m->one_way, m->ended);
}
