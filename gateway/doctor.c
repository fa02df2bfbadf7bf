/*
 * gateway/doctor.c - findings about registrations, and their words.
 * Each code has one sentence pattern; grouping and ordering decide which
 * findings exist. See doctor.h.
 */
#include "gateway/doctor.h"

#include <string.h>

#include "gateway/store.h"

/* How each code reads. @what starts the sentence; @advice (may be NULL)
 * follows ": " after the counts and the sender. */
static const struct {
	const char *name;
	const char *severity;
	const char *what;
	const char *advice;
} doctor_words[GATEWAY_DOCTOR_CODE_COUNT] = {
	[GATEWAY_DOCTOR_BANNED] = {"banned", "error", NULL, NULL},
	[GATEWAY_DOCTOR_WRONG_PASSWORD] = {
		"wrong_password", "error", "wrong password",
		"retype it on the phone, or set a new one here"},
	[GATEWAY_DOCTOR_UNKNOWN_EXTENSION] = {
		"unknown_extension", "error", "unknown extension",
		"no such extension here; check the user name set on the "
		"phone"},
	[GATEWAY_DOCTOR_CREDENTIAL_EXPIRED] = {
		"credential_expired", "warning",
		"expired web phone sign-in",
		"open the web phone again to get a fresh one"},
	[GATEWAY_DOCTOR_USERNAME_MISMATCH] = {
		"username_mismatch", "error",
		"authentication name differs from the extension",
		"set the phone's auth user to the extension"},
	[GATEWAY_DOCTOR_FOREIGN_DOMAIN] = {
		"foreign_domain", "error",
		"the phone names a domain this server does not serve",
		"set its domain to this server's address"},
	[GATEWAY_DOCTOR_INTERVAL_TOO_BRIEF] = {
		"interval_too_brief", "error",
		"registration interval too short",
		"raise the phone's registration expiry"},
	[GATEWAY_DOCTOR_OTHER_FAILURE] = {"refused", "error", NULL, NULL},
	[GATEWAY_DOCTOR_CHALLENGE_UNANSWERED] = {
		"challenge_unanswered", "warning",
		"asked for the password but never answered",
		"the phone may not receive the server's replies (NAT, "
		"firewall, or STUN turned on in the phone)"},
	[GATEWAY_DOCTOR_SILENT] = {"silent", "warning", NULL, NULL},
	[GATEWAY_DOCTOR_NEVER_SEEN] = {"never_seen", "warning", NULL, NULL},
	[GATEWAY_DOCTOR_REGISTERED] = {"registered", "ok", NULL, NULL},
};

static const struct {
	const char *outcome;
	enum gateway_doctor_code code;
} doctor_outcomes[] = {
	{"wrong_password", GATEWAY_DOCTOR_WRONG_PASSWORD},
	{"unknown_extension", GATEWAY_DOCTOR_UNKNOWN_EXTENSION},
	{"credential_expired", GATEWAY_DOCTOR_CREDENTIAL_EXPIRED},
	{"username_mismatch", GATEWAY_DOCTOR_USERNAME_MISMATCH},
	{"foreign_domain", GATEWAY_DOCTOR_FOREIGN_DOMAIN},
	{"interval_too_brief", GATEWAY_DOCTOR_INTERVAL_TOO_BRIEF},
	{"bad_credentials", GATEWAY_DOCTOR_OTHER_FAILURE},
	{"bad_contact", GATEWAY_DOCTOR_OTHER_FAILURE},
	{"banned", GATEWAY_DOCTOR_OTHER_FAILURE},
	{"error", GATEWAY_DOCTOR_OTHER_FAILURE},
};

void gateway_doctor_finding_free(struct gateway_doctor_finding *f)
{
	if (!f)
		return;
	g_free(f->extension);
	g_free(f->source);
	g_free(f->transport);
	g_free(f->user_agent);
	g_free(f->detail);
	g_free(f);
}

const char *gateway_doctor_code_name(enum gateway_doctor_code code)
{
	return (unsigned)code < GATEWAY_DOCTOR_CODE_COUNT
		       ? doctor_words[code].name : "refused";
}

const char *gateway_doctor_severity(enum gateway_doctor_code code)
{
	return (unsigned)code < GATEWAY_DOCTOR_CODE_COUNT
		       ? doctor_words[code].severity : "error";
}

