/**
 * The one authorization check. Every HTTP route and every document in an apply passes through
 * `authorize`; nothing else decides access. Until policies exist (the delegation issue), only
 * administrators are allowed anything, which is the safe default: nothing is allowed unless a
 * rule says so.
 */
import { ForbiddenError } from '../platform/errors.js';
import type { Action, Decision, Principal, Resource } from './model.js';

/** Decides whether a principal may perform an action on a resource, and says why. */
export function authorize(principal: Principal, action: Action, resource: Resource): Decision {
  if (principal.isAdmin) return { allowed: true, reason: `${principal.name} is an administrator` };
  return { allowed: false, reason: `no rule allows ${principal.name} to ${action} ${resource}` };
}

/** Throws ForbiddenError unless the principal may perform the action. */
export function requireAllowed(principal: Principal, action: Action, resource: Resource): void {
  const decision = authorize(principal, action, resource);
  if (!decision.allowed) throw new ForbiddenError(`forbidden: ${decision.reason}`);
}
