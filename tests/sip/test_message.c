/* tests/sip/test_message.c - parsing, checks, replies and encoding. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "sip/message.h"

static const char register_msg[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfirst\r\n"
	"Max-Forwards: 70\r\n"
	"To: <sip:1001@example.com>\r\n"
	"From: <sip:1001@example.com>;tag=a73kszlfl\r\n"
	"Call-ID: 1j9FpLxk3uxtm8tn@df7jal23ls0d.invalid\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:1001@df7jal23ls0d.invalid;transport=ws>\r\n"
	"User-Agent: SIP.js/0.21.2\r\n"
	"X-Custom: hello  world\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char sdp_body[] =
	"v=0\r\n"
	"o=- 1 1 IN IP4 192.0.2.10\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.10\r\n"
	"t=0 0\r\n"
	"m=audio 49170 RTP/AVP 0\r\n"
	"a=rtpmap:0 PCMU/8000\r\n";

static struct sip_message *parse_text(const char *text, size_t len)
{
	struct sip_message *m = NULL;

	assert_int_equal(sip_message_parse(&m, (const uint8_t *)text, len), 0);
	assert_non_null(m);
	return m;
}

static void test_parse_register(void **state)
{
	struct sip_message *m = parse_text(register_msg, strlen(register_msg));
	struct sip_verdict v;
	sip_t *sip = sip_message_sip(m);
	char *ua, *custom;

	assert_true(sip_message_is_request(m));
	assert_string_equal(sip_message_method(m), "REGISTER");
	assert_int_equal(sip_message_status(m), 0);
	assert_true(sip_message_check(m, &v));
	assert_int_equal(v.status, 0);
	assert_non_null(sip->sip_via->v_next);
	assert_string_equal(sip->sip_from->a_tag, "a73kszlfl");
	ua = sip_message_header_text(m, "User-Agent");
	assert_string_equal(ua, "SIP.js/0.21.2");
	custom = sip_message_header_text(m, "x-custom");
	assert_string_equal(custom, "hello  world");
	assert_null(sip_message_header_text(m, "Subject"));
	g_free(ua);
	g_free(custom);
	sip_message_unref(m);
}

/* JsSIP's Contact: longer than 127 bytes, its last parameter must come
 * out whole (sofia-sip's own sip_header_as_string() leaves it unwritten). */
static void test_long_contact_text(void **state)
{
	static const char contact[] =
		"<sip:nuk6n185@ssret33171rn.invalid;transport=ws>;+sip.ice;"
		"reg-id=1;+sip.instance=\"<urn:uuid:1a5dfa1a-426c-43ad-b20d-"
		"157b6bf57b4c>\";expires=300";
	g_autofree char *text = g_strdup_printf(
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/WSS ssret33171rn.invalid;branch=z9hG4bK1\r\n"
		"To: <sip:1003@example.com>\r\n"
		"From: <sip:1003@example.com>;tag=ks676fr10t\r\n"
		"Call-ID: dflab4j712nc9052o3p22o\r\nCSeq: 2 REGISTER\r\n"
		"Contact: %s\r\nContent-Length: 0\r\n\r\n", contact);
	struct sip_message *m = parse_text(text, strlen(text));
	g_autofree char *v = sip_message_field_text(
		(const msg_header_t *)sip_message_sip(m)->sip_contact);
	g_autofree char *h = sip_message_header_text(m, "Contact");

	(void)state;
	assert_true(strlen(contact) > 128);
	assert_string_equal(v, contact);
	assert_string_equal(h, contact);
	assert_null(sip_message_field_text(NULL));
	sip_message_unref(m);
}

