/*
 * gateway/store_private.h - what the store's files share: the connection,
 * its prepared statements and small sqlite helpers. Not for other modules.
 */
#ifndef OVOZ_GATEWAY_STORE_PRIVATE_H
#define OVOZ_GATEWAY_STORE_PRIVATE_H

#include <glib.h>
#include <sqlite3.h>
#include <stdint.h>

enum store_stmt_id {
	STMT_SCHEMA_VERSION,
	STMT_EXT_CREATE,
	STMT_EXT_UPDATE,
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

struct gateway_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	/* Attempts waiting to be written together (write-behind). */
	GPtrArray *pending;
	unsigned keep;
};

int64_t store_now(void);
/* Log the sqlite error for @what and map it to EIO. */
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
int store_begin(struct gateway_store *s);
int store_commit(struct gateway_store *s);
void store_rollback(struct gateway_store *s);

#endif
