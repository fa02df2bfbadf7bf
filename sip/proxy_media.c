/*
 * sip/proxy_media.c - the proxy's seam to media: every SDP body goes
 * through hooks.media as an offer or an answer, keyed by Call-ID, tags and
 * the callee leg's branch; hooks.media_release says when a leg or a whole
 * call is over; and sip_proxy_hangup() lets the media side end a call
 * (BYE to both parties) when its media died.
 */
#define G_LOG_DOMAIN "ovoz-proxy"

#include "proxy_private.h"

#include <errno.h>
#include <string.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

static bool proxy_has_sdp(const sip_t *sip)
{
	return sip->sip_payload && sip->sip_payload->pl_len &&
	       sip->sip_content_type && sip->sip_content_type->c_type &&
	       g_ascii_strcasecmp(sip->sip_content_type->c_type,
				  "application/sdp") == 0;
}

/* RFC 3264 over RFC 3261 13.2.1: what a body is, from where it travels. */
static enum sip_media_kind proxy_media_kind(const sip_t *sip,
					    const struct proxy_fork *f)
{
	if (sip->sip_request) {
		sip_method_t m = sip->sip_request->rq_method;
		return m == sip_method_ack || m == sip_method_prack
			       ? SIP_MEDIA_ANSWER : SIP_MEDIA_OFFER;
	}
	/* A response answers its request's offer; to a body-less INVITE it
	 * is the (late) offer. */
	return f && proxy_has_sdp(sip_message_sip(f->req)) ? SIP_MEDIA_ANSWER
							    : SIP_MEDIA_OFFER;
}

static const char *proxy_media_toward_user(const sip_t *sip)
{
	const sip_addr_t *a = sip->sip_request ? sip->sip_to : sip->sip_from;

	return a ? a->a_url->url_user : NULL;
}

int proxy_media_body(struct sip_proxy *px, struct sip_message *m,
		     const struct proxy_media_leg *leg, const char **reason)
{
	sip_t *sip = sip_message_sip(m);
	msg_t *msg = sip_message_msg(m);
	struct sip_media_event ev;
	g_autofree char *out = NULL;
	size_t out_len = 0;
	int status;

	*reason = NULL;
	if (!px->hooks.media || !proxy_has_sdp(sip))
		return 0;
	ev = (struct sip_media_event){
		.kind = proxy_media_kind(sip, leg->fork),
		.call_id = sip->sip_call_id ? sip->sip_call_id->i_id : "",
		.from_tag = sip->sip_from ? sip->sip_from->a_tag : NULL,
		.to_tag = sip->sip_to ? sip->sip_to->a_tag : NULL,
		.branch = leg->branch,
		.from_caller = leg->from_caller,
		.is_request = sip->sip_request != NULL,
		.method = proxy_method(sip),
		.status = sip_message_status(m),
		.from_kind = leg->from_kind,
		.to_kind = leg->to_kind,
		.source = leg->source,
		.dest = leg->dest,
		.dest_host = leg->dest && sip->sip_request
				     ? sip->sip_request->rq_url->url_host
				     : NULL,
		.toward_user = proxy_media_toward_user(sip),
	};
	status = px->hooks.media(px->ctx, &ev, sip->sip_payload->pl_data,
				 sip->sip_payload->pl_len, &out, &out_len,
				 reason);
	if (status) {
		if (!*reason)
			*reason = "Not Acceptable Here";
		g_autofree char *call_id = sip_log_escape(ev.call_id,
							  SIP_LOG_FIELD_MAX);
		g_autofree char *method = sip_log_escape(ev.method,
							 SIP_LOG_FIELD_MAX);

		g_autofree char *why = sip_log_escape(*reason,
						      SIP_LOG_TEXT_MAX);

		g_message("%s %s %s: media refused (%d %s)", call_id,
			  ev.is_request ? method : "response to",
			  ev.is_request ? "" : method, status, why);
		return ev.is_request && ev.kind == SIP_MEDIA_OFFER ? status : 0;
	}
	if (!out)
		return 0;
	sip_payload_t *pl = sip_payload_create(msg_home(msg), out,
					       (isize_t)out_len);
	if (pl)
		msg_header_replace(msg, (msg_pub_t *)sip,
				   (msg_header_t *)sip->sip_payload,
				   (msg_header_t *)pl);
	if (sip->sip_content_length)
		msg_header_remove(msg, (msg_pub_t *)sip,
				  (msg_header_t *)sip->sip_content_length);
	return 0;
}

void proxy_media_release(struct sip_proxy *px, const char *call_id,
			 const char *branch, const char *why)
{
	if (px->hooks.media_release)
		px->hooks.media_release(px->ctx, call_id, branch, why);
}

void proxy_branch_release(struct proxy_branch *b, const char *why)
{
	struct proxy_fork *f = b->fork;
	sip_t *sip = sip_message_sip(f->req);

	if (b->released || !f->is_call || !b->is_invite)
		return;
	b->released = true;
	proxy_media_release(f->px, sip->sip_call_id->i_id, b->id, why);
}

/* ---- BYE from Ovoz ---- */

static void proxy_strip(msg_t *msg, sip_t *sip, msg_header_t **h)
{
	while (*h)
		msg_header_remove(msg, (msg_pub_t *)sip, *h);
}

/*
 * A BYE inside answered dialog @d towards the callee (@to_callee) or the
 * caller, built from the INVITE that created the dialog: its Call-ID and
 * the parties' URIs and tags, a CSeq past the last one that party's peer
 * used, our Via towards @tp, and the Reason.
 */
