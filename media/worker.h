/*
 * media/worker.h - media worker threads: each runs its own GMainContext and
 * GMainLoop. Streams live on one worker; other threads reach them only by
 * message passing (media_worker_invoke), never through shared state.
 */
#ifndef OVOZ_MEDIA_WORKER_H
#define OVOZ_MEDIA_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

struct media_workers;
struct media_worker;

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
 */
GSource *media_worker_timeout_add(struct media_worker *w, guint interval_ms,
				  GSourceFunc fn, gpointer data,
				  GDestroyNotify notify);

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
