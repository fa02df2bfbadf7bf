/*
 * gateway/store_calls.c - the call log: one row per call, written as the
 * call progresses (start, answer, end) so that it survives a restart.
 *
 * The daemon queues these writes (gateway_store_writer_call_*): the
 * writer thread runs the functions below on its own connection, in order,
 * so a call's start, answer and end land in that order. A row left open by
 * a crash is exactly what gateway_store_call_close_cut() looks for at the
 * next start.
 */
#define G_LOG_DOMAIN "ovoz-store"

#include "gateway/store.h"
#include "gateway/store_private.h"

#include <errno.h>

#define STORE_CALLS_DEFAULT_LIMIT 50
#define STORE_CALLS_MAX_LIMIT 500

/** gateway_call_free() - free a call row and its strings. NULL is fine. */
void gateway_call_free(struct gateway_call *c)
{
	if (!c)
		return;
	g_free(c->call_id);
	g_free(c->caller);
	g_free(c->caller_transport);
	g_free(c->callee);
	g_free(c->callee_transport);
	g_free(c->disposition);
	g_free(c->hangup_by);
	g_free(c->reason);
	g_free(c->media_note);
	g_free(c);
}

/**
 * gateway_store_call_start() - insert the row of a new call (not yet
 * answered or ended). EEXIST if @call_id is already in the log, EINVAL if
 * a string is NULL.
 */
int gateway_store_call_start(struct gateway_store *s, const char *call_id,
			     const char *caller, const char *caller_transport,
			     const char *callee, int64_t started_at)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CALL_START);
	int err = 0;

	if (!call_id || !caller || !caller_transport || !callee)
		return EINVAL;
	store_bind_text(st, 1, call_id);
	store_bind_text(st, 2, caller);
	store_bind_text(st, 3, caller_transport);
	store_bind_text(st, 4, callee);
	sqlite3_bind_int64(st, 5, started_at);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
			err = EEXIST;
		else
			err = store_fail(s, "call start");
	}
	store_done(st);
	return err;
}

/**
 * gateway_store_call_answer() - record the answer. A second answer (a 2xx
 * retransmission reported twice) keeps the first time and transport.
 * ENOENT if @call_id is unknown or already ended.
 */
int gateway_store_call_answer(struct gateway_store *s, const char *call_id,
			      const char *callee_transport,
			      int64_t answered_at)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CALL_ANSWER);

	if (!call_id)
		return EINVAL;
	store_bind_text(st, 1, call_id);
	store_bind_text(st, 2, callee_transport);
	sqlite3_bind_int64(st, 3, answered_at);
	return store_exec_row(s, st, "call answer");
}

/**
 * gateway_store_call_end() - close the row: ended_at, disposition, final
 * status, who hung up (may be NULL) and duration (from the answer, 0 if
 * never answered). A call ends once: ENOENT if @call_id is unknown or
 * already ended. EINVAL if @disposition is NULL.
 */
int gateway_store_call_end(struct gateway_store *s, const char *call_id,
			   int64_t ended_at, const char *disposition,
			   int status, const char *hangup_by)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CALL_END);

	if (!call_id || !disposition)
		return EINVAL;
	store_bind_text(st, 1, call_id);
	sqlite3_bind_int64(st, 2, ended_at);
	store_bind_text(st, 3, disposition);
	sqlite3_bind_int(st, 4, status);
	store_bind_text(st, 5, hangup_by);
	return store_exec_row(s, st, "call end");
}

int gateway_store_call_note(struct gateway_store *s, const char *call_id,
			    const char *reason, const char *media_note)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CALL_NOTE);

	if (!call_id)
		return EINVAL;
	store_bind_text(st, 1, call_id);
	store_bind_text(st, 2, reason);
	store_bind_text(st, 3, media_note);
	return store_exec_row(s, st, "call note");
}

/**
 * gateway_store_call_close_cut() - close every row still in progress as
 * "failed", status 0, nobody hung up, ended at @now. Meant for start-up,
 * when no call can be live yet: such rows were cut by a restart.
 */