bool gateway_doctor_code_of_outcome(const char *outcome,
				    enum gateway_doctor_code *code)
{
	for (size_t i = 0; outcome && i < G_N_ELEMENTS(doctor_outcomes); i++)
		if (strcmp(doctor_outcomes[i].outcome, outcome) == 0) {
			*code = doctor_outcomes[i].code;
			return true;
		}
	return false;
}

/* "10 minutes", "3 hours", "2 days": how long since @at. */
static void doctor_append_age(GString *s, int64_t seconds)
{
	int64_t m = seconds / 60;

	if (m < 120)
		g_string_append_printf(s, "%" G_GINT64_FORMAT " minute%s", m,
				       m == 1 ? "" : "s");
	else if (m < 48 * 60)
		g_string_append_printf(s, "%" G_GINT64_FORMAT " hours", m / 60);
	else
		g_string_append_printf(s, "%" G_GINT64_FORMAT " days",
				       m / (24 * 60));
}

static void doctor_append_ua(GString *s, const char *ua)
{
	if (ua && *ua)
		g_string_append_printf(s, " (%s)", ua);
}

static char *doctor_text_ban(const struct gateway_doctor_finding *f)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(f->until);
	g_autofree char *hm = t ? g_date_time_format(t, "%H:%M") : NULL;
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "banned until %s after %u failure%s",
			       hm ? hm : "later", f->count,
			       f->count == 1 ? "" : "s");
	if (f->source)
		g_string_append_printf(s, " from %s", f->source);
	return g_string_free(s, FALSE);
}

static char *doctor_text_registered(const struct gateway_doctor_finding *f)
{
	GString *s = g_string_new(NULL);
	bool udp = g_strcmp0(f->transport, "udp") == 0;

	if (udp)
		g_string_append_printf(s, "registered from %s over UDP",
				       f->source);
	else
		g_string_append_printf(s, "registered from a web phone at %s "
				       "over WebSocket", f->source);
	doctor_append_ua(s, f->user_agent);
	return g_string_free(s, FALSE);
}

static char *doctor_text_silence(const struct gateway_doctor_finding *f)
{
	GString *s = g_string_new("no request has reached the server ");

	if (f->code == GATEWAY_DOCTOR_NEVER_SEEN) {
		g_string_append(s, "yet");
	} else {
		g_string_append(s, "in ");
		doctor_append_age(s, f->now - f->at);
	}
	g_string_append(s, ": check the phone's server address, DNS and "
			   "firewall");
	return g_string_free(s, FALSE);
}

/* "<what>[ 9999], N times from IP (UA): <advice>" */
static char *doctor_text_failure(const struct gateway_doctor_finding *f)
{
	GString *s = g_string_new(NULL);
	const char *what = doctor_words[f->code].what;
	const char *advice = doctor_words[f->code].advice;

	g_string_append(s, what ? what : (f->detail ? f->detail : "refused"));
	if (f->code == GATEWAY_DOCTOR_UNKNOWN_EXTENSION && f->extension)
		g_string_append_printf(s, " %s", f->extension);
	if (f->count > 1)
		g_string_append_printf(s, ", %u times", f->count);
	if (f->source)
		g_string_append_printf(s, " from %s", f->source);
	doctor_append_ua(s, f->user_agent);
	if (advice)
		g_string_append_printf(s, ": %s", advice);
	return g_string_free(s, FALSE);
}

char *gateway_doctor_text(const struct gateway_doctor_finding *f)
{
	switch (f->code) {
	case GATEWAY_DOCTOR_BANNED:
		return doctor_text_ban(f);
	case GATEWAY_DOCTOR_REGISTERED:
		return doctor_text_registered(f);
	case GATEWAY_DOCTOR_SILENT:
	case GATEWAY_DOCTOR_NEVER_SEEN:
		return doctor_text_silence(f);
	default:
		return doctor_text_failure(f);
	}
}

/* ---- examining ---- */

/* The address of "ip:port" / "[v6]:port" (g_free). */
char *gateway_doctor_host(const char *source)
{
	const char *colon;

	if (!source)
		return g_strdup("");
	if (source[0] == '[') {
		const char *end = strchr(source, ']');
		return end ? g_strndup(source, (gsize)(end - source + 1))
			   : g_strdup(source);
	}
	colon = strchr(source, ':');
	if (colon && !strchr(colon + 1, ':'))
		return g_strndup(source, (gsize)(colon - source));
	return g_strdup(source);
}

