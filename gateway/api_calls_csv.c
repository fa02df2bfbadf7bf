/*
 * gateway/api_calls_csv.c - GET /api/calls?format=csv: the whole filtered
 * call log (not one page) as text/csv, read from the store a page at a
 * time, up to API_CSV_MAX rows.
 */
#define G_LOG_DOMAIN "ovoz-api"

#include "gateway/api_private.h"
#include "gateway/calls_csv.h"

#define API_CSV_PAGE 500
#define API_CSV_MAX 100000

void api_calls_csv(struct gateway_api *api,
		   const struct gateway_call_filter *f,
		   struct gateway_api_response *resp)
{
	struct gateway_call_filter page = *f;
	GString *out = g_string_new(NULL);
	unsigned rows = 0;

	gateway_calls_csv_header(out);
	page.limit = API_CSV_PAGE;
	page.offset = 0;
	while (rows < API_CSV_MAX) {
		g_autoptr(GPtrArray) list = NULL;
		int err = gateway_store_call_list(api->store, &page, &list,
						  NULL);

		if (err) {
			g_string_free(out, TRUE);
			api_store_fail(resp, err);
			return;
		}
		for (guint i = 0; i < list->len; i++)
			gateway_calls_csv_row(out, g_ptr_array_index(list, i));
		rows += list->len;
		if (list->len < API_CSV_PAGE)
			break;
		page.offset += API_CSV_PAGE;
	}
	resp->status = 200;
	g_free(resp->body);
	resp->body = g_string_free(out, FALSE);
	resp->content_type = "text/csv; charset=utf-8";
}
