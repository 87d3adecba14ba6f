import { describe, expect, it } from 'vitest';
import { ruleSpec, ruleTrigger, sloMatches, sloTrigger } from './model.js';

const page = { status: 'firing', severity: 'page', service: 'web-shop', slo: 'web-shop/availability' };

describe('rules on SLO alerts', () => {
  it('listen to firing alerts unless told otherwise', () => {
    expect(sloMatches(sloTrigger.parse({}), page)).toBe(true);
    expect(sloMatches(sloTrigger.parse({}), { ...page, status: 'resolved' })).toBe(false);
    expect(sloMatches(sloTrigger.parse({ status: 'resolved' }), { ...page, status: 'resolved' })).toBe(true);
    expect(sloMatches(sloTrigger.parse({ status: 'any' }), { ...page, status: 'resolved' })).toBe(true);
  });

  it('narrow by severity and by a service glob', () => {
    expect(sloMatches(sloTrigger.parse({ severity: 'ticket' }), page)).toBe(false);
    expect(sloMatches(sloTrigger.parse({ severity: 'page', service: 'web-*' }), page)).toBe(true);
    expect(sloMatches(sloTrigger.parse({ service: 'web-*' }), { ...page, service: 'api' })).toBe(false);
    expect(sloMatches(sloTrigger.parse({ service: 'web-shop' }), { ...page, service: 'web-shop-2' })).toBe(
      false,
    );
    // A malformed event (no service) matches no service filter.
    expect(sloMatches(sloTrigger.parse({ service: '*' }), { status: 'firing' })).toBe(false);
  });

  it('are stored under the one trigger `slo`, whatever their filters', () => {
    const spec = ruleSpec.parse({ on: { slo: { service: 'web-*' } }, job: 'diagnose' });
    expect(ruleTrigger('ops', spec)).toBe('slo');
    expect(spec.on).toEqual({ slo: { service: 'web-*', status: 'firing' } });
  });

  it('refuse unknown severities and globs with too many wildcards', () => {
    expect(sloTrigger.safeParse({ severity: 'urgent' }).success).toBe(false);
    expect(sloTrigger.safeParse({ service: '*a*a*a*a*a*a*a*a*a' }).success).toBe(false);
  });
});
