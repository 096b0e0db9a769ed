import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ApiClient } from './api-client.ts';
import { CliError } from './cli-error.ts';
import type { HealthCheck } from './health-check.ts';
import { probeTcp, probeTls } from './health-probes.ts';
import { send, type Endpoint, type HttpResponse } from './http-client.ts';
import { ENFORCE_HINT } from './local-client-checks.ts';

/** The registry check-health looks at, from the CLI config (-n) or an address given. */
export interface HealthTarget {
  readonly url: string;
  readonly loginServer: string;
  readonly caFile?: string;
  /** The stored login's refresh token, when there is one: lets the token and policy checks go further. */
  readonly refreshToken?: string;
}

const DAY_MS = 86_400_000;
/** A certificate expiring sooner than this is reported (as az and most monitors do). */
export const CERT_WARNING_DAYS = 30;
/** Clock differences above this are reported: certificate validity and token expiry depend on both clocks. */
export const CLOCK_SKEW_WARNING_S = 60;

/**
 * The registry's checks in order, each yielded as soon as it is known; a failure that leaves the
 * next checks nothing to work with (no address, no connection) ends the sequence.
 */
export async function* registryChecks(target: HealthTarget, dockerLacksDct: boolean): AsyncGenerator<HealthCheck> {
  const url = new URL(target.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const endpoint: Endpoint = { url: target.url, caFile: target.caFile };

  const dns = await dnsCheck(host);
  yield dns;
  if (dns.status === 'error') return;

  const tls = await connectionCheck(url, target);
  yield* tls;
  if (tls.some((c) => c.status === 'error')) return;

  const sentAt = Date.now();
  let challenge: HttpResponse;
  try {
    challenge = await send(endpoint, '/v2/', { method: 'GET', timeoutMs: 10_000 });
  } catch (err) {
    yield { name: 'challenge', status: 'error', kind: 'network', code: 'CONNECTIVITY_CHALLENGE_ERROR', message: (err as Error).message };
    return;
  }
  const receivedAt = Date.now();
  const realm = bearerRealm(challenge);
  if (challenge.status !== 200 && realm === undefined) {
    yield {
      name: 'challenge', status: 'error', kind: 'server', code: 'CONNECTIVITY_CHALLENGE_ERROR',
      message: `GET ${target.url}/v2/ answered ${challenge.status} without a Bearer challenge`, hint: 'is this address a Wharf (or another OCI) registry?',
    };
    return;
  }
  yield { name: 'challenge', status: 'ok', message: `Challenge endpoint ${target.url}/v2/`, details: { status: challenge.status, authEnabled: realm !== undefined } };
  yield clockSkewCheck(challenge, sentAt, receivedAt, target.loginServer);
  yield await tokenCheck(endpoint, target, realm);
  yield await trustServerCheck(endpoint, target.url);
  yield await policyCheck(endpoint, target, dockerLacksDct);
}

async function dnsCheck(host: string): Promise<HealthCheck> {
  try {
    const { address } = isIP(host) === 0 ? await lookup(host) : { address: host };
    return { name: 'dns', status: 'ok', message: `DNS lookup to ${host} at IP ${address}`, details: { address } };
  } catch (err) {
    return {
      name: 'dns', status: 'error', kind: 'network', code: 'CONNECTIVITY_DNS_ERROR',
      message: `DNS lookup to ${host} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, hint: 'check the registry address (wharf login <host:port>, -n)',
    };
  }
}

/** Reachability, then for HTTPS whether the certificate is trusted and how long it stays valid. */
async function connectionCheck(url: URL, target: HealthTarget): Promise<HealthCheck[]> {
  const unreachable = (err: unknown): HealthCheck => ({
    name: 'connection', status: 'error', kind: 'network', code: 'CONNECTIVITY_ERROR',
    message: `cannot reach ${target.loginServer}: ${(err as Error).message}`, hint: 'is Wharf running and listening there (wharf serve --listen)? Check the port and any firewall in between',
  });
  if (url.protocol === 'http:') {
    try {
      await probeTcp(url);
    } catch (err) {
      return [unreachable(err)];
    }
    return [
      { name: 'connection', status: 'ok', message: `Connection to ${target.loginServer}` },
      { name: 'tls', status: 'warning', code: 'TLS_NOT_USED', message: `${target.loginServer} serves plain HTTP`, hint: 'docker then needs it listed in insecure-registries; serve HTTPS (wharf serve without --no-tls)' },
    ];
  }
  let probe;
  try {
    probe = await probeTls(url, target.caFile);
  } catch (err) {
    return [unreachable(err)];
  }
  const connection: HealthCheck = { name: 'connection', status: 'ok', message: `Connection to ${target.loginServer}` };
  const validTo = probe.validTo?.toISOString();
  const daysLeft = probe.validTo === undefined ? undefined : Math.floor((probe.validTo.getTime() - Date.now()) / DAY_MS);
  const details = { subject: probe.subject, validTo, daysLeft, trusted: probe.trusted };
  if (!probe.trusted) {
    const expired = probe.reason === 'CERT_HAS_EXPIRED';
    return [connection, {
      name: 'tls', status: 'error', kind: 'network', code: 'CONNECTIVITY_SSL_ERROR', details,
      message: `the TLS certificate of ${target.loginServer} is not trusted: ${probe.reason ?? 'unknown reason'}${expired ? ` (expired ${validTo})` : ''}`,
      hint: expired ? 'renew the certificate (--tls-cert/--tls-key), or restart Wharf to re-issue its generated one'
        : "trust the registry's CA: --ca-file <ca.crt> (Wharf's generated one is <data>/tls/ca.crt), kept by wharf login",
    }];
  }
  if (daysLeft !== undefined && daysLeft < CERT_WARNING_DAYS) {
    return [connection, {
      name: 'tls', status: 'warning', code: 'TLS_CERTIFICATE_EXPIRING', details,
      message: `the TLS certificate of ${target.loginServer} (${probe.subject}) expires in ${daysLeft} day(s), at ${validTo}`,
      hint: 'renew the files given to --tls-cert/--tls-key; a certificate Wharf generated is re-issued when it restarts',
    }];
  }
  return [connection, { name: 'tls', status: 'ok', message: `TLS certificate of ${target.loginServer} (${probe.subject}), trusted, expires ${validTo} (in ${daysLeft} days)`, details }];
}

/** The server's Date header against the local clock at the request's midpoint; Date has 1 s resolution. */
function clockSkewCheck(res: HttpResponse, sentAt: number, receivedAt: number, loginServer: string): HealthCheck {
  const date = Date.parse(String(res.headers.date));
  if (Number.isNaN(date)) {
    return { name: 'clockSkew', status: 'skipped', message: `Clock skew with ${loginServer}: the answer had no Date header` };
  }
  const skewSeconds = Math.round((date + 500 - (sentAt + receivedAt) / 2) / 1000);
  const details = { skewSeconds, serverTime: new Date(date).toISOString() };
  if (Math.abs(skewSeconds) > CLOCK_SKEW_WARNING_S) {
    return {
      name: 'clockSkew', status: 'warning', code: 'CLOCK_SKEW', details,
      message: `the clock of ${loginServer} is ${Math.abs(skewSeconds)} s ${skewSeconds > 0 ? 'ahead of' : 'behind'} this machine's`,
      hint: 'synchronise both clocks (NTP): certificate validity, token expiry and TUF expiry dates are judged by them',
    };
  }
  return { name: 'clockSkew', status: 'ok', message: `Clock skew with ${loginServer}: ${skewSeconds} s`, details };
}

function bearerRealm(res: HttpResponse): URL | undefined {
  const header = res.headers['www-authenticate'];
  if (res.status !== 401 || typeof header !== 'string' || !/^bearer\s/i.test(header)) return undefined;
  const realm = /realm="([^"]+)"/i.exec(header)?.[1];
  try {
    return realm === undefined ? undefined : new URL(realm);
  } catch {
    return undefined;
  }
}

