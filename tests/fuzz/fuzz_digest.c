/* tests/fuzz/fuzz_digest.c - Authorization values through find + verify. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include "sip/digest.h"

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
	if (au && sip_digest_find(d, au, &c) == SIP_DIGEST_OK) {
		sip_digest_ha1(c.alg, c.username, c.realm, "secret", ha1);
		sip_digest_verify(d, &c, "REGISTER", ha1, "ip:127.0.0.1");
	}
	g_free(sip_digest_challenge(d, SIP_DIGEST_SHA256, size & 1,
				    "ip:127.0.0.1"));
	su_home_deinit(home);
	return 0;
}
