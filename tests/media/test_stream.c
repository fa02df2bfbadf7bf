/*
 * tests/media/test_stream.c - a stream's socket loop on a worker against
 * real peers over loopback: libnice's full ICE agent (controlling) connects
 * to the lite responder; a STUN "browser" built on libnice's STUN API plays
 * consent checks and an attacker with a wrong password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nice/agent.h>
#include <glib.h>

#include "test_util.h"
#include "media/stream.h"
#include "stun_peer.h"

#define SEC G_TIME_SPAN_SECOND

/* What the worker saw; written on the worker, read under the lock. */
struct seen {
	GMutex lock;
	int selected_events;
	int expired_events;
	gint64 selected_at, expired_at;
	struct sockaddr_storage selected;
	socklen_t selected_len;
	int packets;
	enum media_demux_kind last_kind;
	uint8_t last[512];
	size_t last_len;
	struct sockaddr_storage last_from;
	int send_result;
	bool sent;
};

struct env {
	struct media_workers *ws;
	struct media_worker *w;
	struct media_port_pool *pool;
	struct media_stream *stream;
	uint16_t port;
	char ufrag[MEDIA_ICE_CRED_MAX + 1], pwd[MEDIA_ICE_CRED_MAX + 1];
	struct seen seen;
};

static void on_event(struct media_stream *s, enum media_stream_event ev,
		     void *arg)
{
	struct seen *seen = arg;

	g_mutex_lock(&seen->lock);
	if (ev == MEDIA_STREAM_EVENT_SELECTED) {
		seen->selected_events++;
		seen->selected_at = g_get_monotonic_time();
		media_ice_selected(media_stream_ice(s), &seen->selected,
				   &seen->selected_len);
	} else {
		seen->expired_events++;
		seen->expired_at = g_get_monotonic_time();
	}
	g_mutex_unlock(&seen->lock);
}

static void on_packet(struct media_stream *s, enum media_demux_kind kind,
		      const uint8_t *buf, size_t len,
		      const struct sockaddr *from, socklen_t from_len,
		      void *arg)
{
	struct seen *seen = arg;

	g_mutex_lock(&seen->lock);
	seen->packets++;
	seen->last_kind = kind;
	seen->last_len = MIN(len, sizeof(seen->last));
	memcpy(seen->last, buf, seen->last_len);
	memcpy(&seen->last_from, from, from_len);
	g_mutex_unlock(&seen->lock);
}

/* A free even port pair from the kernel's ephemeral range. */
static uint16_t free_pair(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in in = {.sin_family = AF_INET};
		socklen_t len = sizeof(in);
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
		bind(fd, (struct sockaddr *)&in, sizeof(in));
		getsockname(fd, (struct sockaddr *)&in, &len);
		close(fd);
		if (ntohs(in.sin_port) % 2 == 0)
			return ntohs(in.sin_port);
	}
	fail_msg("no free port");
	return 0;
}

static void env_start(struct env *e, int64_t consent_us, const char *remote)
{
	struct media_ice_config cfg = {.consent_timeout_us = consent_us,
				       .remote_ufrag = remote};
	struct media_stream_handlers h = {on_packet, on_event, &e->seen};
	struct media_ports *ports = NULL;
	struct media_ice *ice = NULL;
	uint16_t base = free_pair();

	g_mutex_init(&e->seen.lock);
	assert_int_equal(media_workers_new(&e->ws, 1), 0);
	e->w = media_workers_pick(e->ws);
	assert_int_equal(media_port_pool_new(&e->pool, "127.0.0.1", base,
					     base + 1),
			 0);
	assert_int_equal(media_port_alloc(e->pool, false, &ports), 0);
	e->port = ports->rtp_port;
	assert_int_equal(media_ice_new(&ice, &cfg, g_get_monotonic_time()), 0);
	g_strlcpy(e->ufrag, media_ice_local_ufrag(ice), sizeof(e->ufrag));
	g_strlcpy(e->pwd, media_ice_local_pwd(ice), sizeof(e->pwd));
	assert_int_equal(media_stream_new(&e->stream, e->w, ports, ice, &h), 0);
	assert_int_equal(media_worker_load(e->w), 1);
}