/**
 * The token endpoint named by the challenge: with the stored login, a refresh-token grant (not
 * offline, so the login's refresh token is not replaced); without one, an anonymous token.
 */
async function tokenCheck(endpoint: Endpoint, target: HealthTarget, realm: URL | undefined): Promise<HealthCheck> {
  const name = 'token';
  if (realm === undefined) return { name, status: 'skipped', message: `Fetch access token for registry '${target.loginServer}': auth is not enabled there` };
  const tokenEndpoint: Endpoint = { url: realm.origin, caFile: endpoint.caFile };
  const service = target.loginServer;
  let res: HttpResponse;
  try {
    res = target.refreshToken === undefined
      ? await send(tokenEndpoint, `${realm.pathname}?service=${encodeURIComponent(service)}`, { method: 'GET', timeoutMs: 10_000 })
      : await send(tokenEndpoint, realm.pathname, {
        method: 'POST', timeoutMs: 10_000, headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: target.refreshToken, service, client_id: 'wharf-cli' }).toString(),
      });
  } catch (err) {
    return { name, status: 'error', kind: 'network', code: 'CONNECTIVITY_ACCESS_TOKEN_ERROR', message: (err as Error).message };
  }
  const how = target.refreshToken === undefined ? 'anonymously' : 'with the stored login';
  if (res.status === 200) return { name, status: 'ok', message: `Fetch access token for registry '${target.loginServer}' (${how}) from ${realm.href}` };
  if (res.status === 401 && target.refreshToken !== undefined) {
    return {
      name, status: 'error', kind: 'auth', code: 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
      message: `the token endpoint ${realm.href} refused the stored login's refresh token`, hint: `it expired or was revoked: wharf login ${target.loginServer}`,
    };
  }
  if (res.status === 401) {
    return { name, status: 'ok', message: `Fetch access token for registry '${target.loginServer}': ${realm.href} answers and wants credentials (log in to check further)` };
  }
  return {
    name, status: 'error', kind: 'server', code: 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
    message: `the token endpoint ${realm.href} answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`,
  };
}

