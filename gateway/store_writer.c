/*
 * gateway/store_writer.c - writes behind: UDP bindings, REGISTER attempts
 * and call-log rows go to a queue; one thread with its own sqlite
 * connection stores them.
 *
 * Why a thread: a REGISTER or an INVITE must never wait for sqlite. With
 * the writes on the signalling loop, one locked database (a backup, an
 * admin's sqlite3 shell, a slow disk) stalled all SIP for the busy timeout
 * on every message. Now the loop only copies a row into a GAsyncQueue.
 *
 * The thread takes whatever is queued (up to STORE_WRITER_BATCH_MAX) and
 * writes it in one transaction. At a trickle each row is stored within a
 * millisecond or two. Under load (at least STORE_WRITER_LINGER_ROWS rows in
 * the last 100-200 ms) it lingers after the first row of a batch, up to
 * STORE_WRITER_LINGER_MS, for more (or until the batch is full, a reader
 * waits in gateway_store_writer_sync(), or close): then one commit and one
 * thread wake-up serve hundreds of rows. Without the linger, a busy
 * signalling thread woke the writer for nearly every row (a futex wake
 * and two context switches each, on the same core) and paid a WAL commit
 * per row or two: a third of the process's CPU in the REGISTER benchmark. When the database is locked, the batch is retried
 * (the connection's busy timeout, then a short sleep, growing to
 * STORE_WRITER_RETRY_MAX_MS) and new rows wait in the queue; it logs once
 * when it starts waiting and once when it is through.
 *
 * Loss window on kill -9: the rows queued and not yet committed, which is
 * normally the last few milliseconds (under load, the last
 * STORE_WRITER_LINGER_MS); while the database is locked, every
 * row queued since the lock began. Committed rows survive a crash of the
 * process (WAL, synchronous=NORMAL). A clean stop writes the queue first,
 * waiting at most STORE_WRITER_STOP_WAIT_MS for a lock.
 *
 * Rows are applied in the order they were queued, so a call's start,
 * answer and end, or a binding's update and removal, land in order.
 */
#define G_LOG_DOMAIN "ovoz-store"

#include "gateway/store.h"
#include "gateway/store_private.h"

#include <errno.h>
#include <string.h>

#include "sip/log.h"

#define STORE_WRITER_BATCH_MAX 512
#define STORE_WRITER_LINGER_MS 20
#define STORE_WRITER_LINGER_ROWS 64
#define STORE_WRITER_RATE_SPAN_US 100000
#define STORE_WRITER_BUSY_MS 100
#define STORE_WRITER_RETRY_MIN_MS 10
#define STORE_WRITER_RETRY_MAX_MS 200
#define STORE_WRITER_ERROR_TRIES 3
#define STORE_WRITER_STOP_WAIT_MS 5000
#define STORE_WRITER_SETTLE_MS 300

enum store_op_type {
	STORE_OP_LOC_PUT,
	STORE_OP_LOC_DELETE,
	STORE_OP_ATTEMPT,
	STORE_OP_CALL_START,
	STORE_OP_CALL_ANSWER,
	STORE_OP_CALL_END,
	STORE_OP_CALL_NOTE,
	STORE_OP_STOP,
};

struct store_op {
	enum store_op_type type;
	uint64_t seq;
	unsigned keep;                /* ATTEMPT */
	struct gateway_location *loc; /* LOC_* */
	struct gateway_attempt *att;  /* ATTEMPT */
	struct gateway_call *call;    /* CALL_* */
};

struct store_writer {
	struct gateway_store *conn; /* writer thread only; NULL: inline */
	GAsyncQueue *queue;         /* struct store_op * */
	GThread *thread;
	uint64_t next_seq;   /* signalling thread */
	gint stopping;       /* atomic: close is waiting */
	GMutex lock;         /* guards the rest */
	GCond cond;          /* done_seq, busy or flush changed */
	bool flush;          /* a reader waits: write without lingering */
	uint64_t done_seq;   /* every op up to it is written or dropped */
	uint64_t queued;
	uint64_t written;
	uint64_t dropped;
	uint64_t batches;
	bool busy;
	gint64 busy_since; /* monotonic, writer thread */
	gint64 rate_at;      /* writer thread: start of the current span */
	unsigned rate_cur;   /* rows taken in the current span */
	unsigned rate_prev;  /* rows taken in the span before */
};