static void env_stop(struct env *e)
{
	media_stream_destroy(e->stream);
	media_stream_unref(e->stream);
	media_workers_free(e->ws);
	/* The stream gave its ports back when the worker dropped it. */
	assert_int_equal(media_port_pool_used(e->pool), 0);
	media_port_pool_unref(e->pool);
	g_mutex_clear(&e->seen.lock);
}

typedef bool (*seen_pred)(struct seen *s, const void *arg);

/* Wait up to @ms for @pred, iterating @ctx (the peer's) meanwhile. */
static bool wait_for(struct env *e, GMainContext *ctx, seen_pred pred,
		     const void *arg, unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		bool ok;

		g_mutex_lock(&e->seen.lock);
		ok = pred(&e->seen, arg);
		g_mutex_unlock(&e->seen.lock);
		if (ok)
			return true;
		if (g_get_monotonic_time() > end)
			return false;
		if (!ctx || !g_main_context_iteration(ctx, FALSE))
			g_usleep(2000);
	}
}

static bool has_selected(struct seen *s, const void *arg)
{
	return s->selected_events > 0;
}

static bool has_expired(struct seen *s, const void *arg)
{
	return s->expired_events > 0;
}

static bool has_packets(struct seen *s, const void *arg)
{
	return s->packets >= *(const int *)arg;
}

static bool has_sent(struct seen *s, const void *arg)
{
	return s->sent;
}

/* --- the libnice full agent ------------------------------------------ */

struct peer {
	GMainContext *ctx;
	NiceAgent *agent;
	guint sid;
	bool gathered;
	guint state;
	uint8_t got[512];
	gsize got_len;
};

static void on_gathered(NiceAgent *a, guint sid, gpointer data)
{
	((struct peer *)data)->gathered = true;
}

static void on_state(NiceAgent *a, guint sid, guint comp, guint state,
		     gpointer data)
{
	((struct peer *)data)->state = state;
}

static void on_agent_recv(NiceAgent *a, guint sid, guint comp, guint len,
			  gchar *buf, gpointer data)
{
	struct peer *p = data;

	p->got_len = MIN(len, sizeof(p->got));
	memcpy(p->got, buf, p->got_len);
}

static void pump_until(GMainContext *ctx, bool *flag, guint *state,
		       unsigned ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end) {
		if (flag && *flag)
			return;
		if (state && (*state == NICE_COMPONENT_STATE_READY))
			return;
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
	}
}

/* A controlling full agent on 127.0.0.1 with its own context. */
static void peer_start(struct peer *p)
{
	NiceAddress local;

	p->ctx = g_main_context_new();
	p->agent = nice_agent_new_full(p->ctx, NICE_COMPATIBILITY_RFC5245,
				       NICE_AGENT_OPTION_REGULAR_NOMINATION);
	g_object_set(p->agent, "controlling-mode", TRUE, "upnp", FALSE,
		     "ice-tcp", FALSE, NULL);
	nice_address_init(&local);
	assert_true(nice_address_set_from_string(&local, "127.0.0.1"));
	/* libnice skips loopback when it gathers on its own. */
	assert_true(nice_agent_add_local_address(p->agent, &local));
	p->sid = nice_agent_add_stream(p->agent, 1);
	assert_true(p->sid > 0);
	g_signal_connect(p->agent, "candidate-gathering-done",
			 G_CALLBACK(on_gathered), p);
	g_signal_connect(p->agent, "component-state-changed",
			 G_CALLBACK(on_state), p);
	nice_agent_attach_recv(p->agent, p->sid, 1, p->ctx, on_agent_recv, p);
	assert_true(nice_agent_gather_candidates(p->agent, p->sid));
	pump_until(p->ctx, &p->gathered, NULL, 5000);
	assert_true(p->gathered);
}

