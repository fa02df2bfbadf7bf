/*
 * gateway/store.c - sqlite persistence: opening, migrations, extensions
 * and settings (UDP bindings: gateway/store_locations.c; REGISTER
 * attempts: gateway/store_attempts.c; the call log: gateway/store_calls.c;
 * the HA1 cache: gateway/store_cache.c; the write-behind thread:
 * gateway/store_writer.c).
 *
 * Schema versions live in a schema_migrations(version, applied_at) table
 * rather than PRAGMA user_version: a row per step records when it ran, and
 * the same table works unchanged if the store moves to PostgreSQL. Each step
 * runs with its bookkeeping row in one IMMEDIATE transaction, so a crash
 * mid-migration leaves the previous version intact and the next start
 * retries it; steps already recorded are skipped, so reopening is a no-op.
 *
 * Every statement is prepared once at open (SQLITE_PREPARE_PERSISTENT),
 * reset after each use and finalized at close.
 */
#define G_LOG_DOMAIN "ovoz-store"

#include "gateway/store.h"
#include "gateway/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#define STORE_BUSY_TIMEOUT_MS 2000

struct store_migration {
	int version;
	const char *sql;
};

/* Append only: a released step is never edited, a change is a new step. */
static const struct store_migration store_migrations[] = {
	{1,
	 "CREATE TABLE extensions ("
	 " extension TEXT PRIMARY KEY,"
	 " display_name TEXT NOT NULL DEFAULT '',"
	 " ha1_md5 TEXT NOT NULL,"
	 " ha1_sha256 TEXT NOT NULL,"
	 " created_at INTEGER NOT NULL,"
	 " updated_at INTEGER NOT NULL);"
	 "CREATE TABLE locations ("
	 " extension TEXT NOT NULL"
	 "  REFERENCES extensions(extension) ON DELETE CASCADE,"
	 " contact TEXT NOT NULL,"
	 " transport TEXT NOT NULL DEFAULT 'udp',"
	 " source TEXT,"
	 " user_agent TEXT,"
	 " call_id TEXT,"
	 " cseq INTEGER NOT NULL DEFAULT 0,"
	 " expires_at INTEGER NOT NULL,"
	 " updated_at INTEGER NOT NULL,"
	 " PRIMARY KEY (extension, contact));"
	 "CREATE INDEX locations_expires ON locations (expires_at);"
	 /* No foreign key: attempts for unknown extensions are the point. */
	 "CREATE TABLE register_attempts ("
	 " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	 " at INTEGER NOT NULL,"
	 " extension TEXT,"
	 " source TEXT,"
	 " transport TEXT,"
	 " user_agent TEXT,"
	 " outcome TEXT NOT NULL,"
	 " status INTEGER NOT NULL DEFAULT 0,"
	 " detail TEXT);"
	 "CREATE INDEX register_attempts_ext ON register_attempts"
	 " (extension, id);"
	 "CREATE TABLE settings ("
	 " key TEXT PRIMARY KEY,"
	 " value TEXT NOT NULL);"},
	/* The call log. No foreign keys: calls to and from outside numbers
	 * and deleted extensions stay in the log. */
	{2,
	 "CREATE TABLE calls ("
	 " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	 " call_id TEXT NOT NULL UNIQUE,"
	 " caller TEXT NOT NULL,"
	 " caller_transport TEXT NOT NULL,"
	 " callee TEXT NOT NULL,"
	 " callee_transport TEXT,"
	 " started_at INTEGER NOT NULL,"
	 " answered_at INTEGER,"
	 " ended_at INTEGER,"
	 " duration INTEGER,"
	 " disposition TEXT,"
	 " status INTEGER,"
	 " hangup_by TEXT);"
	 "CREATE INDEX calls_started ON calls (started_at);"
	 "CREATE INDEX calls_caller ON calls (caller, started_at);"
	 "CREATE INDEX calls_callee ON calls (callee, started_at);"},
	/* RFC 3327: a contact registered through an edge proxy is reached
	 * through its Path, which must survive a restart like the contact. */
	{3, "ALTER TABLE locations ADD COLUMN path TEXT;"},
	/* Why Ovoz ended a call (media timeout, DTLS failure) and the
	 * relay's one-way audio finding, for the operator. */
	{4, "ALTER TABLE calls ADD COLUMN reason TEXT;"
	    "ALTER TABLE calls ADD COLUMN media_note TEXT;"},
	/* Phones that require SRTP (MicroSIP "SRTP: mandatory") are offered
	 * RTP/SAVP with an SDES key instead of plain RTP/AVP. */
	{5, "ALTER TABLE extensions ADD COLUMN srtp INTEGER NOT NULL"
	    " DEFAULT 0;"},
};

