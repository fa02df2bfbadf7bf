/* gateway/config.c - defaults, INI file and flags. */
#define G_LOG_DOMAIN "ovoz-config"

#include "config.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/transport.h"

enum key_type { KEY_STRING, KEY_UINT, KEY_LIST, KEY_PORTS };

/* One row per INI key: the table is the documentation's checklist. */
struct config_key {
	const char *group;
	const char *key;
	enum key_type type;
	size_t offset;
	unsigned min, max;
};

#define OFF(f) offsetof(struct gateway_config, f)
static const struct config_key config_keys[] = {
	{"sip", "udp", KEY_STRING, OFF(sip_udp), 0, 0},
	{"sip", "realm", KEY_STRING, OFF(realm), 0, 0},
	{"sip", "domains", KEY_LIST, OFF(domains), 0, 0},
	{"sip", "min_expires", KEY_UINT, OFF(min_expires), 1, 86400},
	{"sip", "max_expires", KEY_UINT, OFF(max_expires), 1, 604800},
	{"sip", "default_expires", KEY_UINT, OFF(default_expires), 1, 604800},
	{"sip", "max_contacts", KEY_UINT, OFF(max_contacts), 1, 100},
	{"sip", "nonce_ttl", KEY_UINT, OFF(nonce_ttl), 10, 86400},
	{"sip", "no_answer_timeout", KEY_UINT, OFF(no_answer), 5, 3600},
	{"sip", "max_call_duration", KEY_UINT, OFF(max_call), 2, 604800},
	{"sip", "keepalive_interval", KEY_UINT, OFF(keepalive_interval), 0, 3600},
	{"sip", "keepalive_max_missed", KEY_UINT, OFF(keepalive_max_missed), 1, 100},
	{"sip", "digest_algorithms", KEY_LIST, OFF(digest_algorithms), 0, 0},
	{"sip", "md5_only_user_agents", KEY_LIST, OFF(md5_only_user_agents), 0, 0},
	{"http", "listen", KEY_STRING, OFF(https), 0, 0},
	{"http", "cert", KEY_STRING, OFF(cert), 0, 0},
	{"http", "key", KEY_STRING, OFF(key), 0, 0},
	{"http", "webroot", KEY_STRING, OFF(webroot), 0, 0},
	{"http", "origins", KEY_LIST, OFF(origins), 0, 0},
	{"http", "ws_max_message", KEY_UINT, OFF(ws_max_message), 1024, 1048576},
	{"http", "ws_max_connections_per_ip", KEY_UINT, OFF(ws_max_per_ip), 1, 1000000},
	{"http", "idle_timeout", KEY_UINT, OFF(http_idle_timeout), 2, 3600},
	{"http", "max_connections_per_ip", KEY_UINT, OFF(http_max_per_ip), 1, 1000000},
	{"store", "db", KEY_STRING, OFF(db), 0, 0},
	{"store", "attempts_keep", KEY_UINT, OFF(attempts_keep), 10, 10000000},
	{"admin", "token", KEY_STRING, OFF(admin_token), 0, 0},
	{"admin", "min_password_length", KEY_UINT, OFF(min_password_len), 1, 128},
	{"auth", "ephemeral_secret", KEY_STRING, OFF(ephemeral_secret), 0, 0},
	{"media", "ip", KEY_STRING, OFF(media_ip), 0, 0},
	{"media", "rtp_ports", KEY_PORTS, 0, 0, 0},
	{"media", "public_ip", KEY_STRING, OFF(media_public_ip), 0, 0},
	{"media", "relay_udp", KEY_STRING, OFF(relay_udp_text), 0, 0},
	{"media", "workers", KEY_UINT, OFF(media_workers), 0, 64},
	{"media", "rtp_timeout", KEY_UINT, OFF(rtp_timeout), 5, 3600},
	{"media", "hold_timeout", KEY_UINT, OFF(hold_timeout), 5, 86400},
	{"security", "ban_failures", KEY_UINT, OFF(ban_failures), 1, 1000},
	{"security", "ban_window", KEY_UINT, OFF(ban_window), 1, 86400},
	{"security", "ban_time", KEY_UINT, OFF(ban_time), 1, 604800},
	{"upstream", "address", KEY_STRING, OFF(upstream), 0, 0},
	{"log", "level", KEY_STRING, OFF(log_level), 0, 0},
};
#undef OFF

