/*
 * sip/proxy_private.h - what the proxy's two files share: the proxy object,
 * its transactions (a fork: a server transaction and the branches it sent)
 * and the transaction layer's functions (sip/proxy_tx.c). Not for other
 * modules.
 *
 * Ownership: px->forks owns every fork; a fork owns its branches, which
 * px->branches indexes without owning; px->dialogs owns the answered calls.
 */
#ifndef OVOZ_SIP_PROXY_PRIVATE_H
#define OVOZ_SIP_PROXY_PRIVATE_H

#include <glib.h>
#include <stdbool.h>

#include "sip/log.h"
#include "sip/proxy.h"

#define PROXY_COOKIE "z9hG4bKovz"
#define PROXY_T2 4000
/* Timer C (RFC 3261 16.6 step 11): "greater than 3 minutes"; 372*T1 is
 * 186 s at the default T1 and scales with T1 in tests. */
#define PROXY_TIMER_C_T1 372

struct proxy_fork;

/* A client transaction: one leg we sent a request on. */
struct proxy_branch {
	struct proxy_fork *fork; /* owner */
	char *id;                /* our Via branch */
	char *key;               /* id|METHOD, in px->branches */
	struct sip_message *req; /* the request as sent */
	char *bytes;
	size_t len;
	struct sip_transport *tp;
	struct sip_addr dst;
	int status;              /* highest status received */
	bool final, cancel_wanted, cancel_sent, is_invite;
	bool released;           /* its media leg was released */
	/* INVITE only: Timer C's deadline (monotonic us), pushed back by every
	 * provisional response from 101 up. */
	gint64 timer_c;
	guint retrans;
	unsigned interval;
	/* Our CANCEL, retransmitted over UDP (Timer E) until answered. */
	char *cancel_bytes;
	size_t cancel_len;
	guint cancel_timer;
	unsigned cancel_interval, cancel_sends;
};

/* A server transaction and the branches it forked. */
struct proxy_fork {
	struct sip_proxy *px;
	char *key;               /* in px->forks */
	struct sip_message *req; /* as received */
	struct sip_transport *tp;
	struct sip_addr src;
	GPtrArray *branches;
	struct sip_message *best;
	int best_status;
	/* A branch the media hook refused (488 no common codec...): answered
	 * with this reason when it is the best. Static. */
	int refusal_status;
	const char *refusal_reason;
	char *last;              /* last response sent, for retransmissions */
	size_t last_len;
	bool done, is_invite, is_call, cancelled, answered, no_answer;
	guint g_timer, h_timer, noanswer;
	bool lingering;          /* queued in px->lingers */
	unsigned g_interval;
	char *caller, *callee;
	enum sip_transport_kind caller_kind, callee_kind;
};

/* One side of a dialog, as Ovoz reaches it and as it names itself. */
struct proxy_party {
	char *token;  /* "wss-3" or "u~ip~port": its flow or the address the
		       * dialog saw */
	char *tag;    /* its dialog tag, once a response carried it */
	char *branch; /* callee side: our Via branch towards it */
	/* Callee side reached through a registrar binding: routing to it
	 * needs that binding to still exist. */
	bool bound;
};

/*
 * A call's dialog, from the first fork (early) to its BYE (confirmed).
 * In-dialog requests are routed only inside a dialog Ovoz knows, only
 * between its two parties, and only from where that party really is
 * (sip/proxy_dialog.c). The table also tells the call log who hung up.
 */
struct proxy_dialog {
	struct sip_proxy *px;
	char *call_id;
	char *caller_tag;
	struct proxy_party caller;
	GPtrArray *callees;        /* struct proxy_party, one per branch */
	struct proxy_party *answerer; /* borrowed from callees; NULL early */
	struct proxy_fork *fork;   /* early: the INVITE being forked */
	char *caller_name, *callee_name;
	enum sip_transport_kind caller_kind, callee_kind;
	/* The WebSocket flows of each side ("wss-3"), NULL on UDP: a call
	 * whose party's connection closes is over. */
	char *caller_flow, *callee_flow;
	gint64 answered; /* monotonic seconds; 0 while early */
	/* For BYEs from Ovoz: the INVITE as received, the callee's Contact
	 * URI from its 2xx, the highest CSeq each party has used. */
	struct sip_message *invite;
	char *callee_contact;
	uint32_t caller_cseq, callee_cseq;
	char *why; /* why it ended, for the media release */
};