#define EXT_COLUMNS                                                          \
	"extension, display_name, ha1_md5, ha1_sha256, created_at, updated_at"
#define LOC_COLUMNS                                                          \
	"extension, contact, transport, source, user_agent, call_id, cseq,"  \
	" expires_at, updated_at, path"
#define ATT_COLUMNS                                                          \
	"at, extension, source, transport, user_agent, outcome, status, detail"
#define CALL_COLUMNS                                                         \
	"id, call_id, caller, caller_transport, callee, callee_transport,"   \
	" started_at, answered_at, ended_at, duration, disposition, status," \
	" hangup_by, reason, media_note"
/* Duration at end time ?E: 0 if never answered; clamped at 0 should the
 * wall clock have stepped back between answer and end. */
#define CALL_DURATION(E)                                                     \
	"CASE WHEN answered_at IS NULL THEN 0"                               \
	" ELSE MAX(" E " - answered_at, 0) END"
/* ?1 extension (list_ext only), ?2..?3 started_at range (inclusive),
 * ?4 limit, ?5 offset. The extension form is an OR of two index lookups
 * (calls_caller, calls_callee); without it, calls_started serves the range
 * and the order. */
#define CALL_WHERE_DISPOSITION " AND (?6 IS NULL OR disposition = ?6)"
#define CALL_WHERE_RANGE                                                     \
	" WHERE started_at BETWEEN ?2 AND ?3" CALL_WHERE_DISPOSITION
#define CALL_WHERE_EXT                                                       \
	" WHERE (caller = ?1 OR callee = ?1) AND started_at BETWEEN ?2 AND ?3" \
	CALL_WHERE_DISPOSITION
#define CALL_PAGE " ORDER BY started_at DESC, id DESC LIMIT ?4 OFFSET ?5"

