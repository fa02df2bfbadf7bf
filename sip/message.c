/* sip/message.c - parse, build and encode SIP messages with sofia-sip. */
#define _GNU_SOURCE /* memmem */
#define G_LOG_DOMAIN "ovoz-message"

#include "message.h"
#include "message_private.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <sofia-sip/bnf.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/msg_parser.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

/* Placeholder R-URI for requests whose request line does not parse. */
#define MESSAGE_BAD_START_URI " sip:invalid.invalid SIP/2.0"

/*
 * sofia-sip parses unknown method names as RFC 2396 "unreserved" and so
 * refuses '+' and '`', which RFC 3261 allows in a token (RFC 4475
 * intmeth.dat must be accepted). Its header classes are const, so we use
 * a copy of the default message class whose request line and CSeq parsers
 * accept any token; everything else is sofia-sip's own.
 */
static void message_method_set(sip_method_t *code, char const **name, char *s)
{
	*code = sip_method_code(s);
	if (*code < 0)
		*code = sip_method_unknown;
	*name = *code == sip_method_unknown ? s : sip_method_name(*code, s);
}

static issize_t message_request_d(su_home_t *home, msg_header_t *h, char *s,
				  isize_t slen)
{
	sip_request_t *rq = (sip_request_t *)h;
	char *uri, *version;
	size_t n;

	if (msg_firstline_d(s, &uri, &version) < 0 || !uri || !version)
		return -1;
	n = span_token(s);
	if (n == 0 || s[n] != '\0')
		return -1;
	message_method_set(&rq->rq_method, &rq->rq_method_name, s);
	if (url_d(rq->rq_url, uri) < 0 ||
	    sip_version_d(&version, &rq->rq_version) < 0 || *version)
		return -1;
	return 0;
}

static issize_t message_cseq_d(su_home_t *home, msg_header_t *h, char *s,
			       isize_t slen)
{
	sip_cseq_t *cs = (sip_cseq_t *)h;
	size_t n;

	if (msg_uint32_d(&s, &cs->cs_seq) < 0)
		return -1;
	skip_lws(&s);
	n = span_token(s);
	if (n == 0 || s[n + span_lws(s + n)] != '\0')
		return -1;
	s[n] = '\0';
	message_method_set(&cs->cs_method, &cs->cs_method_name, s);
	return 0;
}

static struct msg_hclass_s message_request_class;
static struct msg_hclass_s message_cseq_class;

/*
 * The CSeq entry is replaced in the name table, so received CSeq headers
 * use our parser. sofia's own sip_cseq_class is kept in the first free
 * slot after it on the same probe chain: msg_hclass_offset() looks classes
 * up by pointer, so headers made with sip_cseq_class (SIPTAG_CSEQ,
 * sip_cseq_create) can still be added to our messages.
 */
static int message_mclass_patch_cseq(msg_mclass_t *mc)
{
	int n = mc->mc_hash_size, j, k;

	for (j = sip_cseq_class->hc_hash % n; mc->mc_hash[j].hr_class;
	     j = (j + 1) % n)
		if (mc->mc_hash[j].hr_class == sip_cseq_class)
			break;
	if (!mc->mc_hash[j].hr_class || mc->mc_hash_used + 1 >= n)
		return -1;
	for (k = (j + 1) % n; mc->mc_hash[k].hr_class; k = (k + 1) % n)
		;
	mc->mc_hash[k] = mc->mc_hash[j];
	mc->mc_hash[j].hr_class = &message_cseq_class;
	mc->mc_hash_used++;
	return 0;
}

static msg_mclass_t const *message_mclass(void)
{
	static gsize once;
	static msg_mclass_t *mc;

	if (g_once_init_enter(&once)) {
		msg_mclass_t *c = msg_mclass_clone(sip_default_mclass(), 0, 0);

		memcpy(&message_request_class, sip_request_class,
		       sizeof(message_request_class));
		message_request_class.hc_parse = message_request_d;
		memcpy(&message_cseq_class, sip_cseq_class,
		       sizeof(message_cseq_class));
		message_cseq_class.hc_parse = message_cseq_d;
		if (c) {
			c->mc_request[0].hr_class = &message_request_class;
			if (message_mclass_patch_cseq(c) < 0) {
				free(c);
				c = NULL;
			}
		}
		/* Without the copy, fall back to sofia's stricter class. */
		mc = c ? c : (msg_mclass_t *)sip_default_mclass();
		g_once_init_leave(&once, 1);
	}
	return mc;
}

static void message_destroy(struct sip_message *m)
{
	if (m->msg)
		msg_destroy(m->msg);
	g_free(m->start_line);
	g_free(m->proxy_require);
}

