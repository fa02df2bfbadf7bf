/* tests/media/test_worker.c - worker threads, message passing, timers,
 * sockets in the worker's epoll set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "media/worker.h"

struct probe {
	GMutex lock;
	GCond cond;
	struct media_worker *w;
	GThread *ran_on;
	gboolean owner;
	gboolean default_ctx;
	int ticks;
	int notified;
};

static void probe_init(struct probe *p, struct media_worker *w)
{
	memset(p, 0, sizeof(*p));
	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	p->w = w;
}

static void probe_clear(struct probe *p)
{
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->cond);
}

/* Wait until @p->ticks reaches @n or 5 s pass. */
static int probe_wait(struct probe *p, int n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	int got;

	g_mutex_lock(&p->lock);
	while (p->ticks < n && g_cond_wait_until(&p->cond, &p->lock, end))
		;
	got = p->ticks;
	g_mutex_unlock(&p->lock);
	return got;
}

static gboolean record(gpointer data)
{
	struct probe *p = data;

	g_mutex_lock(&p->lock);
	p->ran_on = g_thread_self();
	p->owner = media_worker_is_current(p->w);
	p->default_ctx = g_main_context_get_thread_default() ==
			 media_worker_context(p->w);
	p->ticks++;
	g_cond_signal(&p->cond);
	g_mutex_unlock(&p->lock);
	return G_SOURCE_REMOVE;
}