static void store_op_free(struct store_op *op)
{
	gateway_location_free(op->loc);
	gateway_attempt_free(op->att);
	gateway_call_free(op->call);
	g_free(op);
}

/* ---- applying one row (writer thread, or inline) ---- */

static int writer_call_start(struct gateway_store *c,
			     const struct gateway_call *k)
{
	int err = gateway_store_call_start(c, k->call_id, k->caller,
					   k->caller_transport, k->callee,
					   k->started_at);

	if (err == EEXIST) {
		g_autofree char *from = sip_log_escape(k->caller,
						       SIP_LOG_FIELD_MAX);
		g_autofree char *to = sip_log_escape(k->callee,
						     SIP_LOG_FIELD_MAX);
		g_autofree char *id = sip_log_escape(k->call_id,
						     SIP_LOG_FIELD_MAX);

		g_warning("call %s (%s) -> %s: Call-ID %s is already in the"
			  " call log; this call is not logged",
			  from, k->caller_transport, to, id);
	}
	return err;
}

/*
 * Run one queued row on connection @c. Errors of the row itself are
 * logged here and returned (the row is dropped, the batch goes on); EBUSY
 * and errors that end the transaction are the caller's to retry.
 */
static int writer_apply(struct gateway_store *c, const struct store_op *op)
{
	const struct gateway_call *k = op->call;
	g_autofree char *shown = NULL; /* the field a log line names */
	int err = 0;

	switch (op->type) {
	case STORE_OP_LOC_PUT:
		err = gateway_store_location_put(c, op->loc);
		if (err == ENOENT) {
			shown = sip_log_escape(op->loc->contact,
					       SIP_LOG_FIELD_MAX);
			g_debug("binding %s of %s not stored: no such"
				" extension (deleted)",
				shown, op->loc->extension);
		}
		break;
	case STORE_OP_LOC_DELETE:
		err = gateway_store_location_delete(c, op->loc->extension,
						    op->loc->contact);
		if (err == ENOENT) /* never stored, or gone with its extension */
			err = 0;
		break;
	case STORE_OP_ATTEMPT:
		err = store_attempt_insert(c, op->att);
		break;
	case STORE_OP_CALL_START:
		err = writer_call_start(c, k);
		break;
	case STORE_OP_CALL_ANSWER:
		err = gateway_store_call_answer(c, k->call_id,
						k->callee_transport,
						k->answered_at);
		if (err == ENOENT) {
			shown = sip_log_escape(k->call_id, SIP_LOG_FIELD_MAX);
			g_warning("call %s: answer not written to the call"
				  " log (not in progress there)",
				  shown);
		}
		break;
	case STORE_OP_CALL_NOTE:
		err = gateway_store_call_note(c, k->call_id, k->reason,
					      k->media_note);
		if (err == ENOENT)
			err = 0; /* the row could not be stored: said then */
		break;
	case STORE_OP_CALL_END:
		err = gateway_store_call_end(c, k->call_id, k->ended_at,
					     k->disposition, k->status,
					     k->hangup_by);
		if (err == ENOENT) {
			shown = sip_log_escape(k->call_id, SIP_LOG_FIELD_MAX);
			g_warning("call %s: end not written to the call log"
				  " (not in progress there)",
				  shown);
		}
		break;
	case STORE_OP_STOP:
		break;
	}
	return err;
}

/* ---- the thread ---- */

