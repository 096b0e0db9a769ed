import { newGuid } from '../auth/secrets.ts';
import type { Config } from '../config/schema.ts';
import type { RegistrySettingsChange, RegistrySettingsRecord, RegistrySettingsStore } from '../storage/metadata-store.ts';
import { serializeTrustPolicy } from '../trust/policy.ts';
import { registryResourceId } from './resource-ids.ts';

// anonymousPullEnabled is read at every anonymous token request and /v2 check. A change made on
// this node clears the copy; other nodes see it within this time.
const CACHE_MS = 1_000;

/**
 * The registry resource of this installation: its fixed identity (name, installation id, resource
 * id) and its settings, read through a short cache because the token service asks on hot paths.
 */
export class RegistrySettings {
  readonly #store: RegistrySettingsStore;
  readonly #record: RegistrySettingsRecord;
  #cached: { record: RegistrySettingsRecord; until: number } | undefined;

  private constructor(store: RegistrySettingsStore, record: RegistrySettingsRecord) {
    this.#store = store;
    this.#record = record;
  }

  /**
   * The record made at first start (installation id generated, anonymousPullEnabled seeded from
   * auth.anonymousPull, the content trust policy from trust.policy), or the existing one. Refuses a registry.name other than the stored one:
   * the name is part of every resource id and the admin account's login name.
   */
  static async open(store: RegistrySettingsStore, config: Config): Promise<RegistrySettings> {
    let record = await store.ensure({ installationId: newGuid(), name: config.registry.name, anonymousPullEnabled: config.auth.anonymousPull });
    if (record.trustPolicy === undefined) {
      record = (await store.update({ trustPolicy: serializeTrustPolicy({ status: config.trust.policy, overrides: [] }) })) ?? record;
    }
    if (record.name !== config.registry.name) {
      throw new Error(`registry.name is "${config.registry.name}" but this installation's registry was named "${record.name}" at first start; the name cannot change`);
    }
    return new RegistrySettings(store, record);
  }

  get name(): string {
    return this.#record.name;
  }

  get installationId(): string {
    return this.#record.installationId;
  }

  get createdAt(): number {
    return this.#record.createdAt;
  }

  /** `<registryId>`: the scope of registry-wide role assignments. */
  get id(): string {
    return registryResourceId(this.#record.installationId, this.#record.name);
  }

  /** The settings as stored now (at most CACHE_MS old when `cached`). */
  async current(opts: { cached?: boolean } = {}): Promise<RegistrySettingsRecord> {
    const now = Date.now();
    if (opts.cached && this.#cached && this.#cached.until > now) return this.#cached.record;
    const record = (await this.#store.get()) ?? this.#record;
    this.#cached = { record, until: now + CACHE_MS };
    return record;
  }

  async anonymousPullEnabled(): Promise<boolean> {
    return (await this.current({ cached: true })).anonymousPullEnabled;
  }

  /** The stored content trust policy text (src/trust/policy.ts), at most CACHE_MS old. */
  async trustPolicyText(): Promise<string | undefined> {
    return (await this.current({ cached: true })).trustPolicy;
  }

  async update(change: RegistrySettingsChange): Promise<RegistrySettingsRecord> {
    this.#cached = undefined;
    const record = (await this.#store.update(change)) ?? this.#record;
    this.#cached = { record, until: Date.now() + CACHE_MS };
    return record;
  }
}
