/*
 * sip/message.h - parsed SIP messages, checks and replies, over sofia-sip.
 *
 * A struct sip_message owns a sofia-sip msg_t and the sip_t view of it.
 * Parsing and checking are pure: no I/O, no globals, so both are fuzzed
 * (tests/fuzz/fuzz_message.c) and replayed over the RFC 4475 / RFC 5118
 * torture corpora.
 *
 * Threading: any thread, one message at a time. Reference-counted.
 */
#ifndef OVOZ_SIP_MESSAGE_H
#define OVOZ_SIP_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>

#include "sip/transport.h"

/** Messages larger than this are refused before parsing. */
#define SIP_MESSAGE_MAX_SIZE 65535

struct sip_message;

/** What to do with a message that failed its checks. */
struct sip_verdict {
	/** 0: acceptable. 400/416/420/483/505/513...: answer a request with
	 *  this status. -1: drop silently (bad responses, unanswerable junk). */
	int status;
	/** Reason phrase for the reply and the log ("Bad CSeq"). Static. */
	const char *reason;
	/** For 420: the option tags to list in Unsupported ("a, b"),
	 *  borrowed from the message; NULL otherwise. */
	const char *unsupported;
};

/**
 * sip_message_parse() - parse one SIP message from a datagram or a frame.
 * Trailing octets after Content-Length on UDP are ignored (RFC 4475 dblreq).
 * On success *@out gets a new reference, even when the message has errors
 * that sip_message_check() reports (so a 400 can still be built from it).
 * Returns 0, EMSGSIZE (too large), or EBADMSG when not even a start line
 * and the headers needed to reply could be found.
 */
int sip_message_parse(struct sip_message **out, const uint8_t *buf,
		      size_t len);

/**
 * sip_message_check() - apply the RFC 3261 / RFC 4475 checks a stateful
 * proxy and registrar needs: start line, SIP version, mandatory headers
 * (Via, From, To, Call-ID, CSeq, Max-Forwards is optional per RFC 2543),
 * single-valued headers, CSeq method matching, Content-Length, scalar
 * ranges, URI scheme (sip/sips/tel), Proxy-Require/Require, Max-Forwards 0
 * (483 unless OPTIONS/REGISTER addressed to us is handled by the caller).
 * Pure. Returns true when acceptable; otherwise fills @v.
 */
bool sip_message_check(const struct sip_message *m, struct sip_verdict *v);

struct sip_message *sip_message_ref(struct sip_message *m);
void sip_message_unref(struct sip_message *m);

bool sip_message_is_request(const struct sip_message *m);
/** Borrowed sofia-sip views; valid while @m is referenced. */
sip_t *sip_message_sip(const struct sip_message *m);
msg_t *sip_message_msg(const struct sip_message *m);
/** Request method name ("REGISTER"), or the CSeq method for responses. */
const char *sip_message_method(const struct sip_message *m);
/** Response status code, 0 for requests. */
int sip_message_status(const struct sip_message *m);

/**
 * sip_message_new_reply() - build a response to @req (RFC 3261 8.2.6):
 * copies Via, From, To, Call-ID, CSeq; adds a To tag when the request had
 * none and @status > 100 (@to_tag, or a random one when NULL).
 * Returns 0 and a new reference in *@out, or an errno value.
 */
int sip_message_new_reply(struct sip_message **out,
			  const struct sip_message *req, int status,
			  const char *reason, const char *to_tag);

/**
 * sip_message_new_request() - a new request "@method @ruri SIP/2.0" with
 * no headers yet, built with sofia-sip's header constructors (no text is
 * printed and parsed again). Add headers with sip_message_add_copy() and
 * sip_message_add_header(); sip_message_serialize() adds Content-Length.
 * @ruri is copied. Returns 0 and a new reference in *@out, or EINVAL when
 * @method is not a token or @ruri is not a URI.
 */
int sip_message_new_request(struct sip_message **out, const char *method,
			    const url_string_t *ruri);

/**
 * sip_message_add_copy() - add a copy of the header @h (borrowed) to @m:
 * only @h itself when @all is false (the top Via of a request), or @h and
 * every header of its h_next list when true (all the Route headers). A
 * NULL @h adds nothing. Returns 0 or ENOMEM.
 */
int sip_message_add_copy(struct sip_message *m, const void *h, bool all);

/** sip_message_dup() - a deep copy to modify (a proxy branch). New ref. */
int sip_message_dup(struct sip_message **out, const struct sip_message *m);

/**
 * sip_message_add_header() - add a header given as "Name: value" text,
 * parsed by sofia-sip. Returns 0 or EINVAL.
 */
int sip_message_add_header(struct sip_message *m, const char *name,
			   const char *value);

/**
 * sip_message_serialize() - encode @m (Content-Length added) into a new
 * string. Returns the bytes (free with g_free) and sets *@len, or NULL.
 */
char *sip_message_serialize(struct sip_message *m, size_t *len);

/**
 * sip_message_send() - encode @m (borrowed; NULL allowed) and send it on
 * @tp (borrowed; NULL allowed) to @dst. Returns 0, EINVAL when there is no
 * message or it cannot be encoded, ENOTCONN without a transport, or the
 * transport's error. Signalling thread, as the transport.
 */
int sip_message_send(struct sip_message *m, struct sip_transport *tp,
		     const struct sip_addr *dst);

/** Header value as text ("User-Agent"), or NULL. Free with g_free. */
char *sip_message_header_text(const struct sip_message *m, const char *name);

/**
 * sip_message_field_text() - the value of the one header @h (its h_next
 * is not followed), without the name, as a new string (free with g_free),
 * or NULL. Use it instead of sip_header_as_string(), which loses the last
 * parameter of a value longer than 127 bytes. Any thread; @h borrowed.
 */
char *sip_message_field_text(const msg_header_t *h);

#endif