static void test_invite_body_byte_exact(void **state)
{
	g_autofree char *text = g_strdup_printf(
		"INVITE sip:1002@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:1002@example.com>\r\n"
		"From: \"Alice\" <sip:1001@example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		strlen(sdp_body), sdp_body);
	struct sip_message *m = parse_text(text, strlen(text));
	struct sip_message *again;
	struct sip_verdict v;
	size_t len = 0;
	char *out;
	const char *body;
	sip_t *sip = sip_message_sip(m);

	assert_true(sip_message_check(m, &v));
	assert_int_equal(sip->sip_payload->pl_len, strlen(sdp_body));
	assert_memory_equal(sip->sip_payload->pl_data, sdp_body,
			    strlen(sdp_body));
	out = sip_message_serialize(m, &len);
	assert_non_null(out);
	body = strstr(out, "\r\n\r\n");
	assert_non_null(body);
	assert_int_equal(len - (size_t)(body + 4 - out), strlen(sdp_body));
	assert_memory_equal(body + 4, sdp_body, strlen(sdp_body));
	/* What we encode parses back to the same thing. */
	again = parse_text(out, len);
	assert_true(sip_message_check(again, &v));
	assert_string_equal(sip_message_method(again), "INVITE");
	sip_message_unref(again);
	g_free(out);
	sip_message_unref(m);
}

static void test_reply(void **state)
{
	struct sip_message *req = parse_text(register_msg,
					     strlen(register_msg));
	struct sip_message *rsp = NULL, *trying = NULL, *back;
	sip_t *sip;
	size_t len;
	char *out;

	assert_int_equal(sip_message_new_reply(&rsp, req, 401, NULL, "tt1"),
			 0);
	assert_int_equal(sip_message_add_header(rsp, "WWW-Authenticate",
						"Digest realm=\"example.com\", "
						"nonce=\"abc\", qop=\"auth\""),
			 0);
	assert_int_equal(sip_message_add_header(rsp, "Server", "Ovoz"), 0);
	assert_int_equal(sip_message_add_header(rsp, "X-Bad", "a\r\nVia: x"),
			 EINVAL);
	assert_int_equal(sip_message_add_header(rsp, "Bad Name", "a"), EINVAL);
	assert_int_equal(sip_message_add_header(rsp, "Expires", "soon"),
			 EINVAL);
	out = sip_message_serialize(rsp, &len);
	assert_non_null(out);
	assert_true(g_str_has_prefix(out, "SIP/2.0 401 Unauthorized\r\n"));
	assert_non_null(strstr(out, "Content-Length: 0\r\n"));
	back = parse_text(out, len);
	sip = sip_message_sip(back);
	assert_int_equal(sip_message_status(back), 401);
	assert_string_equal(sip_message_method(back), "REGISTER");
	assert_string_equal(sip->sip_to->a_tag, "tt1");
	assert_string_equal(sip->sip_from->a_tag, "a73kszlfl");
	assert_string_equal(sip->sip_via->v_branch, "z9hG4bKnashds7");
	assert_string_equal(sip->sip_via->v_next->v_branch, "z9hG4bKfirst");
	assert_string_equal(sip->sip_call_id->i_id,
			    "1j9FpLxk3uxtm8tn@df7jal23ls0d.invalid");
	assert_int_equal(sip->sip_cseq->cs_seq, 1);
	assert_non_null(sip->sip_www_authenticate);
	g_free(out);
	sip_message_unref(back);
	sip_message_unref(rsp);

	/* 100 Trying gets no tag; a random tag otherwise. */
	assert_int_equal(sip_message_new_reply(&trying, req, 100, NULL, NULL),
			 0);
	assert_null(sip_message_sip(trying)->sip_to->a_tag);
	sip_message_unref(trying);
	assert_int_equal(sip_message_new_reply(&rsp, req, 200, "OK", NULL), 0);
	assert_non_null(sip_message_sip(rsp)->sip_to->a_tag);
	assert_true(strlen(sip_message_sip(rsp)->sip_to->a_tag) >= 8);
	assert_int_equal(sip_message_new_reply(&trying, rsp, 200, NULL, NULL),
			 EINVAL);
	sip_message_unref(rsp);
	sip_message_unref(req);
}

static void test_too_large(void **state)
{
	size_t len = SIP_MESSAGE_MAX_SIZE + 1;
	uint8_t *buf = g_malloc0(len);
	struct sip_message *m = NULL;

	memcpy(buf, register_msg, strlen(register_msg));
	assert_int_equal(sip_message_parse(&m, buf, len), EMSGSIZE);
	assert_null(m);
	assert_int_equal(sip_message_parse(&m, buf, 0), EBADMSG);
	assert_int_equal(sip_message_parse(&m, (const uint8_t *)"\r\n", 2),
			 EBADMSG);
	assert_null(m);
	g_free(buf);
}

/* ---- RFC 4475 / RFC 5118 corpora against verdicts.tsv ---- */

struct expect {
	int allowed[4];
	size_t n;
};

static void expect_add(struct expect *e, int status)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->allowed[i] == status)
			return;
	assert_true(e->n < G_N_ELEMENTS(e->allowed));
	e->allowed[e->n++] = status;
}