/** The Notary server's health endpoint (the reference notary-server's path): 200 when the trust stores answer. */
async function trustServerCheck(endpoint: Endpoint, url: string): Promise<HealthCheck> {
  const name = 'trustServer';
  let res: HttpResponse;
  try {
    res = await send(endpoint, '/_notary_server/health', { method: 'GET', timeoutMs: 10_000 });
  } catch (err) {
    return { name, status: 'error', kind: 'network', code: 'TRUST_SERVER_ERROR', message: (err as Error).message };
  }
  if (res.status === 200) return { name, status: 'ok', message: `Trust server ${url}/_notary_server/health` };
  return {
    name, status: 'error', kind: 'server', code: 'TRUST_SERVER_ERROR',
    message: `${url}/_notary_server/health answered ${res.status}${res.status === 503 ? ' (its stores do not answer)' : ''}`,
    hint: res.status === 404 ? 'no Notary server there: is it a Wharf registry?' : 'see the registry\'s log and /readyz',
  };
}

/** The content trust policy, readable with the stored login; a warning when nothing verifies signatures. */
async function policyCheck(endpoint: Endpoint, target: HealthTarget, dockerLacksDct: boolean): Promise<HealthCheck> {
  const name = 'contentTrustPolicy';
  if (target.refreshToken === undefined) {
    return { name, status: 'skipped', message: `Content trust policy of ${target.loginServer}: needs a login (wharf login ${target.loginServer})` };
  }
  let policy: { status?: unknown };
  try {
    policy = (await new ApiClient(endpoint, target.loginServer, { scheme: 'bearer', token: target.refreshToken }).call('GET', '/registry/contentTrust')) as { status?: unknown };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return { name, status: 'warning', code: 'CONTENT_TRUST_POLICY_ERROR', message: `Content trust policy of ${target.loginServer}: ${err.message}` };
  }
  const status = String(policy.status);
  if (dockerLacksDct && status !== 'enforced') {
    return {
      name, status: 'warning', code: 'CONTENT_TRUST_NOT_ENFORCED', details: { status },
      message: `Content trust policy of ${target.loginServer}: ${status}, and the local docker does not verify signatures`, hint: ENFORCE_HINT,
    };
  }
  return { name, status: 'ok', message: `Content trust policy of ${target.loginServer}: ${status}`, details: { status } };
}
