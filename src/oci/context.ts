import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ReadListLocks } from '../acr/read-list-locks.ts';
import type { AccessGate } from '../auth/access-gate.ts';
import type { Metrics } from '../http/metrics.ts';
import type { EventRecorder } from '../events/recorder.ts';
import type { BlobService } from './blob-service.ts';
import type { ManifestService } from './manifest-service.ts';
import type { SignedServing } from './signed-serving.ts';
import type { MatchedRoute } from './router.ts';
import type { UploadService } from './upload-service.ts';

export interface OciDeps {
  blobs: BlobService;
  uploads: UploadService;
  manifests: ManifestService;
  access: AccessGate;
  metrics: Metrics;
  /** Largest page for tags, catalog and referrers. */
  pageSize: number;
  /** The content trust policy's `enforced` rules (spec 5.3); absent: everything is served. */
  signed?: SignedServing;
  /** The audit log and webhooks (pushes, deletes, refused pulls); absent: nothing is recorded. */
  events?: EventRecorder;
  /** ACR's readEnabled (refuses manifest and blob reads) and listEnabled (hides tags); absent: not enforced. */
  locks?: ReadListLocks;
}

export interface OciContext {
  req: FastifyRequest;
  reply: FastifyReply;
  match: MatchedRoute;
  query: URLSearchParams;
  deps: OciDeps;
}

export type OciHandler = (ctx: OciContext) => Promise<void>;
export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
export type RouteHandlers = Partial<Record<Method, OciHandler>>;
