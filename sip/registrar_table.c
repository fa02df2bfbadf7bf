/*
 * sip/registrar_table.c - the registrar's bindings in memory: one list per
 * user, lookup, removal (by contact, user, flow or expiry) with the hook
 * told of each, iteration, and restoring bindings stored by an earlier run.
 * Signalling thread only.
 */
#define G_LOG_DOMAIN "ovoz-registrar"

#include "registrar_private.h"

#include <errno.h>
#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

void reg_binding_free(struct sip_binding *b)
{
	if (!b)
		return;
	g_free(b->user);
	g_free(b->contact);
	g_free(b->uri);
	g_free(b->source);
	g_free(b->user_agent);
	g_free(b->call_id);
	g_free(b->instance);
	g_free(b->path);
	sip_transport_unref(b->flow);
	g_free(b);
}

GPtrArray *reg_bindings(struct sip_registrar *r, const char *user,
			       bool create)
{
	GPtrArray *list = g_hash_table_lookup(r->users, user);

	if (!list && create) {
		list = g_ptr_array_new_with_free_func(
			(GDestroyNotify)reg_binding_free);
		g_hash_table_insert(r->users, g_strdup(user), list);
	}
	return list;
}

void reg_emit(struct sip_registrar *r, const struct sip_binding *b,
		     enum sip_binding_event ev)
{
	if (r->hooks.binding)
		r->hooks.binding(r->ctx, b, ev);
}

/* Remove binding @i of @list after telling the hook. */
void reg_remove_at(struct sip_registrar *r, GPtrArray *list, guint i)
{
	reg_emit(r, g_ptr_array_index(list, i), SIP_BINDING_REMOVED);
	g_ptr_array_remove_index(list, i);
}

void reg_drop_empty(struct sip_registrar *r, const char *user)
{
	GPtrArray *list = reg_bindings(r, user, false);

	if (list && list->len == 0)
		g_hash_table_remove(r->users, user);
}

/* The existing binding a contact replaces: same instance (RFC 5626), or
 * the same URI. */
int reg_find(GPtrArray *list, const char *uri, const char *instance)
{
	for (guint i = 0; list && i < list->len; i++) {
		const struct sip_binding *b = g_ptr_array_index(list, i);
		if (instance && b->instance && strcmp(b->instance, instance) == 0)
			return (int)i;
		if (strcmp(b->uri, uri) == 0)
			return (int)i;
	}
	return -1;
}

int sip_registrar_restore(struct sip_registrar *r, const char *user,
			  const char *contact, const char *source,
			  const char *user_agent, const char *call_id,
			  uint32_t cseq, int64_t expires_at, const char *path)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sip_contact_t *m = sip_contact_make(home, contact);
	struct sip_binding *b;
	char *uri = NULL, *instance = NULL, *text;
	int err = 0;

	if (!m || !user || expires_at <= reg_now(r)) {
		err = EINVAL;
		goto out;
	}
	text = reg_contact_text(home, m, &uri, &instance);
	if (!text) {
		err = EINVAL;
		goto out;
	}
	GPtrArray *list = reg_bindings(r, user, true);
	int i = reg_find(list, uri, instance);
	if (i >= 0)
		g_ptr_array_remove_index(list, (guint)i);
	b = g_new0(struct sip_binding, 1);
	b->user = g_strdup(user);
	b->contact = text;
	b->uri = uri;
	b->instance = instance;
	b->source = g_strdup(source ? source : "");
	b->user_agent = g_strdup(user_agent);
	b->call_id = g_strdup(call_id ? call_id : "");
	b->path = g_strdup(path);
	b->cseq = cseq;
	b->expires_at = expires_at;
	b->transport = SIP_TRANSPORT_UDP;
	if (source)
		sip_addr_parse(&b->addr, source);
	g_ptr_array_add(list, b);
out:
	su_home_deinit(home);
	return err;
}

/* Remove the bindings of every user that match; true drops it. */
typedef bool (*reg_match_h)(const struct sip_binding *b, const void *arg);

static void reg_remove_matching(struct sip_registrar *r, reg_match_h match,
				const void *arg)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, r->users);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		GPtrArray *list = v;
		for (guint i = list->len; i-- > 0;)
			if (match(g_ptr_array_index(list, i), arg))
				reg_remove_at(r, list, i);
		if (list->len == 0)
			g_hash_table_iter_remove(&it);
	}
}

static bool reg_match_flow(const struct sip_binding *b, const void *arg)
{
	return b->flow && b->flow == arg;
}

static bool reg_match_expired(const struct sip_binding *b, const void *arg)
{
	return b->expires_at <= *(const int64_t *)arg;
}

void sip_registrar_flow_closed(struct sip_registrar *r,
			       struct sip_transport *flow)
{
	reg_remove_matching(r, reg_match_flow, flow);
}

void sip_registrar_expire(struct sip_registrar *r, int64_t now)
{
	reg_remove_matching(r, reg_match_expired, &now);
}

int sip_registrar_remove_contact(struct sip_registrar *r, const char *user,
				 const char *uri)
{
	GPtrArray *list = reg_bindings(r, user, false);
	int i = reg_find(list, uri, NULL);

	if (i < 0)
		return ENOENT;
	reg_remove_at(r, list, (guint)i);
	reg_drop_empty(r, user);
	return 0;
}

void sip_registrar_remove_user(struct sip_registrar *r, const char *user)
{
	GPtrArray *list = reg_bindings(r, user, false);

	if (!list)
		return;
	while (list->len)
		reg_remove_at(r, list, list->len - 1);
	g_hash_table_remove(r->users, user);
}

void sip_registrar_foreach(struct sip_registrar *r, const char *user,
			   sip_binding_h fn, void *arg)
{
	GHashTableIter it;
	gpointer v;

	if (user) {
		GPtrArray *list = reg_bindings(r, user, false);
		for (guint i = 0; list && i < list->len; i++)
			fn(g_ptr_array_index(list, i), arg);
		return;
	}
	g_hash_table_iter_init(&it, r->users);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		GPtrArray *list = v;
		for (guint i = 0; i < list->len; i++)
			fn(g_ptr_array_index(list, i), arg);
	}
}

unsigned sip_registrar_count(struct sip_registrar *r)
{
	GHashTableIter it;
	gpointer v;
	unsigned n = 0;

	g_hash_table_iter_init(&it, r->users);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((GPtrArray *)v)->len;
	return n;
}

