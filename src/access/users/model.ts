/** Users (people) and service accounts (programs, with tokens only), as the API speaks of them. */
import { z } from 'zod';
import { resourceName } from '../../platform/documents/fields.js';
import { PASSWORD_MAX_LENGTH, USER_KINDS, type UserKind } from '../../contract/users.js';

export interface User {
  id: number;
  name: string;
  kind: UserKind;
  isAdmin: boolean;
  displayName: string | null;
  email: string | null;
  disabledAt: Date | null;
  createdAt: Date;
  /** Can sign in with a password (the hash itself never leaves the store). */
  hasPassword: boolean;
  /** Signs in through the OIDC provider with this issuer. */
  oidcIssuer: string | null;
}

/** Length is checked in the service, so the message can say how long a password must be. */
const password = z.string().max(PASSWORD_MAX_LENGTH);

export const createUserInput = z.strictObject({
  name: resourceName,
  kind: z.enum(USER_KINDS).default('user'),
  password: password.optional().describe('people only; at least 12 characters'),
  displayName: z.string().max(200).optional(),
  email: z.email().max(320).optional(),
  admin: z.boolean().default(false),
});
export type CreateUserInput = z.infer<typeof createUserInput>;

export const updateUserInput = z.strictObject({
  password: password.optional().describe('a new password'),
  currentPassword: password
    .optional()
    .describe(
      'required when changing your own password (administrators changing another user’s do not need it)',
    ),
  disabled: z
    .boolean()
    .optional()
    .describe('administrators only: disabled users cannot sign in or use tokens'),
  admin: z.boolean().optional().describe('administrators only'),
  displayName: z.string().max(200).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserInput>;