/* "REJECT 400 (or tolerate)" -> {400, 0}; "DROP" -> {-1};
 * "PARSE OK, DROP" -> {0, -1}: bcast is dropped by routing, not here;
 * "UAS 415 / proxy forwards" -> {0} (we are the proxy). */
static struct expect expect_from_text(const char *text)
{
	struct expect e = { 0 };
	g_auto(GStrv) words = g_strsplit_set(text, " ,/()", -1);

	if (strstr(text, "ACCEPT") || strstr(text, "PARSE OK") ||
	    strstr(text, "TOLERATE") || strstr(text, "tolerate") ||
	    strstr(text, "forwards"))
		expect_add(&e, 0);
	if (strstr(text, "DROP"))
		expect_add(&e, -1);
	if (strstr(text, "REJECT") || g_str_has_prefix(text, "proxy"))
		for (size_t i = 0; words[i]; i++)
			if (strlen(words[i]) == 3 &&
			    g_ascii_isdigit(words[i][0]))
				expect_add(&e, atoi(words[i]));
	return e;
}

static int verdict_of(const char *path, struct sip_verdict *v,
		      struct sip_message **out)
{
	g_autofree char *data = NULL;
	struct sip_message *m = NULL;
	gsize len = 0;
	int err;

	assert_true(g_file_get_contents(path, &data, &len, NULL));
	err = sip_message_parse(&m, (const uint8_t *)data, len);
	if (err) {
		/* Not even a start line: nothing to answer, dropped. */
		assert_int_equal(err, EBADMSG);
		v->status = -1;
		*out = NULL;
		return -1;
	}
	sip_message_check(m, v);
	*out = m;
	return v->status;
}

static void check_corpus(const char *dir, const char *extra_file,
			 const char *extra_expect)
{
	const char *shared = g_getenv("OVOZ_SHARED");
	g_autofree char *base = NULL, *tsv_path = NULL, *tsv = NULL;
	g_auto(GStrv) lines = NULL;
	int col = -1, checked = 0;

	assert_non_null(shared);
	base = g_build_filename(shared, "corpora", dir, NULL);
	tsv_path = g_build_filename(base, "verdicts.tsv", NULL);
	assert_true(g_file_get_contents(tsv_path, &tsv, NULL, NULL));
	lines = g_strsplit(tsv, "\n", -1);
	for (size_t i = 0; lines[i]; i++) {
		g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
		g_autofree char *path = NULL;
		struct sip_message *m;
		struct sip_verdict v;
		struct expect e;
		bool ok = false;
		int st;

		if (g_strv_length(f) < 3)
			continue;
		if (col < 0) {
			for (int c = 0; f[c]; c++)
				if (strcmp(f[c], "expected") == 0)
					col = c;
			assert_true(col > 0);
			continue;
		}
		e = expect_from_text(f[col]);
		assert_true(e.n > 0);
		path = g_build_filename(base, f[0], NULL);
		st = verdict_of(path, &v, &m);
		for (size_t k = 0; k < e.n; k++)
			ok = ok || e.allowed[k] == st;
		if (!ok)
			fail_msg("%s: expected \"%s\", got %d (%s)", f[0],
				 f[col], st, v.reason ? v.reason : "-");
		if (st > 0)
			assert_non_null(v.reason);
		sip_message_unref(m);
		checked++;
	}
	if (extra_file) {
		g_autofree char *path = g_build_filename(base, extra_file, NULL);
		struct expect e = expect_from_text(extra_expect);
		struct sip_message *m;
		struct sip_verdict v;

		assert_int_equal(verdict_of(path, &v, &m), e.allowed[0]);
		sip_message_unref(m);
	}
	assert_true(checked >= 12);
}

