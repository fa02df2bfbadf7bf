/*
 * gateway/doctor.h - the registration doctor: why does a phone (not)
 * register, in plain words. It reads what Ovoz already keeps - REGISTER
 * attempts, live bindings and bans - and turns it into findings, each a
 * machine code and one sentence an operator can act on.
 *
 * The wording lives only here: the REST API (gateway/api_doctor.c) and
 * the log lines (gateway/app.c) call gateway_doctor_text(), so both say
 * the same words.
 *
 * Pure functions over their arguments (no I/O, no globals); any thread.
 */
#ifndef OVOZ_GATEWAY_DOCTOR_H
#define OVOZ_GATEWAY_DOCTOR_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum gateway_doctor_code {
	GATEWAY_DOCTOR_BANNED = 0,
	GATEWAY_DOCTOR_WRONG_PASSWORD,
	GATEWAY_DOCTOR_UNKNOWN_EXTENSION,
	GATEWAY_DOCTOR_CREDENTIAL_EXPIRED,
	GATEWAY_DOCTOR_USERNAME_MISMATCH,
	GATEWAY_DOCTOR_FOREIGN_DOMAIN,
	GATEWAY_DOCTOR_INTERVAL_TOO_BRIEF,
	GATEWAY_DOCTOR_OTHER_FAILURE,      /* any other refusal: its detail */
	GATEWAY_DOCTOR_CHALLENGE_UNANSWERED,
	GATEWAY_DOCTOR_SILENT,             /* nothing heard for a while */
	GATEWAY_DOCTOR_NEVER_SEEN,         /* nothing heard at all */
	GATEWAY_DOCTOR_REGISTERED,
	GATEWAY_DOCTOR_CODE_COUNT,
};

/** One finding. Strings are owned (g_free) unless stated. */
struct gateway_doctor_finding {
	enum gateway_doctor_code code;
	char *extension;
	char *source;      /* "ip" of the sender, "ip:port" for a binding */
	char *transport;   /* "udp", "wss" or NULL */
	char *user_agent;  /* or NULL */
	char *detail;      /* OTHER_FAILURE: the attempt's detail */
	unsigned count;    /* attempts grouped here (>= 1), failures of a ban */
	int64_t at;        /* newest attempt (unix s); SILENT: last heard */
	int64_t until;     /* BANNED: end of the ban (unix s) */
	int64_t now;       /* when examined, for "N minutes" */
};

void gateway_doctor_finding_free(struct gateway_doctor_finding *f);

/** Stable machine name: "wrong_password", "registered", ... */
const char *gateway_doctor_code_name(enum gateway_doctor_code code);
/** "ok", "warning" or "error". */
const char *gateway_doctor_severity(enum gateway_doctor_code code);

/**
 * gateway_doctor_text() - the finding in plain words, e.g.
 * "wrong password, 3 times from 203.0.113.5 (MicroSIP 3.21)". g_free.
 * Peer-chosen text (user agent, extension) is passed through as is: the
 * caller escapes it for a log line; JSON needs nothing more.
 */
char *gateway_doctor_text(const struct gateway_doctor_finding *f);

/** The attempt outcome ("wrong_password", ...) a finding stands for, or
 *  false for outcomes that are no problem (registered, challenged...). */
bool gateway_doctor_code_of_outcome(const char *outcome,
				    enum gateway_doctor_code *code);

/** The address part of "ip:port" or "[v6]:port" (g_free); "" for NULL. */
char *gateway_doctor_host(const char *source);

/** A live binding, as the registrar reports it. Borrowed strings. */
struct gateway_doctor_binding {
	const char *source;    /* "ip:port" */
	const char *transport; /* "udp", "wss" */
	const char *user_agent;
};

/** A ban in force. Borrowed strings. */
struct gateway_doctor_ban {
	const char *address;   /* banned address */
	const char *extension; /* NULL: every extension */
	int64_t until;
	unsigned failures;
};

struct gateway_doctor_input {
	/* The extension examined; NULL: server-wide (failures naming
	 * extensions that do not exist, and every ban). */
	const char *extension;
	bool exists;                /* the extension is configured */
	GPtrArray *attempts;        /* struct gateway_attempt, newest first */
	const struct gateway_doctor_binding *bindings;
	unsigned n_bindings;
	const struct gateway_doctor_ban *bans;
	unsigned n_bans;
	/* Server-wide only: is this extension configured? */
	bool (*is_extension)(void *ctx, const char *ext);
	void *ctx;
	int64_t now;
	unsigned silent_after;      /* seconds; 600 */
};

/**
 * gateway_doctor_examine() - the findings for @in, most serious first:
 * bans, failures (grouped by outcome, sender address and User-Agent,
 * newest group first, counting only attempts after that address's last
 * success), challenges never answered, silence, then live bindings.
 * Returns a new array of struct gateway_doctor_finding (free func set).
 */
GPtrArray *gateway_doctor_examine(const struct gateway_doctor_input *in);

#endif
