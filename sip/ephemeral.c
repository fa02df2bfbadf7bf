/* sip/ephemeral.c - HMAC-minted, time-limited credentials. */
#include "ephemeral.h"

#include <glib.h>
#include <string.h>

bool sip_ephemeral_parse(const char *username, int64_t *expiry,
			 const char **ext)
{
	size_t digits = 0;
	guint64 v = 0;

	if (!username)
		return false;
	while (g_ascii_isdigit(username[digits]))
		digits++;
	if (digits == 0 || digits > SIP_EPHEMERAL_EXPIRY_DIGITS ||
	    username[digits] != ':' || username[digits + 1] == '\0' ||
	    strchr(username + digits + 1, ':'))
		return false;
	/* 19 digits may still overflow a signed 64-bit time. */
	for (size_t i = 0; i < digits; i++) {
		guint64 d = (guint64)(username[i] - '0');

		if (v > ((guint64)G_MAXINT64 - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*expiry = (int64_t)v;
	*ext = username + digits + 1;
	return true;
}

void sip_ephemeral_password(const char *secret, const char *username,
			    char out[SIP_EPHEMERAL_PASSWORD_MAX])
{
	g_autoptr(GHmac) h = g_hmac_new(G_CHECKSUM_SHA1,
					(const guchar *)secret,
					strlen(secret));
	guint8 mac[20];
	gsize len = sizeof(mac);
	g_autofree char *b64 = NULL;

	g_hmac_update(h, (const guchar *)username, -1);
	g_hmac_get_digest(h, mac, &len);
	b64 = g_base64_encode(mac, len);
	g_strlcpy(out, b64, SIP_EPHEMERAL_PASSWORD_MAX);
}

char *sip_ephemeral_mint(const char *secret, const char *ext, int64_t expiry,
			 char password[SIP_EPHEMERAL_PASSWORD_MAX])
{
	char *username = g_strdup_printf("%" G_GINT64_FORMAT ":%s", expiry,
					 ext);

	sip_ephemeral_password(secret, username, password);
	return username;
}

const char *sip_ephemeral_url_user(const char *user, const char *password)
{
	int64_t expiry;
	const char *ext;
	g_autofree char *joined = NULL;

	if (!user)
		return "";
	if (!password || !*password)
		return user;
	joined = g_strconcat(user, ":", password, NULL);
	if (!sip_ephemeral_parse(joined, &expiry, &ext))
		return user;
	return password;
}