static void test_rfc4475(void **state)
{
	check_corpus("rfc4475", "extras/baddn.terminated.dat", "REJECT 400");
}

static void test_rfc5118(void **state)
{
	check_corpus("rfc5118", NULL, NULL);
}

static struct sip_message *load_torture(const char *name)
{
	g_autofree char *path = g_build_filename(
		g_getenv("OVOZ_SHARED"), "corpora", "rfc4475", name, NULL);
	g_autofree char *data = NULL;
	gsize len;

	assert_true(g_file_get_contents(path, &data, &len, NULL));
	return parse_text(data, len);
}

static void test_torture_details(void **state)
{
	struct sip_message *m;
	struct sip_verdict v;
	size_t len;
	char *out;

	m = load_torture("bext01.dat");
	assert_false(sip_message_check(m, &v));
	assert_int_equal(v.status, 420);
	assert_string_equal(v.unsupported,
			    "noProxiesSupportThis, norDoAnyProxiesSupportThis");
	sip_message_unref(m);

	m = load_torture("intmeth.dat");
	assert_true(sip_message_check(m, &v));
	assert_string_equal(sip_message_method(m),
			    "!interesting-Method0123456789_*+`.%indeed'~");
	sip_message_unref(m);

	m = load_torture("dblreq.dat");
	assert_true(sip_message_check(m, &v));
	assert_string_equal(sip_message_method(m), "REGISTER");
	out = sip_message_serialize(m, &len);
	assert_null(strstr(out, "INVITE"));
	g_free(out);
	sip_message_unref(m);

	m = load_torture("inv2543.dat");
	assert_true(sip_message_check(m, &v));
	assert_non_null(sip_message_sip(m)->sip_payload);
	assert_true(sip_message_sip(m)->sip_payload->pl_len > 0);
	sip_message_unref(m);

	m = load_torture("insuf.dat");
	assert_false(sip_message_check(m, &v));
	assert_int_equal(v.status, 400);
	assert_string_equal(v.reason, "Bad Request - Missing From");
	sip_message_unref(m);

	m = load_torture("zeromf.dat");
	assert_false(sip_message_check(m, &v));
	assert_int_equal(v.status, 483);
	sip_message_unref(m);

	/* Binary multipart body survives parse + encode byte for byte. */
	m = load_torture("mpart01.dat");
	{
		sip_t *sip = sip_message_sip(m);
		size_t blen = sip->sip_payload->pl_len;
		g_autofree char *body = g_memdup2(sip->sip_payload->pl_data,
						  blen);
		const char *sep;

		out = sip_message_serialize(m, &len);
		sep = strstr(out, "\r\n\r\n");
		assert_non_null(sep);
		assert_int_equal(len - (size_t)(sep + 4 - out), blen);
		assert_memory_equal(sep + 4, body, blen);
		g_free(out);
	}
	sip_message_unref(m);
}

/* ---- PROTOS c07-sip: render every case, parse, check. ---- */

static bool protos_take(const char *raw, gsize len, gsize *off,
			const char **tmpl, gsize *tlen)
{
	const char *sp = memchr(raw + *off, ' ', len - *off);
	guint64 n;

	if (!sp)
		return false;
	n = g_ascii_strtoull(raw + *off, NULL, 10);
	if (n > len - (gsize)(sp + 1 - raw))
		return false;
	*tmpl = sp + 1;
	*tlen = (gsize)n;
	*off = (gsize)(sp + 1 - raw) + (gsize)n;
	return true;
}

