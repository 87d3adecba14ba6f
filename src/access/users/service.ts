/**
 * Managing users and service accounts. Administrators (`admin` on `system`) create, disable and
 * promote; everyone may change their own password (proving the current one) and their name and
 * email. Every change is on the audit trail, without the password.
 */
import type { Db } from '../../platform/db/database.js';
import { ConflictError, ForbiddenError, InputError, NotFoundError } from '../../platform/errors.js';
import type { AccessControl } from '../authorize.js';
import { appendAudit, auditActor } from '../audit/trail.js';
import { resources, type Principal } from '../model.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../sign-in/passwords.js';
import { lockedFor, recordFailure, ThrottledError, userKey } from '../sign-in/throttle.js';
import { deleteSessionsOfUser } from '../sign-in/store.js';
import type { CreateUserInput, UpdateUserInput, User } from './model.js';
import {
  findUser,
  findUserCredentials,
  insertUserRecord,
  listUsers,
  updateUserRecord,
  type UserChanges,
} from './store.js';

export class UserService {
  constructor(
    private readonly db: Db,
    private readonly access: Pick<AccessControl, 'authorize' | 'require'>,
  ) {}

  isAdministrator(caller: Principal): boolean {
    return this.access.authorize(caller, 'admin', resources.system).allowed;
  }

  /** Creates a person (optionally with a password) or a service account (never with one). */
  async create(caller: Principal, input: CreateUserInput, now = Date.now()): Promise<User> {
    this.access.require(caller, 'admin', resources.system);
    if (input.kind === 'service' && input.password !== undefined) {
      throw new InputError('service accounts cannot have a password: they authenticate with tokens', [
        { path: 'body.password', message: 'not allowed for kind "service"' },
      ]);
    }
    if (input.password !== undefined) checkPasswordStrength(input.password, 'body.password');
    const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
    return this.db.transaction().execute(async (trx) => {
      if (await findUser(trx, input.name)) {
        throw new ConflictError(`a user or service account named "${input.name}" already exists`);
      }
      const user = await insertUserRecord(
        trx,
        {
          name: input.name,
          kind: input.kind,
          isAdmin: input.admin,
          passwordHash,
          displayName: input.displayName,
          email: input.email,
        },
        now,
      );
      await appendAudit(
        trx,
        {
          ...auditActor(caller),
          action: 'user.create',
          target: `${input.kind === 'service' ? 'serviceaccount' : 'user'}/${input.name}`,
          summary: { kind: input.kind, admin: input.admin, password: input.password !== undefined },
        },
        now,
      );
      return user;
    });
  }

  async list(): Promise<User[]> {
    return listUsers(this.db);
  }

  /**
   * Changes a user. Disabling ends the user's sessions at once (tokens stop working because every
   * request checks the user); a new password ends every session but the caller's own.
   */
  async update(
    caller: Principal,
    name: string,
    input: UpdateUserInput,
    options: { currentSession?: string | undefined } = {},
    now = Date.now(),
  ): Promise<User> {
    const found = await findUserCredentials(this.db, name);
    const isAdmin = this.isAdministrator(caller);
    const isSelf = found !== undefined && caller.id === found.user.id;
    if (!found || (!isAdmin && !isSelf)) {
      if (!isAdmin) throw new ForbiddenError(`forbidden: only administrators may change other users`);
      throw new NotFoundError(`no user or service account named "${name}"`);
    }
    const { user } = found;
    const changes: UserChanges = {};
    if (input.disabled !== undefined || input.admin !== undefined) {
      if (!isAdmin)
        throw new ForbiddenError(
          'forbidden: only administrators may disable users or make them administrators',
        );
      if (isSelf && (input.disabled === true || input.admin === false)) {
        throw new InputError('you cannot disable yourself or remove your own administrator rights', [
          {
            path: input.disabled === true ? 'body.disabled' : 'body.admin',
            message: 'not allowed on yourself',
          },
        ]);
      }
      if (input.disabled !== undefined)
        changes.disabledAt = input.disabled ? (user.disabledAt?.getTime() ?? now) : null;
      if (input.admin !== undefined) changes.isAdmin = input.admin;
    }
    if (input.password !== undefined) {
      if (user.kind === 'service') {
        throw new InputError('service accounts cannot have a password: they authenticate with tokens', [
          { path: 'body.password', message: 'not allowed for kind "service"' },
        ]);
      }
      checkPasswordStrength(input.password, 'body.password');
      // An administrator resetting someone else's password need not know it, and a first
      // password has nothing to prove; otherwise the caller proves they know the current one.
      if (!(isAdmin && !isSelf) && found.passwordHash !== null) {
        if (input.currentPassword === undefined) {
          throw new InputError('changing your password needs your current password', [
            { path: 'body.currentPassword', message: 'required' },
          ]);
        }
        // Guesses of the current password count like failed sign-ins, so a stolen session
        // cannot be used to try passwords without limit.
        const keys = [userKey(user.name)];
        const locked = await lockedFor(this.db, keys, now);
        if (locked > 0) throw new ThrottledError(Math.ceil(locked / 1000));
        if (!(await verifyPassword(input.currentPassword, found.passwordHash))) {
          await recordFailure(this.db, keys, now);
          throw new ForbiddenError('forbidden: the current password is wrong');
        }
      }
      changes.passwordHash = await hashPassword(input.password);
    }
    if (input.displayName !== undefined) changes.displayName = input.displayName;
    if (input.email !== undefined) changes.email = input.email;
    const changed = Object.keys(changes).map((key) => (key === 'passwordHash' ? 'password' : key));
    if (changed.length === 0) return user;

    return this.db.transaction().execute(async (trx) => {
      const updated = await updateUserRecord(trx, user.id, changes);
      if (changes.disabledAt) await deleteSessionsOfUser(trx, user.id);
      else if (changes.passwordHash) await deleteSessionsOfUser(trx, user.id, options.currentSession);
      await appendAudit(
        trx,
        {
          ...auditActor(caller),
          action: 'user.update',
          target: `${user.kind === 'service' ? 'serviceaccount' : 'user'}/${user.name}`,
          summary: {
            changed,
            ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
            ...(input.admin !== undefined ? { admin: input.admin } : {}),
          },
        },
        now,
      );
      return updated;
    });
  }
}
