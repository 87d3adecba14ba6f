/** What a job says it is to the error-budget gate: `spec.purpose` and `spec.correctsSlo`. */
import { describe, expect, it } from 'vitest';
import { jobSpec } from './model.js';

const steps = [{ name: 'say', script: 'echo hi' }];
const issuesOf = (spec: unknown) => {
  const parsed = jobSpec.safeParse(spec);
  return parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('job purpose', () => {
  it('is absent (routine) unless written, so jobs applied before it keep their form', () => {
    expect(jobSpec.parse({ steps }).purpose).toBeUndefined();
    expect(jobSpec.parse({ steps, purpose: 'change' }).purpose).toBe('change');
  });

  it('is one of the five purposes', () => {
    expect(issuesOf({ steps, purpose: 'deploy' })).toEqual([expect.stringMatching(/^purpose: /)]);
  });

  it('lets only maintenance jobs of a service correct its SLOs', () => {
    expect(issuesOf({ steps, service: 'web', purpose: 'maintenance', correctsSlo: true })).toEqual([]);
    expect(issuesOf({ steps, service: 'web', purpose: 'change', correctsSlo: true })).toEqual([
      expect.stringMatching(/^correctsSlo: only a job with purpose: maintenance/),
    ]);
    expect(issuesOf({ steps, correctsSlo: true })).toEqual([
      expect.stringMatching(/^correctsSlo: only a job with purpose: maintenance/),
      expect.stringMatching(/^correctsSlo: correcting SLOs needs spec.service/),
    ]);
    expect(issuesOf({ steps, purpose: 'change', correctsSlo: false })).toEqual([]);
  });
});