static const char *const store_stmt_sql[STMT_COUNT] = {
	[STMT_SCHEMA_VERSION] =
		"SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
	[STMT_EXT_CREATE] = "INSERT INTO extensions (" EXT_COLUMNS ")"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	[STMT_EXT_UPDATE] = "UPDATE extensions SET"
			    " display_name = COALESCE(?2, display_name),"
			    " ha1_md5 = COALESCE(?3, ha1_md5),"
			    " ha1_sha256 = COALESCE(?4, ha1_sha256),"
			    " updated_at = ?5 WHERE extension = ?1",
	[STMT_EXT_DELETE] = "DELETE FROM extensions WHERE extension = ?1",
	[STMT_EXT_DELETE_ATTEMPTS] =
		"DELETE FROM register_attempts WHERE extension = ?1",
	[STMT_EXT_SET_SRTP] = "UPDATE extensions SET srtp = ?2, updated_at = ?3"
			      " WHERE extension = ?1",
	[STMT_EXT_GET] = "SELECT " EXT_COLUMNS ", srtp"
			 " FROM extensions WHERE extension = ?1",
	[STMT_EXT_LIST] = "SELECT " EXT_COLUMNS ", srtp"
			  " FROM extensions ORDER BY extension",
	[STMT_LOC_PUT] = "INSERT INTO locations (" LOC_COLUMNS ")"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			 " ON CONFLICT (extension, contact) DO UPDATE SET"
			 " path = excluded.path,"
			 " transport = excluded.transport,"
			 " source = excluded.source,"
			 " user_agent = excluded.user_agent,"
			 " call_id = excluded.call_id,"
			 " cseq = excluded.cseq,"
			 " expires_at = excluded.expires_at,"
			 " updated_at = excluded.updated_at",
	[STMT_LOC_DELETE] = "DELETE FROM locations"
			    " WHERE extension = ?1 AND contact = ?2",
	[STMT_LOC_LIST] = "SELECT " LOC_COLUMNS
			  " FROM locations ORDER BY extension, contact",
	[STMT_LOC_PURGE] = "DELETE FROM locations WHERE expires_at <= ?1",
	[STMT_ATT_ADD] = "INSERT INTO register_attempts (" ATT_COLUMNS ")"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STMT_ATT_TRIM] = "DELETE FROM register_attempts WHERE id <= ?1",
	[STMT_ATT_LIST] = "SELECT " ATT_COLUMNS " FROM register_attempts"
			  " ORDER BY id DESC LIMIT ?1",
	[STMT_ATT_LIST_EXT] = "SELECT " ATT_COLUMNS " FROM register_attempts"
			      " WHERE extension = ?1 ORDER BY id DESC"
			      " LIMIT ?2",
	[STMT_SET_GET] = "SELECT value FROM settings WHERE key = ?1",
	[STMT_SET_SET] = "INSERT INTO settings (key, value) VALUES (?1, ?2)"
			 " ON CONFLICT (key) DO UPDATE SET"
			 " value = excluded.value",
	[STMT_CALL_START] = "INSERT INTO calls (call_id, caller,"
			    " caller_transport, callee, started_at)"
			    " VALUES (?1, ?2, ?3, ?4, ?5)",
	/* A repeated answer keeps the first one's time and transport. */
	[STMT_CALL_ANSWER] =
		"UPDATE calls SET"
		" callee_transport = COALESCE(callee_transport, ?2),"
		" answered_at = COALESCE(answered_at, ?3)"
		" WHERE call_id = ?1 AND ended_at IS NULL",
	[STMT_CALL_END] = "UPDATE calls SET ended_at = ?2, disposition = ?3,"
			  " status = ?4, hangup_by = ?5,"
			  " duration = " CALL_DURATION("?2")
			  " WHERE call_id = ?1 AND ended_at IS NULL",
	[STMT_CALL_NOTE] = "UPDATE calls SET reason = COALESCE(?2, reason),"
			   " media_note = COALESCE(?3, media_note)"
			   " WHERE call_id = ?1",
	[STMT_CALL_CLOSE_CUT] =
		"UPDATE calls SET ended_at = ?1, disposition = 'failed',"
		" status = 0, hangup_by = NULL,"
		" duration = " CALL_DURATION("?1") " WHERE ended_at IS NULL",
	[STMT_CALL_LIST] = "SELECT " CALL_COLUMNS
			   " FROM calls" CALL_WHERE_RANGE CALL_PAGE,
	[STMT_CALL_LIST_EXT] = "SELECT " CALL_COLUMNS
			       " FROM calls" CALL_WHERE_EXT CALL_PAGE,
	[STMT_CALL_TOTAL] = "SELECT COUNT(*) FROM calls" CALL_WHERE_RANGE,
	[STMT_CALL_TOTAL_EXT] = "SELECT COUNT(*) FROM calls" CALL_WHERE_EXT,
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
};

int64_t store_now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

int store_fail(struct gateway_store *s, const char *what)
{
	int rc = sqlite3_errcode(s->db);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		g_debug("%s: %s", what, sqlite3_errmsg(s->db));
		return EBUSY;
	}
	g_warning("%s: %s", what, sqlite3_errmsg(s->db));
	return EIO;
}

sqlite3_stmt *store_stmt(struct gateway_store *s, enum store_stmt_id id)
{
	return s->stmt[id];
}

void store_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Bind a string that may be NULL (NULL binds SQL NULL). */
void store_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	if (v)
		sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

char *store_column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v ? g_strdup((const char *)v) : NULL;
}

/* Run a statement that returns no rows. */
int store_exec_stmt(struct gateway_store *s, sqlite3_stmt *st,
			   const char *what)
{
	int rc = sqlite3_step(st);
	int err = 0;

	if (rc != SQLITE_DONE)
		err = store_fail(s, what);
	store_done(st);
	return err;
}

int store_exec_row(struct gateway_store *s, sqlite3_stmt *st,
		   const char *what)
{
	int err = 0;

	if (sqlite3_step(st) != SQLITE_DONE)
		err = store_fail(s, what);
	else if (sqlite3_changes(s->db) == 0)
		err = ENOENT;
	store_done(st);
	return err;
}

