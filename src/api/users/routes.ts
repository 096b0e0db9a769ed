import { callerOf, type ApiRoutes } from '../context.ts';
import { errors, NoContent } from '../schemas.ts';
import Type from 'typebox';
import { presentCreatedUser, presentUser } from './presenter.ts';
import { CreatedUser, User, UserCreate, UserParams, UserUpdate } from './schemas.ts';
import { UserService } from './service.ts';

/** `/api/users`: users who sign in with a password (wharf ad user …). */
export const userRoutes: ApiRoutes = async (app, { ctx }) => {
  const service = new UserService(ctx);
  const tags = ['users'];

  app.get('/users', {
    schema: { operationId: 'users_list', summary: 'Every user; access/read', tags, response: { 200: Type.Array(User), ...errors() } },
  }, async (req) => (await service.list(callerOf(req))).map(presentUser));

  app.post('/users', {
    schema: {
      operationId: 'users_create', summary: 'Create a user (password generated and shown once unless given); access/write', tags,
      body: UserCreate, response: { 201: CreatedUser, ...errors(400, 409) },
    },
  }, async (req, reply) => {
    const { user, generated } = await service.create(callerOf(req), req.body);
    return reply.code(201).send(presentCreatedUser(user, generated));
  });

  app.get('/users/:user', {
    schema: { operationId: 'users_show', summary: 'One user; access/read, or the user itself', tags, params: UserParams, response: { 200: User, ...errors(404) } },
  }, async (req) => presentUser(await service.get(callerOf(req), req.params.user)));

  app.patch('/users/:user', {
    schema: {
      operationId: 'users_update', summary: 'Change password, accountEnabled or displayName; access/write (a user may change its own password and name)', tags,
      params: UserParams, body: UserUpdate, response: { 200: User, ...errors(400, 404) },
    },
  }, async (req) => presentUser(await service.update(callerOf(req), req.params.user, req.body)));

  app.delete('/users/:user', {
    schema: { operationId: 'users_delete', summary: 'Delete a user and its role assignments; access/write', tags, params: UserParams, response: { 204: NoContent, ...errors(400, 404) } },
  }, async (req, reply) => {
    await service.delete(callerOf(req), req.params.user);
    return reply.code(204).send(null);
  });
};
