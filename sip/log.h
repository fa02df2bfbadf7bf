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

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

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

/**
 * sip_log_set_level() - the most verbose level written (G_LOG_LEVEL_*;
 * levels grow more verbose as the bit grows). Default: every level.
 * The daemon sets it once at start, before any other thread runs.
 */
void sip_log_set_level(GLogLevelFlags level);

/**
 * sip_log_enabled() - whether a message at @level is written at all.
 * Hot paths test this before they escape fields and format a line that
 * the log writer would drop (one per REGISTER, at warning level).
 * Any thread.
 */
bool sip_log_enabled(GLogLevelFlags level);

#endif
