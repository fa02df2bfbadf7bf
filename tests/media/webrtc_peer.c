/*
 * tests/media/webrtc_peer.c - a browser's media side as a program, for
 * integration tests against a running ovoz: libnice's full ICE agent on
 * 127.0.0.1, DTLS in the role the SDP settles, SRTP, PCMU.
 *
 *   webrtc_peer [--setup actpass|passive] [--bad-fingerprint]
 *               [--count N] [--interval-ms MS] [--send-delay-ms MS]
 *               [--stop-after-ms MS] [--duration-ms MS]
 *
 * It prints its SDP offer on stdout followed by an empty line, reads the
 * answer SDP on stdin up to end of file, then runs ICE, DTLS and SRTP.
 * Lines it prints afterwards:
 *   connected            DTLS-SRTP is up (ICE worked, fingerprints match)
 *   failed               DTLS failed
 *   sent N               it has sent its N RTP packets, payloads
 *                        "peer-000", "peer-001", ... (pt 0)
 *   rx HEX               one decrypted RTP payload it received, in hex
 *   silent               --stop-after-ms passed: it sends nothing more
 *                        (no ICE checks or consent, no DTLS, no RTP)
 * It exits 0 on SIGTERM or after --duration-ms, 2 on a usage or setup
 * error. Loopback only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>

#include "media/sdp.h"

/* browser_peer.h checks with cmocka's names; a failure here ends the
 * program. */
#define assert_true(x)                                                       \
	do {                                                                 \
		if (!(x)) {                                                  \
			g_printerr("webrtc_peer: %s failed\n", #x);          \
			exit(2);                                             \
		}                                                            \
	} while (0)
#define assert_int_equal(a, b) assert_true((a) == (b))

#include "browser_peer.h"

struct peer {
	struct browser b;
	GMainLoop *loop;
	bool passive;       /* offer a=setup:passive, else actpass */
	bool bad_fp;        /* offer a fingerprint that is not ours */
	unsigned count;     /* RTP packets to send */
	unsigned interval;  /* ms between them */
	unsigned delay;     /* ms after "connected" before the first */
	unsigned stop_after; /* ms after the answer; 0: never */
	unsigned duration;  /* ms after the answer before exiting */
	unsigned sent;
	bool reported;
	bool silent;
};

static void peer_rtp(struct browser *b, const uint8_t *payload, size_t len)
{
	GString *line = g_string_new("rx ");

	for (size_t i = 0; i < len; i++)
		g_string_append_printf(line, "%02x", payload[i]);
	printf("%s\n", line->str);
	fflush(stdout);
	g_string_free(line, TRUE);
}

static gboolean peer_send(gpointer data)
{
	struct peer *p = data;
	char text[32];

	if (p->silent)
		return G_SOURCE_REMOVE;
	g_snprintf(text, sizeof(text), "peer-%03u", p->sent);
	browser_rtp(&p->b, 0, (uint16_t)(1000 + p->sent), text);
	if (++p->sent < p->count)
		return G_SOURCE_CONTINUE;
	printf("sent %u\n", p->sent);
	fflush(stdout);
	return G_SOURCE_REMOVE;
}

static gboolean peer_start_sending(gpointer data)
{
	struct peer *p = data;

	if (p->count)
		g_timeout_add(p->interval, peer_send, p);
	return G_SOURCE_REMOVE;
}

/* Report the DTLS outcome once, and start sending when it is up. */
static gboolean peer_watch(gpointer data)
{
	struct peer *p = data;

	if (p->reported || p->silent)
		return G_SOURCE_REMOVE;
	if (p->b.failed) {
		printf("failed\n");
	} else if (p->b.srtp) {
		printf("connected\n");
		g_timeout_add(p->delay, peer_start_sending, p);
	} else {
		return G_SOURCE_CONTINUE;
	}
	fflush(stdout);
	p->reported = true;
	return G_SOURCE_REMOVE;
}

static gboolean peer_go_silent(gpointer data)
{
	struct peer *p = data;

	p->silent = true;
	browser_stop(&p->b);
	printf("silent\n");
	fflush(stdout);
	return G_SOURCE_REMOVE;
}

static gboolean peer_quit(gpointer data)
{
	g_main_loop_quit(((struct peer *)data)->loop);
	return G_SOURCE_REMOVE;
}

/* The offer, as a browser would write it (one host candidate). */
static void peer_print_offer(struct peer *p)
{
	struct browser *b = &p->b;
	g_autofree char *ufrag = NULL, *pwd = NULL;
	g_autofree char *fp = g_strdup(media_cert_fingerprint(b->cert));
	GSList *cands = nice_agent_get_local_candidates(b->agent, b->sid, 1);
	NiceCandidate *c = cands ? cands->data : NULL;
	g_autofree char *cline = NULL;
	size_t last;

	assert_true(c != NULL);
	assert_true(nice_agent_get_local_credentials(b->agent, b->sid, &ufrag,
						     &pwd));
	cline = nice_agent_generate_local_candidate_sdp(b->agent, c);
	if (p->bad_fp) {
		/* Another certificate's digest: flip the last hex digit. */
		last = strlen(fp) - 1;
		fp[last] = fp[last] == '0' ? '1' : '0';
	}
	printf("v=0\r\no=- %u 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	       "m=audio %u UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\n"
	       "a=rtpmap:0 PCMU/8000\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
	       "a=fingerprint:%s\r\na=setup:%s\r\na=mid:0\r\na=rtcp-mux\r\n"
	       "a=sendrecv\r\n%s\r\n\n",
	       g_random_int() >> 1, nice_address_get_port(&c->addr), ufrag,
	       pwd, fp, p->passive ? "passive" : "actpass", cline);
	fflush(stdout);
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
}

static GSList *peer_remote_candidates(struct browser *b,
				      const struct media_sdp_stream *st)
{
	GSList *list = NULL;

	for (unsigned i = 0; i <= st->n_candidates; i++) {
		const char *addr = i < st->n_candidates ? st->candidates[i].addr
							: st->addr;
		unsigned port = i < st->n_candidates ? st->candidates[i].port
						     : st->port;
		NiceCandidate *c;

		if (i < st->n_candidates && st->candidates[i].component != 1)
			continue;
		if (i == st->n_candidates && list)
			break; /* c= and m= only when no a=candidate */
		c = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
		c->stream_id = b->sid;
		c->component_id = 1;
		c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
		c->priority = 2130706431 - i;
		g_snprintf(c->foundation, sizeof(c->foundation), "%u", i + 1);
		if (!nice_address_set_from_string(&c->addr, addr)) {
			nice_candidate_free(c);
			continue;
		}
		nice_address_set_port(&c->addr, port);
		list = g_slist_append(list, c);
	}
	return list;
}

/* The answer from stdin: Ovoz's credentials, candidates, fingerprint and
 * DTLS role; our DTLS endpoint takes the other role. */
static int peer_apply_answer(struct peer *p, const char *text, size_t len)
{
	struct browser *b = &p->b;
	struct media_sdp *sdp = NULL;
	const struct media_sdp_stream *st;
	g_autofree char *fp = NULL;
	struct media_dtls_config dc = {
		.cert = b->cert,
		.context = b->ctx,
		.send_h = b_send,
		.event_h = b_dtls_event,
		.arg = b,
	};
	GSList *list;
	int rc = EINVAL;

	if (media_sdp_parse(&sdp, (const uint8_t *)text, len) != 0)
		return EINVAL;
	st = media_sdp_audio(sdp, NULL);
	if (!st || st->profile != MEDIA_SDP_WEBRTC || !st->ice_ufrag[0] ||
	    !st->fingerprint[0])
		goto out;
	fp = g_strdup_printf("sha-256 %s", st->fingerprint);
	dc.remote_fingerprint = fp;
	/* Ovoz active: we are the server; Ovoz passive: we connect. */
	dc.role = st->setup == MEDIA_SDP_SETUP_ACTIVE ? MEDIA_DTLS_SERVER
						       : MEDIA_DTLS_CLIENT;
	if (p->passive && dc.role != MEDIA_DTLS_SERVER)
		goto out; /* we offered passive: the answer must be active */
	if (media_dtls_new(&b->dtls, &dc) != 0)
		goto out;
	if (!nice_agent_set_remote_credentials(b->agent, b->sid,
					       st->ice_ufrag, st->ice_pwd))
		goto out;
	list = peer_remote_candidates(b, st);
	rc = nice_agent_set_remote_candidates(b->agent, b->sid, 1, list) > 0
		     ? 0 : EINVAL;
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
out:
	media_sdp_free(sdp);
	return rc;
}

static bool peer_args(struct peer *p, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned *num = NULL;

		if (strcmp(a, "--bad-fingerprint") == 0) {
			p->bad_fp = true;
			continue;
		}
		if (!v)
			return false;
		if (strcmp(a, "--setup") == 0 && (strcmp(v, "actpass") == 0 ||
						   strcmp(v, "passive") == 0))
			p->passive = strcmp(v, "passive") == 0;
		else if (strcmp(a, "--count") == 0)
			num = &p->count;
		else if (strcmp(a, "--interval-ms") == 0)
			num = &p->interval;
		else if (strcmp(a, "--send-delay-ms") == 0)
			num = &p->delay;
		else if (strcmp(a, "--stop-after-ms") == 0)
			num = &p->stop_after;
		else if (strcmp(a, "--duration-ms") == 0)
			num = &p->duration;
		else
			return false;
		if (num)
			*num = (unsigned)strtoul(v, NULL, 10);
		i++;
	}
	return p->interval > 0 && p->duration > 0;
}

