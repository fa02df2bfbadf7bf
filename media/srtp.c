/* media/srtp.c - SRTP/SRTCP session pairs over libsrtp2, SDES inline keys. */
#define G_LOG_DOMAIN "ovoz-srtp"

#include "srtp.h"
#include "srtp_crypto.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

struct media_srtp {
	enum media_srtp_profile profile;
	srtp_t tx;
	srtp_t rx;
	size_t rtp_trailer;  /* tag */
	size_t rtcp_trailer; /* index + tag */
};

static const struct {
	const char *name;
	size_t master_len;
	size_t tag_len;
} srtp_profiles[] = {
	[MEDIA_SRTP_AES128_CM_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 30, 10},
	[MEDIA_SRTP_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 28, 16},
};

static bool srtp_profile_valid(enum media_srtp_profile p)
{
	return p > MEDIA_SRTP_NONE && p < G_N_ELEMENTS(srtp_profiles);
}

/*
 * libsrtp's global state (crypto kernel) is set up once, with the OpenSSL
 * backends installed before the first session exists.
 */
static int srtp_once(void)
{
	static gsize status;

	if (g_once_init_enter(&status)) {
		srtp_err_status_t st = srtp_init();

		if (st != srtp_err_status_ok)
			g_warning("libsrtp initialisation failed (status %d)",
				  st);
		/* Before any session: sessions keep the types they got. */
		else if (media_srtp_crypto_install() != 0)
			g_warning("libsrtp: an OpenSSL crypto backend failed "
				  "its self-test; libsrtp's own is used for it");
		g_once_init_leave(&status, st == srtp_err_status_ok ? 1 : 2);
	}
	return status == 1 ? 0 : EIO;
}

static void srtp_set_crypto(srtp_policy_t *pol, enum media_srtp_profile p)
{
	if (p == MEDIA_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
	}
}

static int srtp_make(srtp_t *out, const struct media_srtp_key *k,
		     srtp_ssrc_type_t type, unsigned window)
{
	srtp_policy_t pol;
	uint8_t master[MEDIA_SRTP_MASTER_MAX];
	srtp_err_status_t st;

	memset(&pol, 0, sizeof(pol));
	srtp_set_crypto(&pol, k->profile);
	memcpy(master, k->master, k->len);
	pol.ssrc.type = type;
	pol.key = master;
	pol.window_size = window;
	/* A sender never reuses a sequence number: keystream reuse. */
	pol.allow_repeat_tx = 0;
	st = srtp_create(out, &pol);
	OPENSSL_cleanse(master, sizeof(master));
	return st == srtp_err_status_ok ? 0 : EIO;
}

int media_srtp_new(struct media_srtp **out, const struct media_srtp_key *tx,
		   const struct media_srtp_key *rx, unsigned replay_window)
{
	struct media_srtp *s;

	if (!srtp_profile_valid(tx->profile) || tx->profile != rx->profile ||
	    tx->len != srtp_profiles[tx->profile].master_len ||
	    rx->len != tx->len)
		return EINVAL;
	if (replay_window == 0)
		replay_window = MEDIA_SRTP_REPLAY_WINDOW;
	if (replay_window < 64 || replay_window >= 0x8000)
		return EINVAL;
	if (srtp_once() != 0)
		return EIO;
	s = g_new0(struct media_srtp, 1);
	s->profile = tx->profile;
	s->rtp_trailer = srtp_profiles[s->profile].tag_len;
	s->rtcp_trailer = s->rtp_trailer + 4;
	if (srtp_make(&s->tx, tx, ssrc_any_outbound, replay_window) != 0 ||
	    srtp_make(&s->rx, rx, ssrc_any_inbound, replay_window) != 0) {
		media_srtp_free(s);
		return EIO;
	}
	*out = s;
	return 0;
}

void media_srtp_free(struct media_srtp *s)
{
	if (!s)
		return;
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	g_free(s);
}

enum media_srtp_profile media_srtp_profile(const struct media_srtp *s)
{
	return s->profile;
}

static int srtp_errno(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return EALREADY;
	case srtp_err_status_auth_fail:
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
	case srtp_err_status_cipher_fail:
	case srtp_err_status_cant_check: /* SRTCP E bit cleared */
		return EBADMSG;
	default:
		return EIO;
	}
}

/* RTP needs the 12-byte header and version 2 before libsrtp reads it. */
static bool srtp_looks_rtp(const uint8_t *buf, size_t len, size_t min)
{
	return len >= min && len <= INT_MAX - MEDIA_SRTP_TRAILER_MAX &&
	       (buf[0] >> 6) == 2;
}

