/*
 * gateway/media_glue.c - wires the media relay (gateway/media.c) to the
 * proxy and the call log: the proxy's media hooks, hang-ups the media side
 * asks for, one-way audio notes, and which address media uses.
 */
#define G_LOG_DOMAIN "ovoz"

#include "gateway/gateway.h"
#include "gateway/media.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <string.h>

int gateway_media_hook_body(void *ctx, const struct sip_media_event *ev,
			    const char *body, size_t len, char **out,
			    size_t *out_len, const char **reason)
{
	struct gateway *gw = ctx;

	if (!gw->media)
		return 0;
	return gateway_media_body(gw->media, ev, body, len, out, out_len,
				  reason);
}

void gateway_media_hook_release(void *ctx, const char *call_id,
				const char *branch, const char *why)
{
	struct gateway *gw = ctx;

	if (gw->media)
		gateway_media_release(gw->media, call_id, branch, why);
}

static void glue_media_end(void *arg, const char *call_id, int status,
			   const char *reason)
{
	struct gateway *gw = arg;

	if (gw->proxy && sip_proxy_hangup(gw->proxy, call_id, status, reason))
		gateway_media_release(gw->media, call_id, NULL, "call gone");
}

static void glue_media_note(void *arg, const char *call_id, const char *note)
{
	struct gateway *gw = arg;

	gateway_calls_note(gw->calls, call_id, note);
}

/* The first IPv4 address of an interface that is up and not loopback. */
static char *glue_media_first_address(void)
{
	struct ifaddrs *list = NULL;
	char host[NI_MAXHOST];
	char *found = NULL;

	if (getifaddrs(&list) != 0)
		return NULL;
	for (struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (getnameinfo(i->ifa_addr, sizeof(struct sockaddr_in), host,
				sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
			found = g_strdup(host);
	}
	freeifaddrs(list);
	return found;
}

/* [media] ip, else the SIP or HTTPS listen address, else this machine's
 * first address, else loopback (said in the start-up line). */
static char *glue_media_ip(const struct gateway_config *cfg)
{
	char *ip;

	if (cfg->media_ip && *cfg->media_ip)
		return g_strdup(cfg->media_ip);
	if ((ip = gateway_config_listen_host(cfg->sip_udp)) ||
	    (ip = gateway_config_listen_host(cfg->https)) ||
	    (ip = glue_media_first_address()))
		return ip;
	g_warning("media: no address found; relaying on 127.0.0.1 only "
		  "(set [media] ip)");
	return g_strdup("127.0.0.1");
}

static bool glue_media_sdes(void *arg, const char *ext)
{
	struct gateway *gw = arg;

	return gateway_store_extension_srtp(gw->store, ext); /* memory */
}

int gateway_media_start(struct gateway *gw, char **err)
{
	struct gateway_config *cfg = gw->cfg;
	g_autofree char *ip = glue_media_ip(cfg);
	struct gateway_media_config mc = {
		.ip = ip,
		.public_ip = cfg->media_public_ip,
		.rtp_lo = cfg->rtp_lo,
		.rtp_hi = cfg->rtp_hi,
		.relay_udp = cfg->relay_udp,
		.workers = cfg->media_workers,
		.rtp_timeout_ms = cfg->rtp_timeout * 1000,
		.hold_timeout_ms = cfg->hold_timeout * 1000,
		.end_h = glue_media_end,
		.note_h = glue_media_note,
		.sdes_h = glue_media_sdes,
		.arg = gw,
	};

	return gateway_media_new(&gw->media, &mc, err);
}

void gateway_media_stop(struct gateway *gw)
{
	gateway_media_free(gw->media);
	gw->media = NULL;
}
