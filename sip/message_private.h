/*
 * sip/message_private.h - struct sip_message, shared by sip/message.c
 * (parsing, replies, encoding) and sip/check.c (validation). Not for use
 * outside sip/.
 */
#ifndef OVOZ_SIP_MESSAGE_PRIVATE_H
#define OVOZ_SIP_MESSAGE_PRIVATE_H

#include <stdbool.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>

struct sip_message {
	msg_t *msg;          /* owned; sofia-sip parse tree and buffers */
	sip_t *sip;          /* view into msg */
	/* The received first line (up to CR/LF), NUL-terminated; NULL for
	 * messages we built. sofia-sip parses it in place and accepts extra
	 * whitespace, so check.c looks at the raw bytes. */
	char *start_line;
	/* The request line did not parse (LWS or bad IPv6 in the R-URI...):
	 * it was replaced by "<method> sip:invalid.invalid SIP/2.0" so that
	 * the headers could still be parsed and a 400 sent. */
	bool bad_start;
	/* Proxy-Require option tags joined by ", " (we implement none), for
	 * the Unsupported header of a 420; NULL when there are none. */
	char *proxy_require;
};

#endif