/* Where a body travels, for the media hook (borrowed). */
struct proxy_media_leg {
	struct proxy_fork *fork; /* the transaction it belongs to, or NULL */
	const char *branch;      /* the callee leg's INVITE branch */
	bool from_caller;
	enum sip_transport_kind from_kind, to_kind;
	const struct sip_addr *source;
	const struct sip_addr *dest; /* requests: where they go, or NULL */
};

struct sip_proxy {
	struct sip_proxy_config cfg;
	char *domain, *udp_host, *ws_host;
	struct sip_stack *stack;
	struct sip_auth *auth;
	struct sip_registrar *registrar;
	struct sip_transport *udp;
	struct sip_proxy_hooks hooks;
	void *ctx;
	GHashTable *forks;    /* key -> struct proxy_fork (owned) */
	GHashTable *branches; /* key -> struct proxy_branch (borrowed) */
	GHashTable *dialogs;  /* Call-ID -> struct proxy_dialog (owned),
			       * early and confirmed */
	unsigned t1;
	guint8 secret[32];    /* signs Record-Route tokens */
	bool has_upstream;
	struct sip_addr upstream;
	/* Timers that all run 64*T1 (Timer B/F, and the linger of finished
	 * transactions) are FIFO queues behind one GLib timer: a GSource per
	 * transaction made every main-loop iteration walk tens of thousands
	 * of timers at a few hundred calls a second. */
	GQueue lingers;  /* struct proxy_due: fork keys */
	GQueue timeouts; /* struct proxy_due: branch keys */
	guint due_timer;
	guint dialog_sweep; /* closes dialogs older than cfg.max_call */
};

/* A deadline in one of the 64*T1 queues; the key is looked up when due,
 * so an entry whose transaction has gone is simply dropped. */
struct proxy_due {
	gint64 due; /* monotonic microseconds */
	char *key;
};

const char *proxy_method(const sip_t *sip);
char *proxy_new_branch(void);
/* "caller -> callee" for a log line, both escaped and cut (sip/log.h);
 * NULL parts show as "?". New string. */
char *proxy_call_label(const char *caller, const char *callee);
/* The method of @sip for a log line, escaped and cut. New string. */
char *proxy_log_method(const sip_t *sip);
int proxy_send(struct sip_transport *tp, const struct sip_addr *dst,
		      const char *bytes, size_t len);
bool proxy_is_udp(struct sip_transport *tp);
char *proxy_via(struct sip_proxy *px, struct sip_transport *tp,
		       const char *branch);
int proxy_insert(struct sip_message *m, msg_hclass_t *hc,
			const char *value);
void proxy_max_forwards(struct sip_message *m);
void proxy_branch_free(struct proxy_branch *b);
void proxy_fork_free(struct proxy_fork *f);
void proxy_dialog_free(struct proxy_dialog *d);
void proxy_fork_finish(struct proxy_fork *f);
char *proxy_fork_key(const sip_t *sip, const char *method);
void proxy_call_event(struct sip_proxy *px, struct proxy_fork *f,
			     enum sip_call_event_type type,
			     const char *disposition, int status);
gboolean proxy_fork_timer_g(gpointer data);
gboolean proxy_fork_timer_h(gpointer data);
void proxy_fork_respond(struct proxy_fork *f, struct sip_message *resp);
void proxy_fork_reply(struct proxy_fork *f, int status, const char *reason);
gboolean proxy_branch_retransmit(gpointer data);
void proxy_branch_stop_retransmit(struct proxy_branch *b);
struct sip_message *proxy_branch_derive(struct proxy_branch *b,
					 const char *method,
					 const sip_to_t *to);
void proxy_branch_send_derived(struct proxy_branch *b, const char *method,
				const sip_to_t *to);
