/*
 * gateway/store.h - persistent state in sqlite (WAL): extensions,
 * UDP registrations (locations), the bounded log of REGISTER attempts,
 * the call log and settings. Schema migrations are numbered and run at open.
 *
 * Plain passwords never reach this module: only HA1 values (MD5 and
 * SHA-256, lowercase hex) are stored.
 *
 * Signalling never waits for sqlite (docs/architecture.md, Storage):
 * - the HA1 values of every extension are also kept in memory, loaded at
 *   open and changed by extension_create/update/delete in the same call,
 *   after the database write succeeded (gateway_store_credentials);
 * - UDP bindings, REGISTER attempts and call-log rows are queued to a
 *   writer thread with its own connection (gateway_store_writer_*), which
 *   writes them in batches and retries while the database is locked.
 * Everything else (API reads and extension writes, start-up) runs on the
 * caller's connection with a busy timeout (gateway_store_set_busy_timeout)
 * and fails with EBUSY rather than wait longer.
 *
 * Threading: every function is for the signalling thread (the one that
 * opened the store); the writer thread is internal. Errors: 0 or an errno
 * value (ENOENT not found, EEXIST duplicate, EBUSY database locked, EIO
 * other sqlite failure, EINVAL).
 */
#ifndef OVOZ_GATEWAY_STORE_H
#define OVOZ_GATEWAY_STORE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct gateway_store;

struct gateway_extension {
	char *extension;
	char *display_name;
	char *ha1_md5;
	char *ha1_sha256;
	int64_t created_at; /* unix seconds */
	int64_t updated_at;
	bool srtp; /* its UDP phones are offered SRTP (SDES), not plain RTP */
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

/** Busy timeout of the caller's connection while the daemon runs: an API
 *  request on a locked database gets 503 after this, not a stalled loop. */
#define GATEWAY_STORE_API_BUSY_MS 100

/** Open (create) the database at @path, enable WAL, run migrations, load
 *  the credentials cache and start the writer thread (an in-memory
 *  database has no second connection: its queued writes run at once, on
 *  the caller's thread). The busy timeout starts at 2 s, for start-up. */
int gateway_store_open(struct gateway_store **out, const char *path);
/** Write what is queued (waiting at most 5 s on a locked database), stop
 *  the writer and close. NULL is fine. */
void gateway_store_close(struct gateway_store *s);
/** Busy timeout of the caller's connection, in milliseconds. */
void gateway_store_set_busy_timeout(struct gateway_store *s, unsigned ms);
/** Highest applied migration number. */
int gateway_store_schema_version(struct gateway_store *s);

void gateway_extension_clear(struct gateway_extension *e);
void gateway_extension_free(struct gateway_extension *e);
int gateway_store_extension_create(struct gateway_store *s, const char *ext,
				   const char *display_name,
				   const char *ha1_md5, const char *ha1_sha256);
/** Offer @ext's UDP phones SRTP (SDES) or plain RTP; memory follows the
 *  row. ENOENT if there is no @ext. Signalling thread. */
int gateway_store_extension_set_srtp(struct gateway_store *s, const char *ext,
				     bool srtp);
/** Whether @ext wants SRTP offered, from memory; false if unknown. */
bool gateway_store_extension_srtp(struct gateway_store *s, const char *ext);
/** NULL arguments keep the stored value. */
int gateway_store_extension_update(struct gateway_store *s, const char *ext,
				   const char *display_name,
				   const char *ha1_md5, const char *ha1_sha256);
/** Deletes the extension, its locations and its attempts (attempts still
 *  queued are written first, so they go too). */
int gateway_store_extension_delete(struct gateway_store *s, const char *ext);
int gateway_store_extension_get(struct gateway_store *s, const char *ext,
				struct gateway_extension *out);
/** *@out: GPtrArray of struct gateway_extension * (free func set),
 *  ordered by extension. */
int gateway_store_extension_list(struct gateway_store *s, GPtrArray **out);

/** The HA1 values of @ext from memory, never from sqlite: borrowed, valid
 *  until the next extension write. ENOENT if there is no such extension. */
int gateway_store_credentials(struct gateway_store *s, const char *ext,
			      const char **ha1_md5, const char **ha1_sha256);
/** Whether @ext exists, from memory. */
bool gateway_store_has_extension(struct gateway_store *s, const char *ext);

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
/** Write an attempt now; at most @keep rows are kept overall, oldest go
 *  first. The daemon queues them instead (gateway_store_writer_attempt). */
int gateway_store_attempt_add(struct gateway_store *s,
			      const struct gateway_attempt *a, unsigned keep);
/** Newest first, at most @limit. @ext NULL lists all. Rows still queued
 *  are written first (see gateway_store_writer_sync). */
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
	char *reason;     /* why Ovoz ended it ("media timeout: ..."), or NULL */
	char *media_note; /* one-way audio and its hint, or NULL */
};

