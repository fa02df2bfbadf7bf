/* tests/media/test_worker.c - worker threads, message passing, timers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invoke_runs_on_worker),
		cmocka_unit_test(test_timer_on_worker_context),
		cmocka_unit_test(test_pick_least_loaded),
		cmocka_unit_test(test_default_count_and_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
