/* media/dtls.c - DTLS-SRTP endpoints over memory, timers on a GMainContext. */
#define G_LOG_DOMAIN "ovoz-dtls"

#include "dtls.h"

#include <errno.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define DTLS_EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define DTLS_KEY_LEN 16
/*
 * Retransmission: 250 ms first (RFC 6347 suggests 1 s, but ICE has just
 * measured a round trip well below that), doubling, at most 2.5 s apart.
 * OpenSSL gives up after 12 timeouts: about 24 s without an answer.
 */
#define DTLS_TIMER_FIRST_US 250000u
#define DTLS_TIMER_MAX_US 2500000u
/* Room for our close_notify record, made before the SSL object goes. */
#define DTLS_CLOSE_MAX 128

struct dtls_source {
	GSource base;
	struct media_dtls *d; /* not counted: the source dies first */
};

struct media_dtls {
	struct media_cert *cert;
	SSL *ssl;
	enum media_dtls_role role;
	enum media_dtls_state state;
	bool destroyed;
	bool handshake_done; /* keys exported, fingerprint maybe unchecked */
	bool settled;	     /* SSL object freed, close_notify kept */
	bool capture;	     /* the BIO keeps what OpenSSL writes */
	int64_t settle_us;   /* from connected to settled, at the latest */
	int64_t settle_at;   /* monotonic µs, once connected */
	GSource *timer;	     /* retransmissions, then the settle delay */
	media_dtls_send_h send_h;
	media_dtls_event_h event_h;
	void *arg;
	unsigned mtu;
	/* The datagram being fed to OpenSSL, read once by the BIO. */
	const uint8_t *in;
	size_t in_len;
	/* What SDP says the peer's certificate is. */
	const char *fp_hash;
	uint8_t fp[MEDIA_CERT_DIGEST_MAX];
	size_t fp_len;
	char fp_text[MEDIA_CERT_FINGERPRINT_MAX];
	X509 *peer;
	struct media_srtp_key tx;
	struct media_srtp_key rx;
	char *error;
	/* Our close_notify as a ready datagram, once settled. */
	size_t close_len;
	uint8_t close_rec[DTLS_CLOSE_MAX];
};

/* --- the datagram BIO: one write is one datagram, one read one datagram */

static int dtls_bio_write(BIO *b, const char *buf, int len)
{
	struct media_dtls *d = BIO_get_data(b);

	if (d->capture) {
		/* One record (the alert) is one datagram; keep the first. */
		if (len > 0 && !d->close_len && (size_t)len <= DTLS_CLOSE_MAX) {
			memcpy(d->close_rec, buf, (size_t)len);
			d->close_len = (size_t)len;
		}
		return len;
	}
	if (len > 0 && !d->destroyed && d->send_h)
		d->send_h((const uint8_t *)buf, (size_t)len, d->arg);
	return len;
}

static int dtls_bio_read(BIO *b, char *buf, int size)
{
	struct media_dtls *d = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (!d->in || size <= 0) {
		BIO_set_retry_read(b);
		return -1;
	}
	/* A datagram longer than the buffer is truncated, as recv() does. */
	n = MIN(d->in_len, (size_t)size);
	memcpy(buf, d->in, n);
	d->in = NULL;
	d->in_len = 0;
	return (int)n;
}

static long dtls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct media_dtls *d = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return d && d->in ? (long)d->in_len : 0;
	case BIO_CTRL_DGRAM_QUERY_MTU:
		return d ? (long)d->mtu : 0;
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
	default:
		return 0;
	}
}

static int dtls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *dtls_bio_method(void)
{
	static gsize once;
	static BIO_METHOD *m;

	if (g_once_init_enter(&once)) {
		m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
				 "ovoz dtls datagram");
		if (m) {
			BIO_meth_set_write(m, dtls_bio_write);
			BIO_meth_set_read(m, dtls_bio_read);
			BIO_meth_set_ctrl(m, dtls_bio_ctrl);
			BIO_meth_set_create(m, dtls_bio_create);
		}
		g_once_init_leave(&once, 1);
	}
	return m;
}

/* --- state changes and events */

static void dtls_timer_stop(struct media_dtls *d)
{
	if (d->timer)
		g_source_set_ready_time(d->timer, -1);
}