/* One transaction for @batch. *@ok counts the rows stored. */
static int writer_try(struct store_writer *w, GPtrArray *batch, unsigned *ok)
{
	struct gateway_store *c = w->conn;
	unsigned keep = 0;
	int err;

	*ok = 0;
	err = store_begin(c);
	if (err)
		return err;
	for (guint i = 0; i < batch->len; i++) {
		const struct store_op *op = batch->pdata[i];

		err = writer_apply(c, op);
		/* Busy, or sqlite rolled the transaction back itself (I/O
		 * error, disk full): the whole batch is retried. */
		if (err == EBUSY || sqlite3_get_autocommit(c->db)) {
			err = err ? err : EIO;
			goto fail;
		}
		if (err)
			continue;
		(*ok)++;
		if (op->type == STORE_OP_ATTEMPT)
			keep = op->keep;
	}
	err = keep ? store_attempt_trim(c, keep) : 0;
	if (!err)
		err = store_commit(c);
	if (!err)
		return 0;
fail:
	store_rollback(c);
	return err;
}

static void writer_set_busy(struct store_writer *w)
{
	g_mutex_lock(&w->lock);
	if (!w->busy) {
		w->busy = true;
		w->busy_since = g_get_monotonic_time();
		g_warning("database locked by another connection: %" G_GUINT64_FORMAT
			  " write%s waiting in memory until it is free"
			  " (signalling goes on)",
			  w->queued, w->queued == 1 ? "" : "s");
		g_cond_broadcast(&w->cond);
	}
	g_mutex_unlock(&w->lock);
}

/* The batch is through (@committed) or given up; wake sync waiters. */
static void writer_done(struct store_writer *w, GPtrArray *batch,
			unsigned ok, bool committed)
{
	const struct store_op *last = batch->pdata[batch->len - 1];

	g_mutex_lock(&w->lock);
	w->done_seq = last->seq;
	w->queued -= batch->len;
	w->written += ok;
	w->dropped += batch->len - ok;
	if (committed)
		w->batches++;
	if (w->busy) {
		w->busy = false;
		g_message("database free again after %" G_GINT64_FORMAT
			  " ms; queued writes resume (%" G_GUINT64_FORMAT
			  " waiting)",
			  (g_get_monotonic_time() - w->busy_since) / 1000,
			  w->queued);
	}
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
	for (guint i = 0; i < batch->len; i++)
		store_op_free(batch->pdata[i]);
	g_ptr_array_set_size(batch, 0);
}

/* Write @batch, retrying while the database is locked. */
static void writer_write(struct store_writer *w, GPtrArray *batch)
{
	unsigned delay = STORE_WRITER_RETRY_MIN_MS, failures = 0, ok = 0;
	gint64 stop_by = 0;
	int err;

	for (;;) {
		err = writer_try(w, batch, &ok);
		if (!err) {
			writer_done(w, batch, ok, true);
			return;
		}
		if (err != EBUSY && ++failures >= STORE_WRITER_ERROR_TRIES) {
			g_warning("%u queued write%s not stored: database"
				  " error (see above)",
				  batch->len, batch->len == 1 ? "" : "s");
			writer_done(w, batch, 0, false);
			return;
		}
		if (g_atomic_int_get(&w->stopping)) {
			gint64 now = g_get_monotonic_time();

			if (!stop_by) {
				stop_by = now + STORE_WRITER_STOP_WAIT_MS * 1000;
			} else if (now >= stop_by) {
				g_warning("stopping: database still locked,"
					  " %u queued write%s not stored",
					  batch->len,
					  batch->len == 1 ? "" : "s");
				writer_done(w, batch, 0, false);
				return;
			}
		}
		if (err == EBUSY)
			writer_set_busy(w);
		g_usleep(delay * 1000);
		delay = MIN(delay * 2, STORE_WRITER_RETRY_MAX_MS);
	}
}

/*
 * A first row is in hand: let more gather for up to STORE_WRITER_LINGER_MS.
 * Pushes do not wake this wait (that per-row wake-up is what it saves);
 * a sync, close or a full batch ends it early.
 */
