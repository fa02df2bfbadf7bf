/*
 * media/worker.h - media worker threads: each runs its own GMainContext and
 * GMainLoop. Streams live on one worker; other threads reach them only by
 * message passing (media_worker_invoke), never through shared state.
 *
 * Sockets: a worker watches all its streams' sockets with one epoll set,
 * and that epoll fd is the only descriptor its GMainContext polls (one
 * GSource). With thousands of sockets GLib's poll array and per-source
 * bookkeeping stay the size of one; the dispatch takes every ready socket
 * from epoll_wait() and calls its handler.
 */
#ifndef OVOZ_MEDIA_WORKER_H
#define OVOZ_MEDIA_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

struct media_workers;
struct media_worker;

/* Ready sockets one dispatch takes from epoll_wait() at most. */
#define MEDIA_WORKER_EPOLL_BATCH 64

/** A watched socket is readable. Called on the worker thread. */
typedef void (*media_worker_fd_h)(int fd, void *data);

/* A socket in a worker's epoll set. The caller owns the storage (usually
 * inside its own object) and keeps it until the watch's notify runs. */
struct media_worker_fd {
	struct media_worker *w; /* NULL when not watched */
	int fd;
	media_worker_fd_h h;
	void *data;
	GDestroyNotify notify;
	GList link; /* in the worker's list (a GQueue); data is this */
};

/* Datagrams one socket read takes at once, and the room for each. */
#define MEDIA_WORKER_RX_BATCH 32
#define MEDIA_WORKER_RX_SIZE 2048

/**
 * media_workers_new() - start @n worker threads (0: one per core), each
 * named "ovoz-media-N". Returns 0 or an errno value; *@out only on success.
 * Call from one owning thread; free with media_workers_free().
 */
int media_workers_new(struct media_workers **out, unsigned n);

/**
 * media_workers_free() - stop every loop and join the threads. Work still
 * queued is dropped (its destroy notifies run); destroy streams first.
 * Never call from a worker thread. NULL is fine.
 */
void media_workers_free(struct media_workers *ws);

/** Number of worker threads. */
unsigned media_workers_count(const struct media_workers *ws);

/** Worker @i (borrowed, lives as long as @ws). */
struct media_worker *media_workers_get(struct media_workers *ws, unsigned i);

/**
 * media_workers_pick() - the worker with the fewest streams, ties broken
 * round robin (borrowed). Any thread.
 */
struct media_worker *media_workers_pick(struct media_workers *ws);

/** The worker's context (borrowed). Attach its sources here, nowhere else. */
GMainContext *media_worker_context(struct media_worker *w);

/** True when called on @w's thread. */
gboolean media_worker_is_current(struct media_worker *w);

/**
 * media_worker_invoke() - run @fn(@data) on @w's thread (at once if already
 * there), then @notify(@data). Any thread. If the worker stops before it
 * runs, only @notify runs.
 */
void media_worker_invoke(struct media_worker *w, GSourceFunc fn,
			 gpointer data, GDestroyNotify notify);

/**
 * media_worker_timeout_add() - a timer on @w's context calling @fn(@data)
 * every @interval_ms until it returns G_SOURCE_REMOVE. Returns the source
 * (new reference): g_source_destroy() + g_source_unref() it to cancel.
 * For one-off or rare timers; a per-call periodic timer is a
 * media_worker_timer (GLib walks every source of a context on each loop
 * iteration, so thousands of them would cost on every packet batch).
 */
GSource *media_worker_timeout_add(struct media_worker *w, guint interval_ms,
				  GSourceFunc fn, gpointer data,
				  GDestroyNotify notify);

/* A periodic timer of a worker. The caller owns the storage (usually
 * inside its own object) and keeps it until the timer's notify runs. All
 * timers of a worker share one GSource, whose ready time is the earliest
 * due timer. */
struct media_worker_timer {
	struct media_worker *w; /* NULL when not armed */
	gint64 interval_us, due_us;
	GSourceFunc fn;
	gpointer data;
	GDestroyNotify notify;
	gboolean pending; /* added from another thread, not yet in the list */
	GList link; /* in the worker's timers or pending (GQueues) */
};

/**
 * media_worker_timer_add() - call @fn(@data) on @w's thread every
 * @interval_ms (first after one interval) until it returns
 * G_SOURCE_REMOVE or the timer is removed. The timer owns @data: @notify
 * (may be NULL) runs when it ends, or when the workers stop with it still
 * armed. Any thread. Returns 0, or EINVAL (@interval_ms 0, or @t armed).
 */
int media_worker_timer_add(struct media_worker *w, struct media_worker_timer *t,
			   guint interval_ms, GSourceFunc fn, gpointer data,
			   GDestroyNotify notify);

/**
 * media_worker_timer_remove() - disarm, then run the notify (idempotent).
 * Worker thread only; also from inside any timer callback, its own
 * included. After it returns @fn is not called again and @t's storage may
 * be freed.
 */
void media_worker_timer_remove(struct media_worker_timer *t);

/**
 * media_worker_fd_add() - watch @fd for input (level-triggered) on @w: @h
 * is called on @w's thread with @fd and @data while it is readable and
 * the handler leaves data unread. The watch owns @data: @notify (may be
 * NULL) runs when it is removed, or when the workers stop with it still
 * in place. Any thread. Returns 0 or epoll_ctl()'s errno; on failure
 * nothing is kept and @notify does not run.
 */
int media_worker_fd_add(struct media_worker *w, struct media_worker_fd *wf,
			int fd, media_worker_fd_h h, void *data,
			GDestroyNotify notify);

/**
 * media_worker_fd_remove() - stop watching, then run the notify
 * (idempotent). Worker thread only. After it returns the handler is not
 * called for @wf again, not even for readiness already taken by the
 * dispatch that is running, so @wf's storage may be freed. Remove before
 * closing the fd.
 */
void media_worker_fd_remove(struct media_worker_fd *wf);

/** Count a stream in or out of @w's load (used by media_workers_pick). */
void media_worker_load_add(struct media_worker *w, int delta);
/** Streams currently counted on @w. */
int media_worker_load(struct media_worker *w);

/**
 * Receive buffers for one batch read, shared by all streams of @w: only
 * valid on @w's thread and only until the reading callback returns.
 */
uint8_t (*media_worker_rx_buffers(struct media_worker *w))[MEDIA_WORKER_RX_SIZE];

#endif