int store_begin(struct gateway_store *s)
{
	return store_exec_stmt(s, store_stmt(s, STMT_BEGIN), "begin");
}

int store_commit(struct gateway_store *s)
{
	return store_exec_stmt(s, store_stmt(s, STMT_COMMIT), "commit");
}

void store_rollback(struct gateway_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_exec_stmt(s, store_stmt(s, STMT_ROLLBACK), "rollback");
}

static int store_exec(struct gateway_store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	g_warning("%s: %s", sql, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return EIO;
}

/* Returns the applied version, or -1 on error. */
static int store_query_version(struct gateway_store *s)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, store_stmt_sql[STMT_SCHEMA_VERSION], -1,
			       &st, NULL) != SQLITE_OK) {
		store_fail(s, "schema version");
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		store_fail(s, "schema version");
	sqlite3_finalize(st);
	return v;
}

static int store_migrate_one(struct gateway_store *s,
			     const struct store_migration *m)
{
	char *record;
	int err;

	err = store_exec(s, "BEGIN IMMEDIATE");
	if (err)
		return err;
	record = g_strdup_printf("INSERT INTO schema_migrations"
				 " (version, applied_at)"
				 " VALUES (%d, %" G_GINT64_FORMAT ")",
				 m->version, store_now());
	err = store_exec(s, m->sql);
	if (!err)
		err = store_exec(s, record);
	if (!err)
		err = store_exec(s, "COMMIT");
	if (err) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		g_warning("schema migration %d failed", m->version);
	} else {
		g_message("schema migration %d applied", m->version);
	}
	g_free(record);
	return err;
}

static int store_migrate(struct gateway_store *s)
{
	const int latest =
		store_migrations[G_N_ELEMENTS(store_migrations) - 1].version;
	int current;
	int err;

	err = store_exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version INTEGER PRIMARY KEY,"
			    " applied_at INTEGER NOT NULL)");
	if (err)
		return err;
	current = store_query_version(s);
	if (current < 0)
		return EIO;
	/* Never run an old binary on a newer schema: it would misread it. */
	if (current > latest) {
		g_warning("database schema version %d is newer than this"
			  " build knows (%d)",
			  current, latest);
		return EIO;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(store_migrations); i++) {
		if (store_migrations[i].version <= current)
			continue;
		err = store_migrate_one(s, &store_migrations[i]);
		if (err)
			return err;
	}
	return 0;
}

static int store_configure(struct gateway_store *s, const char *path)
{
	sqlite3_stmt *st = NULL;
	const char *mode = NULL;
	int err = 0;

	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st,
			       NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		err = store_fail(s, "journal_mode=WAL");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	/* In-memory databases (tests) cannot use WAL; files must. */
	if (g_strcmp0(mode, "wal") != 0 && g_strcmp0(path, ":memory:") != 0) {
		g_warning("%s: journal_mode is %s, not wal", path,
			  mode ? mode : "?");
		err = EIO;
		goto out;
	}
	err = store_exec(s, "PRAGMA synchronous=NORMAL");
	if (!err)
		err = store_exec(s, "PRAGMA foreign_keys=ON");
out:
	sqlite3_finalize(st);
	return err;
}

static int store_prepare_all(struct gateway_store *s)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, store_stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
				       NULL) != SQLITE_OK)
			return store_fail(s, store_stmt_sql[i]);
	}
	return 0;
}

/*
 * The file holds HA1 values, which are as good as passwords for our realm:
 * create it owner-only before sqlite does (sqlite gives -wal and -shm the
 * same mode as the main file). Only if it does not exist: closing any
 * descriptor of an open database drops every POSIX lock this process
 * holds on it, and another program would then take our connections'
 * WAL away (a checkpoint and unlink "as the last connection").
 */
static void store_create_private(const char *path)
{
	int fd;

	if (g_strcmp0(path, ":memory:") == 0 || g_str_has_prefix(path, "file:"))
		return;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

int store_conn_open(struct gateway_store **out, const char *path)
{
	struct gateway_store *s;
	int err;

	s = g_new0(struct gateway_store, 1);
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		g_warning("open %s: %s", path,
			  s->db ? sqlite3_errmsg(s->db) : "out of memory");
		err = EIO;
		goto out;
	}
	err = store_configure(s, path);
	if (!err)
		err = store_migrate(s);
	if (!err)
		err = store_prepare_all(s);
out:
	if (err) {
		store_conn_close(s);
		return err;
	}
	*out = s;
	return 0;
}