static void writer_linger(struct store_writer *w)
{
	gint64 deadline = g_get_monotonic_time() +
			  STORE_WRITER_LINGER_MS * G_TIME_SPAN_MILLISECOND;

	g_mutex_lock(&w->lock);
	while (!w->flush && !g_atomic_int_get(&w->stopping) &&
	       g_async_queue_length(w->queue) < STORE_WRITER_BATCH_MAX - 1)
		if (!g_cond_wait_until(&w->cond, &w->lock, deadline))
			break;
	w->flush = false;
	g_mutex_unlock(&w->lock);
}

/* Count @rows taken now; true when the recent rate calls for lingering. */
static bool writer_under_load(struct store_writer *w, unsigned rows)
{
	gint64 now = g_get_monotonic_time();

	if (now - w->rate_at >= STORE_WRITER_RATE_SPAN_US) {
		w->rate_prev = now - w->rate_at < 2 * STORE_WRITER_RATE_SPAN_US
			? w->rate_cur : 0;
		w->rate_cur = 0;
		w->rate_at = now;
	}
	w->rate_cur += rows;
	return w->rate_prev + w->rate_cur >= STORE_WRITER_LINGER_ROWS;
}

static gpointer writer_main(gpointer data)
{
	struct store_writer *w = data;
	g_autoptr(GPtrArray) batch = g_ptr_array_new();
	bool stop = false, linger = false;

	while (!stop) {
		struct store_op *op = g_async_queue_pop(w->queue);

		if (linger && op->type != STORE_OP_STOP)
			writer_linger(w);

		/* Everything already queued joins this transaction. */
		do {
			if (op->type == STORE_OP_STOP) {
				store_op_free(op);
				stop = true;
				break;
			}
			g_ptr_array_add(batch, op);
		} while (batch->len < STORE_WRITER_BATCH_MAX &&
			 (op = g_async_queue_try_pop(w->queue)));
		linger = writer_under_load(w, batch->len);
		if (batch->len)
			writer_write(w, batch);
	}
	return NULL;
}

/* ---- the signalling side ---- */

static bool store_path_is_memory(const char *path)
{
	return !*path || strcmp(path, ":memory:") == 0 ||
	       strstr(path, "mode=memory") != NULL;
}

/**
 * store_writer_start() - the writer of @s: a thread with its own
 * connection to @path, or, for an in-memory database (which a second
 * connection would not see), inline writes on @s itself.
 */
int store_writer_start(struct gateway_store *s, const char *path)
{
	struct store_writer *w = g_new0(struct store_writer, 1);
	g_autoptr(GError) error = NULL;
	int err;

	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	w->queue = g_async_queue_new();
	s->writer = w;
	if (store_path_is_memory(path))
		return 0;
	err = store_conn_open(&w->conn, path);
	if (err)
		return err;
	sqlite3_busy_timeout(w->conn->db, STORE_WRITER_BUSY_MS);
	w->thread = g_thread_try_new("ovoz-store", writer_main, w, &error);
	if (!w->thread) {
		g_warning("cannot start the database writer: %s",
			  error->message);
		return EIO;
	}
	return 0;
}

/** store_writer_stop() - write the queue, join the thread, free. */
void store_writer_stop(struct gateway_store *s)
{
	struct store_writer *w = s->writer;
	struct store_op *stop;

	if (!w)
		return;
	if (w->thread) {
		stop = g_new0(struct store_op, 1);
		stop->type = STORE_OP_STOP;
		g_atomic_int_set(&w->stopping, 1);
		g_async_queue_push(w->queue, stop);
		g_mutex_lock(&w->lock); /* end a linger now */
		g_cond_broadcast(&w->cond);
		g_mutex_unlock(&w->lock);
		g_thread_join(w->thread);
	}
	if (w->conn)
		store_conn_close(w->conn);
	g_async_queue_unref(w->queue);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
	g_free(w);
	s->writer = NULL;
}

