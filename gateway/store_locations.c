/*
 * gateway/store_locations.c - UDP bindings that survive a restart. The
 * daemon writes them behind (gateway_store_writer_location_*); these are
 * the statements the writer runs, and the reads done at start.
 */
#define G_LOG_DOMAIN "ovoz-store"

#include "gateway/store.h"
#include "gateway/store_private.h"

#include <errno.h>

/** gateway_location_free() - free a location and its strings. */
void gateway_location_free(struct gateway_location *l)
{
	if (!l)
		return;
	g_free(l->extension);
	g_free(l->contact);
	g_free(l->transport);
	g_free(l->source);
	g_free(l->user_agent);
	g_free(l->call_id);
	g_free(l->path);
	g_free(l);
}

/**
 * gateway_store_location_put() - insert or replace (extension, contact).
 * updated_at 0 stores the current time; transport NULL stores "udp".
 * ENOENT if the extension does not exist (foreign key).
 */
int gateway_store_location_put(struct gateway_store *s,
			       const struct gateway_location *l)
{
	sqlite3_stmt *st = store_stmt(s, STMT_LOC_PUT);
	int err = 0;

	if (!l || !l->extension || !l->contact)
		return EINVAL;
	store_bind_text(st, 1, l->extension);
	store_bind_text(st, 2, l->contact);
	store_bind_text(st, 3, l->transport ? l->transport : "udp");
	store_bind_text(st, 4, l->source);
	store_bind_text(st, 5, l->user_agent);
	store_bind_text(st, 6, l->call_id);
	sqlite3_bind_int64(st, 7, l->cseq);
	sqlite3_bind_int64(st, 8, l->expires_at);
	sqlite3_bind_int64(st, 9, l->updated_at ? l->updated_at : store_now());
	store_bind_text(st, 10, l->path);
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) ==
		    SQLITE_CONSTRAINT_FOREIGNKEY)
			err = ENOENT;
		else
			err = store_fail(s, "location put");
	}
	store_done(st);
	return err;
}

/** gateway_store_location_delete() - ENOENT if there was no such row. */
int gateway_store_location_delete(struct gateway_store *s, const char *ext,
				  const char *contact)
{
	sqlite3_stmt *st = store_stmt(s, STMT_LOC_DELETE);

	if (!ext || !contact)
		return EINVAL;
	store_bind_text(st, 1, ext);
	store_bind_text(st, 2, contact);
	return store_exec_row(s, st, "location delete");
}

/** gateway_store_location_list() - all rows, ordered by extension and
 *  contact, expired ones included (purge decides, not the reader). */
int gateway_store_location_list(struct gateway_store *s, GPtrArray **out)
{
	sqlite3_stmt *st = store_stmt(s, STMT_LOC_LIST);
	GPtrArray *arr;
	int rc;

	arr = g_ptr_array_new_with_free_func(
		(GDestroyNotify)gateway_location_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gateway_location *l = g_new0(struct gateway_location, 1);

		l->extension = store_column_text(st, 0);
		l->contact = store_column_text(st, 1);
		l->transport = store_column_text(st, 2);
		l->source = store_column_text(st, 3);
		l->user_agent = store_column_text(st, 4);
		l->call_id = store_column_text(st, 5);
		l->cseq = (uint32_t)sqlite3_column_int64(st, 6);
		l->expires_at = sqlite3_column_int64(st, 7);
		l->updated_at = sqlite3_column_int64(st, 8);
		l->path = store_column_text(st, 9);
		g_ptr_array_add(arr, l);
	}
	store_done(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(arr);
		return store_fail(s, "location list");
	}
	*out = arr;
	return 0;
}

/** gateway_store_location_purge() - drop rows with expires_at <= @now. */
int gateway_store_location_purge(struct gateway_store *s, int64_t now)
{
	sqlite3_stmt *st = store_stmt(s, STMT_LOC_PURGE);

	sqlite3_bind_int64(st, 1, now);
	return store_exec_stmt(s, st, "location purge");
}