static bool doctor_is_success(const char *outcome)
{
	return g_strcmp0(outcome, "registered") == 0 ||
	       g_strcmp0(outcome, "unregistered") == 0 ||
	       g_strcmp0(outcome, "queried") == 0;
}

static struct gateway_doctor_finding *
doctor_finding(enum gateway_doctor_code code, const char *ext, int64_t now)
{
	struct gateway_doctor_finding *f = g_new0(struct gateway_doctor_finding,
						  1);

	f->code = code;
	f->extension = g_strdup(ext);
	f->now = now;
	f->count = 1;
	return f;
}

/* State of one pass over the attempts, newest first. */
struct doctor_pass {
	const struct gateway_doctor_input *in;
	GHashTable *groups;   /* key -> finding (borrowed from @failures) */
	/* Keyed by "address\nextension": */
	GHashTable *settled;  /* older attempts don't count */
	GHashTable *answered; /* older challenges were answered */
	GHashTable *asked;    /* -> the finding of unanswered challenges */
	GPtrArray *failures;  /* owned findings, newest group first */
	GPtrArray *unanswered;
};

static void doctor_failure(struct doctor_pass *p,
			   const struct gateway_attempt *a,
			   enum gateway_doctor_code code, const char *host)
{
	g_autofree char *key = g_strdup_printf(
		"%d\n%s\n%s\n%s\n%s", code, a->extension ? a->extension : "",
		host, a->user_agent ? a->user_agent : "",
		code == GATEWAY_DOCTOR_OTHER_FAILURE && a->detail ? a->detail
								  : "");
	struct gateway_doctor_finding *f = g_hash_table_lookup(p->groups, key);

	if (f) {
		f->count++;
		return;
	}
	f = doctor_finding(code, a->extension, p->in->now);
	f->source = g_strdup(host);
	f->transport = g_strdup(a->transport);
	f->user_agent = g_strdup(a->user_agent);
	if (code == GATEWAY_DOCTOR_OTHER_FAILURE)
		f->detail = g_strdup(a->detail);
	f->at = a->at;
	g_ptr_array_add(p->failures, f);
	g_hash_table_insert(p->groups, g_steal_pointer(&key), f);
}

/* A challenge counts as unanswered while nothing newer came from its
 * address: the phone never got (or never answered) our 401. Takes @key
 * (address and extension). */
static void doctor_challenge(struct doctor_pass *p,
			     const struct gateway_attempt *a, char *key,
			     const char *host)
{
	struct gateway_doctor_finding *f = g_hash_table_lookup(p->asked, key);

	if (f) {
		f->count++;
		g_free(key);
		return;
	}
	f = doctor_finding(GATEWAY_DOCTOR_CHALLENGE_UNANSWERED, a->extension,
			   p->in->now);
	f->source = g_strdup(host);
	f->transport = g_strdup(a->transport);
	f->user_agent = g_strdup(a->user_agent);
	f->at = a->at;
	g_ptr_array_add(p->unanswered, f);
	g_hash_table_insert(p->asked, key, f);
}

/*
 * Newest first. A success from an address settles everything older from
 * it for that extension; any other answer ends its run of unanswered
 * challenges; failures before the next success add up.
 */
static void doctor_attempt(struct doctor_pass *p,
			   const struct gateway_attempt *a)
{
	const struct gateway_doctor_input *in = p->in;
	g_autofree char *host = gateway_doctor_host(a->source);
	char *key = g_strconcat(host, "\n", a->extension ? a->extension : "",
				NULL);
	enum gateway_doctor_code code;

	if (g_hash_table_contains(p->settled, key)) {
		g_free(key);
		return;
	}
	if (g_strcmp0(a->outcome, "challenged") == 0) {
		if (g_hash_table_contains(p->answered, key))
			g_free(key);
		else
			doctor_challenge(p, a, key, host);
		return;
	}
	g_hash_table_add(p->answered, g_strdup(key));
	if (doctor_is_success(a->outcome)) {
		g_hash_table_add(p->settled, key);
		return;
	}
	g_free(key);
	if (gateway_doctor_code_of_outcome(a->outcome, &code) &&
	    (in->extension || !in->is_extension ||
	     !in->is_extension(in->ctx, a->extension) ||
	     code == GATEWAY_DOCTOR_FOREIGN_DOMAIN))
		doctor_failure(p, a, code, host);
}