static gboolean tick3(gpointer data)
{
	struct probe *p = data;

	record(data);
	return p->ticks < 3 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void notified(gpointer data)
{
	struct probe *p = data;

	g_mutex_lock(&p->lock);
	p->notified++;
	g_cond_signal(&p->cond);
	g_mutex_unlock(&p->lock);
}

static void test_invoke_runs_on_worker(void **state)
{
	struct media_workers *ws = NULL;
	struct probe p;

	assert_int_equal(media_workers_new(&ws, 2), 0);
	assert_int_equal(media_workers_count(ws), 2);
	probe_init(&p, media_workers_get(ws, 1));
	assert_false(media_worker_is_current(p.w));
	media_worker_invoke(p.w, record, &p, notified);
	assert_int_equal(probe_wait(&p, 1), 1);
	assert_true(p.ran_on != g_thread_self());
	assert_true(p.owner);
	assert_true(p.default_ctx);
	media_workers_free(ws);
	assert_int_equal(p.notified, 1);
	probe_clear(&p);
}

static void test_timer_on_worker_context(void **state)
{
	struct media_workers *ws = NULL;
	struct probe p;
	GSource *t;

	assert_int_equal(media_workers_new(&ws, 1), 0);
	probe_init(&p, media_workers_get(ws, 0));
	t = media_worker_timeout_add(p.w, 10, tick3, &p, NULL);
	assert_true(g_source_get_context(t) == media_worker_context(p.w));
	assert_int_equal(probe_wait(&p, 3), 3);
	assert_true(p.owner);
	assert_true(p.ran_on != g_thread_self());
	/* Nothing was attached to the default context. */
	assert_false(g_main_context_pending(NULL));
	g_source_destroy(t);
	g_source_unref(t);
	media_workers_free(ws);
	probe_clear(&p);
}

static void test_pick_least_loaded(void **state)
{
	struct media_workers *ws = NULL;
	struct media_worker *w0, *w1, *w2;

	assert_int_equal(media_workers_new(&ws, 3), 0);
	w0 = media_workers_get(ws, 0);
	w1 = media_workers_get(ws, 1);
	w2 = media_workers_get(ws, 2);
	assert_null(media_workers_get(ws, 3));
	media_worker_load_add(w0, 2);
	media_worker_load_add(w2, 1);
	for (int i = 0; i < 5; i++)
		assert_ptr_equal(media_workers_pick(ws), w1);
	media_worker_load_add(w1, 2);
	assert_ptr_equal(media_workers_pick(ws), w2);
	media_worker_load_add(w2, 1);
	/* All equal: round robin spreads them. */
	{
		GHashTable *seen = g_hash_table_new(NULL, NULL);

		for (int i = 0; i < 3; i++)
			g_hash_table_add(seen, media_workers_pick(ws));
		assert_int_equal(g_hash_table_size(seen), 3);
		g_hash_table_unref(seen);
	}
	assert_int_equal(media_worker_load(w0), 2);
	media_workers_free(ws);
}

static void test_default_count_and_shutdown(void **state)
{
	struct media_workers *ws = NULL;
	struct probe p;

	assert_int_equal(media_workers_new(&ws, 0), 0);
	assert_int_equal(media_workers_count(ws), g_get_num_processors());
	/* Stopping with work still queued: the work's notify still runs. */
	probe_init(&p, media_workers_get(ws, 0));
	for (int i = 0; i < 100; i++)
		media_worker_invoke(p.w, record, &p, notified);
	media_workers_free(ws);
	assert_int_equal(p.notified, 100);
	assert_true(p.ticks <= 100);
	probe_clear(&p);
}

/* --- sockets in the worker's epoll set */

enum { NFD = 300 };

struct fdw {
	struct media_worker_fd wf;
	int rd, wr;
	struct fdw *victim; /* removed and freed by this one's handler */
	struct probe *p;
	GThread *ran_on;
};

static struct fdw *survivor;

static int probe_ticks(struct probe *p)
{
	int n;

	g_mutex_lock(&p->lock);
	n = p->ticks;
	g_mutex_unlock(&p->lock);
	return n;
}

static void fdw_readable(int fd, void *data)
{
	struct fdw *f = data;
	char c;

	g_assert(read(fd, &c, 1) == 1);
	f->ran_on = g_thread_self();
	if (f->victim) {
		struct fdw *v = f->victim;

		/* Its readiness may be in this very batch: must not run. */
		f->victim = NULL;
		media_worker_fd_remove(&v->wf);
		close(v->rd);
		close(v->wr);
		g_free(v);
		survivor = f;
	}
	record(f->p);
}

static gboolean fd_add_on(gpointer data)
{
	struct fdw *f = data;

	media_worker_fd_add(f->p->w, &f->wf, f->rd, fdw_readable, f, NULL);
	return G_SOURCE_REMOVE;
}

static gboolean fd_remove_on(gpointer data)
{
	struct fdw *f = data;

	media_worker_fd_remove(&f->wf);
	media_worker_fd_remove(&f->wf); /* idempotent */
	return G_SOURCE_REMOVE;
}

static void fdw_removed(gpointer data)
{
	notified(((struct fdw *)data)->p);
}

/* Hundreds of sockets on one worker, each handler on the worker thread. */
static void test_fd_watch_many(void **state)
{
	struct media_workers *ws = NULL;
	struct fdw *f = g_new0(struct fdw, NFD);
	struct probe p;
	int pf[2];

	assert_int_equal(media_workers_new(&ws, 1), 0);
	probe_init(&p, media_workers_get(ws, 0));
	for (int i = 0; i < NFD; i++) {
		assert_int_equal(pipe(pf), 0);
		f[i].rd = pf[0];
		f[i].wr = pf[1];
		f[i].p = &p;
		assert_int_equal(media_worker_fd_add(p.w, &f[i].wf, f[i].rd,
						     fdw_readable, &f[i], NULL),
				 0);
	}
	/* The same fd twice is refused, and the watch left unset. */
	{
		struct media_worker_fd dup;

		assert_int_equal(media_worker_fd_add(p.w, &dup, f[0].rd,
						     fdw_readable, &f[0],
						     fdw_removed),
				 EEXIST);
		assert_null(dup.w);
	}
	for (int i = 0; i < NFD; i++)
		assert_int_equal(write(f[i].wr, "x", 1), 1);
	assert_int_equal(probe_wait(&p, NFD), NFD);
	for (int i = 0; i < NFD; i++)
		assert_true(f[i].ran_on != NULL &&
			    f[i].ran_on != g_thread_self());
	assert_true(p.owner);
	/* Removed on the worker: readable again, but never called. */
	for (int i = 0; i < NFD; i++)
		media_worker_invoke(p.w, fd_remove_on, &f[i], fdw_removed);
	g_mutex_lock(&p.lock);
	while (p.notified < NFD)
		g_cond_wait(&p.cond, &p.lock);
	g_mutex_unlock(&p.lock);
	for (int i = 0; i < NFD; i++)
		assert_int_equal(write(f[i].wr, "y", 1), 1);
	g_usleep(200 * 1000);
	assert_int_equal(probe_ticks(&p), NFD);
	media_workers_free(ws);
	for (int i = 0; i < NFD; i++) {
		close(f[i].rd);
		close(f[i].wr);
	}
	g_free(f);
	probe_clear(&p);
}

static gboolean hold_worker(gpointer data)
{
	g_usleep(150 * 1000); /* both pipes become readable meanwhile */
	return G_SOURCE_REMOVE;
}

/*
 * Two sockets ready in the same batch, each handler removing and freeing
 * the other: exactly one handler runs, and ASan sees no use after free.
 */
static void test_fd_remove_in_batch(void **state)
{
	struct media_workers *ws = NULL;
	struct probe p;
	struct fdw *a = g_new0(struct fdw, 1), *b = g_new0(struct fdw, 1);
	int pf[2];

	assert_int_equal(media_workers_new(&ws, 1), 0);
	probe_init(&p, media_workers_get(ws, 0));
	assert_int_equal(pipe(pf), 0);
	a->rd = pf[0];
	a->wr = pf[1];
	assert_int_equal(pipe(pf), 0);
	b->rd = pf[0];
	b->wr = pf[1];
	a->p = b->p = &p;
	a->victim = b;
	b->victim = a;
	media_worker_invoke(p.w, fd_add_on, a, NULL);
	media_worker_invoke(p.w, fd_add_on, b, NULL);
	media_worker_invoke(p.w, hold_worker, NULL, NULL);
	assert_int_equal(write(a->wr, "x", 1), 1);
	assert_int_equal(write(b->wr, "x", 1), 1);
	assert_int_equal(probe_wait(&p, 1), 1);
	g_usleep(200 * 1000);
	assert_int_equal(probe_ticks(&p), 1);
	media_workers_free(ws);
	/* Whichever ran first is left. */
	assert_true(survivor == a || survivor == b);
	close(survivor->rd);
	close(survivor->wr);
	g_free(survivor);
	probe_clear(&p);
}

/* Watches still in place when the workers stop let go of their data. */
static void test_fd_released_at_stop(void **state)
{
	struct media_workers *ws = NULL;
	struct fdw f[3] = {0};
	struct probe p;
	int pf[2];

	assert_int_equal(media_workers_new(&ws, 1), 0);
	probe_init(&p, media_workers_get(ws, 0));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pipe(pf), 0);
		f[i].rd = pf[0];
		f[i].wr = pf[1];
		f[i].p = &p;
		assert_int_equal(media_worker_fd_add(p.w, &f[i].wf, f[i].rd,
						     fdw_readable, &f[i],
						     fdw_removed),
				 0);
	}
	/* One removed on the worker: its notify runs there, once. */
	media_worker_invoke(p.w, fd_remove_on, &f[1], NULL);
	g_mutex_lock(&p.lock);
	while (p.notified < 1)
		g_cond_wait(&p.cond, &p.lock);
	g_mutex_unlock(&p.lock);
	media_workers_free(ws);
	assert_int_equal(p.notified, 3);
	for (int i = 0; i < 3; i++) {
		assert_null(f[i].wf.w);
		close(f[i].rd);
		close(f[i].wr);
	}
	probe_clear(&p);
}

