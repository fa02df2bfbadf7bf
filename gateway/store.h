/*
 * gateway/store.h - persistent state in sqlite (WAL): extensions,
 * UDP registrations (locations), the bounded log of REGISTER attempts and
 * settings. Schema migrations are numbered and run at open.
 *
 * Plain passwords never reach this module: only HA1 values (MD5 and
 * SHA-256, lowercase hex) are stored.
 *
 * Threading: signalling thread only. Errors: 0 or an errno value
 * (ENOENT not found, EEXIST duplicate, EIO sqlite failure, EINVAL).
 */
#ifndef OVOZ_GATEWAY_STORE_H
#define OVOZ_GATEWAY_STORE_H

#include <glib.h>
#include <stdint.h>

struct gateway_store;

struct gateway_extension {
	char *extension;
	char *display_name;
	char *ha1_md5;
	char *ha1_sha256;
	int64_t created_at; /* unix seconds */
	int64_t updated_at;
};

/** A registered contact that survives restart (UDP bindings). */
struct gateway_location {
	char *extension;
	char *contact;    /* the Contact header value as registered */
	char *transport;  /* "udp" */
	char *source;     /* "203.0.113.5:48355" where it came from */
	char *user_agent;
	char *call_id;
	uint32_t cseq;
	int64_t expires_at; /* unix seconds */
	int64_t updated_at;
};

/** One REGISTER attempt, for diagnosis. */
struct gateway_attempt {
	int64_t at; /* unix seconds */
	char *extension;
	char *source;
	char *transport;
	char *user_agent;
	char *outcome; /* machine-readable: "registered", "challenged",
			  "wrong_password", "unknown_extension", "stale_nonce",
			  "banned", "unregistered", ... */
	int status;    /* SIP status sent */
	char *detail;  /* operator text */
};

/** Open (create) the database at @path, enable WAL, run migrations. */
int gateway_store_open(struct gateway_store **out, const char *path);
void gateway_store_close(struct gateway_store *s);
/** Highest applied migration number. */
int gateway_store_schema_version(struct gateway_store *s);

void gateway_extension_clear(struct gateway_extension *e);
void gateway_extension_free(struct gateway_extension *e);
int gateway_store_extension_create(struct gateway_store *s, const char *ext,
				   const char *display_name,
				   const char *ha1_md5, const char *ha1_sha256);
/** NULL arguments keep the stored value. */
int gateway_store_extension_update(struct gateway_store *s, const char *ext,
				   const char *display_name,
				   const char *ha1_md5, const char *ha1_sha256);
/** Deletes the extension, its locations and its attempts. */
int gateway_store_extension_delete(struct gateway_store *s, const char *ext);
int gateway_store_extension_get(struct gateway_store *s, const char *ext,
				struct gateway_extension *out);
/** *@out: GPtrArray of struct gateway_extension * (free func set),
 *  ordered by extension. */
int gateway_store_extension_list(struct gateway_store *s, GPtrArray **out);

void gateway_location_free(struct gateway_location *l);
/** Insert or replace the row for (extension, contact). */
int gateway_store_location_put(struct gateway_store *s,
			       const struct gateway_location *l);
int gateway_store_location_delete(struct gateway_store *s, const char *ext,
				  const char *contact);
/** *@out: GPtrArray of struct gateway_location * (free func set). */
int gateway_store_location_list(struct gateway_store *s, GPtrArray **out);
/** Delete rows with expires_at <= @now. */
int gateway_store_location_purge(struct gateway_store *s, int64_t now);

void gateway_attempt_free(struct gateway_attempt *a);
/** Queue an attempt (written behind, see attempt_flush); at most @keep
 *  rows are kept overall, oldest go first. */
int gateway_store_attempt_add(struct gateway_store *s,
			      const struct gateway_attempt *a, unsigned keep);
/** Write queued attempts in one transaction. Also done before every
 *  attempt_list, when 512 are queued, and at close. */
int gateway_store_attempt_flush(struct gateway_store *s);
unsigned gateway_store_attempt_pending(const struct gateway_store *s);
/** Newest first, at most @limit. @ext NULL lists all. */
int gateway_store_attempt_list(struct gateway_store *s, const char *ext,
			       unsigned limit, GPtrArray **out);

/** Settings key/value (e.g. "admin_token_sha256"). get: ENOENT if unset;
 *  *@out is g_malloc'd. */
int gateway_store_setting_get(struct gateway_store *s, const char *key,
			      char **out);
int gateway_store_setting_set(struct gateway_store *s, const char *key,
			      const char *value);

#endif
