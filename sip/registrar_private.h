/*
 * sip/registrar_private.h - what sip/registrar.c (REGISTER processing) and
 * sip/registrar_table.c (the bindings in memory) share. Signalling thread.
 */
#ifndef OVOZ_SIP_REGISTRAR_PRIVATE_H
#define OVOZ_SIP_REGISTRAR_PRIVATE_H

#include <glib.h>

#include <sofia-sip/sip.h>

#include "registrar.h"

struct sip_registrar {
	struct sip_registrar_config cfg;
	char **domains;
	struct sip_stack *stack;
	struct sip_auth *auth; /* borrowed: shared with the proxy */
	struct sip_registrar_hooks hooks;
	void *ctx;
	GHashTable *users; /* user -> GPtrArray of struct sip_binding * */
	guint timer;
	int64_t (*clock)(void);
};

/* sip/registrar.c */
int64_t reg_now(const struct sip_registrar *r);
/* Contact text to store and echo (all but expires), its URI and
 * +sip.instance (new strings) in @home. */
char *reg_contact_text(su_home_t *home, const sip_contact_t *m,
		       char **uri_out, char **instance_out);

/* sip/registrar_table.c */
void reg_binding_free(struct sip_binding *b);
/* @user's bindings, made (empty) with @create; NULL otherwise. */
GPtrArray *reg_bindings(struct sip_registrar *r, const char *user,
			bool create);
void reg_emit(struct sip_registrar *r, const struct sip_binding *b,
	      enum sip_binding_event ev);
/* Remove binding @i of @list after telling the hook. */
void reg_remove_at(struct sip_registrar *r, GPtrArray *list, guint i);
/* Forget @user when it has no binding left. */
void reg_drop_empty(struct sip_registrar *r, const char *user);
/* Index of the binding in @list a contact replaces (same instance, else
 * same URI), or -1. */
int reg_find(GPtrArray *list, const char *uri, const char *instance);

#endif
