/*
 * sip/ephemeral.h - time-limited credentials minted from a shared secret,
 * the TURN REST API / Kamailio auth_ephemeral convention:
 *
 *   username = "<expiry unix seconds>:<extension>"
 *   password = base64(HMAC-SHA1(secret, username))
 *
 * Whoever holds the secret (the admin API) mints them; the registrar and
 * the proxy check them without any stored state. Pure functions: no I/O,
 * no globals; any thread.
 */
#ifndef OVOZ_SIP_EPHEMERAL_H
#define OVOZ_SIP_EPHEMERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* base64 of a 20-byte HMAC-SHA1 is 28 characters. */
#define SIP_EPHEMERAL_PASSWORD_MAX 29
/* The most digits an expiry may have (a 64-bit time). */
#define SIP_EPHEMERAL_EXPIRY_DIGITS 19

/**
 * sip_ephemeral_parse() - split @username into its expiry and extension.
 * True when it is 1-19 decimal digits, ':', and a non-empty extension
 * without another ':'. *@ext points into @username (borrowed).
 */
bool sip_ephemeral_parse(const char *username, int64_t *expiry,
			 const char **ext);

/**
 * sip_ephemeral_password() - base64(HMAC-SHA1(@secret, @username)) into
 * @out, NUL-terminated.
 */
void sip_ephemeral_password(const char *secret, const char *username,
			    char out[SIP_EPHEMERAL_PASSWORD_MAX]);

/**
 * sip_ephemeral_mint() - a username for @ext valid until @expiry and its
 * password. Returns the username (g_free); the password goes to @password.
 */
char *sip_ephemeral_mint(const char *secret, const char *ext, int64_t expiry,
			 char password[SIP_EPHEMERAL_PASSWORD_MAX]);

/**
 * sip_ephemeral_url_user() - the extension a URI's user part names. A
 * client that puts an ephemeral username in its address of record
 * ("sip:1790000000:1001@host") is read by the URI grammar as user
 * "1790000000" with password "1001"; that gives "1001". Anything else
 * gives @user itself. @user and @password may be NULL; the result is
 * borrowed from them (or "").
 */
const char *sip_ephemeral_url_user(const char *user, const char *password);

#endif
