/* gateway/main.c - the ovoz daemon: config, main loop, signals. */
#define G_LOG_DOMAIN "ovoz"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "gateway/gateway.h"

static gboolean main_on_hup(gpointer data)
{
	g_message("SIGHUP ignored: restart ovoz to reload its configuration");
	return G_SOURCE_CONTINUE;
}

static gboolean main_on_signal(gpointer data)
{
	GMainLoop *loop = data;

	g_message("shutting down");
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	struct gateway_config cfg;
	struct gateway *gw = NULL;
	g_autofree char *err = NULL;
	GMainLoop *loop;

	if (gateway_config_load(&cfg, argc, argv, &err)) {
		fprintf(stderr, "ovoz: %s\n", err);
		return 2;
	}
	gateway_log_setup(cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	loop = g_main_loop_new(NULL, FALSE);
	if (gateway_new(&gw, &cfg, loop, &err)) {
		g_critical("cannot start: %s", err);
		g_main_loop_unref(loop);
		gateway_config_clear(&cfg);
		return 1;
	}
	g_unix_signal_add(SIGTERM, main_on_signal, loop);
	g_unix_signal_add(SIGINT, main_on_signal, loop);
	g_unix_signal_add(SIGHUP, main_on_hup, NULL);
	g_message("Ovoz %s started (realm %s, database %s)", OVOZ_VERSION,
		  cfg.realm, cfg.db);
	g_main_loop_run(loop);
	gateway_free(gw);
	g_main_loop_unref(loop);
	gateway_config_clear(&cfg);
	g_message("stopped");
	return 0;
}
