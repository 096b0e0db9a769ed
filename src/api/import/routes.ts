import type { RepositoryPattern } from '../../auth/repository-pattern.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { ImportService } from '../../import/import-service.ts';
import type { ImportOperation } from '../../import/import-operations.ts';
import type { RepoName } from '../../oci/names.ts';
import type { Caller } from '../caller.ts';
import { callerOf, type ApiApp, type ApiContext } from '../context.ts';
import { armTime } from '../resource-ids.ts';
import { errors } from '../schemas.ts';
import { toImportRequest } from './request.ts';
import { ImportImageRequest, Operation, OperationParams } from './schemas.ts';

/**
 * `POST /api/registry/importImage` (wharf import) → 202 with `Location: /api/operations/<id>`, and
 * that operation. Needs repository/import on every target repository (Owner or Contributor at
 * registry scope or on those repositories, spec 3).
 */
export async function importRoutes(app: ApiApp, opts: { ctx: ApiContext; imports: ImportService }): Promise<void> {
  const { ctx, imports } = opts;
  const tags = ['import'];
  app.addHook('onClose', async () => imports.close());

  app.post('/registry/importImage', {
    schema: {
      operationId: 'registry_importImage', summary: 'Import an image from another registry (wharf import); repository/import on the targets', tags,
      body: ImportImageRequest, response: { 202: Operation, ...errors(400, 409) },
    },
  }, async (req, reply) => {
    const caller = callerOf(req);
    const request = toImportRequest(req.body);
    for (const repo of new Set([...request.targetTags.map((t) => t.repo), ...request.untaggedRepositories])) {
      await ctx.authz.require(caller, 'repository/import', repositoryScope(repo));
    }
    const op = await imports.start(request, { principalId: caller.objectId, mayPull: (repo) => mayPull(ctx, caller, repo) });
    return reply.code(202).header('location', `/api/operations/${op.id}`).send(presentOperation(op));
  });

  app.get('/operations/:id', {
    schema: {
      operationId: 'operations_show', summary: 'An import operation started by the caller: InProgress, Succeeded or Failed', tags,
      params: OperationParams, response: { 200: Operation, ...errors(404) },
    },
  }, async (req) => {
    const op = await imports.operation(req.params.id, callerOf(req).objectId);
    if (op === undefined) throw new WharfError('NOT_FOUND_RESOURCE', `no operation ${req.params.id} started by you (finished operations are kept for 7 days)`);
    return presentOperation(op);
  });
}

function repositoryScope(repo: RepoName) {
  return { kind: 'repository' as const, pattern: repo as string as RepositoryPattern };
}

/** Blobs are linked from another repository only if the caller could pull them from there itself. */
async function mayPull(ctx: ApiContext, caller: Caller, repo: RepoName): Promise<boolean> {
  return (await ctx.authz.heldAt(caller, repositoryScope(repo))).has('content/read');
}

function presentOperation(op: ImportOperation) {
  return {
    id: op.id,
    status: op.status,
    ...(op.error && { error: op.error }),
    source: op.source,
    targets: [...op.targets],
    startTime: armTime(op.startedAt),
    ...(op.endedAt !== undefined && { endTime: armTime(op.endedAt) }),
    progress: { ...op.progress },
  };
}