int main(int argc, char **argv)
{
	static struct peer p = {
		.count = 50, .interval = 20, .delay = 200, .duration = 20000,
	};
	GMainContext *ctx = g_main_context_default();
	GString *answer = g_string_new(NULL);
	char chunk[4096];
	size_t n;
	int rc;

	if (!peer_args(&p, argc, argv)) {
		g_printerr("usage: webrtc_peer [--setup actpass|passive] "
			   "[--bad-fingerprint] [--count N] [--interval-ms MS] "
			   "[--send-delay-ms MS] [--stop-after-ms MS] "
			   "[--duration-ms MS]\n");
		return 2;
	}
	p.loop = g_main_loop_new(ctx, FALSE);
	p.b.rtp_h = peer_rtp;
	browser_init(&p.b, ctx);
	peer_print_offer(&p);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		g_string_append_len(answer, chunk, (gssize)n);
	rc = peer_apply_answer(&p, answer->str, answer->len);
	g_string_free(answer, TRUE);
	if (rc) {
		g_printerr("webrtc_peer: unusable answer SDP\n");
		browser_free(&p.b);
		g_main_loop_unref(p.loop);
		return 2;
	}
	g_timeout_add(10, peer_watch, &p);
	if (p.stop_after)
		g_timeout_add(p.stop_after, peer_go_silent, &p);
	g_timeout_add(p.duration, peer_quit, &p);
	g_unix_signal_add(SIGTERM, peer_quit, &p);
	g_main_loop_run(p.loop);
	browser_free(&p.b);
	g_main_loop_unref(p.loop);
	return 0;
}
