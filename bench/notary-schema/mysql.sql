-- notary-server 0.7's SQL storage schema for MySQL/MariaDB, written for the bench from the server's
-- storage models (Debian's notary package ships no migrations). Two tables: every stored version of
-- every TUF file, and the changefeed that each new timestamp (or a deletion) appends to.
CREATE TABLE tuf_files (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  created_at TIMESTAMP NULL DEFAULT NULL,
  updated_at TIMESTAMP NULL DEFAULT NULL,
  deleted_at TIMESTAMP NULL DEFAULT NULL,
  gun VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  version INT NOT NULL,
  sha256 CHAR(64) DEFAULT NULL,
  data LONGBLOB NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY gun_role_version (gun, role, version),
  KEY gun_idx (gun),
  KEY sha256_idx (sha256),
  KEY deleted_at_idx (deleted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE changefeed (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  created_at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP,
  gun VARCHAR(255) NOT NULL,
  version INT NOT NULL,
  sha256 CHAR(64) DEFAULT NULL,
  category VARCHAR(20) NOT NULL DEFAULT 'update',
  PRIMARY KEY (id),
  KEY changefeed_gun_idx (gun)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
