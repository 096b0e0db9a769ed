import Type from 'typebox';
import { callerOf, type ApiRoutes } from '../context.ts';
import { errors, NoContent } from '../schemas.ts';
import { presentGenerated, presentToken } from './presenter.ts';
import { CredentialGenerate, GeneratedCredentials, Token, TokenCreate, TokenParams, TokenPasswordParams, TokenUpdate } from './schemas.ts';
import { ScopedTokenService } from './service.ts';

/** `/api/tokens` (wharf token …); registry/credentials. */
export const tokenRoutes: ApiRoutes = async (app, { ctx }) => {
  const service = new ScopedTokenService(ctx);
  const tags = ['tokens'];

  app.get('/tokens', {
    schema: { operationId: 'tokens_list', summary: 'Every scoped token (no password values)', tags, response: { 200: Type.Array(Token), ...errors() } },
  }, async (req) => (await service.list(callerOf(req))).map((t) => presentToken(t, ctx)));

  app.post('/tokens', {
    schema: {
      operationId: 'tokens_create', summary: 'Create a token with a scope map or inline repositories; passwords shown once', tags,
      body: TokenCreate, response: { 201: Token, ...errors(400, 404, 409) },
    },
  }, async (req, reply) => {
    const { token, values } = await service.create(callerOf(req), req.body);
    return reply.code(201).send(presentToken(token, ctx, values));
  });

  app.get('/tokens/:token', {
    schema: { operationId: 'tokens_show', summary: 'One token (no password values)', tags, params: TokenParams, response: { 200: Token, ...errors(404) } },
  }, async (req) => presentToken(await service.get(callerOf(req), req.params.token), ctx));

  app.patch('/tokens/:token', {
    schema: {
      operationId: 'tokens_update', summary: 'Change the scope map or status', tags,
      params: TokenParams, body: TokenUpdate, response: { 200: Token, ...errors(400, 404) },
    },
  }, async (req) => presentToken(await service.update(callerOf(req), req.params.token, req.body), ctx));

  app.delete('/tokens/:token', {
    schema: { operationId: 'tokens_delete', summary: 'Delete a token', tags, params: TokenParams, response: { 204: NoContent, ...errors(404) } },
  }, async (req, reply) => {
    await service.delete(callerOf(req), req.params.token);
    return reply.code(204).send(null);
  });

  app.post('/tokens/:token/credentials/generate', {
    schema: {
      operationId: 'tokens_generateCredentials', summary: 'New values for password1 and/or password2, shown once, effective at once', tags,
      params: TokenParams, body: CredentialGenerate, response: { 200: GeneratedCredentials, ...errors(400, 404) },
    },
  }, async (req) => {
    const { token, values } = await service.generate(callerOf(req), req.params.token, req.body);
    return presentGenerated(token, values);
  });

  app.delete('/tokens/:token/credentials/:password', {
    schema: {
      operationId: 'tokens_deleteCredential', summary: 'Remove password1 or password2', tags,
      params: TokenPasswordParams, response: { 204: NoContent, ...errors(404) },
    },
  }, async (req, reply) => {
    await service.deletePassword(callerOf(req), req.params.token, req.params.password);
    return reply.code(204).send(null);
  });
};
