/*
 * media/sdp.c - parse an SDP body into the model of media/sdp.h.
 *
 * sofia-sip does the parsing. It only maps rtpmap/fmtp into m_rtpmaps for
 * profiles it knows (RTP/AVP, RTP/SAVP); for UDP/TLS/RTP/SAVPF they stay
 * attributes, found by payload type here. Attribute values
 * (candidate, fingerprint, crypto, rtpmap) are split with bounded code.
 */
#include "media/sdp.h"

#include <errno.h>
#include <string.h>

#include <sofia-sip/sdp.h>

#include "media/sdp_private.h"

static const struct {
	const char *name;
	enum media_sdp_profile profile;
} profiles[] = {
	{ "RTP/AVP", MEDIA_SDP_AVP },
	{ "RTP/AVPF", MEDIA_SDP_AVP },
	{ "RTP/SAVP", MEDIA_SDP_SAVP },
	{ "RTP/SAVPF", MEDIA_SDP_SAVP },
	{ "UDP/TLS/RTP/SAVPF", MEDIA_SDP_WEBRTC },
	{ "UDP/TLS/RTP/SAVP", MEDIA_SDP_WEBRTC },
};

static const char *const setup_names[] = {
	[MEDIA_SDP_SETUP_NONE] = "",
	[MEDIA_SDP_SETUP_ACTPASS] = "actpass",
	[MEDIA_SDP_SETUP_ACTIVE] = "active",
	[MEDIA_SDP_SETUP_PASSIVE] = "passive",
	[MEDIA_SDP_SETUP_HOLDCONN] = "holdconn",
};

static const char *const dir_names[] = {
	[MEDIA_SDP_INACTIVE] = "inactive",
	[MEDIA_SDP_SENDONLY] = "sendonly",
	[MEDIA_SDP_RECVONLY] = "recvonly",
	[MEDIA_SDP_SENDRECV] = "sendrecv",
};

const char *media_sdp_dir_name(enum media_sdp_dir dir)
{
	return (unsigned)dir < G_N_ELEMENTS(dir_names) ? dir_names[dir] : "";
}

const char *media_sdp_setup_name(enum media_sdp_setup setup)
{
	return (unsigned)setup < G_N_ELEMENTS(setup_names) ?
		setup_names[setup] : "";
}

enum media_sdp_profile media_sdp_profile_of(const char *proto)
{
	for (size_t i = 0; proto && i < G_N_ELEMENTS(profiles); i++)
		if (g_ascii_strcasecmp(proto, profiles[i].name) == 0)
			return profiles[i].profile;
	return MEDIA_SDP_OTHER;
}

const char *media_sdp_profile_proto(enum media_sdp_profile profile)
{
	switch (profile) {
	case MEDIA_SDP_AVP:
		return "RTP/AVP";
	case MEDIA_SDP_SAVP:
		return "RTP/SAVP";
	case MEDIA_SDP_WEBRTC:
		return "UDP/TLS/RTP/SAVPF";
	default:
		return NULL;
	}
}

static enum media_sdp_setup setup_of(const char *value)
{
	for (size_t i = 1; value && i < G_N_ELEMENTS(setup_names); i++)
		if (g_ascii_strcasecmp(value, setup_names[i]) == 0)
			return i;
	return MEDIA_SDP_SETUP_NONE;
}

static bool to_uint(const char *s, guint64 max, guint64 *out)
{
	return s && g_ascii_string_to_unsigned(s, 10, 0, max, out, NULL);
}

/* Copy a possibly NULL string, truncating to the field. */
#define COPY(field, src) g_strlcpy((field), (src) ? (src) : "", sizeof(field))

