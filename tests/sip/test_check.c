/* tests/sip/test_check.c - sip_message_check() verdicts: which malformed
 * requests get which answer, and which responses are dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "sip/message.h"

#define VIA "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9\r\n"
#define MF "Max-Forwards: 70\r\n"
#define FROM "From: <sip:1001@example.com>;tag=9fxced76sl\r\n"
#define TO "To: <sip:1002@example.com>\r\n"
#define CID "Call-ID: 3848276298220188511@192.0.2.1\r\n"
#define CSEQ "CSeq: 1 OPTIONS\r\n"
#define CL0 "Content-Length: 0\r\n"
#define RL "OPTIONS sip:1002@example.com SIP/2.0\r\n"
/* A request line, headers, the blank line. */
#define REQ(line, hdrs) line hdrs "\r\n"

struct check_case {
	const char *name;
	const char *text;
	int status;          /* 0: accepted; -1: dropped */
	const char *reason;  /* NULL when accepted */
	const char *unsupported;
};

static const struct check_case request_cases[] = {
	{"well-formed OPTIONS", REQ(RL, VIA MF FROM TO CID CSEQ CL0), 0},
	{"Max-Forwards is optional (RFC 2543 peers)",
	 REQ(RL, VIA FROM TO CID CSEQ CL0), 0},
	{"a tel: Request-URI",
	 REQ("OPTIONS tel:+15551234567 SIP/2.0\r\n", VIA MF FROM TO CID CSEQ CL0), 0},
	{"Require is for the UAS: a proxy passes it",
	 REQ(RL, VIA MF FROM TO CID CSEQ "Require: 100rel\r\n" CL0), 0},

	{"no Via", REQ(RL, MF FROM TO CID CSEQ CL0), 400,
	 "Bad Request - Missing Via"},
	{"no From", REQ(RL, VIA MF TO CID CSEQ CL0), 400,
	 "Bad Request - Missing From"},
	{"no To", REQ(RL, VIA MF FROM CID CSEQ CL0), 400,
	 "Bad Request - Missing To"},
	{"no Call-ID", REQ(RL, VIA MF FROM TO CSEQ CL0), 400,
	 "Bad Request - Missing Call-ID"},
	{"no CSeq", REQ(RL, VIA MF FROM TO CID CL0), 400,
	 "Bad Request - Missing CSeq"},
	{"two To headers", REQ(RL, VIA MF FROM TO TO CID CSEQ CL0), 400,
	 "Bad Request - Duplicate To"},
	{"two Content-Lengths",
	 REQ(RL, VIA MF FROM TO CID CSEQ CL0 "Content-Length: 4\r\n"), 400,
	 "Bad Request - Duplicate Content-Length"},
	{"CSeq not a number",
	 REQ(RL, VIA MF FROM TO CID "CSeq: one OPTIONS\r\n" CL0), 400,
	 "Bad Request - Bad CSeq"},
	{"CSeq of 2**31 (RFC 3261 8.1.1.5)",
	 REQ(RL, VIA MF FROM TO CID "CSeq: 2147483648 OPTIONS\r\n" CL0), 400,
	 "Bad Request - Bad CSeq"},
	{"CSeq method differs from the request's",
	 REQ(RL, VIA MF FROM TO CID "CSeq: 1 INVITE\r\n" CL0), 400,
	 "Bad Request - CSeq method mismatch"},
	{"Max-Forwards not a number",
	 REQ(RL, VIA "Max-Forwards: many\r\n" FROM TO CID CSEQ CL0), 400,
	 "Bad Request - Bad Max-Forwards"},
	{"Via that is not SIP/2.0",
	 REQ(RL, "Via: SIP/3.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n" MF FROM TO
		 CID CSEQ CL0), 400, "Bad Request - Bad Via"},
	{"body shorter than Content-Length",
	 REQ(RL, VIA MF FROM TO CID CSEQ "Content-Length: 50\r\n") "v=0\r\n",
	 400, "Bad Request - Content-Length larger than body"},
	{"headers in the Request-URI (RFC 4475 escruri)",
	 REQ("OPTIONS sip:1002@example.com?Route=%3Csip:evil%3E SIP/2.0\r\n",
	     VIA MF FROM TO CID CSEQ CL0), 400,
	 "Bad Request - Headers in Request-URI"},
	{"two spaces in the Request-Line",
	 REQ("OPTIONS  sip:1002@example.com SIP/2.0\r\n",
	     VIA MF FROM TO CID CSEQ CL0), 400,
	 "Bad Request - Bad Request-Line spacing"},
	{"an http: Request-URI",
	 REQ("OPTIONS http://example.com/ SIP/2.0\r\n",
	     VIA MF FROM TO CID CSEQ CL0), 416, "Unsupported URI Scheme"},
	{"SIP/3.0",
	 REQ("OPTIONS sip:1002@example.com SIP/3.0\r\n",
	     VIA MF FROM TO CID CSEQ CL0), 505, "Version Not Supported"},
	{"Max-Forwards: 0", REQ(RL, VIA "Max-Forwards: 0\r\n" FROM TO CID CSEQ CL0),
	 483, "Too Many Hops"},
	{"Proxy-Require names extensions a proxy must know",
	 REQ(RL, VIA MF FROM TO CID CSEQ "Proxy-Require: foo, bar\r\n" CL0),
	 420, "Bad Extension", "foo, bar"},
};