void proxy_branch_cancel(struct proxy_branch *b);
void proxy_branch_timer_c_reset(struct proxy_branch *b);
/* A response to our CANCEL arrived: stop retransmitting it. */
void proxy_branch_cancel_answered(struct proxy_branch *b);
void proxy_fork_cancel_others(struct proxy_fork *f, struct proxy_branch *keep);
int proxy_fork_add_branch(struct proxy_fork *f, struct sip_message *req,
			   struct sip_transport *tp, const struct sip_addr *dst);
bool proxy_better(int candidate, int best);
const char *proxy_disposition(struct proxy_fork *f, int status);
void proxy_fork_branch_final(struct proxy_fork *f, struct proxy_branch *b,
			      struct sip_message *resp, int status);
struct proxy_fork *proxy_fork_new(struct sip_proxy *px,
				   const struct sip_request *req, char *key);
gboolean proxy_fork_no_answer(gpointer data);

/* How the party behind @tp/@src is reached: "wss-12" or "u~ip~port"
 * (@tp NULL: a UDP party at @src). */
char *proxy_token(struct sip_transport *tp, const struct sip_addr *src);
/* The transport (borrowed) and address a token names, or NULL. */
struct sip_transport *proxy_resolve(struct sip_proxy *px, const char *token,
				    struct sip_addr *dst);

/* sip/proxy_media.c */
/* Pass @m's SDP body through hooks.media. 0, or the status refusing an
 * offer in a request (*@reason: static reason phrase). */
int proxy_media_body(struct sip_proxy *px, struct sip_message *m,
		     const struct proxy_media_leg *leg, const char **reason);
void proxy_media_release(struct sip_proxy *px, const char *call_id,
			 const char *branch, const char *why);
/* The callee leg of INVITE branch @b will never be answered (once). */
void proxy_branch_release(struct proxy_branch *b, const char *why);

/* sip/proxy_dialog.c */
/* An INVITE @f was forked to its branches: its call's early dialog. */
void proxy_dialog_early(struct sip_proxy *px, struct proxy_fork *f,
			bool bound);
/* A response on INVITE branch @b carried a To tag: that party's tag. */
void proxy_dialog_tag(struct sip_proxy *px, struct proxy_branch *b,
		      const char *tag);
/* The fork @f ended without an answer: its early dialog is gone. */
void proxy_dialog_failed(struct sip_proxy *px, struct proxy_fork *f);
void proxy_answered(struct sip_proxy *px, struct proxy_fork *f,
		    struct proxy_branch *b, struct sip_message *resp);
/*
 * Who an in-dialog request @sip from @self (its sender's token) goes to:
 * 0 with *@peer set (a new string), or the SIP status that refuses it
 * (481: no such dialog, or tags that are not its parties'; 403: a party's
 * tag sent from somewhere that party is not) with *@why set (static).
 */
int proxy_dialog_route(struct sip_proxy *px, const sip_t *sip,
		       const char *self, char **peer, const char **why);
/* A BYE: report the end of its call (who hung up) and forget it. */
void proxy_dialog_end(struct sip_proxy *px, const sip_t *sip);
/* Report the end of answered @d (hung up by @by, Ovoz's @reason). */
void proxy_dialog_report_end(struct sip_proxy *px, struct proxy_dialog *d,
			     const char *by, const char *reason);
/* Forget @d (frees it); @why goes to the media release. */
void proxy_dialog_remove(struct sip_proxy *px, struct proxy_dialog *d,
			 const char *why);
/* The media leg of in-dialog message @sip: the answering branch, and
 * whether it comes from the caller. False outside a known dialog. */
bool proxy_dialog_leg(struct sip_proxy *px, const sip_t *sip,
		      bool is_request, const char **branch, bool *from_caller);
/* A request from a party inside its dialog: remember its CSeq. */
void proxy_dialog_cseq(struct sip_proxy *px, const sip_t *sip);
gboolean proxy_dialog_sweep(gpointer data);

/* Queue @key on @q to come due 64*T1 from now. */
void proxy_due_push(struct sip_proxy *px, GQueue *q, const char *key);
/* Stop the queue timer and drop every entry (proxy teardown). */
void proxy_due_clear(struct sip_proxy *px);

#endif
