/*
 * gateway/store_attempts.c - the bounded log of REGISTER attempts. The
 * daemon writes them behind (gateway_store_writer_attempt): a batch of
 * inserts and one trim per transaction, on the writer's connection.
 */
#define G_LOG_DOMAIN "ovoz-store"

#include "gateway/store.h"
#include "gateway/store_private.h"

#include <errno.h>

/** gateway_attempt_free() - free an attempt and its strings. */
void gateway_attempt_free(struct gateway_attempt *a)
{
	if (!a)
		return;
	g_free(a->extension);
	g_free(a->source);
	g_free(a->transport);
	g_free(a->user_agent);
	g_free(a->outcome);
	g_free(a->detail);
	g_free(a);
}

/**
 * gateway_store_attempt_add() - write @a now and keep at most @keep rows.
 * EINVAL if @keep is 0 or @a->outcome is NULL. @a->at 0 stores now.
 * @a->extension may name no extension.
 */
int gateway_store_attempt_add(struct gateway_store *s,
			      const struct gateway_attempt *a, unsigned keep)
{
	int err;

	if (!a || !a->outcome || keep == 0)
		return EINVAL;
	err = store_attempt_insert(s, a);
	if (!err)
		err = store_attempt_trim(s, keep);
	return err;
}

int store_attempt_insert(struct gateway_store *s,
			 const struct gateway_attempt *a)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ATT_ADD);

	sqlite3_bind_int64(st, 1, a->at ? a->at : store_now());
	store_bind_text(st, 2, a->extension);
	store_bind_text(st, 3, a->source);
	store_bind_text(st, 4, a->transport);
	store_bind_text(st, 5, a->user_agent);
	store_bind_text(st, 6, a->outcome);
	sqlite3_bind_int(st, 7, a->status);
	store_bind_text(st, 8, a->detail);
	return store_exec_stmt(s, st, "attempt add");
}

/* AUTOINCREMENT ids only grow, so "newest keep" is an id range. One trim
 * per batch of inserts, not one per row. */
int store_attempt_trim(struct gateway_store *s, unsigned keep)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ATT_TRIM);

	sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(s->db) -
					  (sqlite3_int64)keep);
	return store_exec_stmt(s, st, "attempt trim");
}

/** gateway_store_attempt_list() - newest first, at most @limit rows, all
 *  extensions when @ext is NULL. */
int gateway_store_attempt_list(struct gateway_store *s, const char *ext,
			       unsigned limit, GPtrArray **out)
{
	sqlite3_stmt *st;
	GPtrArray *arr;
	int rc;

	if (!out)
		return EINVAL;
	store_writer_settle(s);
	if (ext) {
		st = store_stmt(s, STMT_ATT_LIST_EXT);
		store_bind_text(st, 1, ext);
		sqlite3_bind_int64(st, 2, limit);
	} else {
		st = store_stmt(s, STMT_ATT_LIST);
		sqlite3_bind_int64(st, 1, limit);
	}
	arr = g_ptr_array_new_with_free_func(
		(GDestroyNotify)gateway_attempt_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gateway_attempt *a = g_new0(struct gateway_attempt, 1);

		a->at = sqlite3_column_int64(st, 0);
		a->extension = store_column_text(st, 1);
		a->source = store_column_text(st, 2);
		a->transport = store_column_text(st, 3);
		a->user_agent = store_column_text(st, 4);
		a->outcome = store_column_text(st, 5);
		a->status = sqlite3_column_int(st, 6);
		a->detail = store_column_text(st, 7);
		g_ptr_array_add(arr, a);
	}
	store_done(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(arr);
		return store_fail(s, "attempt list");
	}
	*out = arr;
	return 0;
}

