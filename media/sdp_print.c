/*
 * media/sdp_print.c - turn a model (media/sdp.h) into SDP text by building
 * sofia-sip's sdp_session_t and printing it with sdp_print().
 */
#include "media/sdp_private.h"

#include <errno.h>
#include <string.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

static sdp_connection_t *new_connection(su_home_t *home, const char *addr)
{
	sdp_connection_t *c = su_zalloc(home, sizeof(*c));

	c->c_size = sizeof(*c);
	c->c_nettype = sdp_net_in;
	c->c_addrtype = strchr(addr, ':') ? sdp_addr_ip6 : sdp_addr_ip4;
	c->c_address = su_strdup(home, addr);
	return c;
}

/* Append "a=name:value" (value may be NULL) to a list. */
static void add_attr(su_home_t *home, sdp_attribute_t ***tail,
		     const char *name, char *value)
{
	sdp_attribute_t *a = su_zalloc(home, sizeof(*a));

	a->a_size = sizeof(*a);
	a->a_name = name;
	a->a_value = value;
	**tail = a;
	*tail = &a->a_next;
}

static sdp_rtpmap_t *new_rtpmaps(su_home_t *home,
				 const struct media_sdp_stream *s)
{
	sdp_rtpmap_t *head = NULL, **tail = &head;

	for (unsigned i = 0; i < s->n_codecs; i++) {
		const struct media_sdp_codec *c = &s->codecs[i];
		sdp_rtpmap_t *rm = su_zalloc(home, sizeof(*rm));

		rm->rm_size = sizeof(*rm);
		rm->rm_pt = c->pt;
		rm->rm_encoding = su_strdup(home, c->name);
		rm->rm_rate = c->rate;
		if (c->channels > 1)
			rm->rm_params = su_sprintf(home, "%u", c->channels);
		if (*c->fmtp)
			rm->rm_fmtp = su_strdup(home, c->fmtp);
		*tail = rm;
		tail = &rm->rm_next;
	}
	return head;
}

/* Whether @s is a token, or with @path tokens joined by '/'. Values echoed
 * from a peer's m= line are printed only if they are: sofia-sip's model of
 * a strange m= line can differ from its text. */
static bool is_token(const char *s, bool path)
{
	bool prev_ok = false;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		bool ok = g_ascii_isalnum(*s) ||
			  strchr("!#$%&'*+-.^_`{|}~", *s) != NULL;

		if (!ok && !(path && *s == '/' && prev_ok && s[1] && s[1] != '/'))
			return false;
		prev_ok = ok;
	}
	return true;
}

/* An RTP payload type, as sofia-sip wants the formats of RTP m-lines. */
static bool is_pt(const char *s)
{
	guint64 pt;

	return g_ascii_string_to_unsigned(s, 10, 0, 127, &pt, NULL);
}

static sdp_list_t *new_formats(su_home_t *home, const char *formats, bool rtp)
{
	g_auto(GStrv) tok = g_strsplit(formats, " ", MEDIA_SDP_MAX_CODECS * 4);
	sdp_list_t *head = NULL, **tail = &head;

	for (unsigned i = 0; tok[i]; i++) {
		sdp_list_t *l;

		if (!is_token(tok[i], false) || (rtp && !is_pt(tok[i])))
			continue;
		l = su_zalloc(home, sizeof(*l));
		l->l_size = sizeof(*l);
		l->l_text = su_strdup(home, tok[i]);
		*tail = l;
		tail = &l->l_next;
	}
	if (!head) {
		head = su_zalloc(home, sizeof(*head));
		head->l_size = sizeof(*head);
		head->l_text = "0";
	}
	return head;
}

static void add_ice(su_home_t *home, sdp_attribute_t ***tail,
		    const struct media_sdp_stream *s)
{
	if (!*s->ice_ufrag)
		return;
	add_attr(home, tail, "ice-ufrag", su_strdup(home, s->ice_ufrag));
	add_attr(home, tail, "ice-pwd", su_strdup(home, s->ice_pwd));
	if (s->ice_trickle)
		add_attr(home, tail, "ice-options", "trickle");
	for (unsigned i = 0; i < s->n_candidates; i++) {
		const struct media_sdp_candidate *c = &s->candidates[i];

		add_attr(home, tail, "candidate",
			 su_sprintf(home, "%s %u udp %u %s %u typ %s",
				    c->foundation, c->component, c->priority,
				    c->addr, c->port, c->type));
	}
	if (s->end_of_candidates)
		add_attr(home, tail, "end-of-candidates", NULL);
}

