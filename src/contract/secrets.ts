/** Secrets as the API shows them: paths and metadata. No schema here has room for a value. */
import { z } from 'zod';

/** The API form of a secret: metadata only. The response schema drops anything else. */
export const secretView = z.object({
  path: z.string(),
  version: z.number(),
  description: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type SecretView = z.infer<typeof secretView>;

/** `PUT /api/v1/secrets/PATH`. */
export const secretResponse = z.object({ secret: secretView });
export type SecretResponse = z.infer<typeof secretResponse>;

/** `GET /api/v1/secrets`. */
export const secretsResponse = z.object({ secrets: z.array(secretView) });
export type SecretsResponse = z.infer<typeof secretsResponse>;

/** `PUT /api/v1/secrets/PATH`: the value travels this way only. */
export const setSecretRequest = z.object({
  // Type and size are checked by the server, whose errors never repeat the value.
  value: z.unknown().describe('the secret value, a string of at most 64 KiB'),
  description: z.unknown().optional().describe('a string'),
});
export type SetSecretRequest = z.infer<typeof setSecretRequest>;

/** `DELETE /api/v1/secrets/PATH`. */
export const deletedSecretResponse = z.object({ deleted: z.string() });
export type DeletedSecretResponse = z.infer<typeof deletedSecretResponse>;

/** `POST /api/v1/secrets/rotate-key`. */
export const keyRotationResponse = z.object({
  keyId: z.string(),
  resealed: z.number(),
  unchanged: z.number(),
});
export type KeyRotationResponse = z.infer<typeof keyRotationResponse>;
