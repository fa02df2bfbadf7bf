/*
 * gateway/http_static.h - where a GET for a static file goes (a file of
 * the webroot, a redirect, or nothing) and the security headers an HTML
 * page is sent with. Pure functions over strings, any thread.
 */
#ifndef OVOZ_GATEWAY_HTTP_STATIC_H
#define OVOZ_GATEWAY_HTTP_STATIC_H

#include <stdbool.h>

enum gateway_static_kind {
	GATEWAY_STATIC_NOT_FOUND,
	GATEWAY_STATIC_FILE,     /* serve @file with @mime */
	GATEWAY_STATIC_REDIRECT, /* answer 302 with Location @location */
};

struct gateway_static_target {
	enum gateway_static_kind kind;
	char *file;           /* owned: full path under the webroot */
	const char *mime;     /* static string */
	bool html;            /* the page gets gateway_static_html_headers() */
	char *location;       /* owned: path of the redirect */
};

/**
 * gateway_static_resolve() - map the url-decoded @path of a GET to a
 * target under @webroot: "/" redirects to "/phone/", a folder without its
 * trailing slash ("/phone") redirects to "/phone/", a path ending in "/"
 * serves that folder's index.html. Paths with "..", a NUL-free but
 * unknown file type, or no such regular file give NOT_FOUND. @is_dir and
 * @is_file test a full path (g_file_test in Ovoz, fakes in tests). Fills
 * @out, which the caller clears with gateway_static_target_clear().
 */
void gateway_static_resolve(const char *webroot, const char *path,
			    bool (*is_dir)(const char *full),
			    bool (*is_file)(const char *full),
			    struct gateway_static_target *out);

/** gateway_static_target_clear() - free what @t owns; idempotent. */
void gateway_static_target_clear(struct gateway_static_target *t);

/**
 * gateway_static_csp() - the Content-Security-Policy of Ovoz's pages:
 * everything from the page's own origin, WebSocket to it, microphone
 * streams, and frame-ancestors 'self' plus each entry of @origins (the
 * [http] origins list; entries that are not a plain origin are skipped so
 * no one can inject a directive). Returns a new string (g_free).
 */
char *gateway_static_csp(char *const *origins);

/** The Permissions-Policy header sent with every page. */
#define GATEWAY_STATIC_PERMISSIONS "microphone=(self), camera=(), geolocation=()"

#endif