static void config_defaults(struct gateway_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sip_udp = g_strdup("0.0.0.0:5060");
	cfg->realm = g_strdup("ovoz");
	cfg->min_expires = 60;
	cfg->max_expires = 3600;
	cfg->default_expires = 3600;
	cfg->max_contacts = 10;
	cfg->nonce_ttl = 300;
	cfg->no_answer = 60;
	cfg->max_call = 43200;
	cfg->keepalive_interval = 30;
	cfg->keepalive_max_missed = 3;
	/* One MD5 challenge, as Kamailio and Asterisk send: SIP.js and JsSIP
	 * keep only the last challenge and need it to be MD5, libre/baresip
	 * gives up on any set naming SHA-256. Several challenges are an
	 * operator's opt-in (docs/configuration.md). */
	cfg->digest_algorithms = g_strsplit("MD5", ",", -1);
	cfg->md5_only_user_agents = NULL;
	cfg->https = g_strdup("0.0.0.0:8443");
	cfg->cert = g_strdup("certs/dev/server.pem");
	cfg->key = g_strdup("certs/dev/server.key");
	cfg->webroot = g_strdup("webphone");
	cfg->ws_max_message = 65535;
	cfg->ws_max_per_ip = 1000;
	cfg->http_idle_timeout = 20;
	cfg->http_max_per_ip = 2000;
	cfg->db = g_strdup("var/ovoz.db");
	cfg->attempts_keep = 10000;
	cfg->min_password_len = 6;
	cfg->rtp_lo = 20000;
	cfg->rtp_hi = 29999;
	cfg->relay_udp_text = g_strdup("auto");
	cfg->rtp_timeout = 60;
	cfg->hold_timeout = 3600;
	cfg->ban_failures = 5;
	cfg->ban_window = 60;
	cfg->ban_time = 300;
	cfg->log_level = g_strdup("info");
}

void gateway_config_clear(struct gateway_config *cfg)
{
	g_free(cfg->config_file);
	g_free(cfg->sip_udp);
	g_free(cfg->realm);
	g_strfreev(cfg->domains);
	g_free(cfg->https);
	g_free(cfg->cert);
	g_free(cfg->key);
	g_free(cfg->webroot);
	g_strfreev(cfg->origins);
	g_strfreev(cfg->digest_algorithms);
	g_strfreev(cfg->md5_only_user_agents);
	g_free(cfg->db);
	g_free(cfg->admin_token);
	g_free(cfg->ephemeral_secret);
	g_free(cfg->media_ip);
	g_free(cfg->media_public_ip);
	g_free(cfg->relay_udp_text);
	g_free(cfg->upstream);
	g_free(cfg->log_level);
	memset(cfg, 0, sizeof(*cfg));
}

char *gateway_config_listen_host(const char *listen)
{
	struct sip_addr a;
	char host[SIP_ADDR_STRLEN];

	if (!listen || sip_addr_parse(&a, listen) != 0)
		return NULL;
	sip_addr_host(&a, host, sizeof(host));
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		return NULL;
	return g_strdup(host);
}

static int config_parse_ports(struct gateway_config *cfg, const char *text,
			      char **err)
{
	unsigned lo, hi;
	char tail;

	if (sscanf(text, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1024 ||
	    hi > 65535 || lo >= hi) {
		*err = g_strdup_printf("bad RTP port range '%s' (want LO-HI, "
				       "1024 <= LO < HI <= 65535)", text);
		return EINVAL;
	}
	/* RTP takes even ports, RTCP the odd one above (unless rtcp-mux). */
	cfg->rtp_lo = lo;
	cfg->rtp_hi = hi;
	return 0;
}

static int config_set(struct gateway_config *cfg, const struct config_key *k,
		      const char *value, char **err)
{
	char *end;
	unsigned long v;
	void *field = (char *)cfg + k->offset;

	switch (k->type) {
	case KEY_STRING:
		g_free(*(char **)field);
		*(char **)field = g_strdup(value);
		return 0;
	case KEY_LIST:
		g_strfreev(*(char ***)field);
		*(char ***)field = g_strsplit_set(value, ", ", -1);
		return 0;
	case KEY_PORTS:
		return config_parse_ports(cfg, value, err);
	case KEY_UINT:
		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || *end || end == value || v < k->min || v > k->max) {
			*err = g_strdup_printf("[%s] %s = '%s': want a number "
					       "from %u to %u",
					       k->group, k->key, value, k->min,
					       k->max);
			return EINVAL;
		}
		*(unsigned *)field = (unsigned)v;
		return 0;
	}
	return EINVAL;
}