/* Give the agent Ovoz's credentials and host candidate, as an SDP would. */
static void peer_connect(struct peer *p, struct env *e)
{
	NiceCandidate *c = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
	GSList *list;

	assert_true(nice_agent_set_remote_credentials(p->agent, p->sid,
						      e->ufrag, e->pwd));
	c->stream_id = p->sid;
	c->component_id = 1;
	c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
	c->priority = 2130706431;
	g_strlcpy(c->foundation, "1", sizeof(c->foundation));
	assert_true(nice_address_set_from_string(&c->addr, "127.0.0.1"));
	nice_address_set_port(&c->addr, e->port);
	list = g_slist_append(NULL, c);
	assert_int_equal(nice_agent_set_remote_candidates(p->agent, p->sid, 1,
							  list),
			 1);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
}

static void peer_stop(struct peer *p)
{
	if (!p->agent)
		return;
	nice_agent_remove_stream(p->agent, p->sid);
	g_clear_object(&p->agent);
	while (g_main_context_iteration(p->ctx, FALSE))
		;
}

static void peer_free(struct peer *p)
{
	peer_stop(p);
	g_main_context_unref(p->ctx);
}

/* --- helpers run on the worker ---------------------------------------- */

struct send_job {
	struct env *e;
	uint8_t buf[64];
	size_t len;
	bool validated; /* media_stream_send_validated() to @to */
	struct sockaddr_in to;
};

static gboolean do_send(gpointer data)
{
	struct send_job *j = data;
	int r = j->validated
			? media_stream_send_validated(
				  j->e->stream, j->buf, j->len,
				  (struct sockaddr *)&j->to, sizeof(j->to))
			: media_stream_send(j->e->stream, j->buf, j->len);

	g_mutex_lock(&j->e->seen.lock);
	j->e->seen.send_result = r;
	j->e->seen.sent = true;
	g_mutex_unlock(&j->e->seen.lock);
	return G_SOURCE_REMOVE;
}

/* media_stream_send() (@to NULL) or media_stream_send_validated() to @to
 * on the worker; returns its result. */
static int stream_send_to(struct env *e, const uint8_t *buf, size_t len,
			  const struct sockaddr_in *to)
{
	struct send_job *j = g_new0(struct send_job, 1);

	j->e = e;
	if (to) {
		j->validated = true;
		j->to = *to;
	}
	j->len = MIN(len, sizeof(j->buf));
	memcpy(j->buf, buf, j->len);
	g_mutex_lock(&e->seen.lock);
	e->seen.sent = false;
	g_mutex_unlock(&e->seen.lock);
	media_worker_invoke(e->w, do_send, j, g_free);
	assert_true(wait_for(e, NULL, has_sent, NULL, 5000));
	return e->seen.send_result;
}

static int stream_send(struct env *e, const uint8_t *buf, size_t len)
{
	return stream_send_to(e, buf, len, NULL);
}

struct stats_job {
	struct env *e;
	struct media_stream_stats st;
	bool done;
};

static gboolean do_stats(gpointer data)
{
	struct stats_job *j = data;

	g_mutex_lock(&j->e->seen.lock);
	media_stream_stats(j->e->stream, &j->st);
	j->done = true;
	g_mutex_unlock(&j->e->seen.lock);
	return G_SOURCE_REMOVE;
}

static bool stats_done(struct seen *s, const void *arg)
{
	return ((const struct stats_job *)arg)->done;
}

/* The stream's counters, read on its worker. */
static struct media_stream_stats stream_stats(struct env *e)
{
	struct stats_job j = {.e = e};

	media_worker_invoke(e->w, do_stats, &j, NULL);
	assert_true(wait_for(e, NULL, stats_done, &j, 5000));
	return j.st;
}

/* --- a plain UDP socket as a scripted peer ---------------------------- */


