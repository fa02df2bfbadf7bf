/*
 * gateway/config.h - Ovoz settings: embedded defaults, then the INI file
 * (--config), then command-line flags, each overriding the one before.
 * Every key is listed in docs/configuration.md.
 */
#ifndef OVOZ_GATEWAY_CONFIG_H
#define OVOZ_GATEWAY_CONFIG_H

#include <stdbool.h>

struct gateway_config {
	char *config_file;
	/* [sip] */
	char *sip_udp;          /* "0.0.0.0:5060"; "off" disables UDP */
	char *realm;            /* digest realm and SIP domain */
	char **domains;         /* more host names served (besides the realm
				 * and the listen addresses) */
	unsigned min_expires, max_expires, default_expires, max_contacts;
	unsigned nonce_ttl;
	unsigned no_answer;       /* seconds before an unanswered call gets 480 */
	unsigned max_call;        /* seconds before a call without BYE is closed */
	unsigned keepalive_interval; /* OPTIONS to UDP contacts; 0 = off */
	unsigned keepalive_max_missed;
	char **digest_algorithms; /* "MD5", "SHA-256", in challenge order */
	char **md5_only_user_agents; /* UA prefixes offered MD5 alone */
	/* [http] */
	char *https;            /* "0.0.0.0:8443" */
	char *cert, *key;
	char *webroot;
	char **origins;         /* extra allowed Origins */
	unsigned ws_max_message;
	unsigned ws_max_per_ip;
	unsigned http_idle_timeout; /* seconds for a TLS handshake, headers, a
				     * body, or an idle raw connection */
	unsigned http_max_per_ip;   /* TCP connections per address, any kind */
	/* [store] */
	char *db;
	unsigned attempts_keep;
	/* [admin] */
	char *admin_token;
	unsigned min_password_len;
	/* [auth] */
	char *ephemeral_secret; /* NULL: generated once, kept in the store */
	/* [media] */
	char *media_ip;         /* media sockets bind here; NULL: derived */
	char *media_public_ip;  /* announced for 1:1 NAT, or NULL */
	unsigned rtp_lo, rtp_hi;
	char *relay_udp_text;   /* "auto", "always", "never" */
	unsigned relay_udp;     /* enum gateway_media_relay_udp of the text */
	unsigned media_workers; /* 0: one per core */
	unsigned rtp_timeout;   /* seconds without RTP either way */
	unsigned hold_timeout;  /* the same while on hold */
	/* [security] */
	unsigned ban_failures, ban_window, ban_time;
	/* [upstream] */
	char *upstream;           /* "ip:port" of a UDP registrar/PBX, or NULL */
	/* [log] */
	char *log_level;
};

/**
 * gateway_config_load() - fill @cfg from defaults, the file named by
 * --config (if any) and the flags in @argv. On error returns EINVAL and a
 * message an operator can act on in *@err (g_free).
 */
int gateway_config_load(struct gateway_config *cfg, int argc, char **argv,
			char **err);
void gateway_config_clear(struct gateway_config *cfg);

/** The host of a listen address "IP:PORT" ("192.0.2.1", "2001:db8::1",
 *  no brackets) when it names one address; NULL for a wildcard ("0.0.0.0",
 *  "::"), "off" or NULL. New string. */
char *gateway_config_listen_host(const char *listen);

#endif