static struct sip_message *message_wrap(msg_t *msg)
{
	struct sip_message *m = g_rc_box_new0(struct sip_message);

	m->msg = msg;
	m->sip = sip_object(msg);
	return m;
}

/* Offset of the first line (sofia skips leading LWS) and its end. */
static void message_first_line(const uint8_t *buf, size_t len, size_t *start,
			       size_t *end)
{
	size_t k = 0, e;

	while (k < len && IS_LWS(buf[k]))
		k++;
	for (e = k; e < len && buf[e] != '\r' && buf[e] != '\n'; e++)
		;
	*start = k;
	*end = e;
}

/*
 * Re-parse a request whose request line sofia refused, with the line
 * replaced by a placeholder, so that the headers needed for a 400 exist.
 * Only for lines that start with a method token followed by SP.
 */
static msg_t *message_parse_bad_start(const uint8_t *buf, size_t len,
				      size_t start, size_t end)
{
	g_autoptr(GByteArray) ba = NULL;
	size_t t = start;

	while (t < end && IS_TOKEN(buf[t]))
		t++;
	if (t == start || t == end || buf[t] != ' ')
		return NULL;
	ba = g_byte_array_sized_new(len + sizeof(MESSAGE_BAD_START_URI));
	g_byte_array_append(ba, buf + start, t - start);
	g_byte_array_append(ba, (const guint8 *)MESSAGE_BAD_START_URI,
			    strlen(MESSAGE_BAD_START_URI));
	g_byte_array_append(ba, buf + end, len - end);
	return msg_make(message_mclass(), 0, ba->data, ba->len);
}

