-- notary-server 0.7's SQL storage schema for PostgreSQL, written for the bench from the server's
-- storage models (Debian's notary package ships no migrations); same tables as mysql.sql.
CREATE TABLE tuf_files (
  id SERIAL PRIMARY KEY,
  created_at TIMESTAMP NULL,
  updated_at TIMESTAMP NULL,
  deleted_at TIMESTAMP NULL,
  gun VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  version INTEGER NOT NULL,
  sha256 CHAR(64) DEFAULT NULL,
  data BYTEA NOT NULL,
  UNIQUE (gun, role, version)
);
CREATE INDEX tuf_files_gun_idx ON tuf_files (gun);
CREATE INDEX tuf_files_sha256_idx ON tuf_files (sha256);
CREATE INDEX tuf_files_deleted_at_idx ON tuf_files (deleted_at);

CREATE TABLE changefeed (
  id SERIAL PRIMARY KEY,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  gun VARCHAR(255) NOT NULL,
  version INTEGER NOT NULL,
  sha256 CHAR(64) DEFAULT NULL,
  category VARCHAR(20) NOT NULL DEFAULT 'update'
);
CREATE INDEX changefeed_gun_idx ON changefeed (gun);
