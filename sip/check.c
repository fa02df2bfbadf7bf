/*
 * sip/check.c - sip_message_check(): the RFC 3261 / RFC 4475 / RFC 5118
 * checks of a stateful proxy that is also a registrar.
 *
 * sofia-sip does most of the work: a header it cannot parse, and every
 * extra copy of a single-valued header, ends up in sip->sip_error; a body
 * shorter than Content-Length sets MSG_FLG_TRUNC. What it tolerates that
 * RFC 4475 wants refused is checked here on its parsed structures, and on
 * the raw request line (extra SP, trailing SP).
 *
 * RFC 4475 items that may be refused "or tolerated":
 *  - escruri.dat (headers in the R-URI): refused, 400. A proxy must not
 *    forward them and nothing we serve needs them.
 *  - baddate.dat, regbadct.dat: refused, 400, like any header sofia-sip
 *    cannot parse: forwarding it would silently drop it.
 *  - badaspec.dat ("< sip:... >"): tolerated; sofia-sip reads the URI
 *    correctly and re-encodes it without the spaces.
 *  - badbranch.dat (branch "z9hG4bK"): accepted (transaction matching).
 *  - ipv6-bug-abnf-3-colons.dat (RFC 5118 4.10): tolerated, as asked.
 */
#include "message.h"
#include "message_private.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/url.h>

#define R400(what) "Bad Request - " what

/* Reason phrases for headers sofia-sip could not parse or found twice. */
static const struct {
	const char *name;
	const char *bad;
	const char *dup;
} check_header_reasons[] = {
	{ "Via", R400("Bad Via"), R400("Bad Via") },
	{ "From", R400("Bad From"), R400("Duplicate From") },
	{ "To", R400("Bad To"), R400("Duplicate To") },
	{ "Call-ID", R400("Bad Call-ID"), R400("Duplicate Call-ID") },
	{ "CSeq", R400("Bad CSeq"), R400("Duplicate CSeq") },
	{ "Content-Length", R400("Bad Content-Length"),
	  R400("Duplicate Content-Length") },
	{ "Max-Forwards", R400("Bad Max-Forwards"),
	  R400("Duplicate Max-Forwards") },
	{ "Content-Type", R400("Bad Content-Type"),
	  R400("Duplicate Content-Type") },
	{ "Contact", R400("Bad Contact"), R400("Bad Contact") },
	{ "Expires", R400("Bad Expires"), R400("Duplicate Expires") },
	{ "Route", R400("Bad Route"), R400("Bad Route") },
	{ "Record-Route", R400("Bad Record-Route"), R400("Bad Record-Route") },
	{ "Authorization", R400("Bad Authorization"),
	  R400("Bad Authorization") },
	{ "Date", R400("Bad Date"), R400("Duplicate Date") },
	{ "Require", R400("Bad Require"), R400("Bad Require") },
	{ "Proxy-Require", R400("Bad Proxy-Require"),
	  R400("Bad Proxy-Require") },
};

/* Mandatory headers (RFC 3261 8.1.1; Max-Forwards optional, RFC 2543). */
static const struct {
	size_t offset;
	const char *reason;
} check_mandatory[] = {
	{ offsetof(sip_t, sip_via), R400("Missing Via") },
	{ offsetof(sip_t, sip_from), R400("Missing From") },
	{ offsetof(sip_t, sip_to), R400("Missing To") },
	{ offsetof(sip_t, sip_call_id), R400("Missing Call-ID") },
	{ offsetof(sip_t, sip_cseq), R400("Missing CSeq") },
};

static bool check_fail(struct sip_verdict *v, int status, const char *reason)
{
	v->status = status;
	v->reason = reason;
	v->unsupported = NULL;
	return false;
}

/* The first entry of sip_error, as a reason phrase. The list holds both
 * msg_error_t (unparsable, er_name says which) and the surplus copies of
 * single-valued headers, which keep their own class. */
static const char *check_error_reason(const sip_t *sip)
{
	const msg_error_t *e = sip->sip_error;
	msg_hclass_t *hc = e->er_common->h_class;
	bool dup = hc != sip_error_class;
	const char *name = dup ? hc->hc_name : e->er_name;
	size_t i;

	for (i = 0; name && i < G_N_ELEMENTS(check_header_reasons); i++)
		if (su_casematch(name, check_header_reasons[i].name))
			return dup ? check_header_reasons[i].dup
				   : check_header_reasons[i].bad;
	return dup ? R400("Duplicate header") : R400("Malformed header");
}