static char *message_join_proxy_require(const sip_t *sip)
{
	g_autoptr(GString) s = NULL;
	const sip_proxy_require_t *pr;

	if (!sip->sip_proxy_require)
		return NULL;
	s = g_string_new(NULL);
	for (pr = sip->sip_proxy_require; pr; pr = pr->k_next)
		for (size_t i = 0; pr->k_items && pr->k_items[i]; i++)
			g_string_append_printf(s, "%s%s", s->len ? ", " : "",
					       pr->k_items[i]);
	return s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

/*
 * sofia-sip parses header text as C strings: a NUL octet cuts the header
 * short and it fails (RFC 4475 intmeth.dat has "\<NUL>" in a quoted
 * display name, a legal quoted-pair). Such quoted-pairs in the header
 * section become "\<SP>" in a private copy; bodies are never touched.
 * Returns the copy, or NULL when there is nothing to change.
 */
static uint8_t *message_unnul_headers(const uint8_t *buf, size_t len)
{
	const uint8_t *end = memmem(buf, len, "\r\n\r\n", 4);
	size_t hlen = end ? (size_t)(end - buf) : len;
	uint8_t *copy = NULL;

	for (size_t i = 1; i < hlen; i++) {
		if (buf[i] != '\0' || buf[i - 1] != '\\')
			continue;
		if (!copy)
			copy = g_memdup2(buf, len);
		copy[i] = ' ';
	}
	return copy;
}

int sip_message_parse(struct sip_message **out, const uint8_t *buf,
		      size_t len)
{
	g_autofree uint8_t *unnul = NULL;
	struct sip_message *m;
	size_t start, end;
	bool bad_start = false;
	msg_t *msg;

	if (len > SIP_MESSAGE_MAX_SIZE)
		return EMSGSIZE;
	if (len == 0)
		return EBADMSG;
	unnul = message_unnul_headers(buf, len);
	if (unnul)
		buf = unnul;
	/* msg_make() copies the datagram, parses it as complete (eos), takes
	 * Content-Length bytes of body (or all the rest without one) and
	 * leaves any trailing octets unparsed (RFC 4475 dblreq.dat). */
	msg = msg_make(message_mclass(), 0, buf, (ssize_t)len);
	if (!msg)
		return EBADMSG;
	message_first_line(buf, len, &start, &end);
	if (!sip_object(msg)->sip_request && !sip_object(msg)->sip_status) {
		msg_destroy(msg);
		msg = message_parse_bad_start(buf, len, start, end);
		if (!msg || !sip_object(msg)->sip_request) {
			if (msg)
				msg_destroy(msg);
			return EBADMSG;
		}
		bad_start = true;
	}
	m = message_wrap(msg);
	m->bad_start = bad_start;
	m->start_line = g_strndup((const char *)buf + start, end - start);
	m->proxy_require = message_join_proxy_require(m->sip);
	*out = m;
	return 0;
}

struct sip_message *sip_message_ref(struct sip_message *m)
{
	return m ? g_rc_box_acquire(m) : NULL;
}

void sip_message_unref(struct sip_message *m)
{
	if (m)
		g_rc_box_release_full(m, (GDestroyNotify)message_destroy);
}

bool sip_message_is_request(const struct sip_message *m)
{
	return m->sip->sip_request != NULL;
}

sip_t *sip_message_sip(const struct sip_message *m)
{
	return m->sip;
}

msg_t *sip_message_msg(const struct sip_message *m)
{
	return m->msg;
}

const char *sip_message_method(const struct sip_message *m)
{
	if (m->sip->sip_request)
		return m->sip->sip_request->rq_method_name;
	return m->sip->sip_cseq ? m->sip->sip_cseq->cs_method_name : NULL;
}

int sip_message_status(const struct sip_message *m)
{
	return m->sip->sip_status ? m->sip->sip_status->st_status : 0;
}

/* Copy one header (list) of @req into @msg; absent headers are skipped. */
static int message_copy(msg_t *msg, sip_t *sip, const void *h)
{
	if (!h)
		return 0;
	return sip_add_dup(msg, sip, (const sip_header_t *)h) < 0 ? ENOMEM : 0;
}

int sip_message_new_reply(struct sip_message **out,
			  const struct sip_message *req, int status,
			  const char *reason, const char *to_tag)
{
	const sip_t *rs = req->sip;
	g_autofree char *tag = NULL;
	sip_status_t *st;
	msg_t *msg;
	sip_t *sip;
	int err;

	if (!rs->sip_request || status < 100 || status > 699)
		return EINVAL;
	msg = msg_create(message_mclass(), 0);
	if (!msg)
		return ENOMEM;
	sip = sip_object(msg);
	st = sip_status_create(msg_home(msg), (unsigned)status, reason, NULL);
	err = st && msg_header_insert(msg, (msg_pub_t *)sip,
				      (msg_header_t *)st) == 0 ? 0 : ENOMEM;
	if (!err)
		err = message_copy(msg, sip, rs->sip_via);
	if (!err)
		err = message_copy(msg, sip, rs->sip_from);
	if (!err)
		err = message_copy(msg, sip, rs->sip_to);
	if (!err)
		err = message_copy(msg, sip, rs->sip_call_id);
	if (!err)
		err = message_copy(msg, sip, rs->sip_cseq);
	if (!err && status > 100 && sip->sip_to && !sip->sip_to->a_tag) {
		if (!to_tag)
			to_tag = tag = g_strdup_printf("%08x%08x",
						       g_random_int(),
						       g_random_int());
		if (sip_to_tag(msg_home(msg), sip->sip_to, to_tag) < 0)
			err = EINVAL;
	}
	if (err) {
		msg_destroy(msg);
		return err;
	}
	*out = message_wrap(msg);
	return 0;
}

int sip_message_new_request(struct sip_message **out, const char *method,
			    const url_string_t *ruri)
{
	sip_method_t code;
	sip_request_t *rq;
	msg_t *msg;

	if (!method || !*method || !ruri ||
	    span_token(method) != (isize_t)strlen(method))
		return EINVAL;
	msg = msg_create(message_mclass(), 0);
	if (!msg)
		return ENOMEM;
	code = sip_method_code(method);
	if (code < 0)
		code = sip_method_unknown;
	rq = sip_request_create(msg_home(msg), code, method, ruri, NULL);
	if (!rq || rq->rq_url->url_type == url_invalid ||
	    msg_header_insert(msg, (msg_pub_t *)sip_object(msg),
			      (msg_header_t *)rq) < 0) {
		msg_destroy(msg);
		return EINVAL;
	}
	*out = message_wrap(msg);
	return 0;
}

int sip_message_add_copy(struct sip_message *m, const void *h, bool all)
{
	msg_header_t *copy;

	if (!h)
		return 0;
	if (all)
		return message_copy(m->msg, m->sip, h);
	copy = msg_header_dup_one(msg_home(m->msg), (const msg_header_t *)h);
	if (!copy || msg_header_insert(m->msg, (msg_pub_t *)m->sip, copy) < 0)
		return ENOMEM;
	return 0;
}

int sip_message_dup(struct sip_message **out, const struct sip_message *m)
{
	msg_t *copy = msg_dup(m->msg);
	struct sip_message *d;

	if (!copy)
		return ENOMEM;
	d = message_wrap(copy);
	d->bad_start = m->bad_start;
	d->start_line = g_strdup(m->start_line);
	d->proxy_require = g_strdup(m->proxy_require);
	*out = d;
	return 0;
}

int sip_message_add_header(struct sip_message *m, const char *name,
			   const char *value)
{
	msg_mclass_t const *mc = msg_mclass(m->msg);
	g_autofree char *line = NULL, *long_head = NULL;
	char head[64];
	size_t nlen;
	msg_href_t const *hr;
	msg_header_t *h;
	isize_t n = 0;

	/* No header injection through the value. */
	if (!name || !value || strpbrk(value, "\r\n") ||
	    span_token(name) != (isize_t)(nlen = strlen(name)) || !*name)
		return EINVAL;
	/* The class is found by the name alone: "Name:" on the stack, the
	 * whole line only for a header sofia does not know. */
	if (nlen + 2 <= sizeof(head)) {
		memcpy(head, name, nlen);
		memcpy(head + nlen, ":", 2);
	} else {
		long_head = g_strdup_printf("%s:", name);
	}
	hr = msg_find_hclass(mc, long_head ? long_head : head, &n);
	if (!hr || n == 0)
		return EINVAL;
	if (hr->hr_class == mc->mc_unknown->hr_class) {
		line = g_strdup_printf("%s: %s", name, value);
		h = msg_header_make(msg_home(m->msg), hr->hr_class, line);
	} else {
		h = msg_header_make(msg_home(m->msg), hr->hr_class, value);
	}
	if (!h)
		return EINVAL;
	if (msg_header_insert(m->msg, (msg_pub_t *)m->sip, h) < 0)
		return ENOMEM;
	if (hr->hr_class == sip_proxy_require_class) {
		g_free(m->proxy_require);
		m->proxy_require = message_join_proxy_require(m->sip);
	}
	return 0;
}

char *sip_message_serialize(struct sip_message *m, size_t *len)
{
	msg_iovec_t *vec;
	isize_t n, i;
	GByteArray *ba;

	/* Adds Content-Length (and the empty line) when missing, fixes a
	 * wrong one; the body itself is kept as received. */
	if (sip_complete_message(m->msg) < 0 && !m->sip->sip_content_length)
		return NULL;
	if (msg_serialize(m->msg, (msg_pub_t *)m->sip) < 0 ||
	    msg_prepare(m->msg) < 0)
		return NULL;
	n = msg_iovec(m->msg, NULL, 0);
	if (n <= 0)
		return NULL;
	vec = g_new0(msg_iovec_t, n);
	msg_iovec(m->msg, vec, n);
	ba = g_byte_array_new();
	for (i = 0; i < n; i++)
		g_byte_array_append(ba, (const guint8 *)vec[i].mv_base,
				    (guint)vec[i].mv_len);
	g_free(vec);
	*len = ba->len;
	/* NUL-terminated for convenience; the body may contain NULs. */
	g_byte_array_append(ba, (const guint8 *)"", 1);
	return (char *)g_byte_array_free(ba, FALSE);
}

int sip_message_send(struct sip_message *m, struct sip_transport *tp,
		     const struct sip_addr *dst)
{
	g_autofree char *bytes = NULL;
	size_t len;

	if (!tp)
		return ENOTCONN;
	bytes = m ? sip_message_serialize(m, &len) : NULL;
	if (!bytes)
		return EINVAL;
	return sip_transport_send(tp, dst, bytes, len);
}

char *sip_message_header_text(const struct sip_message *m, const char *name)
{
	msg_mclass_t const *mc = msg_mclass(m->msg);
	g_autofree char *line = g_strdup_printf("%s:", name);
	msg_href_t const *hr;
	msg_header_t *h;
	const sip_unknown_t *u;
	isize_t n = 0;

	hr = msg_find_hclass(mc, line, &n);
	if (!hr || n == 0)
		return NULL;
	if (hr->hr_class == mc->mc_unknown->hr_class) {
		for (u = m->sip->sip_unknown; u; u = u->un_next)
			if (u->un_name && g_ascii_strcasecmp(u->un_name,
							     name) == 0)
				return g_strdup(u->un_value ? u->un_value : "");
		return NULL;
	}
	h = *(msg_header_t **)((char *)m->sip + hr->hr_offset);
	return h ? sip_message_field_text(h) : NULL;
}

char *sip_message_field_text(const msg_header_t *h)
{
	isize_t len;
	char *out;

	if (!h)
		return NULL;
	len = msg_header_field_e(NULL, 0, h, 0);
	if (len < 0)
		return NULL;
	/* sofia-sip's parameter encoder writes a parameter only when one
	 * byte more than it needs is left: with exactly len + 1 bytes the
	 * last parameter (";expires=300", ";+sip.instance=...") is left
	 * unwritten, uninitialised, though the length counts it. */
	out = g_malloc0(len + 2);
	msg_header_field_e(out, len + 2, h, 0);
	out[len] = '\0';
	return out;
}
