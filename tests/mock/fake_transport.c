/* tests/mock/fake_transport.c - records sends for assertions. */
#include "fake_transport.h"

#include <string.h>

static int fake_send(struct sip_transport *tp, const struct sip_addr *dst,
		     const void *buf, size_t len)
{
	struct fake_transport *f = sip_transport_impl(tp);

	g_ptr_array_add(f->sent, g_bytes_new(buf, len));
	g_ptr_array_add(f->dst, g_memdup2(dst, sizeof(*dst)));
	return 0;
}

static void fake_free(void *impl)
{
	struct fake_transport *f = impl;

	g_ptr_array_unref(f->sent);
	g_ptr_array_unref(f->dst);
	g_free(f);
}

static const struct sip_transport_ops fake_ops = {
	.send = fake_send,
	.free = fake_free,
};

struct sip_transport *fake_transport_new(enum sip_transport_kind kind,
					 const char *id,
					 struct fake_transport **out_impl)
{
	struct fake_transport *f = g_new0(struct fake_transport, 1);

	f->sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	f->dst = g_ptr_array_new_with_free_func(g_free);
	*out_impl = f;
	return sip_transport_new(kind, id, &fake_ops, f);
}

struct sip_message *fake_transport_pop(struct fake_transport *f)
{
	struct sip_message *m = NULL;
	GBytes *b;
	size_t len;
	const uint8_t *data;

	if (!f->sent->len)
		return NULL;
	b = g_ptr_array_steal_index(f->sent, 0);
	g_ptr_array_remove_index(f->dst, 0);
	data = g_bytes_get_data(b, &len);
	if (sip_message_parse(&m, data, len))
		m = NULL;
	g_bytes_unref(b);
	return m;
}

unsigned fake_transport_pending(const struct fake_transport *f)
{
	return f->sent->len;
}