/* No thread: apply at once on the caller's connection. */
static void writer_inline(struct gateway_store *s, struct store_op *op)
{
	struct store_writer *w = s->writer;
	int err = writer_apply(s, op);

	if (!err && op->type == STORE_OP_ATTEMPT)
		err = store_attempt_trim(s, op->keep);
	g_mutex_lock(&w->lock);
	if (err)
		w->dropped++;
	else
		w->written++;
	g_mutex_unlock(&w->lock);
	store_op_free(op);
}

static void writer_push(struct gateway_store *s, struct store_op *op)
{
	struct store_writer *w = s ? s->writer : NULL;
	uint64_t dropped = 0;
	bool full;

	if (!w) {
		store_op_free(op);
		return;
	}
	if (!w->thread) {
		writer_inline(s, op);
		return;
	}
	g_mutex_lock(&w->lock);
	full = w->queued >= GATEWAY_STORE_QUEUE_MAX;
	if (full)
		dropped = ++w->dropped;
	else
		w->queued++;
	g_mutex_unlock(&w->lock);
	if (full) {
		/* Memory stays bounded whatever the database does. */
		if (dropped == 1 || dropped % 10000 == 0)
			g_warning("database write queue full (%d): %" G_GUINT64_FORMAT
				  " write%s dropped so far",
				  GATEWAY_STORE_QUEUE_MAX, dropped,
				  dropped == 1 ? "" : "s");
		store_op_free(op);
		return;
	}
	op->seq = ++w->next_seq;
	g_async_queue_push(w->queue, op);
}

static struct gateway_location *writer_copy_location(
	const struct gateway_location *l)
{
	struct gateway_location *c = g_new0(struct gateway_location, 1);

	c->extension = g_strdup(l->extension);
	c->contact = g_strdup(l->contact);
	c->transport = g_strdup(l->transport);
	c->source = g_strdup(l->source);
	c->user_agent = g_strdup(l->user_agent);
	c->call_id = g_strdup(l->call_id);
	c->cseq = l->cseq;
	c->expires_at = l->expires_at;
	c->updated_at = l->updated_at ? l->updated_at : store_now();
	c->path = g_strdup(l->path);
	return c;
}

/** gateway_store_writer_location_put() - queue a binding (see store.h). */
void gateway_store_writer_location_put(struct gateway_store *s,
				       const struct gateway_location *l)
{
	struct store_op *op;

	if (!l || !l->extension || !l->contact)
		return;
	op = g_new0(struct store_op, 1);
	op->type = STORE_OP_LOC_PUT;
	op->loc = writer_copy_location(l);
	writer_push(s, op);
}

/** gateway_store_writer_location_delete() - queue a binding's removal. */
void gateway_store_writer_location_delete(struct gateway_store *s,
					  const char *ext, const char *contact)
{
	struct store_op *op;

	if (!ext || !contact)
		return;
	op = g_new0(struct store_op, 1);
	op->type = STORE_OP_LOC_DELETE;
	op->loc = g_new0(struct gateway_location, 1);
	op->loc->extension = g_strdup(ext);
	op->loc->contact = g_strdup(contact);
	writer_push(s, op);
}

/** gateway_store_writer_attempt() - queue a REGISTER attempt. */
void gateway_store_writer_attempt(struct gateway_store *s,
				  const struct gateway_attempt *a,
				  unsigned keep)
{
	struct store_op *op;

	if (!a || !a->outcome || keep == 0)
		return;
	op = g_new0(struct store_op, 1);
	op->type = STORE_OP_ATTEMPT;
	op->keep = keep;
	op->att = g_new0(struct gateway_attempt, 1);
	op->att->at = a->at ? a->at : store_now();
	op->att->extension = g_strdup(a->extension);
	op->att->source = g_strdup(a->source);
	op->att->transport = g_strdup(a->transport);
	op->att->user_agent = g_strdup(a->user_agent);
	op->att->outcome = g_strdup(a->outcome);
	op->att->status = a->status;
	op->att->detail = g_strdup(a->detail);
	writer_push(s, op);
}