static void udp_send(int fd, struct env *e, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(e->port)};

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to,
				sizeof(to)),
			 (ssize_t)len);
}

/* Receive one datagram within @ms, or return 0. */
static size_t udp_recv(int fd, uint8_t *buf, size_t cap, unsigned ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&pfd, 1, (int)ms) != 1)
		return 0;
	n = recv(fd, buf, cap, 0);
	return n > 0 ? (size_t)n : 0;
}

/* --- tests ------------------------------------------------------------- */

static void test_libnice_full_agent_connects(void **state)
{
	struct env e = {0};
	struct peer p = {0};
	NiceCandidate *local = NULL, *remote = NULL;
	struct sockaddr_storage agent_addr = {0};
	struct sockaddr_in attacker_addr;
	uint8_t rtp[60], evil[40], req[512], reply[512];
	g_autofree char *aufrag = NULL, *apwd = NULL;
	g_autofree char *user = NULL;
	struct stun_peer stun;
	StunMessage msg;
	size_t n;
	int attacker, one = 1, two = 2;
	gint64 stopped;

	peer_start(&p);
	assert_true(nice_agent_get_local_credentials(p.agent, p.sid, &aufrag,
						     &apwd));
	/* Ovoz knows the browser's ufrag from its SDP and checks it. */
	env_start(&e, 2 * SEC, aufrag);
	peer_connect(&p, &e);
	pump_until(p.ctx, NULL, &p.state, 10000);
	assert_int_equal(p.state, NICE_COMPONENT_STATE_READY);

	/* The responder learned the agent's address as the selected pair. */
	assert_true(wait_for(&e, p.ctx, has_selected, NULL, 5000));
	assert_true(nice_agent_get_selected_pair(p.agent, p.sid, 1, &local,
						 &remote));
	nice_address_copy_to_sockaddr(&local->addr,
				      (struct sockaddr *)&agent_addr);
	assert_int_equal(e.seen.selected_len, sizeof(struct sockaddr_in));
	assert_memory_equal(&e.seen.selected, &agent_addr,
			    sizeof(struct sockaddr_in));
	assert_int_equal(nice_address_get_port(&remote->addr), e.port);

	/* Media from the agent reaches the callback byte for byte. */
	for (size_t i = 0; i < sizeof(rtp); i++)
		rtp[i] = (uint8_t)(i * 7 + 1);
	rtp[0] = 0x80;
	rtp[1] = 0x00;
	assert_int_equal(nice_agent_send(p.agent, p.sid, 1, sizeof(rtp),
					 (const gchar *)rtp),
			 sizeof(rtp));
	assert_true(wait_for(&e, p.ctx, has_packets, &one, 5000));
	assert_int_equal(e.seen.last_kind, MEDIA_DEMUX_RTP);
	assert_int_equal(e.seen.last_len, sizeof(rtp));
	assert_memory_equal(e.seen.last, rtp, sizeof(rtp));
	assert_memory_equal(&e.seen.last_from, &agent_addr,
			    sizeof(struct sockaddr_in));

	/* And back: the stream sends to the selected pair. */
	rtp[2] = 0x42;
	assert_int_equal(stream_send(&e, rtp, sizeof(rtp)), 0);
	for (gint64 end = g_get_monotonic_time() + 5 * SEC;
	     p.got_len == 0 && g_get_monotonic_time() < end;)
		pump_until(p.ctx, NULL, NULL, 10);
	assert_int_equal(p.got_len, sizeof(rtp));
	assert_memory_equal(p.got, rtp, sizeof(rtp));

	/* An attacker with the ufrags but a wrong password gets 401... */
	attacker = test_udp_socket(&attacker_addr);
	stun_peer_init(&stun);
	user = g_strdup_printf("%s:%s", e.ufrag, aufrag);
	n = stun_peer_check(&stun, req, sizeof(req), user,
			    "0123456789abcdefghijklmn", true, true);
	udp_send(attacker, &e, req, n);
	n = udp_recv(attacker, reply, sizeof(reply), 2000);
	assert_true(n > 0);
	assert_int_equal(stun_peer_read(&stun, reply, n, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stun_peer_error(&msg), STUN_ERROR_UNAUTHORIZED);
	/* ...its media is dropped, and the pair stays the agent's. */
	memset(evil, 0xee, sizeof(evil));
	evil[0] = 0x80;
	evil[1] = 0x00;
	udp_send(attacker, &e, evil, sizeof(evil));
	rtp[2] = 0x43;
	assert_int_equal(nice_agent_send(p.agent, p.sid, 1, sizeof(rtp),
					 (const gchar *)rtp),
			 sizeof(rtp));
	assert_true(wait_for(&e, p.ctx, has_packets, &two, 5000));
	assert_int_equal(e.seen.packets, 2);
	assert_memory_equal(e.seen.last, rtp, sizeof(rtp));
	assert_int_equal(e.seen.selected_events, 1);
	close(attacker);

	/* Consent: the agent stops checking; expiry follows the timeout. */
	assert_int_equal(e.seen.expired_events, 0);
	nice_candidate_free(local);
	nice_candidate_free(remote);
	peer_stop(&p);
	stopped = g_get_monotonic_time();
	assert_true(wait_for(&e, NULL, has_expired, NULL, 4000));
	assert_true(e.seen.expired_at >= stopped);
	assert_true(e.seen.expired_at - e.seen.selected_at >= 2 * SEC);
	assert_int_equal(stream_send(&e, rtp, sizeof(rtp)), ETIMEDOUT);
	peer_free(&p);
	env_stop(&e);
}

/* From a validated address: DTLS and RTCP pass with their kind; an
 * unknown first byte and an oversized datagram do not. */
static void check_kinds(struct env *e, int fd)
{
	uint8_t dtls[25] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 1};
	uint8_t rtcp[28] = {0x80, 200, 0, 6};
	uint8_t junk[40] = {100, 1, 2, 3};
	static uint8_t big[3000] = {0x80, 0};
	struct media_stream_stats st;
	int one = 1, two = 2;

	udp_send(fd, e, dtls, sizeof(dtls));
	assert_true(wait_for(e, NULL, has_packets, &one, 2000));
	assert_int_equal(e->seen.last_kind, MEDIA_DEMUX_DTLS);
	assert_memory_equal(e->seen.last, dtls, sizeof(dtls));
	udp_send(fd, e, junk, sizeof(junk));
	udp_send(fd, e, big, sizeof(big));
	udp_send(fd, e, rtcp, sizeof(rtcp));
	assert_true(wait_for(e, NULL, has_packets, &two, 2000));
	assert_int_equal(e->seen.last_kind, MEDIA_DEMUX_RTCP);
	assert_int_equal(e->seen.last_len, sizeof(rtcp));
	st = stream_stats(e);
	assert_int_equal(e->seen.packets, 2);
	assert_int_equal(st.packets[MEDIA_DEMUX_DROP], 1);
	assert_int_equal(st.truncated, 1);
	assert_int_equal(st.packets[MEDIA_DEMUX_DTLS], 1);
	assert_int_equal(st.packets[MEDIA_DEMUX_RTCP], 1);
	assert_true(st.checks >= 5);
	assert_int_equal(st.bad_checks, 0);
}