static struct sip_message *proxy_bye(struct sip_proxy *px,
				     struct proxy_dialog *d, bool to_callee,
				     struct sip_transport *tp,
				     const char *reason_hdr)
{
	struct sip_message *m = NULL;
	g_autofree char *branch = proxy_new_branch();
	g_autofree char *via = NULL;
	url_t *ruri, *from_url, *to_url;
	const char *from_tag, *to_tag;
	sip_request_t *rq;
	sip_from_t *from;
	sip_to_t *to;
	sip_cseq_t *cseq;
	su_home_t *home;
	msg_t *msg;
	sip_t *sip;

	if (sip_message_dup(&m, d->invite))
		return NULL;
	msg = sip_message_msg(m);
	sip = sip_message_sip(m);
	home = msg_home(msg);
	ruri = to_callee ? url_make(home, d->callee_contact)
			 : (sip->sip_contact
				    ? url_hdup(home, sip->sip_contact->m_url)
				    : NULL);
	from_url = url_hdup(home, to_callee ? sip->sip_from->a_url
					    : sip->sip_to->a_url);
	to_url = url_hdup(home, to_callee ? sip->sip_to->a_url
					  : sip->sip_from->a_url);
	from_tag = to_callee ? d->caller_tag : d->answerer->tag;
	to_tag = to_callee ? d->answerer->tag : d->caller_tag;
	if (!ruri || !from_url || !to_url || !from_tag || !to_tag)
		goto fail;
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_via);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_route);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_record_route);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_contact);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_proxy_authorization);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_authorization);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_payload);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_content_type);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_content_length);
	rq = sip_request_create(home, sip_method_bye, "BYE",
				(url_string_t *)ruri, NULL);
	from = sip_from_create(home, (url_string_t *)from_url);
	to = sip_to_create(home, (url_string_t *)to_url);
	cseq = sip_cseq_create(home, to_callee ? d->caller_cseq + 1
					       : d->callee_cseq + 1,
			       sip_method_bye, "BYE");
	if (!rq || !from || !to || !cseq || sip_from_tag(home, from, from_tag) ||
	    sip_to_tag(home, to, to_tag))
		goto fail;
	msg_header_replace(msg, (msg_pub_t *)sip,
			   (msg_header_t *)sip->sip_request, (msg_header_t *)rq);
	msg_header_replace(msg, (msg_pub_t *)sip,
			   (msg_header_t *)sip->sip_from, (msg_header_t *)from);
	msg_header_replace(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_to,
			   (msg_header_t *)to);
	msg_header_replace(msg, (msg_pub_t *)sip,
			   (msg_header_t *)sip->sip_cseq, (msg_header_t *)cseq);
	proxy_strip(msg, sip, (msg_header_t **)&sip->sip_max_forwards);
	via = proxy_via(px, tp, branch);
	if (proxy_insert(m, sip_via_class, via) ||
	    sip_message_add_header(m, "Max-Forwards", "70") ||
	    sip_message_add_header(m, "Reason", reason_hdr))
		goto fail;
	return m;
fail:
	sip_message_unref(m);
	return NULL;
}

static void proxy_bye_send(struct sip_proxy *px, struct proxy_dialog *d,
			   bool to_callee, const char *reason_hdr)
{
	const char *token = to_callee ? d->answerer->token : d->caller.token;
	struct sip_addr dst;
	struct sip_transport *tp = proxy_resolve(px, token, &dst);
	struct sip_message *m;

	if (!tp || sip_transport_is_closed(tp))
		return;
	m = proxy_bye(px, d, to_callee, tp, reason_hdr);
	sip_message_send(m, tp, &dst);
	sip_message_unref(m);
}

int sip_proxy_hangup(struct sip_proxy *px, const char *call_id, int status,
		     const char *reason)
{
	struct proxy_dialog *d = g_hash_table_lookup(px->dialogs, call_id);
	g_autofree char *hdr = NULL, *text = NULL, *label = NULL;
	g_autofree char *shown = NULL;

	if (!d)
		return ENOENT;
	if (!reason)
		reason = "ended by the gateway";
	label = proxy_call_label(d->caller_name, d->callee_name);
	shown = sip_log_escape(reason, SIP_LOG_FIELD_MAX);
	if (!d->answered) {
		struct proxy_fork *f = d->fork;
		if (!f || f->done)
			return ENOENT;
		g_message("call %s: ended by Ovoz while ringing: %s", label,
			  shown);
		f->cancelled = true;
		proxy_fork_cancel_others(f, NULL);
		proxy_fork_reply(f, status ? status : 480, reason);
		proxy_call_event(px, f, SIP_CALL_END, "failed",
				 status ? status : 480);
		return 0;
	}
	/* RFC 3326, with a quoted text that cannot break out of its quotes. */
	text = g_strdelimit(g_strdup(reason), "\"\\\r\n", ' ');
	hdr = g_strdup_printf("SIP;cause=%d;text=\"%s\"", status ? status : 408,
			      text);
	g_message("call %s: ended by Ovoz: %s", label, shown);
	proxy_bye_send(px, d, true, hdr);
	proxy_bye_send(px, d, false, hdr);
	proxy_dialog_report_end(px, d, "ovoz", reason);
	proxy_dialog_remove(px, d, reason);
	return 0;
}
