/* media/worker.c - N threads, one GMainContext + GMainLoop each. */
#define G_LOG_DOMAIN "ovoz-media"

#include "worker.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

struct media_worker {
	unsigned index;
	GThread *thread;
	GMainContext *ctx;
	GMainLoop *loop;
	gint load;
	/* Every stream socket of this worker, and the one GSource that polls
	 * the set; ev[] is the batch being dispatched (ev_i the current). */
	int epfd;
	GSource *epoll_src;
	GMutex fds_lock; /* the list only: adds come from any thread */
	GQueue fds;
	int ev_n, ev_i;
	struct epoll_event ev[MEDIA_WORKER_EPOLL_BATCH];
	/* Periodic timers: one GSource for all. The list and the walk's
	 * cursor are the worker thread's; timers added from other threads
	 * wait in pending (under the lock) until the next dispatch. */
	GSource *timer_src;
	GMutex timers_lock;
	GQueue timers, pending;
	GList *cursor; /* the walk's next link in timers */
	struct media_worker_timer *running;
	gboolean running_removed;
	/* One batch of datagrams; streams on this thread take turns. */
	uint8_t rx[MEDIA_WORKER_RX_BATCH][MEDIA_WORKER_RX_SIZE];
};

struct media_workers {
	unsigned n;
	gint next; /* round-robin cursor for ties */
	struct media_worker **w;
};

struct worker_source {
	GSource base;
	struct media_worker *w;
};

static gboolean epoll_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct media_worker *w = ((struct worker_source *)src)->w;
	int n = epoll_wait(w->epfd, w->ev, MEDIA_WORKER_EPOLL_BATCH, 0);

	w->ev_n = MAX(n, 0);
	for (w->ev_i = 0; w->ev_i < w->ev_n; w->ev_i++) {
		struct media_worker_fd *wf = w->ev[w->ev_i].data.ptr;

		/* NULL: removed by a handler earlier in this batch. */
		if (wf)
			wf->h(wf->fd, wf->data);
	}
	w->ev_n = 0;
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs; /* defined with the timers below */

static GSourceFuncs epoll_funcs = {
	.dispatch = epoll_dispatch,
};

static int worker_sources_open(struct media_worker *w)
{
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return errno;
	/* No check function: GLib dispatches when the epoll fd polls in. */
	w->epoll_src = g_source_new(&epoll_funcs, sizeof(struct worker_source));
	((struct worker_source *)w->epoll_src)->w = w;
	g_source_set_name(w->epoll_src, "ovoz media sockets");
	g_source_add_unix_fd(w->epoll_src, w->epfd, G_IO_IN);
	g_source_attach(w->epoll_src, w->ctx);
	w->timer_src = g_source_new(&timer_funcs, sizeof(struct worker_source));
	((struct worker_source *)w->timer_src)->w = w;
	g_source_set_name(w->timer_src, "ovoz media timers");
	g_source_attach(w->timer_src, w->ctx);
	return 0;
}

int media_worker_fd_add(struct media_worker *w, struct media_worker_fd *wf,
			int fd, media_worker_fd_h h, void *data,
			GDestroyNotify notify)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = wf};

	*wf = (struct media_worker_fd){.w = w, .fd = fd, .h = h,
				       .data = data, .notify = notify,
				       .link = {.data = wf}};
	g_mutex_lock(&w->fds_lock);
	g_queue_push_head_link(&w->fds, &wf->link);
	g_mutex_unlock(&w->fds_lock);
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int rc = errno;

		g_mutex_lock(&w->fds_lock);
		g_queue_unlink(&w->fds, &wf->link);
		g_mutex_unlock(&w->fds_lock);
		wf->w = NULL;
		return rc;
	}
	return 0;
}

void media_worker_fd_remove(struct media_worker_fd *wf)
{
	struct media_worker *w = wf->w;

	if (!w)
		return;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, wf->fd, NULL);
	/* Readiness already taken for it in this batch must not run. */
	for (int i = w->ev_i + 1; i < w->ev_n; i++)
		if (w->ev[i].data.ptr == wf)
			w->ev[i].data.ptr = NULL;
	g_mutex_lock(&w->fds_lock);
	g_queue_unlink(&w->fds, &wf->link);
	g_mutex_unlock(&w->fds_lock);
	wf->w = NULL;
	if (wf->notify)
		wf->notify(wf->data); /* may free @wf */
}

/* The thread is gone: what is still watched is let go of here. */
static void worker_fds_release(struct media_worker *w)
{
	GList *l;

	while ((l = g_queue_pop_head_link(&w->fds))) {
		struct media_worker_fd *wf = l->data;

		wf->w = NULL;
		if (wf->notify)
			wf->notify(wf->data); /* may free @wf */
	}
}

/* ---- periodic timers ---------------------------------------------------- */

