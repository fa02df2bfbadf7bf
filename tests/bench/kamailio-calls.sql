-- Call-setup benchmark (run.sh MODE=calls): applied after kamailio-db.sql.
-- Mirrors Ovoz's `calls` table (gateway/store.c): same columns, UNIQUE
-- call_id and the same three indexes, so that Kamailio's INSERT at call
-- start and UPDATEs at answer and end touch the same B-trees as Ovoz's.
CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id TEXT NOT NULL UNIQUE,
    caller TEXT NOT NULL,
    caller_transport TEXT NOT NULL,
    callee TEXT NOT NULL,
    callee_transport TEXT,
    started_at INTEGER NOT NULL,
    answered_at INTEGER,
    ended_at INTEGER,
    duration INTEGER,
    disposition TEXT,
    status INTEGER,
    hangup_by TEXT);
CREATE INDEX calls_started ON calls (started_at);
CREATE INDEX calls_caller ON calls (caller, started_at);
CREATE INDEX calls_callee ON calls (callee, started_at);