static void dtls_wipe_keys(struct media_dtls *d)
{
	OPENSSL_cleanse(&d->tx, sizeof(d->tx));
	OPENSSL_cleanse(&d->rx, sizeof(d->rx));
}

static void dtls_emit(struct media_dtls *d, enum media_dtls_event ev)
{
	if (!d->destroyed && d->event_h)
		d->event_h(d, ev,
			   ev == MEDIA_DTLS_EVENT_FAILED ? d->error : NULL,
			   d->arg);
}

static void dtls_fail(struct media_dtls *d, char *reason)
{
	if (d->state == MEDIA_DTLS_FAILED || d->state == MEDIA_DTLS_CLOSED) {
		g_free(reason);
		return;
	}
	d->state = MEDIA_DTLS_FAILED;
	d->error = reason;
	dtls_wipe_keys(d);
	dtls_timer_stop(d);
	g_message("%s", reason);
	dtls_emit(d, MEDIA_DTLS_EVENT_FAILED);
}

/* The OpenSSL reason for the last failure, with the error queue cleared. */
static char *dtls_ssl_reason(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	char *s = g_strdup_printf("%s: %s", what, r ? r : "protocol error");

	ERR_clear_error();
	return s;
}

static void dtls_rearm(struct media_dtls *d)
{
	struct timeval tv;
	gint64 us;

	if (d->destroyed || !d->timer)
		return;
	if (d->state == MEDIA_DTLS_CONNECTING && !d->handshake_done &&
	    DTLSv1_get_timeout(d->ssl, &tv) == 1) {
		us = (gint64)tv.tv_sec * G_USEC_PER_SEC + tv.tv_usec;
		g_source_set_ready_time(d->timer, g_get_monotonic_time() + us);
	} else if (d->state == MEDIA_DTLS_CONNECTED && !d->settled)
		g_source_set_ready_time(d->timer, d->settle_at);
	else
		g_source_set_ready_time(d->timer, -1);
}

/* --- the handshake's end: fingerprint, profile, keys */

static int dtls_profile(SSL *ssl, enum media_srtp_profile *p)
{
	SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(ssl);

	if (!sp)
		return ENOTSUP;
	if (sp->id == SRTP_AES128_CM_SHA1_80)
		*p = MEDIA_SRTP_AES128_CM_SHA1_80;
	else if (sp->id == SRTP_AEAD_AES_128_GCM)
		*p = MEDIA_SRTP_AEAD_AES_128_GCM;
	else
		return ENOTSUP;
	return 0;
}

/* RFC 5764 §4.2: client_key | server_key | client_salt | server_salt. */
static int dtls_export_keys(struct media_dtls *d, enum media_srtp_profile p)
{
	size_t master = media_srtp_master_len(p);
	size_t salt = master - DTLS_KEY_LEN;
	uint8_t km[2 * MEDIA_SRTP_MASTER_MAX];
	struct media_srtp_key client = {.profile = p, .len = master};
	struct media_srtp_key server = {.profile = p, .len = master};

	if (SSL_export_keying_material(d->ssl, km, 2 * master,
				       DTLS_EXPORTER_LABEL,
				       strlen(DTLS_EXPORTER_LABEL), NULL, 0,
				       0) != 1)
		return EIO;
	memcpy(client.master, km, DTLS_KEY_LEN);
	memcpy(server.master, km + DTLS_KEY_LEN, DTLS_KEY_LEN);
	memcpy(client.master + DTLS_KEY_LEN, km + 2 * DTLS_KEY_LEN, salt);
	memcpy(server.master + DTLS_KEY_LEN, km + 2 * DTLS_KEY_LEN + salt,
	       salt);
	d->tx = d->role == MEDIA_DTLS_CLIENT ? client : server;
	d->rx = d->role == MEDIA_DTLS_CLIENT ? server : client;
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(&client, sizeof(client));
	OPENSSL_cleanse(&server, sizeof(server));
	return 0;
}

