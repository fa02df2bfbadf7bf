/*
 * gateway/store_private.h - what the store's files share: the connection,
 * its prepared statements and small sqlite helpers. Not for other modules.
 */
#ifndef OVOZ_GATEWAY_STORE_PRIVATE_H
#define OVOZ_GATEWAY_STORE_PRIVATE_H

#include <glib.h>
#include <sqlite3.h>
#include <stdint.h>

#include "gateway/store.h"

enum store_stmt_id {
	STMT_SCHEMA_VERSION,
	STMT_EXT_CREATE,
	STMT_EXT_UPDATE,
	STMT_EXT_SET_SRTP,
	STMT_EXT_DELETE,
	STMT_EXT_DELETE_ATTEMPTS,
	STMT_EXT_GET,
	STMT_EXT_LIST,
	STMT_LOC_PUT,
	STMT_LOC_DELETE,
	STMT_LOC_LIST,
	STMT_LOC_PURGE,
	STMT_ATT_ADD,
	STMT_ATT_TRIM,
	STMT_ATT_LIST,
	STMT_ATT_LIST_EXT,
	STMT_SET_GET,
	STMT_SET_SET,
	STMT_CALL_START,
	STMT_CALL_ANSWER,
	STMT_CALL_END,
	STMT_CALL_NOTE,
	STMT_CALL_CLOSE_CUT,
	STMT_CALL_LIST,
	STMT_CALL_LIST_EXT,
	STMT_CALL_TOTAL,
	STMT_CALL_TOTAL_EXT,
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_COUNT
};

struct store_writer;

/*
 * One sqlite connection and its statements. The store the daemon opens
 * also owns the credentials cache and the writer; the writer's own
 * connection is a bare struct gateway_store (cache and writer NULL).
 */
struct gateway_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	/* extension -> struct store_cred *; signalling thread only. */
	GHashTable *cache;
	struct store_writer *writer;
};

/* Open one connection: create the file 0600, WAL, migrations, statements. */
int store_conn_open(struct gateway_store **out, const char *path);
/* Finalize the statements and close the connection (nothing else). */
void store_conn_close(struct gateway_store *s);

int64_t store_now(void);
/* Log the sqlite error for @what and map it: EBUSY when the database is
 * locked by another connection (logged at debug level only: the callers
 * say what waits), EIO otherwise. */
int store_fail(struct gateway_store *s, const char *what);
sqlite3_stmt *store_stmt(struct gateway_store *s, enum store_stmt_id id);
/* Reset a statement and clear its bindings after use. */
void store_done(sqlite3_stmt *st);
/* Bind a string that may be NULL (NULL binds SQL NULL). */
void store_bind_text(sqlite3_stmt *st, int idx, const char *v);
char *store_column_text(sqlite3_stmt *st, int col);
/* Run a statement that returns no rows. */
int store_exec_stmt(struct gateway_store *s, sqlite3_stmt *st,
		    const char *what);
/* Run an UPDATE or DELETE that must touch a row: ENOENT if none matched. */
int store_exec_row(struct gateway_store *s, sqlite3_stmt *st,
		   const char *what);
int store_begin(struct gateway_store *s);
int store_commit(struct gateway_store *s);
void store_rollback(struct gateway_store *s);

/* gateway/store_attempts.c - one row, and the trim to the newest @keep. */
int store_attempt_insert(struct gateway_store *s,
			 const struct gateway_attempt *a);
int store_attempt_trim(struct gateway_store *s, unsigned keep);

/* gateway/store_cache.c - the HA1 values in memory (extension writes on
 * the signalling thread keep it equal to the table). */
int store_cache_load(struct gateway_store *s);
/* Set the values of @ext that are not NULL; a new entry needs both. */
void store_cache_put(struct gateway_store *s, const char *ext,
		     const char *ha1_md5, const char *ha1_sha256);
void store_cache_remove(struct gateway_store *s, const char *ext);
void store_cache_set_srtp(struct gateway_store *s, const char *ext, bool srtp);
void store_cache_free(struct gateway_store *s);

/* gateway/store_writer.c - the write-behind thread. */
int store_writer_start(struct gateway_store *s, const char *path);
/* Write what is queued (waiting a bounded time on a locked database),
 * stop the thread, close its connection. */
void store_writer_stop(struct gateway_store *s);
/* Before a read on the signalling thread: wait until what was queued is
 * written, up to STORE_WRITER_SETTLE_MS, and not at all while the
 * database is locked (the read then shows what is stored). */
void store_writer_settle(struct gateway_store *s);

#endif