void store_conn_close(struct gateway_store *s)
{
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		g_warning("close: %s", sqlite3_errmsg(s->db));
	g_free(s);
}

/**
 * gateway_store_open() - open or create the database at @path, switch it to
 * WAL, apply pending migrations, load the credentials cache and start the
 * writer. Sets *@out only on success; EIO (with a warning) if the file
 * cannot be opened or migrated, EINVAL for NULL args.
 */
int gateway_store_open(struct gateway_store **out, const char *path)
{
	struct gateway_store *s = NULL;
	int err;

	if (!out || !path)
		return EINVAL;
	store_create_private(path);
	err = store_conn_open(&s, path);
	if (err)
		return err;
	err = store_cache_load(s);
	if (!err)
		err = store_writer_start(s, path);
	if (err) {
		gateway_store_close(s);
		return err;
	}
	*out = s;
	return 0;
}

/** gateway_store_close() - flush and stop the writer, drop the cache,
 *  close. NULL is fine. */
void gateway_store_close(struct gateway_store *s)
{
	if (!s)
		return;
	store_writer_stop(s);
	store_cache_free(s);
	store_conn_close(s);
}

/** gateway_store_set_busy_timeout() - how long a statement on the
 *  caller's connection waits for a lock before failing with EBUSY. */
void gateway_store_set_busy_timeout(struct gateway_store *s, unsigned ms)
{
	sqlite3_busy_timeout(s->db, (int)MIN(ms, (unsigned)G_MAXINT));
}

/** gateway_store_schema_version() - highest applied migration, -1 on error. */
int gateway_store_schema_version(struct gateway_store *s)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SCHEMA_VERSION);
	int v = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	else
		store_fail(s, "schema version");
	store_done(st);
	return v;
}

/* ---- extensions ---- */

/** gateway_extension_clear() - free the strings, zero the struct. */
void gateway_extension_clear(struct gateway_extension *e)
{
	if (!e)
		return;
	g_free(e->extension);
	g_free(e->display_name);
	g_free(e->ha1_md5);
	g_free(e->ha1_sha256);
	memset(e, 0, sizeof(*e));
}

/** gateway_extension_free() - clear and free a heap extension. */
void gateway_extension_free(struct gateway_extension *e)
{
	gateway_extension_clear(e);
	g_free(e);
}

static void store_read_extension(sqlite3_stmt *st, struct gateway_extension *e)
{
	e->extension = store_column_text(st, 0);
	e->display_name = store_column_text(st, 1);
	e->ha1_md5 = store_column_text(st, 2);
	e->ha1_sha256 = store_column_text(st, 3);
	e->created_at = sqlite3_column_int64(st, 4);
	e->updated_at = sqlite3_column_int64(st, 5);
	e->srtp = sqlite3_column_int(st, 6) != 0;
}

/**
 * gateway_store_extension_create() - add @ext with its HA1 values.
 * @display_name NULL stores "". EEXIST if @ext exists.
 */
int gateway_store_extension_create(struct gateway_store *s, const char *ext,
				   const char *display_name,
				   const char *ha1_md5, const char *ha1_sha256)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EXT_CREATE);
	int err = 0;

	if (!ext || !ha1_md5 || !ha1_sha256)
		return EINVAL;
	store_bind_text(st, 1, ext);
	store_bind_text(st, 2, display_name ? display_name : "");
	store_bind_text(st, 3, ha1_md5);
	store_bind_text(st, 4, ha1_sha256);
	sqlite3_bind_int64(st, 5, store_now());
	if (sqlite3_step(st) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY)
			err = EEXIST;
		else
			err = store_fail(s, "extension create");
	}
	store_done(st);
	if (!err)
		store_cache_put(s, ext, ha1_md5, ha1_sha256);
	return err;
}

/**
 * gateway_store_extension_set_srtp() - whether @ext's UDP phones are
 * offered SRTP (SDES) rather than plain RTP. ENOENT if there is no @ext.
 */
