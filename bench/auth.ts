import { request } from 'undici';
import { StepError } from './http.ts';
import type { BenchServer } from './servers.ts';

/** A username and password for servers that demand authentication. */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * Sets `server.auth` so that every bench request may pull and push `repos`: nothing when GET /v2/
 * answers 200; a Docker registry token (GET <realm>?service=&scope=…) for a Bearer challenge;
 * Basic credentials for a Basic challenge.
 */
export async function authorize(server: BenchServer, repos: readonly string[], credentials?: Credentials): Promise<void> {
  const ping = await request(`${server.url}/v2/`, { dispatcher: server.dispatcher });
  const pingBody = await ping.body.text();
  if (ping.statusCode === 200) return;
  const challenge = String(ping.headers['www-authenticate'] ?? '');
  if (ping.statusCode !== 401 || !credentials) {
    throw new StepError(`GET /v2/ (${challenge || 'no challenge'}${credentials ? '' : '; no credentials given'})`, ping.statusCode, pingBody);
  }
  const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  if (/^basic/i.test(challenge)) {
    server.auth = { authorization: basic };
    return;
  }
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!params.realm) throw new StepError(`GET /v2/: unusable challenge ${challenge}`, ping.statusCode, pingBody);
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  for (const repo of repos) url.searchParams.append('scope', `repository:${repo}:pull,push`);
  const res = await request(url, { headers: { authorization: basic }, dispatcher: server.dispatcher });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new StepError(`GET ${url.pathname} (token)`, res.statusCode, text);
  const { token, access_token: accessToken } = JSON.parse(text) as { token?: string; access_token?: string };
  const bearer = token ?? accessToken;
  if (!bearer) throw new StepError('token response without a token', res.statusCode, text);
  server.auth = { authorization: `Bearer ${bearer}` };
}
