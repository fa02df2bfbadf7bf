/* tests/fuzz/fuzz_sdp.c - SDP bodies through parse, offer and answer in
 * every profile, and Ovoz's own output parsed again. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "media/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reparse(char *out)
{
	struct media_sdp *again = NULL;

	/* What Ovoz writes must always be readable by Ovoz. */
	if (out && media_sdp_parse(&again, (const uint8_t *)out,
				   strlen(out)) != 0)
		__builtin_trap();
	media_sdp_free(again);
	g_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum media_sdp_profile profiles[] = {
		MEDIA_SDP_AVP, MEDIA_SDP_SAVP, MEDIA_SDP_WEBRTC,
	};
	struct media_sdp_local local = {
		.addr = "127.0.0.1",
		.port = 16000,
		.public_addr = "198.51.100.7",
		.ice_ufrag = "ovzf",
		.ice_pwd = "ovozovozovozovozovozovoz",
		.ice_lite = true,
		.fingerprint = "AA:BB:CC",
		.crypto_key = "T3Zvek92b3pPdm96T3Zvek92b3pPdm96T3Zvek92",
	};
	struct media_sdp *sdp = NULL;
	struct media_sdp_plan plan;

	if (media_sdp_parse(&sdp, data, size) != 0)
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(profiles); i++) {
		char *out = NULL;

		local.profile = profiles[i];
		local.setup = MEDIA_SDP_SETUP_ACTPASS;
		local.prev_b = i == 2 ? sdp : NULL;
		if (media_sdp_offer(sdp, sdp, &local, &plan, &out) == 0)
			reparse(out);
		out = NULL;
		local.setup = MEDIA_SDP_SETUP_ACTIVE;
		local.prev_b = NULL;
		/* The body as both the offer and the answer to it. */
		if (media_sdp_answer(sdp, sdp, &local, &plan, &out) == 0)
			reparse(out);
	}
	media_sdp_free(sdp);
	return 0;
}