/* The source wakes for the earliest due timer. Call with timers_lock. */
static void timers_arm_locked(struct media_worker *w)
{
	gint64 due = -1;

	for (int list = 0; list < 2; list++)
		for (GList *l = list ? w->pending.head : w->timers.head; l;
		     l = l->next) {
			const struct media_worker_timer *t = l->data;

			if (due < 0 || t->due_us < due)
				due = t->due_us;
		}
	g_source_set_ready_time(w->timer_src, due);
}

/*
 * One interval from @now, rounded down to a grain (whole seconds for
 * intervals of a second or more, else 10 ms), so the timers of many calls
 * fall due together and one wakeup serves them all; never later than a
 * plain timer would be.
 */
static gint64 timer_due(gint64 now, gint64 interval)
{
	gint64 grain = interval >= G_USEC_PER_SEC ? G_USEC_PER_SEC : 10000;
	gint64 due = (now + interval) / grain * grain;

	return due > now ? due : due + grain;
}

int media_worker_timer_add(struct media_worker *w, struct media_worker_timer *t,
			   guint interval_ms, GSourceFunc fn, gpointer data,
			   GDestroyNotify notify)
{
	gint64 ready;

	if (!w || !t || !fn || interval_ms == 0 || t->w)
		return EINVAL;
	*t = (struct media_worker_timer){
		.w = w, .interval_us = (gint64)interval_ms * 1000,
		.due_us = timer_due(g_get_monotonic_time(),
				    (gint64)interval_ms * 1000),
		.fn = fn, .data = data, .notify = notify, .link = {.data = t}};
	g_mutex_lock(&w->timers_lock);
	if (media_worker_is_current(w)) {
		g_queue_push_head_link(&w->timers, &t->link);
	} else {
		t->pending = TRUE;
		g_queue_push_head_link(&w->pending, &t->link);
	}
	ready = g_source_get_ready_time(w->timer_src);
	if (ready < 0 || t->due_us < ready)
		g_source_set_ready_time(w->timer_src, t->due_us);
	g_mutex_unlock(&w->timers_lock);
	return 0;
}

void media_worker_timer_remove(struct media_worker_timer *t)
{
	struct media_worker *w = t->w;

	if (!w)
		return;
	if (t->pending) {
		g_mutex_lock(&w->timers_lock);
		g_queue_unlink(&w->pending, &t->link);
		g_mutex_unlock(&w->timers_lock);
		t->pending = FALSE;
	} else {
		if (w->cursor == &t->link)
			w->cursor = t->link.next;
		g_queue_unlink(&w->timers, &t->link);
	}
	t->w = NULL;
	if (w->running == t) {
		w->running_removed = TRUE; /* the dispatch notifies */
		return;
	}
	if (t->notify)
		t->notify(t->data); /* may free @t */
}

static void timer_fire(struct media_worker *w, struct media_worker_timer *t,
		       gint64 now)
{
	gboolean keep;

	t->due_us += t->interval_us;
	if (t->due_us <= now) /* late (a busy or stopped loop): no catch-up */
		t->due_us = timer_due(now, t->interval_us);
	w->running = t;
	w->running_removed = FALSE;
	keep = t->fn(t->data);
	w->running = NULL;
	if (w->running_removed) {
		if (t->notify)
			t->notify(t->data); /* may free @t */
	} else if (!keep) {
		media_worker_timer_remove(t);
	}
}

static gboolean timers_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct media_worker *w = ((struct worker_source *)src)->w;
	gint64 now = g_get_monotonic_time();
	GList *l;

	g_mutex_lock(&w->timers_lock);
	while ((l = g_queue_pop_head_link(&w->pending))) {
		((struct media_worker_timer *)l->data)->pending = FALSE;
		g_queue_push_head_link(&w->timers, l);
	}
	g_mutex_unlock(&w->timers_lock);
	for (l = w->timers.head; l; l = w->cursor) {
		struct media_worker_timer *t = l->data;

		w->cursor = l->next;
		if (t->due_us <= now)
			timer_fire(w, t, now);
	}
	w->cursor = NULL;
	g_mutex_lock(&w->timers_lock);
	timers_arm_locked(w);
	g_mutex_unlock(&w->timers_lock);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {
	.dispatch = timers_dispatch,
};

/* The thread is gone: timers still armed end here. */
static void worker_timers_release(struct media_worker *w)
{
	GList *l;

	for (int list = 0; list < 2; list++) {
		while ((l = g_queue_pop_head_link(list ? &w->pending
						       : &w->timers))) {
			struct media_worker_timer *t = l->data;

			t->pending = FALSE;
			t->w = NULL;
			if (t->notify)
				t->notify(t->data); /* may free @t */
		}
	}
}