/* Compare the peer's certificate with SDP; connected or failed. */
static void dtls_verify(struct media_dtls *d)
{
	uint8_t got[MEDIA_CERT_DIGEST_MAX];
	char got_text[MEDIA_CERT_FINGERPRINT_MAX];
	size_t got_len = 0;

	if (media_cert_fingerprint_of(d->peer, d->fp_hash, got, &got_len,
				      got_text) != 0) {
		dtls_fail(d, g_strdup("DTLS: cannot hash the peer "
				      "certificate"));
		return;
	}
	if (got_len != d->fp_len || CRYPTO_memcmp(got, d->fp, got_len) != 0) {
		/* Tell the peer we are done; nothing keyed leaves this side. */
		SSL_shutdown(d->ssl);
		ERR_clear_error();
		dtls_fail(d, g_strdup_printf("DTLS fingerprint mismatch: SDP "
					     "says %s, peer sent %s",
					     d->fp_text, got_text));
		return;
	}
	d->state = MEDIA_DTLS_CONNECTED;
	d->settle_at = g_get_monotonic_time() + d->settle_us;
	dtls_rearm(d);
	g_debug("DTLS connected as %s: %s, SRTP %s",
		d->role == MEDIA_DTLS_CLIENT ? "client" : "server",
		SSL_get_cipher_name(d->ssl),
		media_srtp_profile_name(d->tx.profile));
	dtls_emit(d, MEDIA_DTLS_EVENT_CONNECTED);
}

static void dtls_handshake_done(struct media_dtls *d)
{
	enum media_srtp_profile p = MEDIA_SRTP_NONE;

	d->handshake_done = true;
	dtls_timer_stop(d);
	d->peer = SSL_get1_peer_certificate(d->ssl);
	if (!d->peer) {
		dtls_fail(d, g_strdup("DTLS: the peer sent no certificate"));
		return;
	}
	if (dtls_profile(d->ssl, &p) != 0) {
		dtls_fail(d, g_strdup("DTLS: no SRTP profile negotiated "
				      "(use_srtp missing or no common one)"));
		return;
	}
	if (dtls_export_keys(d, p) != 0) {
		dtls_fail(d, dtls_ssl_reason("DTLS key export failed"));
		return;
	}
	if (d->fp_hash)
		dtls_verify(d);
}

/* --- driving OpenSSL */

/* Alerts, close_notify and retransmitted flights after the handshake. */
static void dtls_read_records(struct media_dtls *d)
{
	uint8_t buf[2048];
	int n, err;

	for (;;) {
		ERR_clear_error();
		n = SSL_read(d->ssl, buf, sizeof(buf));
		if (n > 0)
			continue; /* DTLS-SRTP carries no application data */
		err = SSL_get_error(d->ssl, n);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			return;
		if (err == SSL_ERROR_ZERO_RETURN) {
			SSL_shutdown(d->ssl); /* answer with our close_notify */
			ERR_clear_error();
			d->state = MEDIA_DTLS_CLOSED;
			dtls_wipe_keys(d);
			g_debug("DTLS: the peer closed (close_notify)");
			dtls_emit(d, MEDIA_DTLS_EVENT_CLOSED);
			return;
		}
		dtls_fail(d, dtls_ssl_reason("DTLS failed"));
		return;
	}
}

static void dtls_drive(struct media_dtls *d)
{
	int r, err;

	if (!d->handshake_done) {
		ERR_clear_error();
		r = SSL_do_handshake(d->ssl);
		if (r == 1) {
			dtls_handshake_done(d);
		} else {
			err = SSL_get_error(d->ssl, r);
			if (err != SSL_ERROR_WANT_READ &&
			    err != SSL_ERROR_WANT_WRITE) {
				dtls_fail(d, dtls_ssl_reason(
						     "DTLS handshake failed"));
				return;
			}
		}
	}
	if (d->handshake_done && !d->destroyed &&
	    (d->state == MEDIA_DTLS_CONNECTING ||
	     d->state == MEDIA_DTLS_CONNECTED))
		dtls_read_records(d);
	dtls_rearm(d);
}