/** Which rows gateway_store_call_list() returns. Zeroed = newest 50. */
struct gateway_call_filter {
	const char *extension; /* matches caller or callee; NULL: all */
	int64_t from;          /* started_at >= from; 0: open */
	int64_t to;            /* started_at <= to; 0: open */
	const char *disposition; /* "answered", ...; NULL: any */
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
/** Set the reason and media note of a call row (NULL: unchanged).
 *  ENOENT for an unknown call. */
int gateway_store_call_note(struct gateway_store *s, const char *call_id,
			    const char *reason, const char *media_note);
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
 *  @f may be NULL. Rows still queued are written first. */
int gateway_store_call_list(struct gateway_store *s,
			    const struct gateway_call_filter *f,
			    GPtrArray **out, unsigned *total);

/** Settings key/value (e.g. "admin_token_sha256"). get: ENOENT if unset;
 *  *@out is g_malloc'd. */
int gateway_store_setting_get(struct gateway_store *s, const char *key,
			      char **out);
int gateway_store_setting_set(struct gateway_store *s, const char *key,
			      const char *value);

/*
 * Written behind. These copy their arguments into the writer's queue and
 * return at once; the writer thread stores them in batches, one
 * transaction each, normally within milliseconds. While the database is
 * locked they wait in memory (at most GATEWAY_STORE_QUEUE_MAX; past that
 * new ones are dropped and counted) and are lost if the process is
 * killed. Errors of one row (an unknown extension, a duplicate Call-ID,
 * a call that is not in progress) are logged by the writer and skip that
 * row only. Signalling thread.
 */
#define GATEWAY_STORE_QUEUE_MAX 100000

/** Queue gateway_store_location_put(@l). */
void gateway_store_writer_location_put(struct gateway_store *s,
				       const struct gateway_location *l);
/** Queue gateway_store_location_delete(); a missing row is no error. */
void gateway_store_writer_location_delete(struct gateway_store *s,
					  const char *ext, const char *contact);
/** Queue gateway_store_attempt_add(@a, @keep). */
void gateway_store_writer_attempt(struct gateway_store *s,
				  const struct gateway_attempt *a,
				  unsigned keep);
/** Queue gateway_store_call_start(), _answer(), _end(). */
void gateway_store_writer_call_start(struct gateway_store *s,
				     const char *call_id, const char *caller,
				     const char *caller_transport,
				     const char *callee, int64_t started_at);
void gateway_store_writer_call_answer(struct gateway_store *s,
				      const char *call_id,
				      const char *callee_transport,
				      int64_t answered_at);
/** Queue why a call ended (@reason) and its media note (one-way audio);
 *  NULL leaves a field as it is. */
void gateway_store_writer_call_note(struct gateway_store *s,
				    const char *call_id, const char *reason,
				    const char *media_note);
void gateway_store_writer_call_end(struct gateway_store *s,
				   const char *call_id, int64_t ended_at,
				   const char *disposition, int status,
				   const char *hangup_by);
/** Wait until everything queued so far is written (or dropped), at most
 *  @timeout_ms. 0, ETIMEDOUT, or EBUSY as soon as the writer finds the
 *  database locked. */
int gateway_store_writer_sync(struct gateway_store *s, unsigned timeout_ms);

struct gateway_store_writer_stats {
	uint64_t queued;  /* waiting now (in the queue or being written) */
	uint64_t written; /* rows committed */
	uint64_t dropped; /* rows given up: queue full, or failing writes */
	uint64_t batches; /* transactions committed */
	bool busy;        /* the database is locked: retrying */
};
void gateway_store_writer_stats(struct gateway_store *s,
				struct gateway_store_writer_stats *out);

#endif