/* ---- periodic timers (one GSource per worker) --------------------------- */

#define NTIMERS 200

struct tw {
	struct media_worker_timer t;
	struct probe *p;
	int fired;
	int notified;
	struct tw *victim; /* removed (and freed) by this one's first tick */
};

static gboolean tw_tick(gpointer data)
{
	struct tw *x = data;

	assert_true(media_worker_is_current(x->p->w));
	x->fired++;
	if (x->victim) {
		media_worker_timer_remove(&x->victim->t); /* frees it */
		x->victim = NULL;
		media_worker_timer_remove(&x->t); /* itself, mid-callback */
		return G_SOURCE_CONTINUE; /* ignored: already removed */
	}
	if (x->fired == 3)
		record(x->p);
	return x->fired < 3 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void tw_notified(gpointer data)
{
	struct tw *x = data;

	x->notified++;
	notified(x->p);
}

static void tw_free_notified(gpointer data)
{
	struct tw *x = data;
	struct probe *p = x->p;

	g_free(x);
	notified(p);
}

/* Many timers added from another thread: each ticks three times on the
 * worker, its interval apart, then ends with its notify run once. */
static void test_timers_many(void **state)
{
	struct media_workers *ws = NULL;
	struct tw *x = g_new0(struct tw, NTIMERS);
	struct probe p;
	gint64 start = g_get_monotonic_time();

	assert_int_equal(media_workers_new(&ws, 1), 0);
	probe_init(&p, media_workers_get(ws, 0));
	for (int i = 0; i < NTIMERS; i++) {
		x[i].p = &p;
		assert_int_equal(media_worker_timer_add(p.w, &x[i].t, 20, tw_tick,
							&x[i], tw_notified),
				 0);
	}
	/* Armed already: a second add is refused; so is interval 0. */
	assert_int_equal(media_worker_timer_add(p.w, &x[0].t, 20, tw_tick,
						&x[0], tw_notified),
			 EINVAL);
	assert_int_equal(probe_wait(&p, NTIMERS), NTIMERS);
	/* Three ticks 20 ms apart, the first at most one interval late. */
	assert_true(g_get_monotonic_time() - start >= 40 * 1000);
	g_mutex_lock(&p.lock);
	while (p.notified < NTIMERS)
		g_cond_wait(&p.cond, &p.lock);
	g_mutex_unlock(&p.lock);
	for (int i = 0; i < NTIMERS; i++) {
		assert_int_equal(x[i].fired, 3);
		assert_int_equal(x[i].notified, 1);
		assert_null(x[i].t.w);
	}
	media_workers_free(ws);
	assert_int_equal(p.notified, NTIMERS);
	g_free(x);
	probe_clear(&p);
}

static gboolean tw_add_on(gpointer data)
{
	struct tw *x = data;

	assert_int_equal(media_worker_timer_add(x->p->w, &x->t, 10, tw_tick, x,
						tw_notified),
			 0);
	return G_SOURCE_REMOVE;
}

/*
 * A timer's first tick removes another timer, whose notify frees it, and
 * then itself: each notify runs once, the freed one never ticks (ASan
 * would see it), and a timer added on the worker thread ticks too.
 */
static void test_timer_removes_in_callback(void **state)
{
	struct media_workers *ws = NULL;
	struct tw killer = {0}, onw = {0};
	struct tw *victim = g_new0(struct tw, 1);
	struct probe p;

	assert_int_equal(media_workers_new(&ws, 1), 0);
	probe_init(&p, media_workers_get(ws, 0));
	killer.p = victim->p = onw.p = &p;
	killer.victim = victim;
	/* The victim is due with or before the killer, or after it: either
	 * way it is gone after the killer's first tick. */
	assert_int_equal(media_worker_timer_add(p.w, &victim->t, 30, tw_tick,
						victim, tw_free_notified),
			 0);
	assert_int_equal(media_worker_timer_add(p.w, &killer.t, 10, tw_tick,
						&killer, tw_notified),
			 0);
	media_worker_invoke(p.w, tw_add_on, &onw, NULL);
	assert_int_equal(probe_wait(&p, 1), 1); /* onw ticked three times */
	g_mutex_lock(&p.lock);
	while (p.notified < 3)
		g_cond_wait(&p.cond, &p.lock);
	g_mutex_unlock(&p.lock);
	g_usleep(100 * 1000);
	assert_int_equal(killer.fired, 1);
	assert_int_equal(killer.notified, 1);
	assert_null(killer.t.w);
	assert_int_equal(onw.fired, 3);
	media_workers_free(ws);
	assert_int_equal(p.notified, 3);
	probe_clear(&p);
}

/* Timers still armed when the workers stop let go of their data. */
static void test_timers_released_at_stop(void **state)
{
	struct media_workers *ws = NULL;
	struct tw x[3] = {0};
	struct probe p;

	assert_int_equal(media_workers_new(&ws, 1), 0);
	probe_init(&p, media_workers_get(ws, 0));
	for (int i = 0; i < 3; i++) {
		x[i].p = &p;
		assert_int_equal(media_worker_timer_add(p.w, &x[i].t, 60000,
							tw_tick, &x[i],
							tw_notified),
				 0);
	}
	media_workers_free(ws);
	assert_int_equal(p.notified, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(x[i].fired, 0);
		assert_null(x[i].t.w);
		media_worker_timer_remove(&x[i].t); /* idempotent */
	}
	assert_int_equal(p.notified, 3);
	probe_clear(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invoke_runs_on_worker),
		cmocka_unit_test(test_timer_on_worker_context),
		cmocka_unit_test(test_pick_least_loaded),
		cmocka_unit_test(test_default_count_and_shutdown),
		cmocka_unit_test(test_fd_watch_many),
		cmocka_unit_test(test_fd_remove_in_batch),
		cmocka_unit_test(test_fd_released_at_stop),
		cmocka_unit_test(test_timers_many),
		cmocka_unit_test(test_timer_removes_in_callback),
		cmocka_unit_test(test_timers_released_at_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