int media_srtp_protect(struct media_srtp *s, uint8_t *buf, size_t *len,
		       size_t cap)
{
	int n = (int)*len;
	int rc;

	if (!srtp_looks_rtp(buf, *len, 12))
		return EINVAL;
	if (cap < *len + s->rtp_trailer)
		return ENOBUFS;
	rc = srtp_errno(srtp_protect(s->tx, buf, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc == EBADMSG ? EINVAL : rc;
}

int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, size_t *len)
{
	int n = (int)*len;
	int rc;

	if (!srtp_looks_rtp(buf, *len, 12 + s->rtp_trailer))
		return EBADMSG;
	rc = srtp_errno(srtp_unprotect(s->rx, buf, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

int media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *buf, size_t *len,
			    size_t cap)
{
	int n = (int)*len;
	int rc;

	if (!srtp_looks_rtp(buf, *len, 8))
		return EINVAL;
	if (cap < *len + s->rtcp_trailer)
		return ENOBUFS;
	rc = srtp_errno(srtp_protect_rtcp(s->tx, buf, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc == EBADMSG ? EINVAL : rc;
}

int media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *buf,
			      size_t *len)
{
	int n = (int)*len;
	int rc;

	if (!srtp_looks_rtp(buf, *len, 8 + s->rtcp_trailer))
		return EBADMSG;
	rc = srtp_errno(srtp_unprotect_rtcp(s->rx, buf, &n));
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

size_t media_srtp_master_len(enum media_srtp_profile p)
{
	return srtp_profile_valid(p) ? srtp_profiles[p].master_len : 0;
}

const char *media_srtp_profile_name(enum media_srtp_profile p)
{
	return srtp_profile_valid(p) ? srtp_profiles[p].name : "NONE";
}

enum media_srtp_profile media_srtp_profile_from_name(const char *name,
						     size_t len)
{
	for (size_t i = 1; i < G_N_ELEMENTS(srtp_profiles); i++) {
		if (strlen(srtp_profiles[i].name) == len &&
		    memcmp(srtp_profiles[i].name, name, len) == 0)
			return (enum media_srtp_profile)i;
	}
	return MEDIA_SRTP_NONE;
}

int media_srtp_key_random(struct media_srtp_key *k,
			  enum media_srtp_profile p)
{
	if (!srtp_profile_valid(p))
		return EINVAL;
	k->profile = p;
	k->len = srtp_profiles[p].master_len;
	return RAND_bytes(k->master, (int)k->len) == 1 ? 0 : EIO;
}

static bool srtp_b64_char(char c)
{
	return g_ascii_isalnum(c) || c == '+' || c == '/';
}

/* Exact base64 of @want bytes: length, alphabet and padding all checked. */
static int srtp_b64_decode(const char *s, size_t len, uint8_t *out,
			   size_t want)
{
	size_t pad = (3 - want % 3) % 3;
	gint state = 0;
	guint save = 0;
	uint8_t tmp[MEDIA_SRTP_MASTER_MAX + 3];

	if (len != (want + 2) / 3 * 4 || want > MEDIA_SRTP_MASTER_MAX)
		return EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (i >= len - pad ? s[i] != '=' : !srtp_b64_char(s[i]))
			return EINVAL;
	}
	if (g_base64_decode_step(s, len, tmp, &state, &save) != want)
		return EINVAL;
	memcpy(out, tmp, want);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

/* "2^20" or "1048576": the lifetime is accepted and not enforced. */
static bool srtp_lifetime_valid(const char *s, size_t len)
{
	size_t i = 0;

	if (len > 2 && s[0] == '2' && s[1] == '^')
		i = 2;
	if (i == len)
		return false;
	for (; i < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			return false;
	}
	return true;
}

int media_srtp_inline_parse(const char *text, size_t len,
			    enum media_srtp_profile p,
			    struct media_srtp_key *out)
{
	static const char prefix[] = "inline:";
	const char *key, *bar, *end = text + len;
	struct media_srtp_key k = {.profile = p};

	if (!srtp_profile_valid(p) || len < sizeof(prefix) - 1 ||
	    memcmp(text, prefix, sizeof(prefix) - 1) != 0)
		return EINVAL;
	key = text + sizeof(prefix) - 1;
	bar = memchr(key, '|', (size_t)(end - key));
	k.len = srtp_profiles[p].master_len;
	if (srtp_b64_decode(key, (size_t)((bar ? bar : end) - key), k.master,
			    k.len) != 0)
		return EINVAL;
	while (bar) {
		const char *field = bar + 1;
		size_t flen;

		bar = memchr(field, '|', (size_t)(end - field));
		flen = (size_t)((bar ? bar : end) - field);
		if (memchr(field, ':', flen))
			return ENOTSUP;
		if (!srtp_lifetime_valid(field, flen))
			return EINVAL;
	}
	*out = k;
	return 0;
}

char *media_srtp_inline_format(const struct media_srtp_key *k)
{
	g_autofree char *b64 = g_base64_encode(k->master, k->len);

	return g_strconcat("inline:", b64, NULL);
}
