/*
 * gateway/calls_csv.h - the call log as CSV (RFC 4180) for operators'
 * spreadsheets. Pure functions; any thread.
 */
#ifndef OVOZ_GATEWAY_CALLS_CSV_H
#define OVOZ_GATEWAY_CALLS_CSV_H

#include <glib.h>

#include "gateway/store.h"

/** The header row, CRLF-terminated. */
void gateway_calls_csv_header(GString *out);

/**
 * gateway_calls_csv_row() - append @c as one CRLF-terminated row. Times
 * are ISO 8601 UTC ("2026-12-01T03:20:05Z"), empty while unset. A field
 * with a comma, quote, CR or LF is quoted with quotes doubled; one that a
 * spreadsheet would run as a formula (starting with '=', '@', tab or CR)
 * gets a leading apostrophe.
 */
void gateway_calls_csv_row(GString *out, const struct gateway_call *c);

/** Append @v (may be NULL: empty) as one escaped field, no separator. */
void gateway_calls_csv_field(GString *out, const char *v);

#endif