/* "1772789915 1 udp 2122194687 127.0.0.1 58141 typ host ..." */
static void parse_candidate(struct media_sdp_stream *s, const char *value)
{
	g_auto(GStrv) tok = g_strsplit(value, " ", 9);
	struct media_sdp_candidate *c;
	guint64 comp, prio, port;

	if (s->n_candidates >= MEDIA_SDP_MAX_CANDIDATES ||
	    g_strv_length(tok) < 8 || strcmp(tok[6], "typ") != 0)
		return;
	/* Ovoz's ICE is UDP only, and never resolves mDNS names: the peer's
	 * address is learnt from its connectivity checks instead. */
	if (g_ascii_strcasecmp(tok[2], "udp") != 0 ||
	    g_str_has_suffix(tok[4], ".local"))
		return;
	if (!to_uint(tok[1], 256, &comp) || comp == 0 ||
	    !to_uint(tok[3], G_MAXUINT32, &prio) ||
	    !to_uint(tok[5], G_MAXUINT16, &port))
		return;
	c = &s->candidates[s->n_candidates++];
	COPY(c->foundation, tok[0]);
	c->component = comp;
	c->priority = prio;
	COPY(c->addr, tok[4]);
	c->port = port;
	COPY(c->type, tok[7]);
}

/* "sha-256 4A:03:..." - only sha-256 is kept (RFC 8122 allows several). */
static void parse_fingerprint(char *dst, size_t size, const char *value)
{
	const char *sp = strchr(value, ' ');

	if (sp && sp - value == 7 && g_ascii_strncasecmp(value, "sha-256", 7) == 0)
		g_strlcpy(dst, sp + 1, size);
}

/* "1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^31 [session params]" */
static void parse_crypto(struct media_sdp_stream *s, const char *value)
{
	g_auto(GStrv) tok = g_strsplit(value, " ", 4);
	struct media_sdp_crypto *c;
	guint64 tag;

	if (s->n_crypto >= MEDIA_SDP_MAX_CRYPTO || g_strv_length(tok) < 3 ||
	    !to_uint(tok[0], 999999999, &tag))
		return;
	c = &s->crypto[s->n_crypto++];
	c->tag = tag;
	COPY(c->suite, tok[1]);
	COPY(c->key, tok[2]);
}

static void parse_port(uint16_t *dst, const char *value)
{
	g_autofree char *first = g_strndup(value, strcspn(value, " "));
	guint64 n;

	if (to_uint(first, G_MAXUINT16, &n))
		*dst = n;
}

static void parse_uint(unsigned *dst, const char *value)
{
	guint64 n;

	if (to_uint(value, 10000, &n))
		*dst = n;
}

static void parse_ice_options(struct media_sdp_stream *s, const char *value)
{
	g_auto(GStrv) tok = g_strsplit(value, " ", 16);

	for (unsigned i = 0; tok[i]; i++)
		if (strcmp(tok[i], "trickle") == 0)
			s->ice_trickle = true;
}

static void attr_rtcp(struct media_sdp_stream *s, const char *v)
{
	parse_port(&s->rtcp_port, v);
}

static void attr_rtcp_mux(struct media_sdp_stream *s, const char *v)
{
	s->rtcp_mux = true;
}

static void attr_mid(struct media_sdp_stream *s, const char *v)
{
	COPY(s->mid, v);
}

static void attr_ice_ufrag(struct media_sdp_stream *s, const char *v)
{
	COPY(s->ice_ufrag, v);
}

static void attr_ice_pwd(struct media_sdp_stream *s, const char *v)
{
	COPY(s->ice_pwd, v);
}

static void attr_end_of_candidates(struct media_sdp_stream *s, const char *v)
{
	s->end_of_candidates = true;
}

static void attr_fingerprint(struct media_sdp_stream *s, const char *v)
{
	parse_fingerprint(s->fingerprint, sizeof(s->fingerprint), v);
}

static void attr_setup(struct media_sdp_stream *s, const char *v)
{
	s->setup = setup_of(v);
}

/* "3086323028 cname:sip:4101@127.0.0.1": a number and a cname without
 * spaces or control bytes; msid and the rest are left out. */