/* Checks every 200 ms keep a 1 s consent alive; silence ends it. */
static void test_consent_kept_then_expires(void **state)
{
	struct env e = {0};
	struct sockaddr_in self;
	struct stun_peer stun;
	uint8_t req[512], reply[512];
	g_autofree char *user = NULL;
	int fd = test_udp_socket(&self);
	gint64 end, stopped;
	StunMessage msg;
	size_t n;

	env_start(&e, 1 * SEC, NULL);
	stun_peer_init(&stun);
	user = g_strdup_printf("%s:brws", e.ufrag);
	/* Before any nomination there is nowhere to send. */
	assert_int_equal(stream_send(&e, reply, 20), ENOTCONN);
	end = g_get_monotonic_time() + 2500 * 1000;
	while (g_get_monotonic_time() < end) {
		n = stun_peer_check(&stun, req, sizeof(req), user, e.pwd, true,
				    true);
		udp_send(fd, &e, req, n);
		n = udp_recv(fd, reply, sizeof(reply), 1000);
		assert_true(n > 0);
		assert_int_equal(stun_peer_read(&stun, reply, n, &msg),
				 STUN_VALIDATION_SUCCESS);
		assert_int_equal(stun_message_get_class(&msg), STUN_RESPONSE);
		g_usleep(200 * 1000);
	}
	assert_true(wait_for(&e, NULL, has_selected, NULL, 1000));
	g_mutex_lock(&e.seen.lock);
	assert_int_equal(e.seen.expired_events, 0);
	assert_int_equal(e.seen.selected_events, 1);
	g_mutex_unlock(&e.seen.lock);
	stopped = g_get_monotonic_time();
	check_kinds(&e, fd);
	assert_true(wait_for(&e, NULL, has_expired, NULL, 3000));
	/* Not before the timeout, and at most a tick (timeout/4) after. */
	assert_true(e.seen.expired_at - stopped >= SEC - SEC / 4);
	assert_true(e.seen.expired_at - stopped <= 2 * SEC);
	close(fd);
	env_stop(&e);
}