static struct store_op *writer_call_op(enum store_op_type type,
				       const char *call_id)
{
	struct store_op *op = g_new0(struct store_op, 1);

	op->type = type;
	op->call = g_new0(struct gateway_call, 1);
	op->call->call_id = g_strdup(call_id);
	return op;
}

/** gateway_store_writer_call_start() - queue a new call-log row. */
void gateway_store_writer_call_start(struct gateway_store *s,
				     const char *call_id, const char *caller,
				     const char *caller_transport,
				     const char *callee, int64_t started_at)
{
	struct store_op *op;

	if (!call_id || !caller || !caller_transport || !callee)
		return;
	op = writer_call_op(STORE_OP_CALL_START, call_id);
	op->call->caller = g_strdup(caller);
	op->call->caller_transport = g_strdup(caller_transport);
	op->call->callee = g_strdup(callee);
	op->call->started_at = started_at;
	writer_push(s, op);
}

/** gateway_store_writer_call_answer() - queue a call's answer. */
void gateway_store_writer_call_answer(struct gateway_store *s,
				      const char *call_id,
				      const char *callee_transport,
				      int64_t answered_at)
{
	struct store_op *op;

	if (!call_id)
		return;
	op = writer_call_op(STORE_OP_CALL_ANSWER, call_id);
	op->call->callee_transport = g_strdup(callee_transport);
	op->call->answered_at = answered_at;
	writer_push(s, op);
}

/** gateway_store_writer_call_note() - see store.h. */
void gateway_store_writer_call_note(struct gateway_store *s,
				    const char *call_id, const char *reason,
				    const char *media_note)
{
	struct store_op *op;

	if (!call_id || (!reason && !media_note))
		return;
	op = writer_call_op(STORE_OP_CALL_NOTE, call_id);
	op->call->reason = g_strdup(reason);
	op->call->media_note = g_strdup(media_note);
	writer_push(s, op);
}

/** gateway_store_writer_call_end() - queue a call's end. */
void gateway_store_writer_call_end(struct gateway_store *s,
				   const char *call_id, int64_t ended_at,
				   const char *disposition, int status,
				   const char *hangup_by)
{
	struct store_op *op;

	if (!call_id || !disposition)
		return;
	op = writer_call_op(STORE_OP_CALL_END, call_id);
	op->call->ended_at = ended_at;
	op->call->disposition = g_strdup(disposition);
	op->call->status = status;
	op->call->hangup_by = g_strdup(hangup_by);
	writer_push(s, op);
}

/** gateway_store_writer_sync() - see store.h. */
int gateway_store_writer_sync(struct gateway_store *s, unsigned timeout_ms)
{
	struct store_writer *w = s ? s->writer : NULL;
	gint64 deadline;
	uint64_t target;
	int err = 0;

	if (!w || !w->thread)
		return 0;
	target = w->next_seq;
	deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	g_mutex_lock(&w->lock);
	if (w->done_seq < target) {
		w->flush = true; /* no linger for what we wait for */
		g_cond_broadcast(&w->cond);
	}
	while (w->done_seq < target) {
		if (w->busy) {
			err = EBUSY;
			break;
		}
		if (!g_cond_wait_until(&w->cond, &w->lock, deadline)) {
			err = w->done_seq < target ? ETIMEDOUT : 0;
			break;
		}
	}
	g_mutex_unlock(&w->lock);
	return err;
}

void store_writer_settle(struct gateway_store *s)
{
	int err = gateway_store_writer_sync(s, STORE_WRITER_SETTLE_MS);

	if (err)
		g_debug("reading before queued writes are stored: %s",
			g_strerror(err));
}

/** gateway_store_writer_stats() - counters (see store.h). */
void gateway_store_writer_stats(struct gateway_store *s,
				struct gateway_store_writer_stats *out)
{
	struct store_writer *w = s ? s->writer : NULL;

	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	g_mutex_lock(&w->lock);
	out->queued = w->queued;
	out->written = w->written;
	out->dropped = w->dropped;
	out->batches = w->batches;
	out->busy = w->busy;
	g_mutex_unlock(&w->lock);
}
