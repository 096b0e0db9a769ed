-- notary-signer 0.7's key storage schema for MySQL/MariaDB, written for the bench from the signer's
-- key store model (Debian's notary package ships no migrations): one row per private key,
-- encrypted (JWE, PBES2 key wrap) under the passphrase of its alias.
CREATE TABLE private_keys (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  created_at TIMESTAMP NULL DEFAULT NULL,
  updated_at TIMESTAMP NULL DEFAULT NULL,
  deleted_at TIMESTAMP NULL DEFAULT NULL,
  key_id VARCHAR(255) NOT NULL,
  encryption_alg VARCHAR(255) NOT NULL,
  keywrap_alg VARCHAR(255) NOT NULL,
  algorithm VARCHAR(50) NOT NULL,
  passphrase_alias VARCHAR(50) NOT NULL,
  gun VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  public BLOB NOT NULL,
  private BLOB NOT NULL,
  last_used DATETIME NULL DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY key_id (key_id),
  KEY key_id_idx (key_id),
  KEY deleted_at_idx (deleted_at),
  KEY gun_role_algorithm_idx (gun, role, algorithm)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