/*
 * Before a nomination, an answer (a DTLS flight) may go to an address that
 * passed an authenticated check, and only there.
 */
static void test_send_validated_before_nomination(void **state)
{
	struct env e = {0};
	struct sockaddr_in self, other;
	struct stun_peer stun;
	uint8_t req[512], reply[512];
	const uint8_t flight[] = {22, 0xfe, 0xfd, 0, 1, 2, 3};
	g_autofree char *user = NULL;
	int fd = test_udp_socket(&self);
	int stranger = test_udp_socket(&other);
	StunMessage msg;
	size_t n;

	env_start(&e, 5 * SEC, NULL);
	stun_peer_init(&stun);
	user = g_strdup_printf("%s:brws", e.ufrag);
	/* Nobody checked yet: nowhere to send, even on request. */
	assert_int_equal(stream_send_to(&e, flight, sizeof(flight), &self),
			 ENOTCONN);
	/* A valid check without USE-CANDIDATE: validated, not selected. */
	n = stun_peer_check(&stun, req, sizeof(req), user, e.pwd, false, true);
	udp_send(fd, &e, req, n);
	n = udp_recv(fd, reply, sizeof(reply), 1000);
	assert_true(n > 0);
	assert_int_equal(stun_peer_read(&stun, reply, n, &msg),
			 STUN_VALIDATION_SUCCESS);
	assert_int_equal(stream_send(&e, flight, sizeof(flight)), ENOTCONN);
	assert_int_equal(stream_send_to(&e, flight, sizeof(flight), &other),
			 ENOTCONN);
	assert_int_equal(udp_recv(stranger, reply, sizeof(reply), 100), 0);
	assert_int_equal(stream_send_to(&e, flight, sizeof(flight), &self), 0);
	n = udp_recv(fd, reply, sizeof(reply), 1000);
	assert_int_equal(n, sizeof(flight));
	assert_memory_equal(reply, flight, sizeof(flight));
	g_mutex_lock(&e.seen.lock);
	assert_int_equal(e.seen.selected_events, 0);
	g_mutex_unlock(&e.seen.lock);
	assert_true(stream_stats(&e).first_check_us > 0);
	close(fd);
	close(stranger);
	env_stop(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libnice_full_agent_connects),
		cmocka_unit_test(test_consent_kept_then_expires),
		cmocka_unit_test(test_send_validated_before_nomination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
