// /v1/users (users:admin): list, create (with an optional password for logging in), change name,
// role or password, delete. A tenant always keeps at least one admin user.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newId } from '../../auth/ids.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/passwords.js';
import { ROLES } from '../../auth/principal.js';
import type { User } from '../../store/repository.js';
import { ApiError, notFound } from '../api-error.js';
import { audit } from './audit.js';
import { commonErrors, errorDoc, listOf, userDoc } from './doc-schemas.js';
import { defineRoute } from './route-spec.js';
import { userToJson } from './user-json.js';
import type { V1Deps } from './v1-deps.js';

const tags = ['users'];
const idParams = z.object({ id: z.string().min(1).max(200) });
const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);

export const newUserBody = z.strictObject({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  /** Without one the user cannot log in until it is set. */
  password: password.optional(),
});

export const userUpdateBody = z
  .strictObject({ name: z.string().trim().min(1).max(200).optional(), role: z.enum(ROLES).optional(), password: password.optional() })
  .refine((b) => Object.keys(b).length > 0, 'give at least one of name, role, password');

const lastAdmin = () => new ApiError(409, 'last_admin', 'the tenant must keep at least one admin user');

export function registerUserRoutes(v1: FastifyInstance, deps: V1Deps): void {
  const { repository } = deps;
  const getUser = async (tenantId: string, id: string): Promise<User> => {
    const user = await repository.getUser(tenantId, id);
    if (!user) throw notFound('user');
    return user;
  };
  const isOnlyAdmin = async (tenantId: string, user: User) =>
    user.role === 'admin' && (await repository.listUsers(tenantId)).filter((u) => u.role === 'admin').length <= 1;

  defineRoute(v1, {
    method: 'GET',
    url: '/users',
    summary: "List the tenant's users",
    tags,
    access: 'users:admin',
    responses: { 200: { description: 'the users', schema: listOf(userDoc) }, ...commonErrors },
    async handler({ principal }) {
      return { items: (await repository.listUsers(principal.tenantId)).map(userToJson) };
    },
  });

  defineRoute(v1, {
    method: 'POST',
    url: '/users',
    summary: 'Create a user',
    tags,
    access: 'users:admin',
    body: newUserBody,
    responses: {
      201: { description: 'the user', schema: userDoc },
      400: { description: 'validation_failed', schema: errorDoc },
      409: { description: 'email_taken', schema: errorDoc },
      ...commonErrors,
    },
    async handler({ request, reply, body, principal }) {
      const email = body.email.toLowerCase();
      if ((await repository.listUsers(principal.tenantId)).some((u) => u.email.toLowerCase() === email)) {
        throw new ApiError(409, 'email_taken', 'a user with this e-mail exists');
      }
      const user = await repository.createUser(principal.tenantId, {
        id: newId('usr'),
        email,
        name: body.name,
        role: body.role,
        passwordHash: body.password ? await hashPassword(body.password) : null,
      });
      await audit(request, 'user.create', 'user', user.id, { email, role: user.role, has_password: body.password !== undefined });
      reply.status(201);
      return userToJson(user);
    },
  });

  defineRoute(v1, {
    method: 'PATCH',
    url: '/users/:id',
    summary: "Change a user's name, role or password",
    tags,
    access: 'users:admin',
    params: idParams,
    body: userUpdateBody,
    responses: {
      200: { description: 'the user', schema: userDoc },
      404: { description: 'no such user', schema: errorDoc },
      409: { description: 'last_admin', schema: errorDoc },
      ...commonErrors,
    },
    async handler({ request, params, body, principal }) {
      const user = await getUser(principal.tenantId, params.id);
      if (body.role !== undefined && body.role !== 'admin' && (await isOnlyAdmin(principal.tenantId, user))) throw lastAdmin();
      const updated = await repository.updateUser(principal.tenantId, user.id, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.role !== undefined ? { role: body.role } : {}),
        ...(body.password !== undefined ? { passwordHash: await hashPassword(body.password) } : {}),
      });
      if (!updated) throw notFound('user');
      await audit(request, 'user.update', 'user', user.id, {
        fields: Object.keys(body),
        ...(body.role !== undefined ? { role: body.role, previous_role: user.role } : {}),
      });
      return userToJson(updated);
    },
  });

  defineRoute(v1, {
    method: 'DELETE',
    url: '/users/:id',
    summary: 'Delete a user (their sessions stop working)',
    tags,
    access: 'users:admin',
    params: idParams,
    responses: {
      204: { description: 'deleted' },
      404: { description: 'no such user', schema: errorDoc },
      409: { description: 'last_admin', schema: errorDoc },
      ...commonErrors,
    },
    async handler({ request, reply, params, principal }) {
      const user = await getUser(principal.tenantId, params.id);
      if (await isOnlyAdmin(principal.tenantId, user)) throw lastAdmin();
      if (!(await repository.deleteUser(principal.tenantId, user.id))) throw notFound('user');
      await audit(request, 'user.delete', 'user', user.id, { email: user.email });
      reply.status(204);
    },
  });
}
