-- korsync's PostgreSQL roles: a writer that owns and migrates the mirror, and a read-only
-- reporting role for BI tools. Run as a superuser (psql -v db=korsync -f roles.sql), then set
-- passwords with \password. `korsync db grant-reader ROLE` does the reader part as the writer.

CREATE ROLE korsync LOGIN;                -- the daemon: runs `korsync db upgrade` and syncs
CREATE ROLE korsync_reader NOLOGIN;       -- group role for reporting
CREATE ROLE metabase LOGIN IN ROLE korsync_reader;   -- one login per BI tool or analyst

CREATE DATABASE korsync OWNER korsync;
\connect korsync
-- Since PostgreSQL 15 only the owner may create in "public"; the writer owns the database.
GRANT CREATE, USAGE ON SCHEMA public TO korsync;

GRANT CONNECT ON DATABASE korsync TO korsync_reader;
GRANT USAGE ON SCHEMA public TO korsync_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO korsync_reader;  -- tables and views so far
-- Tables and views that later migrations create (they run as korsync) stay readable:
ALTER DEFAULT PRIVILEGES FOR ROLE korsync IN SCHEMA public GRANT SELECT ON TABLES TO korsync_reader;