static sdp_attribute_t *new_attributes(su_home_t *home,
				       const struct media_sdp_stream *s)
{
	sdp_attribute_t *head = NULL, **tail = &head;

	if (*s->mid)
		add_attr(home, &tail, "mid", su_strdup(home, s->mid));
	if (!s->port)
		return head;
	if (s->rtcp_port)
		add_attr(home, &tail, "rtcp", su_sprintf(home, "%u", s->rtcp_port));
	if (s->rtcp_mux)
		add_attr(home, &tail, "rtcp-mux", NULL);
	add_ice(home, &tail, s);
	if (*s->fingerprint)
		add_attr(home, &tail, "fingerprint",
			 su_sprintf(home, "sha-256 %s", s->fingerprint));
	if (s->setup != MEDIA_SDP_SETUP_NONE)
		add_attr(home, &tail, "setup",
			 su_strdup(home, media_sdp_setup_name(s->setup)));
	for (unsigned i = 0; i < s->n_crypto; i++)
		add_attr(home, &tail, "crypto",
			 su_sprintf(home, "%u %s %s", s->crypto[i].tag,
				    s->crypto[i].suite, s->crypto[i].key));
	for (unsigned i = 0; i < s->n_ssrc; i++)
		add_attr(home, &tail, "ssrc", su_strdup(home, s->ssrc[i]));
	if (s->ptime)
		add_attr(home, &tail, "ptime", su_sprintf(home, "%u", s->ptime));
	if (s->maxptime)
		add_attr(home, &tail, "maxptime",
			 su_sprintf(home, "%u", s->maxptime));
	return head;
}

static sdp_media_t *new_media(su_home_t *home, sdp_session_t *sess,
			      const struct media_sdp_stream *s)
{
	sdp_media_t *m = su_zalloc(home, sizeof(*m));

	m->m_size = sizeof(*m);
	m->m_session = sess;
	sdp_media_type(m, is_token(s->type, false) ?
			       su_strdup(home, s->type) : "audio");
	sdp_media_transport(m, is_token(s->proto, true) ?
				       su_strdup(home, s->proto) : "RTP/AVP");
	m->m_port = s->port;
	m->m_rejected = s->port == 0;
	m->m_mode = s->port ? s->dir : 0;
	if (s->port && s->n_codecs)
		m->m_rtpmaps = new_rtpmaps(home, s);
	else
		m->m_format = new_formats(home, s->formats,
					  media_sdp_profile_of(m->m_proto_name) !=
						  MEDIA_SDP_OTHER);
	if (s->port && *s->addr && strcmp(s->addr, sess->sdp_connection->c_address))
		m->m_connections = new_connection(home, s->addr);
	m->m_attributes = new_attributes(home, s);
	return m;
}

static sdp_session_t *new_session(su_home_t *home,
				  const struct media_sdp *model,
				  const char *addr)
{
	sdp_session_t *sess = su_zalloc(home, sizeof(*sess));
	sdp_origin_t *o = su_zalloc(home, sizeof(*o));
	sdp_time_t *t = su_zalloc(home, sizeof(*t));
	sdp_attribute_t **tail = &sess->sdp_attributes;
	sdp_media_t **mtail = &sess->sdp_media;

	sess->sdp_size = sizeof(*sess);
	o->o_size = sizeof(*o);
	o->o_username = "-";
	o->o_id = model->sess_id;
	o->o_version = model->sess_version;
	o->o_address = new_connection(home, addr);
	sess->sdp_origin = o;
	sess->sdp_subject = "-";
	sess->sdp_connection = new_connection(home, addr);
	t->t_size = sizeof(*t);
	sess->sdp_time = t;
	if (model->ice_lite)
		add_attr(home, &tail, "ice-lite", NULL);
	if (model->bundle)
		add_attr(home, &tail, "group",
			 su_sprintf(home, "BUNDLE %s", model->bundle_mids));
	for (unsigned i = 0; i < model->n_streams; i++) {
		*mtail = new_media(home, sess, &model->streams[i]);
		mtail = &(*mtail)->m_next;
	}
	return sess;
}

int media_sdp_print(const struct media_sdp *model, const char *addr,
		    char **out)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	sdp_printer_t *pr;
	int rc = EINVAL;

	pr = sdp_print(home, new_session(home, model, addr), NULL, 0,
		       sdp_f_all_rtpmaps | sdp_f_mode_always);
	if (pr && !sdp_printing_error(pr) && sdp_message(pr)) {
		*out = g_strdup(sdp_message(pr));
		rc = 0;
	}
	if (pr)
		sdp_printer_free(pr);
	su_home_deinit(home);
	return rc;
}
