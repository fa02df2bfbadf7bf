/*
 * tests/fuzz/fuzz_dtls.c - arbitrary datagrams into a server-role DTLS
 * endpoint, arbitrary bytes into SRTP/SRTCP unprotect, and the pure
 * parsers (SDP fingerprint, SDES inline key).
 *
 * The input is fed three ways: whole, as one datagram; split as a sequence
 * of [2-byte big-endian length][datagram] (so a corpus file can hold a
 * whole fragmented ClientHello); and as packets to unprotect.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "media/cert.h"
#include "media/dtls.h"
#include "media/srtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_send(const uint8_t *buf, size_t len, void *arg)
{
}

static void on_event(struct media_dtls *d, enum media_dtls_event ev,
		     const char *reason, void *arg)
{
}

static struct media_dtls *server(struct media_cert *cert)
{
	struct media_dtls *d = NULL;
	struct media_dtls_config cfg = {
		.cert = cert,
		.role = MEDIA_DTLS_SERVER,
		.remote_fingerprint = media_cert_fingerprint(cert),
		.send_h = on_send,
		.event_h = on_event,
	};

	if (media_dtls_new(&d, &cfg) != 0)
		abort();
	return d;
}

static void done(struct media_dtls *d)
{
	media_dtls_destroy(d);
	media_dtls_unref(d);
}

static void fuzz_dtls(struct media_cert *cert, const uint8_t *data,
		      size_t size)
{
	struct media_dtls *d = server(cert);
	size_t off = 0;

	media_dtls_receive(d, data, size);
	done(d);

	d = server(cert);
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		media_dtls_receive(d, data + off, len);
		off += len;
	}
	done(d);
}

static void fuzz_srtp(const uint8_t *data, size_t size)
{
	static struct media_srtp *s[2];
	uint8_t buf[2048];
	size_t len;

	if (!s[0]) {
		struct media_srtp_key k = {.len = 30};

		for (int i = 0; i < 2; i++) {
			k.profile = i ? MEDIA_SRTP_AEAD_AES_128_GCM
				      : MEDIA_SRTP_AES128_CM_SHA1_80;
			k.len = media_srtp_master_len(k.profile);
			if (media_srtp_new(&s[i], &k, &k, 0) != 0)
				abort();
		}
	}
	if (size > sizeof(buf))
		return;
	for (int i = 0; i < 2; i++) {
		memcpy(buf, data, size);
		len = size;
		media_srtp_unprotect(s[i], buf, &len);
		memcpy(buf, data, size);
		len = size;
		media_srtp_unprotect_rtcp(s[i], buf, &len);
	}
}

static void fuzz_parsers(const uint8_t *data, size_t size)
{
	const char *hash;
	uint8_t digest[MEDIA_CERT_DIGEST_MAX];
	size_t n;
	struct media_srtp_key k;

	media_cert_fingerprint_parse((const char *)data, size, &hash, digest,
				     &n);
	media_srtp_inline_parse((const char *)data, size,
				MEDIA_SRTP_AES128_CM_SHA1_80, &k);
	media_srtp_inline_parse((const char *)data, size,
				MEDIA_SRTP_AEAD_AES_128_GCM, &k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct media_cert *cert;

	if (!cert && media_cert_new(&cert, NULL) != 0)
		abort();
	fuzz_dtls(cert, data, size);
	fuzz_srtp(data, size);
	fuzz_parsers(data, size);
	return 0;
}
