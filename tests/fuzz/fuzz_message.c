/* tests/fuzz/fuzz_message.c - parse, check, reply and encode any input. */
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "sip/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_message *m = NULL, *reply = NULL;
	struct sip_verdict v;
	size_t len = 0;
	char *out;

	if (sip_message_parse(&m, data, size) != 0)
		return 0;
	sip_message_check(m, &v);
	g_free(sip_message_header_text(m, "User-Agent"));
	g_free(sip_message_header_text(m, "Via"));
	if (sip_message_is_request(m) &&
	    sip_message_new_reply(&reply, m, v.status > 0 ? v.status : 200,
				  v.reason, NULL) == 0) {
		sip_message_add_header(reply, "Server", "Ovoz");
		g_free(sip_message_serialize(reply, &len));
		sip_message_unref(reply);
	}
	/* Only acceptable messages are ever forwarded (encoded). */
	if (v.status == 0) {
		out = sip_message_serialize(m, &len);
		g_free(out);
	}
	sip_message_unref(m);
	return 0;
}