static GByteArray *protos_render(const char *t, gsize tlen, unsigned num)
{
	char branch[16], callid[32], cseq[16];
	const char *keys[] = { "<To>", "<From>", "<From-Address>",
			       "<From-IP>", "<Local-Port>", "<Branch-ID>",
			       "<Call-ID>", "<CSeq>", "<Teardown-Method>" };
	const char *vals[] = { "test@127.0.0.1", "protos@127.0.0.1",
			       "127.0.0.1", "127.0.0.1", "5070", branch,
			       callid, cseq, "CANCEL" };
	GByteArray *b = g_byte_array_sized_new(tlen + 256), *o;
	const guint8 *sep;

	snprintf(branch, sizeof(branch), "%07u", num);
	snprintf(callid, sizeof(callid), "protos-%07u", num);
	snprintf(cseq, sizeof(cseq), "%u", num + 1);
	g_byte_array_append(b, (const guint8 *)t, (guint)tlen);
	/* Same order as render_protos.py: each key over the whole text. */
	for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
		size_t kl = strlen(keys[k]);

		o = g_byte_array_sized_new(b->len + 64);
		for (size_t i = 0; i < b->len;) {
			if (i + kl <= b->len &&
			    memcmp(b->data + i, keys[k], kl) == 0) {
				g_byte_array_append(o, (const guint8 *)vals[k],
						    (guint)strlen(vals[k]));
				i += kl;
			} else {
				g_byte_array_append(o, b->data + i, 1);
				i++;
			}
		}
		g_byte_array_free(b, TRUE);
		b = o;
	}
	sep = memmem(b->data, b->len, "\r\n\r\n", 4);
	if (sep) {
		const char *key = "<Content-Length>";
		guint8 *at = memmem(b->data, b->len, key, strlen(key));
		char cl[16];

		snprintf(cl, sizeof(cl), "%u",
			 (unsigned)(b->len - (guint)(sep - b->data) - 4));
		while (at) {
			gsize pos = (gsize)(at - b->data);

			g_byte_array_remove_range(b, (guint)pos,
						  (guint)strlen(key));
			g_byte_array_prepend(b, (const guint8 *)"", 0);
			o = g_byte_array_sized_new(b->len + 16);
			g_byte_array_append(o, b->data, (guint)pos);
			g_byte_array_append(o, (const guint8 *)cl,
					    (guint)strlen(cl));
			g_byte_array_append(o, b->data + pos,
					    (guint)(b->len - pos));
			g_byte_array_free(b, TRUE);
			b = o;
			at = memmem(b->data, b->len, key, strlen(key));
		}
	}
	return b;
}

static void test_protos(void **state)
{
	g_autofree char *dir = g_build_filename(g_getenv("OVOZ_SHARED"),
						"corpora", "protos-c07-sip",
						"raw", NULL);
	const int sane[] = { 0, -1, 400, 416, 420, 483, 505 };
	unsigned count = 0, rejected = 0, too_big = 0;

	for (unsigned num = 0; num < 4527; num++) {
		g_autofree char *name = g_strdup_printf("%07u", num);
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *raw = NULL;
		const char *t;
		gsize len, off = 0, tlen;
		struct sip_message *m = NULL;
		struct sip_verdict v = { 0 };
		GByteArray *b;
		bool ok = false;
		int err;

		assert_true(g_file_get_contents(path, &raw, &len, NULL));
		assert_true(protos_take(raw, len, &off, &t, &tlen));
		b = protos_render(t, tlen, num);
		err = sip_message_parse(&m, b->data, b->len);
		g_byte_array_free(b, TRUE);
		count++;
		if (err == EMSGSIZE) {
			too_big++;
			continue;
		}
		if (err) {
			assert_int_equal(err, EBADMSG);
			rejected++;
			continue;
		}
		sip_message_check(m, &v);
		for (size_t i = 0; i < G_N_ELEMENTS(sane); i++)
			ok = ok || v.status == sane[i];
		if (!ok)
			fail_msg("PROTOS %u: status %d", num, v.status);
		if (num == 0 && v.status != 0)
			fail_msg("PROTOS valid case 0: %d %s", v.status,
				 v.reason);
		if (v.status != 0)
			rejected++;
		sip_message_unref(m);
	}
	print_message("PROTOS: %u cases, %u refused, %u too large\n", count,
		      rejected, too_big);
	assert_int_equal(count, 4527);
	assert_true(rejected > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_register),
		cmocka_unit_test(test_long_contact_text),
		cmocka_unit_test(test_invite_body_byte_exact),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_rfc4475),
		cmocka_unit_test(test_rfc5118),
		cmocka_unit_test(test_torture_details),
		cmocka_unit_test(test_protos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