static void attr_ssrc(struct media_sdp_stream *s, const char *v)
{
	const char *sp = strchr(v, ' ');
	g_autofree char *num = NULL;
	guint64 n;

	if (!sp || s->n_ssrc >= MEDIA_SDP_MAX_SSRC ||
	    strncmp(sp + 1, "cname:", 6) != 0 || !sp[7] ||
	    strlen(v) >= sizeof(s->ssrc[0]))
		return;
	num = g_strndup(v, sp - v);
	if (!to_uint(num, G_MAXUINT32, &n))
		return;
	for (const char *c = sp + 1; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return;
	for (unsigned i = 0; i < s->n_ssrc; i++)
		if (strcmp(s->ssrc[i], v) == 0)
			return;
	COPY(s->ssrc[s->n_ssrc], v);
	s->n_ssrc++;
}

static void attr_ptime(struct media_sdp_stream *s, const char *v)
{
	parse_uint(&s->ptime, v);
}

static void attr_maxptime(struct media_sdp_stream *s, const char *v)
{
	parse_uint(&s->maxptime, v);
}

/* Attributes of a stream, media level or session level. Everything else
 * (extmap, rtcp-fb, msid...) is not relayed and so not kept. */
static const struct {
	const char *name;
	void (*parse)(struct media_sdp_stream *s, const char *value);
} attributes[] = {
	{ "rtcp", attr_rtcp },
	{ "rtcp-mux", attr_rtcp_mux },
	{ "mid", attr_mid },
	{ "ice-ufrag", attr_ice_ufrag },
	{ "ice-pwd", attr_ice_pwd },
	{ "ice-options", parse_ice_options },
	{ "candidate", parse_candidate },
	{ "end-of-candidates", attr_end_of_candidates },
	{ "fingerprint", attr_fingerprint },
	{ "setup", attr_setup },
	{ "crypto", parse_crypto },
	{ "ssrc", attr_ssrc },
	{ "ptime", attr_ptime },
	{ "maxptime", attr_maxptime },
};

static void parse_attribute(struct media_sdp_stream *s, const char *name,
			    const char *value)
{
	for (size_t i = 0; name && i < G_N_ELEMENTS(attributes); i++)
		if (g_ascii_strcasecmp(name, attributes[i].name) == 0) {
			attributes[i].parse(s, value ? value : "");
			return;
		}
}

/* "opus/48000/2" into name, rate and channels. */
static bool parse_rtpmap(struct media_sdp_codec *c, const char *value)
{
	g_auto(GStrv) tok = g_strsplit(value, "/", 3);
	guint64 rate, ch = 1;

	if (g_strv_length(tok) < 2 || !*tok[0] ||
	    !to_uint(tok[1], 1000000, &rate) ||
	    (tok[2] && !to_uint(tok[2], 255, &ch)))
		return false;
	COPY(c->name, tok[0]);
	c->rate = rate;
	c->channels = ch ? ch : 1;
	return true;
}

static bool codec_from_rtpmap(struct media_sdp_codec *c, const sdp_rtpmap_t *rm)
{
	guint64 ch = 1;

	if (!rm || !rm->rm_encoding || !*rm->rm_encoding || !rm->rm_rate)
		return false;
	if (rm->rm_params && *rm->rm_params &&
	    !to_uint(rm->rm_params, 255, &ch))
		return false;
	COPY(c->name, rm->rm_encoding);
	c->rate = rm->rm_rate;
	c->channels = ch ? ch : 1;
	COPY(c->fmtp, rm->rm_fmtp);
	return true;
}

/* The value after "PT " of the first a=@name:PT ... attribute, or NULL.
 * (sofia-sip's sdp_attribute_mapped_find() crashes on an attribute with no
 * value, found by fuzz_sdp.c.) */
static const char *mapped_value(const sdp_attribute_t *a, const char *name,
				unsigned pt)
{
	for (; a; a = a->a_next) {
		char *end = NULL;
		guint64 n;

		if (!a->a_name || !a->a_value ||
		    g_ascii_strcasecmp(a->a_name, name) != 0 ||
		    !g_ascii_isdigit(a->a_value[0]))
			continue;
		n = g_ascii_strtoull(a->a_value, &end, 10);
		if (n == pt && *end == ' ')
			return end + strspn(end, " ");
	}
	return NULL;
}

/* A format's codec: sofia's rtpmap, the attribute, or the static table. */
static bool parse_format(const sdp_media_t *m, unsigned pt,
			 struct media_sdp_codec *c)
{
	const char *rtpmap, *fmtp;

	c->pt = pt;
	for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next)
		if (rm->rm_pt == pt && codec_from_rtpmap(c, rm))
			return true;
	rtpmap = mapped_value(m->m_attributes, "rtpmap", pt);
	if (rtpmap) {
		if (!parse_rtpmap(c, rtpmap))
			return false;
		fmtp = mapped_value(m->m_attributes, "fmtp", pt);
		COPY(c->fmtp, fmtp);
		return true;
	}
	return pt < 96 && codec_from_rtpmap(c, sdp_rtpmap_well_known[pt]);
}

