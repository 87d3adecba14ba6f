/**
 * Users, service accounts and sign-in as the API speaks of them: the user view, who am I, the
 * session and the ways to sign in. The server answers with these; the CLI and the web read them.
 */
import { z } from 'zod';

export const USER_KINDS = ['user', 'service'] as const;
export type UserKind = (typeof USER_KINDS)[number];

/** Beyond this a password is not a password but an attempt to make hashing expensive. */
export const PASSWORD_MAX_LENGTH = 1024;

/** How an account can authenticate. */
export const SIGN_IN_METHODS = ['password', 'oidc', 'token'] as const;

/** A user as listed. Fields past `displayName` are shown to administrators (and to users about themselves) only. */
export const userView = z.object({
  name: z.string(),
  kind: z.enum(USER_KINDS),
  displayName: z.string().nullable(),
  isAdmin: z.boolean().optional(),
  email: z.string().nullable().optional(),
  disabled: z.boolean().optional(),
  signIn: z.array(z.enum(SIGN_IN_METHODS)).optional().describe('how the account can authenticate'),
  createdAt: z.string().optional(),
});
export type UserView = z.infer<typeof userView>;

/** `POST /api/v1/users`, `PATCH /api/v1/users/NAME`. */
export const userResponse = z.object({ user: userView });
export type UserResponse = z.infer<typeof userResponse>;

/** `GET /api/v1/users`. */
export const usersResponse = z.object({ users: z.array(userView) });
export type UsersResponse = z.infer<typeof usersResponse>;

/** `GET /api/v1/whoami`: the user the token belongs to. */
export const whoamiResponse = z.object({ user: z.object({ name: z.string(), isAdmin: z.boolean() }) });
export type WhoamiResponse = z.infer<typeof whoamiResponse>;

/** Who is signed in, as the session answers it. */
export const sessionUserView = z.object({
  name: z.string(),
  kind: z.enum(USER_KINDS),
  isAdmin: z.boolean(),
  displayName: z.string().nullable(),
});
export type SessionUserView = z.infer<typeof sessionUserView>;

/** `GET /api/v1/session` and `POST /api/v1/sign-in`. */
export const sessionResponse = z.object({
  user: sessionUserView,
  csrfToken: z
    .string()
    .nullable()
    .describe('send as X-CSRF-Token on every POST, PATCH, PUT and DELETE; null for token callers'),
  expiresAt: z.string().nullable(),
});
export type SessionResponse = z.infer<typeof sessionResponse>;

/** `POST /api/v1/sign-in`. */
export const signInRequest = z.strictObject({
  name: z.string().min(1).max(200),
  password: z.string().max(PASSWORD_MAX_LENGTH),
});
export type SignInRequest = z.infer<typeof signInRequest>;

/** `GET /api/v1/sign-in/methods`: with a password, and with the OIDC provider when one is configured. */
export const signInMethodsResponse = z.object({
  password: z.boolean(),
  oidc: z.object({ label: z.string() }).nullable(),
});
export type SignInMethodsResponse = z.infer<typeof signInMethodsResponse>;

/** `GET /api/v1/oidc/login`. */
export const oidcLoginQuery = z.object({ returnTo: z.string().max(2000).optional() });
export type OidcLoginQuery = z.infer<typeof oidcLoginQuery>;