int gateway_store_extension_set_srtp(struct gateway_store *s, const char *ext,
				     bool srtp)
{
	sqlite3_stmt *st;
	int err;

	if (!s || !ext)
		return EINVAL;
	st = store_stmt(s, STMT_EXT_SET_SRTP);
	store_bind_text(st, 1, ext);
	sqlite3_bind_int(st, 2, srtp ? 1 : 0);
	sqlite3_bind_int64(st, 3, store_now());
	err = store_exec_row(s, st, "extension srtp");
	if (!err)
		store_cache_set_srtp(s, ext, srtp);
	return err;
}

/** gateway_store_extension_update() - NULL fields keep their value;
 *  updated_at is always bumped. ENOENT if @ext does not exist. */
int gateway_store_extension_update(struct gateway_store *s, const char *ext,
				   const char *display_name,
				   const char *ha1_md5, const char *ha1_sha256)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EXT_UPDATE);
	int err;

	if (!ext)
		return EINVAL;
	store_bind_text(st, 1, ext);
	store_bind_text(st, 2, display_name);
	store_bind_text(st, 3, ha1_md5);
	store_bind_text(st, 4, ha1_sha256);
	sqlite3_bind_int64(st, 5, store_now());
	err = store_exec_row(s, st, "extension update");
	if (!err)
		store_cache_put(s, ext, ha1_md5, ha1_sha256);
	return err;
}

/** gateway_store_extension_delete() - delete @ext; its locations go by
 *  cascade and its attempts in the same transaction. ENOENT if missing. */
int gateway_store_extension_delete(struct gateway_store *s, const char *ext)
{
	sqlite3_stmt *st;
	int err;

	if (!ext)
		return EINVAL;
	store_writer_settle(s); /* queued attempts go with it */
	err = store_begin(s);
	if (err)
		return err;
	st = store_stmt(s, STMT_EXT_DELETE);
	store_bind_text(st, 1, ext);
	err = store_exec_row(s, st, "extension delete");
	if (!err) {
		st = store_stmt(s, STMT_EXT_DELETE_ATTEMPTS);
		store_bind_text(st, 1, ext);
		err = store_exec_stmt(s, st, "extension delete attempts");
	}
	if (!err)
		err = store_commit(s);
	if (err)
		store_rollback(s);
	else
		store_cache_remove(s, ext);
	return err;
}

/** gateway_store_extension_get() - fill *@out (clear it with
 *  gateway_extension_clear). ENOENT if missing; *@out untouched on error. */
int gateway_store_extension_get(struct gateway_store *s, const char *ext,
				struct gateway_extension *out)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EXT_GET);
	int err = 0;
	int rc;

	if (!ext || !out)
		return EINVAL;
	store_bind_text(st, 1, ext);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store_read_extension(st, out);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_fail(s, "extension get");
	store_done(st);
	return err;
}

/** gateway_store_extension_list() - all extensions ordered by id. */
int gateway_store_extension_list(struct gateway_store *s, GPtrArray **out)
{
	sqlite3_stmt *st = store_stmt(s, STMT_EXT_LIST);
	GPtrArray *arr;
	int rc;

	arr = g_ptr_array_new_with_free_func(
		(GDestroyNotify)gateway_extension_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gateway_extension *e = g_new0(struct gateway_extension, 1);

		store_read_extension(st, e);
		g_ptr_array_add(arr, e);
	}
	store_done(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(arr);
		return store_fail(s, "extension list");
	}
	*out = arr;
	return 0;
}

/* ---- settings ---- */

/** gateway_store_setting_get() - *@out is g_malloc'd; ENOENT if unset. */
int gateway_store_setting_get(struct gateway_store *s, const char *key,
			      char **out)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SET_GET);
	int err = 0;
	int rc;

	if (!key || !out)
		return EINVAL;
	store_bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = store_column_text(st, 0);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = store_fail(s, "setting get");
	store_done(st);
	return err;
}

/** gateway_store_setting_set() - insert or overwrite @key. */
int gateway_store_setting_set(struct gateway_store *s, const char *key,
			      const char *value)
{
	sqlite3_stmt *st = store_stmt(s, STMT_SET_SET);

	if (!key || !value)
		return EINVAL;
	store_bind_text(st, 1, key);
	store_bind_text(st, 2, value);
	return store_exec_stmt(s, st, "setting set");
}
