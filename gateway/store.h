/*
 * gateway/store.h - persistent state in sqlite (WAL): extensions,
 * UDP registrations (locations), the bounded log of REGISTER attempts,
 * the call log and settings. Schema migrations are numbered and run at open.
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
	char *path;       /* Path it registered with (RFC 3327), or NULL */
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

/**
 * One row of the call log. Times are unix seconds; answered_at and
 * ended_at are 0 while unset (SQL NULL). disposition and status are set
 * when the call ends ("answered", "busy", "no-answer", "cancelled",
 * "failed"); until then disposition is NULL and status 0.
 */
struct gateway_call {
	int64_t id;
	char *call_id;
	char *caller;
	char *caller_transport; /* "udp", "ws", "wss" */
	char *callee;
	char *callee_transport; /* NULL until answered */
	int64_t started_at;
	int64_t answered_at;
	int64_t ended_at;
	int64_t duration; /* seconds from answer to end; 0 if never answered */
	char *disposition;
	int status;       /* final SIP status; 0 for a call cut by a restart */
	char *hangup_by;  /* "caller", "callee" or NULL */
};

/** Which rows gateway_store_call_list() returns. Zeroed = newest 50. */
struct gateway_call_filter {
	const char *extension; /* matches caller or callee; NULL: all */
	int64_t from;          /* started_at >= from; 0: open */
	int64_t to;            /* started_at <= to; 0: open */
	unsigned limit;        /* 0: 50; more than 500: 500 */
	unsigned offset;
};

void gateway_call_free(struct gateway_call *c);
/** A call was offered. EEXIST if @call_id is already in the log. */
int gateway_store_call_start(struct gateway_store *s, const char *call_id,
			     const char *caller, const char *caller_transport,
			     const char *callee, int64_t started_at);
/** The call was answered. A repeat keeps the first answer. ENOENT if
 *  there is no call @call_id still in progress. */
int gateway_store_call_answer(struct gateway_store *s, const char *call_id,
			      const char *callee_transport,
			      int64_t answered_at);
/** The call ended; duration is ended_at - answered_at (0 if unanswered).
 *  ENOENT if there is no call @call_id still in progress. */
int gateway_store_call_end(struct gateway_store *s, const char *call_id,
			   int64_t ended_at, const char *disposition,
			   int status, const char *hangup_by);
/** Close every call still in progress as "failed" (status 0) at @now: at
 *  start, such rows were cut by a restart. *@closed (may be NULL) gets
 *  the number of rows closed. */
int gateway_store_call_close_cut(struct gateway_store *s, int64_t now,
				 unsigned *closed);
/** Newest first. *@out: GPtrArray of struct gateway_call * (free func
 *  set); *@total (may be NULL): rows matching @f regardless of paging.
 *  @f may be NULL. */
int gateway_store_call_list(struct gateway_store *s,
			    const struct gateway_call_filter *f,
			    GPtrArray **out, unsigned *total);

/** Settings key/value (e.g. "admin_token_sha256"). get: ENOENT if unset;
 *  *@out is g_malloc'd. */
int gateway_store_setting_get(struct gateway_store *s, const char *key,
			      char **out);
int gateway_store_setting_set(struct gateway_store *s, const char *key,
			      const char *value);

#endif
