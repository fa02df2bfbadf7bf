/*
 * gateway/http_static.c - static files of the webroot: folder indexes,
 * redirects, file types and the security headers of HTML pages.
 */
#include "gateway/http_static.h"

#include <string.h>

#include <glib.h>

static const struct {
	const char *ext;
	const char *mime;
} static_mimes[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".wav", "audio/wav"},
	{".map", "application/json"},
};

static const char *static_mime(const char *rel)
{
	for (size_t i = 0; i < G_N_ELEMENTS(static_mimes); i++)
		if (g_str_has_suffix(rel, static_mimes[i].ext))
			return static_mimes[i].mime;
	return NULL;
}

void gateway_static_target_clear(struct gateway_static_target *t)
{
	g_clear_pointer(&t->file, g_free);
	g_clear_pointer(&t->location, g_free);
	t->kind = GATEWAY_STATIC_NOT_FOUND;
	t->mime = NULL;
	t->html = false;
}

static void static_redirect(struct gateway_static_target *out,
			    const char *location)
{
	out->kind = GATEWAY_STATIC_REDIRECT;
	out->location = g_strdup(location);
}

void gateway_static_resolve(const char *webroot, const char *path,
			    bool (*is_dir)(const char *full),
			    bool (*is_file)(const char *full),
			    struct gateway_static_target *out)
{
	g_autofree char *rel = NULL;
	g_autofree char *full = NULL;

	memset(out, 0, sizeof(*out));
	/* The path is already url-decoded: refuse any climb out, and
	 * anything that is not an absolute path of the site. */
	if (!webroot || !path || path[0] != '/' || strstr(path, "..") ||
	    strstr(path, "//") || strchr(path, '\\'))
		return;
	if (strcmp(path, "/") == 0) {
		static_redirect(out, "/phone/");
		return;
	}
	rel = g_str_has_suffix(path, "/") ? g_strconcat(path, "index.html", NULL)
					  : g_strdup(path);
	full = g_build_filename(webroot, rel, NULL);
	out->mime = static_mime(rel);
	if (!out->mime) {
		/* "/phone" is the folder: send the browser to "/phone/" so
		 * the page's relative URLs resolve inside it. */
		if (is_dir(full)) {
			g_autofree char *loc = g_strconcat(path, "/", NULL);
			static_redirect(out, loc);
		}
		return;
	}
	if (!is_file(full)) {
		out->mime = NULL;
		return;
	}
	out->kind = GATEWAY_STATIC_FILE;
	out->file = g_steal_pointer(&full);
	out->html = g_str_has_suffix(rel, ".html");
}

/* scheme://host[:port] and nothing else: no space, quote or ';'. */
static bool static_is_origin(const char *o)
{
	const char *host;

	if (g_str_has_prefix(o, "https://"))
		host = o + 8;
	else if (g_str_has_prefix(o, "http://"))
		host = o + 7;
	else
		return false;
	if (!*host || strlen(o) > 256)
		return false;
	for (const char *p = host; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr(".-:[]*", *p))
			return false;
	return true;
}

char *gateway_static_csp(char *const *origins)
{
	GString *s = g_string_new(
		"default-src 'self'; script-src 'self'; style-src 'self'; "
		"img-src 'self' data:; media-src 'self' blob: mediastream:; "
		"connect-src 'self'; object-src 'none'; base-uri 'none'; "
		"form-action 'self'; frame-ancestors 'self'");

	for (char *const *o = origins; o && *o; o++)
		if (static_is_origin(*o))
			g_string_append_printf(s, " %s", *o);
	return g_string_free(s, FALSE);
}
