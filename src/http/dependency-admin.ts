/**
 * `POST /api/v1/dependencies` and `DELETE /api/v1/dependencies/{dependency_id}`: approving and
 * removing a Python package for functions, administrators only (§1.6: `sinas.dependencies.install`,
 * `.delete`). This platform installs no packages at run time (functions run with the packages of
 * the runner image), so it answers as the original does with package installation switched off:
 * an approval is refused, naming why, and there is no approval to remove. The list is
 * `GET /api/v1/dependencies` (./system.ts), always empty.
 */
import { IllegalStateError, NotFoundError } from '../errors.js';
import type { RouteRegistry } from './routes.js';

const tags = ['System'];

/** a package name as pip takes it (PEP 508's name) */
const PACKAGE_NAME = '^[A-Za-z0-9]([A-Za-z0-9._-]{0,253}[A-Za-z0-9])?$';

export function registerDependencyAdminRoutes(registry: RouteRegistry): void {
  registry.add({
    method: 'post',
    path: '/api/v1/dependencies',
    access: { permission: () => 'sinas.dependencies.install:all' },
    summary: 'Approve a Python package for functions (refused: the runner image carries the packages)',
    tags,
    body: {
      type: 'object',
      required: ['package_name'],
      additionalProperties: false,
      properties: {
        package_name: { type: 'string', minLength: 1, maxLength: 255, pattern: PACKAGE_NAME },
        version: { type: ['string', 'null'], maxLength: 255 },
      },
    },
    responses: { 409: { type: 'object' } },
    handler: (req) => {
      const { package_name } = req.body as { package_name: string };
      throw new IllegalStateError(
        `package installation is disabled: functions run with the packages of the runner image, ` +
          `and '${package_name}' cannot be added to it at run time`,
        'package_name',
      );
    },
  });
  registry.add({
    method: 'delete',
    path: '/api/v1/dependencies/:dependency_id',
    access: { permission: () => 'sinas.dependencies.delete:all' },
    summary: 'Remove a package approval (there are none: GET /api/v1/dependencies is empty)',
    tags,
    params: { dependency_id: { type: 'string', format: 'uuid', maxLength: 36 } },
    responses: { 204: undefined, 404: { type: 'object' } },
    handler: (req) => {
      const id = (req.params as { dependency_id: string }).dependency_id;
      throw new NotFoundError(`no approved dependency ${id}: no package is approved on this platform`);
    },
  });
}
