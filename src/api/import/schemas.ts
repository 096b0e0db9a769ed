import Type from 'typebox';
import { ArmTime, Guid } from '../schemas.ts';

/** `POST /api/registry/importImage` (spec 6, ACR's importImage body plus includeReferrers [W]). */
export const ImportImageRequest = Type.Object(
  {
    source: Type.Object(
      {
        registryUri: Type.Optional(Type.String({ minLength: 1, description: 'the source registry, host[:port] (docker.io for Docker Hub)' })),
        resourceId: Type.Optional(Type.String({ description: 'another registry of this installation; a Wharf installation has one, so this is refused: use registryUri' })),
        sourceImage: Type.String({ minLength: 1, description: 'repo:tag, repo@sha256:…, or repo:tag@sha256:…' }),
        credentials: Type.Optional(
          Type.Object(
            {
              username: Type.Optional(Type.String({ minLength: 1, description: 'without it, password is a refresh token (null-GUID convention)' })),
              password: Type.String({ minLength: 1, description: 'password, access token or refresh token; used for this import only, never stored or logged' }),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    targetTags: Type.Optional(Type.Array(Type.String({ description: 'repo:tag' }), { maxItems: 50, description: 'default: the source repo:tag' })),
    untaggedTargetRepositories: Type.Optional(Type.Array(Type.String(), { maxItems: 50, description: 'repositories that get the image without a tag' })),
    mode: Type.Optional(Type.Enum(['NoForce', 'Force'], { description: 'NoForce (default): an existing target tag is a 409 Conflict' })),
    includeReferrers: Type.Optional(Type.Boolean({ description: 'also copy referrers (signatures, SBOMs) of every copied manifest, untagged [W]' })),
  },
  { additionalProperties: false },
);

const Progress = Type.Object({
  manifests: Type.Integer({ description: 'manifests stored in the target so far' }),
  blobsCopied: Type.Integer({ description: 'blobs downloaded, verified and stored' }),
  blobsSkipped: Type.Integer({ description: 'blobs already in the target repository (or linked from one the caller may pull)' }),
  bytesCopied: Type.Integer(),
});

/** `GET /api/operations/<id>`: ARM's async operation status, with what an import has done so far. */
export const Operation = Type.Object({
  id: Guid,
  status: Type.Enum(['InProgress', 'Succeeded', 'Failed']),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  source: Type.String({ description: 'host/repo:tag@digest as imported' }),
  targets: Type.Array(Type.String({ description: 'repo:tag, or repo when untagged' })),
  startTime: ArmTime,
  endTime: Type.Optional(ArmTime),
  progress: Progress,
});

export const OperationParams = Type.Object({ id: Type.String() });
