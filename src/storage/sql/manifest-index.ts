import type { Transaction } from 'kysely';
import type { Digest } from '../../oci/digest.ts';
import type { RepoName } from '../../oci/names.ts';
import type { ManifestIndex, ManifestInput, ReferrerRecord, StoredManifest } from '../metadata-store.ts';
import { isRetryable } from './errors.ts';
import { preparedQuery } from './prepared.ts';
import type { Database, ManifestRefRow, SqlContext } from './schema.ts';

/** Thrown inside put's transaction to roll back the link refresh when references are missing. */
class MissingReferences extends Error {
  constructor(readonly missing: Digest[]) {
    super('manifest references are missing');
  }
}

// Two pushes sharing layers lock the same links; PostgreSQL may pick one as a deadlock victim.
const PUT_ATTEMPTS = 3;

/** Manifests, their references and referrers. The GET path (get) is a single primary-key lookup. */
export function manifestIndex(ctx: SqlContext): ManifestIndex {
  const { db } = ctx;
  const getManifest = preparedQuery(
    db,
    db.selectFrom('manifests').select(['media_type', 'content', 'created_at']).where('repo', '=', '').where('digest', '=', ''),
  );
  return {
    async put(input: ManifestInput): Promise<{ missing: Digest[] }> {
      for (let attempt = 1; ; attempt++) {
        try {
          await db.transaction().execute((trx) => putInTransaction(ctx, trx, input));
          return { missing: [] };
        } catch (err) {
          if (err instanceof MissingReferences) return { missing: err.missing };
          if (attempt < PUT_ATTEMPTS && isRetryable(err)) continue;
          throw err;
        }
      }
    },

    async get(repo: RepoName, digest: Digest): Promise<StoredManifest | undefined> {
      const [row] = await getManifest(repo, digest);
      return row && { digest, mediaType: row.media_type, bytes: row.content, createdAt: row.created_at };
    },

    async delete(repo: RepoName, digest: Digest): Promise<boolean> {
      // manifest_refs and tags rows go with it (ON DELETE CASCADE), in the same statement.
      const result = await db.deleteFrom('manifests').where('repo', '=', repo).where('digest', '=', digest).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async referrers(repo: RepoName, subject: Digest, artifactType?: string): Promise<ReferrerRecord[]> {
      const rows = await db
        .selectFrom('manifests')
        .select(['digest', 'media_type', 'size', 'artifact_type', 'annotations'])
        .where('repo', '=', repo)
        .where('subject', '=', subject)
        .$if(artifactType !== undefined, (qb) => qb.where('artifact_type', '=', artifactType ?? ''))
        .orderBy('digest')
        .execute();
      return rows.map((row) => {
        const record: ReferrerRecord = { digest: row.digest as Digest, mediaType: row.media_type, size: row.size };
        if (row.artifact_type !== null) record.artifactType = row.artifact_type;
        if (row.annotations !== null) record.annotations = row.annotations;
        return record;
      });
    },
  };
}

/**
 * Checks the references, then writes manifest, refs, tag and repository; throws
 * MissingReferences (rolling back) when a reference is missing.
 */
async function putInTransaction(ctx: SqlContext, trx: Transaction<Database>, input: ManifestInput): Promise<void> {
  const at = ctx.now();
  const blobRefs = [...new Set(input.blobRefs)];
  const manifestRefs = [...new Set(input.manifestRefs)];
  const missing = [
    ...(await refreshLinks(trx, input.repo, blobRefs, at)),
    ...(await presentManifests(ctx, trx, input.repo, manifestRefs)),
  ];
  if (missing.length > 0) throw new MissingReferences([...new Set(missing)].sort());
  await writeManifest(trx, input, blobRefs, manifestRefs, at);
}

/**
 * Sets last_used_at on the links and returns the blobs that are not linked. Being an UPDATE (a
 * row lock on PostgreSQL), it makes a concurrent unusedLinks sweep wait and re-check
 * last_used_at, which is then too recent to qualify; a link the sweep removed first is missing.
 */
async function refreshLinks(trx: Transaction<Database>, repo: RepoName, blobRefs: Digest[], at: number): Promise<Digest[]> {
  if (blobRefs.length === 0) return [];
  const refreshed = await trx
    .updateTable('repository_blobs')
    .set({ last_used_at: at })
    .where('repo', '=', repo)
    .where('digest', 'in', blobRefs)
    .returning('digest')
    .execute();
  if (refreshed.length === blobRefs.length) return [];
  const linked = new Set(refreshed.map((row) => row.digest));
  return blobRefs.filter((ref) => !linked.has(ref));
}

/** Returns the children that are not manifests of the repository; locks the others on PostgreSQL. */
async function presentManifests(ctx: SqlContext, trx: Transaction<Database>, repo: RepoName, refs: Digest[]): Promise<Digest[]> {
  if (refs.length === 0) return [];
  const present = await trx
    .selectFrom('manifests')
    .select('digest')
    .where('repo', '=', repo)
    .where('digest', 'in', refs)
    .$if(ctx.kind === 'postgres', (qb) => qb.forShare())
    .execute();
  const found = new Set(present.map((row) => row.digest));
  return refs.filter((ref) => !found.has(ref));
}

async function writeManifest(
  trx: Transaction<Database>,
  input: ManifestInput,
  blobRefs: Digest[],
  manifestRefs: Digest[],
  at: number,
): Promise<void> {
  const { repo, digest } = input;
  await trx.insertInto('repositories').values({ name: repo, created_at: at }).onConflict((oc) => oc.column('name').doNothing()).execute();
  // The same digest means the same bytes: a re-put keeps the first row (and its created_at).
  await trx
    .insertInto('manifests')
    .values({
      repo,
      digest,
      media_type: input.mediaType,
      size: input.bytes.length,
      content: input.bytes,
      subject: input.subject ?? null,
      artifact_type: input.artifactType ?? null,
      annotations: input.annotations ?? null,
      created_at: at,
    })
    .onConflict((oc) => oc.columns(['repo', 'digest']).doNothing())
    .execute();

  const refs = new Map<string, ManifestRefRow>();
  for (const child of manifestRefs) refs.set(child, { repo, manifest_digest: digest, child, kind: 'manifest' });
  for (const child of blobRefs) refs.set(child, { repo, manifest_digest: digest, child, kind: 'blob' });
  if (refs.size > 0) {
    await trx
      .insertInto('manifest_refs')
      .values([...refs.values()])
      .onConflict((oc) => oc.columns(['repo', 'manifest_digest', 'child']).doNothing())
      .execute();
  }

  if (input.tag !== undefined) {
    await trx
      .insertInto('tags')
      .values({ repo, tag: input.tag, digest, created_at: at, updated_at: at })
      .onConflict((oc) => oc.columns(['repo', 'tag']).doUpdateSet({ digest, updated_at: at }))
      .execute();
  }
}
