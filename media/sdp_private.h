/*
 * media/sdp_private.h - shared between the SDP modules of media/ only.
 */
#ifndef OVOZ_MEDIA_SDP_PRIVATE_H
#define OVOZ_MEDIA_SDP_PRIVATE_H

#include "media/sdp.h"

/** Profile of a transport protocol name ("RTP/AVP"...), case-insensitive. */
enum media_sdp_profile media_sdp_profile_of(const char *proto);

/** Protocol name written for a profile; NULL for MEDIA_SDP_OTHER. */
const char *media_sdp_profile_proto(enum media_sdp_profile profile);

/**
 * Print a model as an SDP body with sofia-sip's printer. Every field of
 * each stream is written as is (port 0: only type, formats and mid). The
 * origin and the session-level c= use @addr. Returns 0 and a new string in
 * *out (g_free), or EINVAL when sofia-sip refuses it.
 */
int media_sdp_print(const struct media_sdp *model, const char *addr,
		    char **out);

#endif