static void doctor_bans(const struct gateway_doctor_input *in,
			GHashTable *hosts, GPtrArray *out)
{
	for (unsigned i = 0; i < in->n_bans; i++) {
		const struct gateway_doctor_ban *b = &in->bans[i];
		struct gateway_doctor_finding *f;

		if (in->extension && g_strcmp0(b->extension, in->extension) &&
		    !(b->extension == NULL &&
		      g_hash_table_contains(hosts, b->address)))
			continue;
		f = doctor_finding(GATEWAY_DOCTOR_BANNED, b->extension, in->now);
		f->source = g_strdup(b->address);
		f->until = b->until;
		f->count = b->failures;
		g_ptr_array_add(out, f);
	}
}

static void doctor_collect_hosts(const struct gateway_doctor_input *in,
				 GHashTable *hosts)
{
	for (guint i = 0; in->attempts && i < in->attempts->len; i++) {
		const struct gateway_attempt *a =
			g_ptr_array_index(in->attempts, i);
		g_hash_table_add(hosts, gateway_doctor_host(a->source));
	}
}

static void doctor_presence(const struct gateway_doctor_input *in,
			    GPtrArray *out)
{
	const struct gateway_attempt *newest =
		in->attempts && in->attempts->len
			? g_ptr_array_index(in->attempts, 0) : NULL;
	struct gateway_doctor_finding *f;

	if (!in->extension || !in->exists)
		return;
	if (in->n_bindings == 0 && !newest) {
		g_ptr_array_add(out, doctor_finding(GATEWAY_DOCTOR_NEVER_SEEN,
						    in->extension, in->now));
	} else if (in->n_bindings == 0 &&
		   newest->at + (int64_t)in->silent_after <= in->now) {
		f = doctor_finding(GATEWAY_DOCTOR_SILENT, in->extension,
				   in->now);
		f->at = newest->at;
		g_ptr_array_add(out, f);
	}
	for (unsigned i = 0; i < in->n_bindings; i++) {
		const struct gateway_doctor_binding *b = &in->bindings[i];

		f = doctor_finding(GATEWAY_DOCTOR_REGISTERED, in->extension,
				   in->now);
		f->source = g_strdup(b->source);
		f->transport = g_strdup(b->transport);
		f->user_agent = g_strdup(b->user_agent);
		g_ptr_array_add(out, f);
	}
}

static void doctor_move(GPtrArray *to, GPtrArray *from)
{
	for (guint i = 0; i < from->len; i++)
		g_ptr_array_add(to, g_ptr_array_index(from, i));
	g_ptr_array_set_free_func(from, NULL);
}

GPtrArray *gateway_doctor_examine(const struct gateway_doctor_input *in)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(
		(GDestroyNotify)gateway_doctor_finding_free);
	g_autoptr(GHashTable) hosts = g_hash_table_new_full(
		g_str_hash, g_str_equal, g_free, NULL);
	struct doctor_pass p = {
		.in = in,
		.groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						NULL),
		.settled = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, NULL),
		.answered = g_hash_table_new_full(g_str_hash, g_str_equal,
						  g_free, NULL),
		.asked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       NULL),
		.failures = g_ptr_array_new_with_free_func(
			(GDestroyNotify)gateway_doctor_finding_free),
		.unanswered = g_ptr_array_new_with_free_func(
			(GDestroyNotify)gateway_doctor_finding_free),
	};

	doctor_collect_hosts(in, hosts);
	doctor_bans(in, hosts, out);
	for (guint i = 0; in->attempts && i < in->attempts->len; i++)
		doctor_attempt(&p, g_ptr_array_index(in->attempts, i));
	doctor_move(out, p.failures);
	/* One challenge may be in flight; two unanswered are a pattern. */
	for (guint i = 0; in->extension && i < p.unanswered->len; i++) {
		struct gateway_doctor_finding *f =
			g_ptr_array_index(p.unanswered, i);
		if (f->count >= 2) {
			g_ptr_array_add(out, f);
			p.unanswered->pdata[i] = NULL;
		}
	}
	doctor_presence(in, out);
	g_hash_table_destroy(p.groups);
	g_hash_table_destroy(p.settled);
	g_hash_table_destroy(p.answered);
	g_hash_table_destroy(p.asked);
	g_ptr_array_unref(p.failures);
	g_ptr_array_unref(p.unanswered);
	return out;
}
