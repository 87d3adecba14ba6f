/** Secrets over HTTP: set, list, delete, rotate the master key. No answer ever holds a value. */
import { z } from 'zod';
import {
  deletedSecretResponse,
  keyRotationResponse,
  secretResponse,
  secretsResponse,
  setSecretRequest,
  type SecretView,
} from '../../contract/secrets.js';
import { resources } from '../model.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import type { SecretMetadata } from './model.js';
import type { SecretService } from './service.js';

/** The API form of a secret: metadata only. */
function viewSecret(secret: SecretMetadata): SecretView {
  return {
    path: secret.path,
    version: secret.version,
    description: secret.description,
    createdAt: secret.createdAt.toISOString(),
    updatedAt: secret.updatedAt.toISOString(),
    updatedBy: secret.updatedBy,
  };
}

const pathParams = z.object({ '*': z.string() });

/** What the secret routes use of the server. */
export interface SecretRoutesDeps {
  secrets: SecretService;
}

export function registerSecretRoutes(app: HttpApp, baton: SecretRoutesDeps): void {
  app.get(
    '/api/v1/secrets',
    {
      // Filtered per secret: a caller sees the paths they may view, and never a value.
      config: { access: 'authenticated' },
      schema: {
        description: 'The secrets the caller may view: paths and metadata, never values.',
        response: { 200: secretsResponse },
      },
    },
    async (request) => ({ secrets: (await baton.secrets.list(principalOf(request))).map(viewSecret) }),
  );

  app.put(
    '/api/v1/secrets/*',
    {
      // `edit` on secret/PATH, checked by the service once the path is known to be valid.
      config: { access: 'authenticated' },
      schema: {
        description: 'Creates or replaces a secret. The value is stored encrypted and never returned.',
        params: pathParams,
        body: setSecretRequest,
        response: { 200: secretResponse },
      },
    },
    async (request) => {
      const secret = await baton.secrets.set(principalOf(request), request.params['*'], request.body);
      return { secret: viewSecret(secret) };
    },
  );

  app.delete(
    '/api/v1/secrets/*',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Deletes a secret; jobs that use it fail their steps until it is set again.',
        params: pathParams,
        response: { 200: deletedSecretResponse },
      },
    },
    async (request) => {
      const path = request.params['*'];
      await baton.secrets.remove(principalOf(request), path);
      return { deleted: path };
    },
  );

  app.post(
    '/api/v1/secrets/rotate-key',
    {
      config: { access: { action: 'admin', resource: () => resources.system } },
      schema: {
        description:
          'Seals every secret under the current master key; with a key file, generates the new key first.',
        response: { 200: keyRotationResponse },
      },
    },
    async (request) => baton.secrets.rotateKey(principalOf(request)),
  );
}