int gateway_store_call_close_cut(struct gateway_store *s, int64_t now,
				 unsigned *closed)
{
	sqlite3_stmt *st = store_stmt(s, STMT_CALL_CLOSE_CUT);
	int err;

	sqlite3_bind_int64(st, 1, now);
	err = store_exec_stmt(s, st, "call close cut");
	if (closed)
		*closed = err ? 0 : (unsigned)sqlite3_changes(s->db);
	return err;
}

static void store_read_call(sqlite3_stmt *st, struct gateway_call *c)
{
	c->id = sqlite3_column_int64(st, 0);
	c->call_id = store_column_text(st, 1);
	c->caller = store_column_text(st, 2);
	c->caller_transport = store_column_text(st, 3);
	c->callee = store_column_text(st, 4);
	c->callee_transport = store_column_text(st, 5);
	c->started_at = sqlite3_column_int64(st, 6);
	/* NULL reads as 0, which is what the struct promises. */
	c->answered_at = sqlite3_column_int64(st, 7);
	c->ended_at = sqlite3_column_int64(st, 8);
	c->duration = sqlite3_column_int64(st, 9);
	c->disposition = store_column_text(st, 10);
	c->status = sqlite3_column_int(st, 11);
	c->hangup_by = store_column_text(st, 12);
	c->reason = store_column_text(st, 13);
	c->media_note = store_column_text(st, 14);
}

/* Bind ?1..?3 and ?6 (extension, time range, disposition) shared by the list and the count. */
static void store_call_bind_filter(sqlite3_stmt *st,
				   const struct gateway_call_filter *f)
{
	/* Open ends become the widest range so both statements stay one
	 * indexable BETWEEN instead of "?2 = 0 OR ...". */
	store_bind_text(st, 1, f->extension);
	sqlite3_bind_int64(st, 2, f->from ? f->from : INT64_MIN);
	sqlite3_bind_int64(st, 3, f->to ? f->to : INT64_MAX);
	store_bind_text(st, 6, f->disposition);
}

static int store_call_total(struct gateway_store *s,
			    const struct gateway_call_filter *f,
			    unsigned *total)
{
	sqlite3_stmt *st = store_stmt(s, f->extension ? STMT_CALL_TOTAL_EXT
						      : STMT_CALL_TOTAL);
	int err = 0;

	store_call_bind_filter(st, f);
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = (unsigned)sqlite3_column_int64(st, 0);
	else
		err = store_fail(s, "call count");
	store_done(st);
	return err;
}

/**
 * gateway_store_call_list() - rows matching @f (NULL: no filter), newest
 * first (started_at, then insertion), one page of @f->limit from
 * @f->offset. *@total, if not NULL, counts every matching row. *@out and
 * *@total are set only on success.
 */
int gateway_store_call_list(struct gateway_store *s,
			    const struct gateway_call_filter *f,
			    GPtrArray **out, unsigned *total)
{
	static const struct gateway_call_filter none = {0};
	sqlite3_stmt *st;
	GPtrArray *arr;
	unsigned limit, count = 0;
	int rc, err;

	if (!out)
		return EINVAL;
	if (!f)
		f = &none;
	store_writer_settle(s);
	limit = f->limit ? MIN(f->limit, STORE_CALLS_MAX_LIMIT)
			 : STORE_CALLS_DEFAULT_LIMIT;
	if (total) {
		err = store_call_total(s, f, &count);
		if (err)
			return err;
	}
	st = store_stmt(s, f->extension ? STMT_CALL_LIST_EXT : STMT_CALL_LIST);
	store_call_bind_filter(st, f);
	sqlite3_bind_int64(st, 4, limit);
	sqlite3_bind_int64(st, 5, f->offset);
	arr = g_ptr_array_new_with_free_func((GDestroyNotify)gateway_call_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gateway_call *c = g_new0(struct gateway_call, 1);

		store_read_call(st, c);
		g_ptr_array_add(arr, c);
	}
	store_done(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(arr);
		return store_fail(s, "call list");
	}
	*out = arr;
	if (total)
		*total = count;
	return 0;
}
