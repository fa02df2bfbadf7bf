/*
 * gateway/store_attempts.c - the bounded log of REGISTER attempts, written
 * behind: queued in memory, stored in one transaction per batch.
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

static struct gateway_attempt *store_attempt_copy(const struct gateway_attempt *a)
{
	struct gateway_attempt *c = g_new0(struct gateway_attempt, 1);

	c->at = a->at ? a->at : store_now();
	c->extension = g_strdup(a->extension);
	c->source = g_strdup(a->source);
	c->transport = g_strdup(a->transport);
	c->user_agent = g_strdup(a->user_agent);
	c->outcome = g_strdup(a->outcome);
	c->status = a->status;
	c->detail = g_strdup(a->detail);
	return c;
}

/*
 * Attempts are written behind: one REGISTER costs a memory copy, and the
 * rows go to sqlite together (one transaction, one trim) when the caller's
 * timer flushes, when STORE_PENDING_MAX pile up, before any read and at
 * close. A transaction per REGISTER cost more than the rest of it.
 */
#define STORE_PENDING_MAX 512

/**
 * gateway_store_attempt_add() - queue @a; at most @keep rows are kept.
 * EINVAL if @keep is 0 or @a->outcome is NULL. @a->at 0 stores now.
 * @a->extension may name no extension.
 */
int gateway_store_attempt_add(struct gateway_store *s,
			      const struct gateway_attempt *a, unsigned keep)
{
	if (!a || !a->outcome || keep == 0)
		return EINVAL;
	if (!s->pending)
		s->pending = g_ptr_array_new_with_free_func(
			(GDestroyNotify)gateway_attempt_free);
	s->keep = keep;
	g_ptr_array_add(s->pending, store_attempt_copy(a));
	if (s->pending->len >= STORE_PENDING_MAX)
		return gateway_store_attempt_flush(s);
	return 0;
}

unsigned gateway_store_attempt_pending(const struct gateway_store *s)
{
	return s->pending ? s->pending->len : 0;
}

static int store_attempt_insert(struct gateway_store *s,
				const struct gateway_attempt *a)
{
	sqlite3_stmt *st = store_stmt(s, STMT_ATT_ADD);

	sqlite3_bind_int64(st, 1, a->at);
	store_bind_text(st, 2, a->extension);
	store_bind_text(st, 3, a->source);
	store_bind_text(st, 4, a->transport);
	store_bind_text(st, 5, a->user_agent);
	store_bind_text(st, 6, a->outcome);
	sqlite3_bind_int(st, 7, a->status);
	store_bind_text(st, 8, a->detail);
	return store_exec_stmt(s, st, "attempt add");
}

/** gateway_store_attempt_flush() - write the queued attempts in one
 *  transaction and trim to the newest @keep. The queue empties either way:
 *  a failing database must not grow memory without bound. */
int gateway_store_attempt_flush(struct gateway_store *s)
{
	sqlite3_stmt *st;
	int err;

	if (!s->pending || s->pending->len == 0)
		return 0;
	err = store_begin(s);
	for (guint i = 0; !err && i < s->pending->len; i++)
		err = store_attempt_insert(s, g_ptr_array_index(s->pending, i));
	/* AUTOINCREMENT ids only grow, so "newest keep" is an id range. */
	if (!err) {
		st = store_stmt(s, STMT_ATT_TRIM);
		sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(s->db) -
						  (sqlite3_int64)s->keep);
		err = store_exec_stmt(s, st, "attempt trim");
	}
	if (!err)
		err = store_commit(s);
	if (err)
		store_rollback(s);
	g_ptr_array_set_size(s->pending, 0);
	return err;
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
	gateway_store_attempt_flush(s);
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

