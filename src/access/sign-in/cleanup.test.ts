import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { deleteLapsedSignInState } from './cleanup.js';
import { createSession } from './sessions.js';

const MINUTE = 60_000;

describe.each(DIALECTS)('sign-in clean-up on %s', (dialect) => {
  let baton: TestBaton;
  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
  });
  afterAll(() => baton.stop());

  it('removes lapsed sessions, OIDC logins and failure counts, and keeps what still counts', async () => {
    const now = Date.now();
    const { id: userId } = await baton.addUser('sam');
    await createSession(baton.db, { userId }, now - 8 * 24 * 60 * MINUTE);
    await createSession(baton.db, { userId }, now);
    await baton.db
      .insertInto('oidc_logins')
      .values([
        { state: 'old', code_verifier: 'v', nonce: 'n', return_to: null, created_at: now - 11 * MINUTE },
        { state: 'new', code_verifier: 'v', nonce: 'n', return_to: null, created_at: now - MINUTE },
      ])
      .execute();
    await baton.db
      .insertInto('sign_in_throttle')
      .values([
        { key: 'user:forgotten', failures: 3, window_started_at: now - 20 * MINUTE, locked_until: null },
        { key: 'user:counting', failures: 3, window_started_at: now - 5 * MINUTE, locked_until: null },
        // Locked until a moment ago: the lock still counts for a window after it ended.
        { key: 'user:locked', failures: 9, window_started_at: now - 60 * MINUTE, locked_until: now - MINUTE },
      ])
      .execute();

    await deleteLapsedSignInState(baton.db, now);

    expect(await baton.db.selectFrom('sessions').select('created_at').execute()).toEqual([
      { created_at: now },
    ]);
    expect(await baton.db.selectFrom('oidc_logins').select('state').execute()).toEqual([{ state: 'new' }]);
    const keys = await baton.db.selectFrom('sign_in_throttle').select('key').orderBy('key').execute();
    expect(keys.map((row) => row.key)).toEqual(['user:counting', 'user:locked']);
  });
});
