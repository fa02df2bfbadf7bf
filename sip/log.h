/*
 * sip/log.h - text from the network made safe for a log line.
 *
 * User-Agent headers, display names, user names, URIs, Origin headers: a
 * peer chooses every byte of them. Written raw, an ESC sequence recolours
 * or rewrites the operator's terminal, a CR or LF forges a log line of its
 * own, and 60 KB of User-Agent buries everything around it.
 *
 * Threading: pure functions, any thread.
 */
#ifndef OVOZ_SIP_LOG_H
#define OVOZ_SIP_LOG_H

#include <stddef.h>

/** A sane length for one field of a log line, in printed characters. */
#define SIP_LOG_FIELD_MAX 128
/** The same for a sentence that quotes such fields (an outcome's detail,
 *  which may name a URI host or a user). */
#define SIP_LOG_TEXT_MAX 512

/**
 * sip_log_escape_len() - @len bytes of @buf as printable UTF-8 text: a
 * control character (C0, DEL, C1, Unicode format and line/paragraph
 * separators), a NUL and every byte that is not part of valid UTF-8 are
 * written "\xNN" (one per byte); anything else is copied. At most @max
 * characters are written (an escape counts as its four), never splitting
 * an escape or a character; if the text was cut, "…" follows.
 * Backslashes are copied as they are, so escaping twice changes nothing.
 *
 * Returns a new string (g_free); never NULL.
 */
char *sip_log_escape_len(const void *buf, size_t len, size_t max);

/** sip_log_escape() - sip_log_escape_len() over a C string; NULL gives
 *  NULL. */
char *sip_log_escape(const char *s, size_t max);

#endif
