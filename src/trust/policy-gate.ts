import { WharfError } from '../errors/wharf-error.ts';
import type { TrustHandler } from '../oci/plugin.ts';
import type { GunPolicy } from './gun.ts';
import type { TrustPolicyReader } from './policy.ts';
import type { SignedTagsCache } from './signed-tags-cache.ts';

/**
 * The trust API under the content trust policy (spec 5.2), for TrustRouteOptions.policyCheck:
 * where the policy is `disabled` every trust route answers 404 METADATA_NOT_FOUND, as for a
 * repository without trust data (so a DCT push fails client-side with "trust data unavailable"),
 * with a message that names the policy. Asked after authorization, so that clients still get
 * their challenge first. The registry-wide changefeed is served while any repository may have
 * trust data.
 */
export function trustPolicyCheck(policy: TrustPolicyReader, registryName: string): (repo: string | undefined) => Promise<void> {
  return async (repo) => {
    const current = await policy.policy();
    const disabled = repo === undefined
      ? current.status === 'disabled' && current.overrides.every((o) => o.status === 'disabled')
      : (await policy.statusFor(repo)) === 'disabled';
    if (disabled) throw trustDisabled(repo, registryName);
  };
}

/** Tells the signed-tags cache about every write through the trust API, so that `enforced` serving sees it at once. */
export function invalidatingWrites(handler: TrustHandler, gunPolicy: GunPolicy, signedTags: SignedTagsCache): TrustHandler {
  return async (req, reply, gunPath, rest) => {
    try {
      await handler(req, reply, gunPath, rest);
    } finally {
      const parsed = req.method === 'POST' || req.method === 'DELETE' ? gunPolicy.parse(gunPath) : undefined;
      if (parsed) signedTags.invalidate(parsed.gun);
    }
  };
}

function trustDisabled(repo: string | undefined, registryName: string): WharfError {
  const where = repo === undefined ? 'this registry' : `repository ${repo}`;
  const enable = `wharf config content-trust update -n ${registryName} --status enabled${repo === undefined ? '' : ` [--repository ${repo}]`}`;
  return new WharfError(
    'METADATA_NOT_FOUND',
    `content trust is disabled for ${where} by the registry's content trust policy; an Owner or Contributor enables it with: ${enable}`,
    { detail: { reason: 'content trust policy: disabled' } },
  );
}