static gpointer worker_main(gpointer data)
{
	struct media_worker *w = data;

	/* GLib code that asks for "the thread default" lands here too. */
	g_main_context_push_thread_default(w->ctx);
	g_main_loop_run(w->loop);
	g_main_context_pop_thread_default(w->ctx);
	return NULL;
}

static gboolean worker_quit(gpointer data)
{
	struct media_worker *w = data;

	g_main_loop_quit(w->loop);
	return G_SOURCE_REMOVE;
}

static void worker_stop(struct media_worker *w)
{
	if (w->thread) {
		/*
		 * Quit from inside the loop: a g_main_loop_quit() from here
		 * could land before g_main_loop_run() starts and be lost.
		 */
		media_worker_invoke(w, worker_quit, w, NULL);
		g_thread_join(w->thread);
	}
	worker_fds_release(w);
	worker_timers_release(w);
	if (w->epoll_src) {
		g_source_destroy(w->epoll_src);
		g_source_unref(w->epoll_src);
	}
	if (w->timer_src) {
		g_source_destroy(w->timer_src);
		g_source_unref(w->timer_src);
	}
	if (w->epfd >= 0)
		close(w->epfd);
	g_main_loop_unref(w->loop);
	g_main_context_unref(w->ctx);
	g_mutex_clear(&w->fds_lock);
	g_mutex_clear(&w->timers_lock);
	g_free(w);
}

int media_workers_new(struct media_workers **out, unsigned n)
{
	struct media_workers *ws;
	int rc;

	if (n == 0)
		n = g_get_num_processors();
	if (n == 0 || n > 1024)
		return EINVAL;
	ws = g_new0(struct media_workers, 1);
	ws->w = g_new0(struct media_worker *, n);
	for (unsigned i = 0; i < n; i++) {
		struct media_worker *w = g_new0(struct media_worker, 1);
		g_autofree char *name = g_strdup_printf("ovoz-media-%u", i);
		g_autoptr(GError) err = NULL;

		w->index = i;
		w->epfd = -1;
		g_mutex_init(&w->fds_lock);
		g_mutex_init(&w->timers_lock);
		w->ctx = g_main_context_new();
		w->loop = g_main_loop_new(w->ctx, FALSE);
		ws->w[ws->n++] = w;
		rc = worker_sources_open(w);
		if (rc != 0) {
			g_warning("cannot start media worker %u: epoll: %s", i,
				  g_strerror(rc));
			media_workers_free(ws);
			return rc;
		}
		w->thread = g_thread_try_new(name, worker_main, w, &err);
		if (!w->thread) {
			g_warning("cannot start media worker %u: %s", i,
				  err->message);
			media_workers_free(ws);
			return EAGAIN;
		}
	}
	*out = ws;
	return 0;
}

void media_workers_free(struct media_workers *ws)
{
	if (!ws)
		return;
	for (unsigned i = 0; i < ws->n; i++)
		worker_stop(ws->w[i]);
	g_free(ws->w);
	g_free(ws);
}

unsigned media_workers_count(const struct media_workers *ws)
{
	return ws->n;
}

struct media_worker *media_workers_get(struct media_workers *ws, unsigned i)
{
	return i < ws->n ? ws->w[i] : NULL;
}

struct media_worker *media_workers_pick(struct media_workers *ws)
{
	unsigned start = (guint)g_atomic_int_add(&ws->next, 1) % ws->n;
	struct media_worker *best = ws->w[start];

	for (unsigned k = 1; k < ws->n; k++) {
		struct media_worker *w = ws->w[(start + k) % ws->n];

		if (g_atomic_int_get(&w->load) < g_atomic_int_get(&best->load))
			best = w;
	}
	return best;
}

GMainContext *media_worker_context(struct media_worker *w)
{
	return w->ctx;
}

gboolean media_worker_is_current(struct media_worker *w)
{
	return g_main_context_is_owner(w->ctx);
}

void media_worker_invoke(struct media_worker *w, GSourceFunc fn,
			 gpointer data, GDestroyNotify notify)
{
	g_main_context_invoke_full(w->ctx, G_PRIORITY_DEFAULT, fn, data,
				   notify);
}

GSource *media_worker_timeout_add(struct media_worker *w, guint interval_ms,
				  GSourceFunc fn, gpointer data,
				  GDestroyNotify notify)
{
	GSource *src = g_timeout_source_new(interval_ms);

	g_source_set_callback(src, fn, data, notify);
	g_source_attach(src, w->ctx);
	return src;
}

void media_worker_load_add(struct media_worker *w, int delta)
{
	g_atomic_int_add(&w->load, delta);
}

int media_worker_load(struct media_worker *w)
{
	return g_atomic_int_get(&w->load);
}

uint8_t (*media_worker_rx_buffers(struct media_worker *w))[MEDIA_WORKER_RX_SIZE]
{
	return w->rx;
}