static void add_format(struct media_sdp_stream *s, GString *list,
		       const sdp_media_t *m, const char *text)
{
	guint64 pt;

	if (list->len + strlen(text) + 2 < sizeof(s->formats))
		g_string_append_printf(list, "%s%s", list->len ? " " : "", text);
	if (s->profile == MEDIA_SDP_OTHER ||
	    s->n_codecs >= MEDIA_SDP_MAX_CODECS || !to_uint(text, 127, &pt))
		return;
	if (parse_format(m, pt, &s->codecs[s->n_codecs]))
		s->n_codecs++;
}

/* sofia-sip keeps the formats of profiles it knows in m_rtpmaps only. */
static void parse_formats(struct media_sdp_stream *s, const sdp_media_t *m)
{
	GString *list = g_string_new(NULL);
	char pt[4];

	for (const sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
		g_snprintf(pt, sizeof(pt), "%u", rm->rm_pt);
		add_format(s, list, m, pt);
	}
	for (const sdp_list_t *l = m->m_format; l; l = l->l_next)
		add_format(s, list, m, l->l_text);
	COPY(s->formats, list->str);
	g_string_free(list, TRUE);
}

static void parse_stream(struct media_sdp_stream *s, const sdp_session_t *sess,
			 const sdp_media_t *m)
{
	const sdp_connection_t *c = sdp_media_connections(m);

	COPY(s->type, m->m_type_name);
	COPY(s->proto, m->m_proto_name);
	s->profile = media_sdp_profile_of(m->m_proto_name);
	s->audio = m->m_type == sdp_media_audio && s->profile != MEDIA_SDP_OTHER;
	s->port = m->m_port <= G_MAXUINT16 && !m->m_rejected ? m->m_port : 0;
	s->dir = m->m_mode;
	if (c)
		COPY(s->addr, c->c_address);
	parse_formats(s, m);
	/* Session-level values first, so media-level ones win. */
	for (const sdp_attribute_t *a = sess->sdp_attributes; a; a = a->a_next)
		parse_attribute(s, a->a_name, a->a_value);
	for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next)
		parse_attribute(s, a->a_name, a->a_value);
}

static void parse_session(struct media_sdp *sdp, const sdp_session_t *sess)
{
	if (sess->sdp_origin) {
		sdp->sess_id = sess->sdp_origin->o_id;
		sdp->sess_version = sess->sdp_origin->o_version;
	}
	for (const sdp_attribute_t *a = sess->sdp_attributes; a; a = a->a_next) {
		if (strcmp(a->a_name, "ice-lite") == 0)
			sdp->ice_lite = true;
		else if (strcmp(a->a_name, "group") == 0 && a->a_value &&
			 g_str_has_prefix(a->a_value, "BUNDLE") &&
			 (a->a_value[6] == ' ' || !a->a_value[6])) {
			const char *mids = a->a_value + 6;

			while (*mids == ' ')
				mids++;
			sdp->bundle = true;
			COPY(sdp->bundle_mids, mids);
		}
	}
}

