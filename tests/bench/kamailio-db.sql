-- sqlite schema for the Kamailio reference registrar (tests/bench/run.sh).
-- version + subscriber as shipped in /usr/share/kamailio/db_sqlite/
-- (standard-create.sql, auth_db-create.sql); register_attempts mirrors
-- Ovoz's table of the same name, bounded to the newest 10000 rows like
-- Ovoz's attempts_keep default, by a trigger in the INSERT's own
-- transaction (Ovoz: INSERT + DELETE in one transaction).
PRAGMA journal_mode=WAL;
CREATE TABLE version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);
INSERT INTO version (table_name, table_version) values ('version','1');
CREATE TABLE subscriber (
    id INTEGER PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX subscriber_username_idx ON subscriber (username);
INSERT INTO version (table_name, table_version) values ('subscriber','7');
CREATE TABLE register_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    extension TEXT,
    source TEXT,
    transport TEXT,
    user_agent TEXT,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    detail TEXT);
CREATE INDEX register_attempts_ext ON register_attempts (extension, id);
CREATE TRIGGER register_attempts_keep AFTER INSERT ON register_attempts
BEGIN
    DELETE FROM register_attempts WHERE id <= NEW.id - 10000;
END;
