import { describe, expect, it } from 'vitest';
import { safeReturnPath } from './url-state';

describe('where sign-in returns to', () => {
  it('returns to a page of this site', () => {
    expect(safeReturnPath('/executions?state=failed')).toBe('/executions?state=failed');
  });

  it('never sends the browser to another site', () => {
    for (const value of [
      'https://evil.example',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      '',
      null,
    ]) {
      expect(safeReturnPath(value)).toBe('/jobs');
    }
  });
});