/* RFC 3261 25.1: Request-Line = Method SP Request-URI SP SIP-Version,
 * exactly; sofia-sip accepts runs of whitespace and trailing SP. */
static bool check_request_line_spacing(const char *line)
{
	const char *sp1, *sp2;

	if (!line || strchr(line, '\t'))
		return false;
	sp1 = strchr(line, ' ');
	if (!sp1 || sp1 == line)
		return false;
	sp2 = strchr(sp1 + 1, ' ');
	if (!sp2 || sp2 == sp1 + 1 || sp2[1] == '\0' || sp2[1] == ' ')
		return false;
	return strchr(sp2 + 1, ' ') == NULL;
}

static bool check_headers(const sip_t *sip, struct sip_verdict *v)
{
	size_t i;

	if (sip->sip_error)
		return check_fail(v, 400, check_error_reason(sip));
	for (i = 0; i < G_N_ELEMENTS(check_mandatory); i++)
		if (!*(void *const *)((const char *)sip +
				     check_mandatory[i].offset))
			return check_fail(v, 400, check_mandatory[i].reason);
	for (const sip_via_t *via = sip->sip_via; via; via = via->v_next)
		if (!via->v_protocol || !via->v_host || !*via->v_host ||
		    !su_casenmatch(via->v_protocol, "SIP/2.0/", 8))
			return check_fail(v, 400, R400("Bad Via"));
	/* RFC 3261 8.1.1.5: less than 2**31. */
	if (sip->sip_cseq->cs_seq >= 0x80000000u)
		return check_fail(v, 400, R400("Bad CSeq"));
	if (sip->sip_flags & MSG_FLG_TRUNC)
		return check_fail(v, 400,
				  R400("Content-Length larger than body"));
	if (sip->sip_flags & MSG_FLG_ERROR)
		return check_fail(v, 400, R400("Malformed message"));
	if (!(sip->sip_flags & MSG_FLG_BODY))
		return check_fail(v, 400, R400("Unterminated header section"));
	return true;
}

static bool check_response(const struct sip_message *m,
			   struct sip_verdict *v)
{
	const sip_t *sip = m->sip;
	const sip_status_t *st = sip->sip_status;

	if (st->st_status < 100 || st->st_status > 699 ||
	    !su_casematch(st->st_version, "SIP/2.0") ||
	    !check_headers(sip, v))
		return check_fail(v, -1, "Malformed response");
	return true;
}

static bool check_request_uri(const url_t *url, struct sip_verdict *v)
{
	switch (url->url_type) {
	case url_sip:
	case url_sips:
		if (!url->url_host || !*url->url_host)
			return check_fail(v, 400, R400("Bad Request-URI"));
		break;
	case url_tel:
		break;
	case url_invalid:
		return check_fail(v, 400, R400("Bad Request-URI"));
	default:
		return check_fail(v, 416, "Unsupported URI Scheme");
	}
	/* RFC 4475 escruri.dat: never turn R-URI headers into headers. */
	if (url->url_headers)
		return check_fail(v, 400, R400("Headers in Request-URI"));
	return true;
}

bool sip_message_check(const struct sip_message *m, struct sip_verdict *v)
{
	const sip_t *sip = m->sip;
	const sip_request_t *rq = sip->sip_request;

	v->status = 0;
	v->reason = NULL;
	v->unsupported = NULL;
	if (!rq)
		return sip->sip_status ? check_response(m, v)
				       : check_fail(v, -1, "No start line");
	if (m->bad_start)
		return check_fail(v, 400, R400("Malformed Request-Line"));
	if (m->start_line && !check_request_line_spacing(m->start_line))
		return check_fail(v, 400, R400("Bad Request-Line spacing"));
	if (!su_casematch(rq->rq_version, "SIP/2.0"))
		return check_fail(v, 505, "Version Not Supported");
	if (!check_headers(sip, v))
		return false;
	if (strcmp(sip->sip_cseq->cs_method_name, rq->rq_method_name) != 0)
		return check_fail(v, 400, R400("CSeq method mismatch"));
	if (!check_request_uri(rq->rq_url, v))
		return false;
	/* We implement no proxy extensions: any Proxy-Require fails. */
	if (sip->sip_proxy_require && m->proxy_require) {
		check_fail(v, 420, "Bad Extension");
		v->unsupported = m->proxy_require;
		return false;
	}
	if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0)
		return check_fail(v, 483, "Too Many Hops");
	return true;
}
