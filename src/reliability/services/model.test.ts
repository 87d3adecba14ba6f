import { describe, expect, it } from 'vitest';
import { serviceDocument } from './model.js';

const service = (metadata: Record<string, unknown>) => ({
  apiVersion: 'baton/v1',
  kind: 'Service',
  metadata: { name: 'checkout', ...metadata },
  spec: { owner: 'payments', lifecycle: 'production' },
});

const issues = (value: unknown) => {
  const result = serviceDocument.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
};

describe('Service metadata.labels', () => {
  it('takes plain tokens and leaves a document without labels without them (its digest unchanged)', () => {
    expect(issues(service({ labels: { tier: 'critical', 'team.region': 'eu-1', empty: '' } }))).toEqual([]);
    expect(serviceDocument.parse(service({})).metadata).not.toHaveProperty('labels');
  });

  it('refuses keys and values that are not tokens, and more than 50 labels', () => {
    expect(issues(service({ labels: { 'has space': 'x' } }))).toEqual(['metadata.labels.has space']);
    expect(issues(service({ labels: { '-dash': 'x' } }))).toEqual(['metadata.labels.-dash']);
    expect(issues(service({ labels: { tier: 'a'.repeat(64) } }))).toEqual(['metadata.labels.tier']);
    expect(issues(service({ labels: { tier: 'crit ical' } }))).toEqual(['metadata.labels.tier']);
    expect(issues(service({ labels: { tier: 3 } }))).toEqual(['metadata.labels.tier']);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, 'v']));
    expect(issues(service({ labels: many }))).toEqual(['metadata.labels']);
  });
});