static const struct config_key *config_find(const char *group,
					    const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
		if (strcmp(config_keys[i].group, group) == 0 &&
		    strcmp(config_keys[i].key, key) == 0)
			return &config_keys[i];
	return NULL;
}

static int config_load_file(struct gateway_config *cfg, const char *path,
			    char **err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) gerr = NULL;
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
		*err = g_strdup_printf("cannot read config %s: %s", path,
				       gerr->message);
		return EINVAL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (size_t g = 0; groups[g]; g++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL,
							 NULL);
		for (size_t i = 0; keys && keys[i]; i++) {
			const struct config_key *k = config_find(groups[g], keys[i]);
			g_autofree char *v = NULL;
			if (!k) {
				*err = g_strdup_printf("%s: unknown key [%s] %s",
						       path, groups[g], keys[i]);
				return EINVAL;
			}
			v = g_key_file_get_string(kf, groups[g], keys[i], NULL);
			if (v && config_set(cfg, k, g_strstrip(v), err))
				return EINVAL;
		}
	}
	return 0;
}

/* Flags: long name -> INI key. */
static const struct {
	const char *flag;
	const char *group;
	const char *key;
	const char *help;
	const char *arg;
} config_flags[] = {
	{"sip-udp", "sip", "udp", "SIP over UDP listen address, or off", "ADDR:PORT"},
	{"https", "http", "listen", "HTTPS + WSS listen address", "ADDR:PORT"},
	{"cert", "http", "cert", "TLS certificate chain (PEM)", "PEM"},
	{"key", "http", "key", "TLS private key (PEM)", "PEM"},
	{"db", "store", "db", "sqlite database file", "PATH"},
	{"realm", "sip", "realm", "digest realm / SIP domain", "REALM"},
	{"admin-token", "admin", "token", "admin API token", "TOKEN"},
	{"media-ip", "media", "ip", "IP media binds to and announces", "IP"},
	{"media-public-ip", "media", "public_ip", "public IP announced for media (1:1 NAT)", "IP"},
	{"rtp-ports", "media", "rtp_ports", "RTP port range", "LO-HI"},
	{"log-level", "log", "level", "error, warning, info or debug", "LEVEL"},
	{"webroot", "http", "webroot", "folder with the web phone", "DIR"},
	{"upstream", "upstream", "address", "UDP registrar/PBX to front", "IP:PORT"},
};