/* RFC 4566 token characters: what fields of an m= line are made of. */
static bool is_token_char(uint8_t c)
{
	return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`{|}~", c));
}

/* One m= line from @i: tokens separated by ' ', or by '/' between two
 * token characters. Returns where the line ends, or 0 if it breaks that. */
static size_t media_line_end(const uint8_t *buf, size_t len, size_t i)
{
	for (; i < len && buf[i] != '\r' && buf[i] != '\n'; i++) {
		if (buf[i] == ' ' || is_token_char(buf[i]))
			continue;
		if (buf[i] != '/' || !is_token_char(buf[i - 1]) ||
		    i + 1 == len || !is_token_char(buf[i + 1]))
			return 0;
	}
	return i;
}

/* sofia-sip 1.12.11 loops forever, allocating, on m= lines such as
 * "m=video 7 a:/" or "m=audio 0 x 1//1", even indented (found by
 * fuzz_sdp.c). Neither is valid SDP: such bodies are refused before
 * sofia-sip sees them. */
static bool media_lines_ok(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		/* At the start of a line. */
		while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (i + 1 < len && buf[i] == 'm' && buf[i + 1] == '=') {
			i = media_line_end(buf, len, i + 2);
			if (!i)
				return false;
		}
		while (i < len && buf[i] != '\r' && buf[i] != '\n')
			i++;
		while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
			i++;
	}
	return true;
}

int media_sdp_parse(struct media_sdp **out, const uint8_t *buf, size_t len)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct media_sdp *sdp = NULL;
	const sdp_session_t *sess;
	sdp_parser_t *p;
	int rc = EINVAL;

	if (len > MEDIA_SDP_MAX_BODY)
		return E2BIG;
	/* SDP is text. sofia-sip 1.12.11 mis-sizes a body with a NUL inside
	 * and asks for gigabytes (found by tests/fuzz/fuzz_sdp.c). */
	if (!buf || memchr(buf, '\0', len) || !media_lines_ok(buf, len))
		return EINVAL;
	/* c=0.0.0.0 is the old (RFC 2543) way to put a call on hold. */
	p = sdp_parse(home, (const char *)buf, len, sdp_f_mode_0000);
	sess = p && !sdp_parsing_error(p) ? sdp_session(p) : NULL;
	if (!sess)
		goto out;
	{
		unsigned n = 0;

		for (const sdp_media_t *m = sess->sdp_media; m; m = m->m_next)
			n++;
		if (n > MEDIA_SDP_MAX_STREAMS)
			goto out;
		sdp = media_sdp_alloc(n);
	}
	parse_session(sdp, sess);
	for (const sdp_media_t *m = sess->sdp_media; m; m = m->m_next)
		parse_stream(&sdp->streams[sdp->n_streams++], sess, m);
	*out = g_steal_pointer(&sdp);
	rc = 0;
out:
	media_sdp_free(sdp);
	if (p)
		sdp_parser_free(p);
	su_home_deinit(home);
	return rc;
}

struct media_sdp *media_sdp_alloc(unsigned n)
{
	return g_malloc0(sizeof(struct media_sdp) +
			 (size_t)n * sizeof(struct media_sdp_stream));
}

void media_sdp_free(struct media_sdp *sdp)
{
	g_free(sdp);
}

const struct media_sdp_stream *media_sdp_audio(const struct media_sdp *sdp,
					       unsigned *index)
{
	for (unsigned i = 0; sdp && i < sdp->n_streams; i++) {
		const struct media_sdp_stream *s = &sdp->streams[i];

		if (s->audio && s->port) {
			if (index)
				*index = i;
			return s;
		}
	}
	return NULL;
}

bool media_sdp_is_ice_restart(const struct media_sdp *before,
			      const struct media_sdp *now)
{
	const struct media_sdp_stream *a = media_sdp_audio(before, NULL);
	const struct media_sdp_stream *b = media_sdp_audio(now, NULL);

	if (!a || !b || !*a->ice_ufrag || !*b->ice_ufrag)
		return false;
	return strcmp(a->ice_ufrag, b->ice_ufrag) != 0 ||
	       strcmp(a->ice_pwd, b->ice_pwd) != 0;
}
