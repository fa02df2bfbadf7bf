/* tests/fuzz/fuzz_digest.c - Authorization values through find + verify,
 * and usernames through the ephemeral-credential reader. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "sip/digest.h"
#include "sip/ephemeral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_digest *d;
	su_home_t home[1] = { SU_HOME_INIT(home) };
	struct sip_digest_credentials c;
	char ha1[SIP_DIGEST_HEX_MAX];
	g_autofree char *text = g_strndup((const char *)data, size);
	sip_authorization_t *au;

	if (!d && sip_digest_new(&d, "example.com", 60) != 0)
		return 0;
	au = sip_authorization_make(home, text);
	int64_t expiry;
	const char *ext;
	char pw[SIP_EPHEMERAL_PASSWORD_MAX];

	if (sip_ephemeral_parse(text, &expiry, &ext))
		sip_ephemeral_password("secret", text, pw);
	if (au && sip_digest_find(d, au, &c) == SIP_DIGEST_OK) {
		if (sip_ephemeral_parse(c.username, &expiry, &ext))
			sip_ephemeral_password("secret", c.username, pw);
		sip_digest_ha1(c.alg, c.username, c.realm, "secret", ha1);
		sip_digest_verify(d, &c, "REGISTER", ha1, "ip:127.0.0.1");
	}
	g_free(sip_digest_challenge(d, SIP_DIGEST_SHA256, size & 1,
				    "ip:127.0.0.1"));
	su_home_deinit(home);
	return 0;
}
