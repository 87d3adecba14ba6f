/**
 * The words of authorization, who calls, what they do and on what, as the access capability
 * defines them. Platform stands below access and does not import it: access fills this interface
 * in by declaration merging (src/access/model.ts), the way Fastify's FastifyRequest is extended.
 * Apply and the HTTP app speak these words; app.ts hands them the one check that decides.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by access
export interface AuthorizationWords {}

/** Who calls: the access capability's Principal. */
export type Caller = AuthorizationWords extends { caller: infer T } ? T : { name: string };
/** What they do: the access capability's Action (`view`, `run`, `edit`, …). */
export type CallerAction = AuthorizationWords extends { action: infer T } ? T : string;
/** What they do it on: the access capability's Resource (`job/ops/backup`, …). */
export type CallerResource = AuthorizationWords extends { resource: infer T } ? T : string;

/** The one authorization check, as platform calls it: throws when the caller may not. */
export type Authorize = (caller: Caller, action: CallerAction, resource: CallerResource) => void;
