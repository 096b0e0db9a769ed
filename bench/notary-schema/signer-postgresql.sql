-- notary-signer 0.7's key storage schema for PostgreSQL, written for the bench from the signer's
-- key store model (Debian's notary package ships no migrations); same table as signer-mysql.sql.
CREATE TABLE private_keys (
  id SERIAL PRIMARY KEY,
  created_at TIMESTAMP NULL,
  updated_at TIMESTAMP NULL,
  deleted_at TIMESTAMP NULL,
  key_id VARCHAR(255) NOT NULL UNIQUE,
  encryption_alg VARCHAR(255) NOT NULL,
  keywrap_alg VARCHAR(255) NOT NULL,
  algorithm VARCHAR(50) NOT NULL,
  passphrase_alias VARCHAR(50) NOT NULL,
  gun VARCHAR(255) NOT NULL,
  role VARCHAR(255) NOT NULL,
  public BYTEA NOT NULL,
  private BYTEA NOT NULL,
  last_used TIMESTAMP NULL DEFAULT NULL
);
CREATE INDEX private_keys_deleted_at_idx ON private_keys (deleted_at);
CREATE INDEX private_keys_gun_role_algorithm_idx ON private_keys (gun, role, algorithm);