static int config_validate(struct gateway_config *cfg, char **err)
{
	struct sip_addr a;
	static const char *const levels[] = {"error", "warning", "info",
					     "debug", NULL};

	if (strcmp(cfg->sip_udp, "off") != 0 && sip_addr_parse(&a, cfg->sip_udp)) {
		*err = g_strdup_printf("bad SIP UDP address '%s' (want IP:PORT "
				       "or off)", cfg->sip_udp);
		return EINVAL;
	}
	if (sip_addr_parse(&a, cfg->https)) {
		*err = g_strdup_printf("bad HTTPS address '%s' (want IP:PORT)",
				       cfg->https);
		return EINVAL;
	}
	if (cfg->media_ip && *cfg->media_ip && sip_addr_set(&a, cfg->media_ip, 0)) {
		*err = g_strdup_printf("bad media IP '%s'", cfg->media_ip);
		return EINVAL;
	}
	if (cfg->media_public_ip && *cfg->media_public_ip &&
	    sip_addr_set(&a, cfg->media_public_ip, 0)) {
		*err = g_strdup_printf("bad media public IP '%s'",
				       cfg->media_public_ip);
		return EINVAL;
	}
	{
		static const char *const relay[] = {"auto", "always", "never",
						    NULL};
		unsigned i = 0;

		while (relay[i] && strcmp(relay[i], cfg->relay_udp_text) != 0)
			i++;
		if (!relay[i]) {
			*err = g_strdup_printf("bad [media] relay_udp '%s' (want "
					       "auto, always or never)",
					       cfg->relay_udp_text);
			return EINVAL;
		}
		cfg->relay_udp = i;
	}
	if (cfg->upstream && *cfg->upstream &&
	    sip_addr_parse(&a, cfg->upstream)) {
		*err = g_strdup_printf("bad [upstream] address '%s' (want "
				       "IP:PORT)", cfg->upstream);
		return EINVAL;
	}
	if (!g_strv_contains(levels, cfg->log_level)) {
		*err = g_strdup_printf("bad log level '%s' (want error, "
				       "warning, info or debug)", cfg->log_level);
		return EINVAL;
	}
	if (!*cfg->realm || strpbrk(cfg->realm, "\"\\\r\n")) {
		*err = g_strdup("realm must be non-empty, without quotes");
		return EINVAL;
	}
	if (cfg->admin_token && strlen(cfg->admin_token) < 16) {
		*err = g_strdup("admin token must be at least 16 characters");
		return EINVAL;
	}
	if (cfg->ephemeral_secret && strlen(cfg->ephemeral_secret) < 16) {
		*err = g_strdup("[auth] ephemeral_secret must be at least 16 "
				"characters");
		return EINVAL;
	}
	{
		unsigned n = 0;
		for (char **alg = cfg->digest_algorithms; alg && *alg; alg++) {
			if (!**alg)
				continue;
			if (strcmp(*alg, "MD5") && strcmp(*alg, "SHA-256")) {
				*err = g_strdup_printf("unknown digest algorithm "
						       "'%s' (want MD5, SHA-256)", *alg);
				return EINVAL;
			}
			n++;
		}
		if (n == 2 && strcmp(cfg->digest_algorithms[0],
				     cfg->digest_algorithms[1]) == 0)
			n = 3;
		if (n == 0 || n > 2) {
			*err = g_strdup("digest_algorithms needs MD5, SHA-256 "
					"or both, each once");
			return EINVAL;
		}
	}
	/* A lower max_expires alone should just work: clamp the default. */
	if (cfg->default_expires > cfg->max_expires)
		cfg->default_expires = cfg->max_expires;
	if (cfg->default_expires < cfg->min_expires) {
		*err = g_strdup("default_expires is below min_expires: phones "
				"that send no Expires would always get 423");
		return EINVAL;
	}
	if (cfg->min_expires > cfg->max_expires) {
		*err = g_strdup("min_expires is above max_expires");
		return EINVAL;
	}
	return 0;
}

int gateway_config_load(struct gateway_config *cfg, int argc, char **argv,
			char **err)
{
	g_autoptr(GOptionContext) oc = NULL;
	g_autoptr(GError) gerr = NULL;
	g_autofree char *config_file = NULL;
	char *values[G_N_ELEMENTS(config_flags)] = {0};
	GOptionEntry entries[G_N_ELEMENTS(config_flags) + 2];
	g_auto(GStrv) args = g_new0(char *, argc + 1);
	int rc = 0;

	config_defaults(cfg);
	for (int i = 0; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	memset(entries, 0, sizeof(entries));
	entries[0] = (GOptionEntry){"config", 'c', 0, G_OPTION_ARG_FILENAME,
				    &config_file, "INI configuration file",
				    "FILE"};
	for (size_t i = 0; i < G_N_ELEMENTS(config_flags); i++)
		entries[i + 1] = (GOptionEntry){
			config_flags[i].flag, 0, 0, G_OPTION_ARG_STRING,
			&values[i], config_flags[i].help, config_flags[i].arg};
	oc = g_option_context_new("- Ovoz SIP/WebRTC gateway");
	g_option_context_add_main_entries(oc, entries, NULL);
	g_option_context_set_strict_posix(oc, FALSE);
	if (!g_option_context_parse_strv(oc, &args, &gerr)) {
		*err = g_strdup(gerr->message);
		rc = EINVAL;
		goto out;
	}
	if (args[0] && args[1]) {
		*err = g_strdup_printf("unexpected argument '%s'", args[1]);
		rc = EINVAL;
		goto out;
	}
	if (config_file) {
		cfg->config_file = g_strdup(config_file);
		rc = config_load_file(cfg, config_file, err);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(config_flags); i++) {
		if (!values[i])
			continue;
		rc = config_set(cfg, config_find(config_flags[i].group,
						 config_flags[i].key),
				values[i], err);
		if (rc)
			goto out;
	}
	rc = config_validate(cfg, err);
out:
	for (size_t i = 0; i < G_N_ELEMENTS(values); i++)
		g_free(values[i]);
	if (rc)
		gateway_config_clear(cfg);
	return rc;
}