#define RESP(line, hdrs) line hdrs "\r\n"
#define SL "SIP/2.0 200 OK\r\n"

static const struct check_case response_cases[] = {
	{"well-formed 200", RESP(SL, VIA FROM TO CID CSEQ CL0), 0},
	{"status 99",
	 RESP("SIP/2.0 099 Odd\r\n", VIA FROM TO CID CSEQ CL0), -1,
	 "Malformed response"},
	{"status 700",
	 RESP("SIP/2.0 700 Odd\r\n", VIA FROM TO CID CSEQ CL0), -1,
	 "Malformed response"},
	{"no Call-ID", RESP(SL, VIA FROM TO CSEQ CL0), -1,
	 "Malformed response"},
	{"no Via", RESP(SL, FROM TO CID CSEQ CL0), -1, "Malformed response"},
	{"bad CSeq", RESP(SL, VIA FROM TO CID "CSeq: x OPTIONS\r\n" CL0), -1,
	 "Malformed response"},
};

static void run(const struct check_case *c)
{
	struct sip_message *m = NULL;
	struct sip_verdict v = {.status = 12345};
	bool ok;
	int rc;

	rc = sip_message_parse(&m, (const uint8_t *)c->text, strlen(c->text));
	if (rc != 0)
		fail_msg("%s: not parsed (%d)", c->name, rc);
	ok = sip_message_check(m, &v);
	if (ok != (c->status == 0) || v.status != c->status)
		fail_msg("%s: got %s %d %s, want %d %s", c->name,
			 ok ? "accepted" : "refused", v.status,
			 v.reason ? v.reason : "(null)", c->status,
			 c->reason ? c->reason : "(null)");
	if (c->reason)
		assert_string_equal(v.reason, c->reason);
	else
		assert_null(v.reason);
	if (c->unsupported)
		assert_string_equal(v.unsupported, c->unsupported);
	else
		assert_null(v.unsupported);
	sip_message_unref(m);
}

static void test_requests(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(request_cases); i++)
		run(&request_cases[i]);
}

static void test_responses(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(response_cases); i++)
		run(&response_cases[i]);
}

/* The verdict of one message is all the checker knows: a refused message
 * leaves nothing behind for the next one. */
static void test_verdict_reset(void **state)
{
	run(&request_cases[G_N_ELEMENTS(request_cases) - 1]); /* 420 */
	run(&request_cases[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_verdict_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
