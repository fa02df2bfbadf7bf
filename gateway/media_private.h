/*
 * gateway/media_private.h - the relay's call table, shared by
 * gateway/media.c (lifetime, events, statistics) and gateway/media_sdp.c
 * (offers and answers). Signalling thread only.
 */
#ifndef OVOZ_GATEWAY_MEDIA_PRIVATE_H
#define OVOZ_GATEWAY_MEDIA_PRIVATE_H

#include "gateway/media.h"

#include "media/cert.h"
#include "media/port.h"
#include "media/sdp.h"
#include "media/session.h"
#include "media/worker.h"

struct gateway_media {
	struct gateway_media_config cfg; /* strings owned below */
	char *ip, *public_ip;
	struct media_workers *workers;
	struct media_port_pool *pool;
	struct media_cert *cert;
	GHashTable *calls; /* call-id -> struct gm_call */
	unsigned sessions;
	GList *pending_ends; /* idle GSources ending calls (borrowed) */
	uint64_t refused_ports; /* offers refused: no port pair left */
	uint64_t refused_codec; /* offers refused: no common codec */
	uint64_t one_way;       /* one-way audio detected */
	uint64_t ended;         /* calls ended by the media side */
};

struct gm_call {
	struct gateway_media *m;
	char *call_id;
	uint64_t sess_id;  /* o= id, the same for the whole call */
	GHashTable *legs;  /* branch -> struct gm_leg */
};

/* One callee leg: its session (or a pass-through marker), and the last
 * SDP each side sent. Index 0 is side A (the caller), 1 side B. */
struct gm_leg {
	struct gm_call *call;
	char *branch;
	bool passthrough;          /* not relayed: bodies go unchanged */
	bool answered;             /* a 2xx carried this leg's SDP */
	struct media_session *s;   /* NULL until the first offer is relayed */
	enum media_leg_kind kind[2];
	enum media_dtls_role role[2]; /* the DTLS role Ovoz plays per side */
	bool role_known[2];           /* role[] was negotiated */
	struct media_sdp *sdp[2];  /* last SDP from each side */
	int offerer;               /* side whose offer awaits an answer, -1 */
	struct media_sdp_plan offer_plan;
	unsigned version[2];       /* o= version of our SDP towards a side */
	char *last_in[2], *last_out[2]; /* retransmitted bodies, per side */
};

/* gateway/media.c */
struct gm_call *gm_call_get(struct gateway_media *m, const char *call_id,
			    bool create);
struct gm_leg *gm_leg_get(struct gm_call *c, const char *branch, bool create);
/* Start @l's session with the kinds in l->kind. 0 or an errno value. */
int gm_leg_start(struct gm_leg *l);

/* If @ev is the 2xx that answers @l's call (first time only): mark it,
 * and restart the session's timeout and one-way clocks. True if so. */
bool gm_leg_answered(struct gm_leg *l, const struct sip_media_event *ev);
/* End @l's call from a clean stack (an idle callback), for @reason. */
void gm_leg_end(struct gm_leg *l, int status, const char *reason);

/* gateway/media_sdp.c */
/* Whether a new leg for @ev (an offer @sdp) must be relayed. */
bool gm_sdp_wants_relay(struct gateway_media *m,
			const struct sip_media_event *ev,
			const struct media_sdp *sdp);
int gm_sdp_offer(struct gm_leg *l, const struct sip_media_event *ev,
		 struct media_sdp *sdp, char **out, const char **reason);
int gm_sdp_answer(struct gm_leg *l, const struct sip_media_event *ev,
		  struct media_sdp *sdp, char **out, const char **reason);

#endif
