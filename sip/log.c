/*
 * sip/log.c - escaping of peer-chosen text for log lines (see sip/log.h).
 */
#include "sip/log.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Characters a terminal acts on or that split a line, beyond ASCII. */
static bool log_is_control(gunichar c)
{
	switch (g_unichar_type(c)) {
	case G_UNICODE_CONTROL:             /* C0, DEL, C1 */
	case G_UNICODE_FORMAT:              /* bidi overrides, ZWJ, ... */
	case G_UNICODE_LINE_SEPARATOR:      /* U+2028 */
	case G_UNICODE_PARAGRAPH_SEPARATOR: /* U+2029 */
		return true;
	default:
		return false;
	}
}

/* Length of the valid, printable UTF-8 character at @p (at most @left
 * bytes), or 0 if its bytes must be escaped. */
static size_t log_char_len(const uint8_t *p, size_t left)
{
	const char *end = NULL;
	size_t n;
	gunichar c;

	if (p[0] >= 0x20 && p[0] < 0x7f)
		return 1;
	if (p[0] < 0x80)
		return 0;
	n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	if (n > left || !g_utf8_validate_len((const char *)p, n, &end) ||
	    end != (const char *)p + n)
		return 0;
	c = g_utf8_get_char((const char *)p);
	return log_is_control(c) ? 0 : n;
}

char *sip_log_escape_len(const void *buf, size_t len, size_t max)
{
	const uint8_t *p = buf;
	GString *out = g_string_sized_new(MIN(len, max * 4) + 4);
	size_t shown = 0, i = 0;

	while (i < len) {
		size_t n = log_char_len(p + i, len - i);
		size_t width = n ? 1 : 4;

		if (shown + width > max) {
			g_string_append(out, "\u2026");
			break;
		}
		if (n)
			g_string_append_len(out, (const char *)p + i,
					    (gssize)n);
		else
			g_string_append_printf(out, "\\x%02x", p[i]);
		shown += width;
		i += n ? n : 1;
	}
	return g_string_free(out, FALSE);
}

static GLogLevelFlags log_level = G_LOG_LEVEL_DEBUG;

void sip_log_set_level(GLogLevelFlags level)
{
	log_level = level & G_LOG_LEVEL_MASK;
}

bool sip_log_enabled(GLogLevelFlags level)
{
	return (level & G_LOG_LEVEL_MASK) <= log_level;
}

char *sip_log_escape(const char *s, size_t max)
{
	return s ? sip_log_escape_len(s, strlen(s), max) : NULL;
}