static gboolean dtls_timer_dispatch(GSource *s, GSourceFunc cb, gpointer data)
{
	struct media_dtls *d = media_dtls_ref(((struct dtls_source *)s)->d);

	g_source_set_ready_time(s, -1);
	if (d->state == MEDIA_DTLS_CONNECTING && !d->handshake_done) {
		ERR_clear_error();
		if (DTLSv1_handle_timeout(d->ssl) < 0)
			dtls_fail(d, g_strdup("DTLS handshake timed out: no "
					      "answer from the peer"));
		else
			dtls_rearm(d);
	} else if (d->state == MEDIA_DTLS_CONNECTED) {
		media_dtls_settle(d); /* destroys this source: touch it no more */
	}
	media_dtls_unref(d);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs dtls_timer_funcs = {
	.dispatch = dtls_timer_dispatch,
};

static unsigned int dtls_timer_cb(SSL *ssl, unsigned int previous_us)
{
	if (previous_us == 0)
		return DTLS_TIMER_FIRST_US;
	return MIN(previous_us * 2, DTLS_TIMER_MAX_US);
}

/* --- public */

static int dtls_set_fingerprint(struct media_dtls *d, const char *fp)
{
	const char *hash;
	uint8_t digest[MEDIA_CERT_DIGEST_MAX];
	size_t n;
	int rc = media_cert_fingerprint_parse(fp, strlen(fp), &hash, digest,
					      &n);

	if (rc != 0)
		return rc;
	d->fp_hash = hash;
	memcpy(d->fp, digest, n);
	d->fp_len = n;
	g_strlcpy(d->fp_text, fp, sizeof(d->fp_text));
	return 0;
}

static int dtls_make_ssl(struct media_dtls *d, const char *profiles)
{
	BIO *bio;

	d->ssl = SSL_new(media_cert_ssl_ctx(d->cert));
	bio = dtls_bio_method() ? BIO_new(dtls_bio_method()) : NULL;
	if (!d->ssl || !bio) {
		BIO_free(bio);
		return EIO;
	}
	BIO_set_data(bio, d);
	SSL_set_bio(d->ssl, bio, bio);
	SSL_set_app_data(d->ssl, d);
	/*
	 * DTLS-SRTP sends no application data: records stay below the MTU,
	 * so the write buffer can be MTU-sized instead of 16 KiB, and idle
	 * buffers go back to the heap between flights.
	 */
	SSL_set_mode(d->ssl, SSL_MODE_RELEASE_BUFFERS);
	SSL_set_max_send_fragment(d->ssl, MAX(d->mtu, 512u));
	if (!SSL_set_mtu(d->ssl, d->mtu))
		return EINVAL;
	/* Like the context's setter, 0 means success. */
	if (profiles && SSL_set_tlsext_use_srtp(d->ssl, profiles) != 0)
		return EINVAL;
	DTLS_set_timer_cb(d->ssl, dtls_timer_cb);
	if (d->role == MEDIA_DTLS_CLIENT)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	return 0;
}

static void dtls_free(struct media_dtls *d)
{
	media_dtls_destroy(d);
	SSL_free(d->ssl);
	X509_free(d->peer);
	media_cert_unref(d->cert);
	dtls_wipe_keys(d);
	g_free(d->error);
}

int media_dtls_new(struct media_dtls **out,
		   const struct media_dtls_config *cfg)
{
	struct media_dtls *d;
	int rc;

	if (!cfg->cert || !cfg->send_h || !cfg->event_h ||
	    (cfg->mtu && cfg->mtu < MEDIA_DTLS_MTU_MIN))
		return EINVAL;
	d = g_atomic_rc_box_new0(struct media_dtls);
	d->cert = media_cert_ref(cfg->cert);
	d->role = cfg->role;
	d->mtu = cfg->mtu ? cfg->mtu : MEDIA_DTLS_MTU;
	d->settle_us = (int64_t)(cfg->settle_ms ? cfg->settle_ms
						: MEDIA_DTLS_SETTLE_MS) *
		       1000;
	d->send_h = cfg->send_h;
	d->event_h = cfg->event_h;
	d->arg = cfg->arg;
	d->timer = g_source_new(&dtls_timer_funcs, sizeof(struct dtls_source));
	((struct dtls_source *)d->timer)->d = d;
	g_source_set_name(d->timer, "ovoz dtls timer");
	g_source_attach(d->timer, cfg->context);
	rc = cfg->remote_fingerprint
		     ? dtls_set_fingerprint(d, cfg->remote_fingerprint)
		     : 0;
	if (rc == 0)
		rc = dtls_make_ssl(d, cfg->srtp_profiles);
	if (rc != 0) {
		ERR_clear_error();
		media_dtls_unref(d);
		return rc;
	}
	*out = d;
	return 0;
}

struct media_dtls *media_dtls_ref(struct media_dtls *d)
{
	return g_atomic_rc_box_acquire(d);
}

void media_dtls_unref(struct media_dtls *d)
{
	if (d)
		g_atomic_rc_box_release_full(d, (GDestroyNotify)dtls_free);
}

void media_dtls_destroy(struct media_dtls *d)
{
	if (d->destroyed)
		return;
	d->destroyed = true;
	d->send_h = NULL;
	d->event_h = NULL;
	if (d->timer) {
		g_source_destroy(d->timer);
		g_source_unref(d->timer);
		d->timer = NULL;
	}
}

void media_dtls_start(struct media_dtls *d)
{
	if (d->destroyed || d->state != MEDIA_DTLS_NEW)
		return;
	d->state = MEDIA_DTLS_CONNECTING;
	if (d->role == MEDIA_DTLS_CLIENT) {
		media_dtls_ref(d);
		dtls_drive(d);
		media_dtls_unref(d);
	}
}

void media_dtls_receive(struct media_dtls *d, const uint8_t *buf, size_t len)
{
	if (d->destroyed || len == 0)
		return;
	if (d->state == MEDIA_DTLS_NEW && d->role == MEDIA_DTLS_SERVER)
		d->state = MEDIA_DTLS_CONNECTING;
	if ((d->state != MEDIA_DTLS_CONNECTING &&
	     d->state != MEDIA_DTLS_CONNECTED) ||
	    d->settled)
		return;
	media_dtls_ref(d);
	d->in = buf;
	d->in_len = len;
	dtls_drive(d);
	d->in = NULL;
	d->in_len = 0;
	media_dtls_unref(d);
}

int media_dtls_set_remote_fingerprint(struct media_dtls *d, const char *fp)
{
	int rc;

	/* Verified already: a new fingerprint in SDP means a new endpoint. */
	if (d->state != MEDIA_DTLS_NEW && d->state != MEDIA_DTLS_CONNECTING)
		return EALREADY;
	rc = dtls_set_fingerprint(d, fp);
	if (rc == 0 && d->handshake_done && d->peer && d->tx.len) {
		media_dtls_ref(d);
		dtls_verify(d);
		media_dtls_unref(d);
	}
	return rc;
}

void media_dtls_close(struct media_dtls *d)
{
	if (d->state == MEDIA_DTLS_CLOSED || d->state == MEDIA_DTLS_FAILED)
		return;
	if (d->settled) {
		/* The record made at settling: same keys, next sequence. */
		if (!d->destroyed && d->send_h && d->close_len)
			d->send_h(d->close_rec, d->close_len, d->arg);
	} else if (d->handshake_done && !d->destroyed) {
		SSL_shutdown(d->ssl);
		ERR_clear_error();
	}
	d->state = MEDIA_DTLS_CLOSED;
	dtls_wipe_keys(d);
	dtls_timer_stop(d);
}

void media_dtls_settle(struct media_dtls *d)
{
	if (d->settled || d->state != MEDIA_DTLS_CONNECTED)
		return;
	/*
	 * Write our close_notify now, while OpenSSL still holds the write
	 * keys, and keep the datagram for media_dtls_close(): it is the only
	 * record this endpoint will ever send again.
	 */
	d->capture = true;
	SSL_shutdown(d->ssl);
	ERR_clear_error();
	d->capture = false;
	SSL_free(d->ssl); /* its BIO, buffers, flight and session with it */
	d->ssl = NULL;
	g_clear_pointer(&d->peer, X509_free);
	if (d->timer) {
		g_source_destroy(d->timer);
		g_clear_pointer(&d->timer, g_source_unref);
	}
	d->settled = true;
}

bool media_dtls_is_settled(const struct media_dtls *d)
{
	return d->settled;
}

enum media_dtls_state media_dtls_state(const struct media_dtls *d)
{
	return d->state;
}

enum media_dtls_role media_dtls_role(const struct media_dtls *d)
{
	return d->role;
}

const char *media_dtls_error(const struct media_dtls *d)
{
	return d->error;
}

int media_dtls_keys(const struct media_dtls *d, struct media_srtp_key *tx,
		    struct media_srtp_key *rx)
{
	if (d->state != MEDIA_DTLS_CONNECTED)
		return ENOTCONN;
	*tx = d->tx;
	*rx = d->rx;
	return 0;
}
