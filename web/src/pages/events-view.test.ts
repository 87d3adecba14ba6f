import { describe, expect, it } from 'vitest';
import type { ChainNode } from '../api/events';
import {
  causedExecutions,
  describeLimits,
  describeTrigger,
  eventSource,
  eventSummary,
  flattenChain,
  hookUrl,
  outcomeCounts,
  outcomeTone,
  outputSummary,
  ruleJobPath,
} from './events-view';

function chainNode(rule: string, executionId: number | null, next: ChainNode[] = []): ChainNode {
  return {
    rule,
    outcome: executionId === null ? 'refused' : 'triggered',
    reason: executionId === null ? 'alice may not run ops/clean' : null,
    at: '2026-11-23T12:00:00Z',
    execution:
      executionId === null
        ? null
        : { id: executionId, job: 'ops/diagnose', state: 'succeeded', exitCode: 0, output: null },
    next,
  };
}

describe('the events pages', () => {
  it('sums an Alertmanager alert up by its status, alert name and the telling labels first', () => {
    const payload = {
      status: 'firing',
      labels: { zone: 'eu', instance: 'db-1:9100', alertname: 'DiskFull', severity: 'critical', team: 'dba' },
    };
    expect(eventSummary('alertmanager', payload)).toBe(
      'firing: alertname=DiskFull severity=critical instance=db-1:9100 team=dba +1 more',
    );
    expect(eventSummary('alertmanager', { status: 'resolved', labels: {} })).toBe('resolved:');
    // An SLO alert's fields hold labels too, but it reads as the alert it is.
    expect(
      eventSummary('slo', {
        status: 'firing',
        severity: 'page',
        slo: 'web-shop/availability',
        summary: 'burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)',
        labels: { tier: 'gold' },
      }),
    ).toBe('firing page web-shop/availability: burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)');
  });

  it('sums a generic JSON event up by its first keys, with long and nested values shortened', () => {
    expect(
      eventSummary('json', {
        service: 'checkout',
        message: 'x'.repeat(40),
        tags: ['a', 'b'],
        detail: { a: 1 },
        extra: 1,
      }),
    ).toBe(`service=checkout message=${'x'.repeat(31)}… tags=[2] detail={1} +1 more`);
    expect(eventSummary('json', {})).toBe('an empty object');
  });

  it('colours outcomes: triggered is good, refused and error need someone, the others were held back', () => {
    expect(outcomeTone('triggered')).toBe('ok');
    expect(outcomeTone('refused')).toBe('bad');
    expect(outcomeTone('error')).toBe('bad');
    expect(outcomeTone('deduplicated')).toBe('muted');
    expect(outcomeTone('throttled')).toBe('muted');
  });

  it('counts outcomes in a fixed order and lists each caused execution once, oldest first', () => {
    const match = (outcome: 'triggered' | 'refused' | 'throttled', executionId: number | null) => ({
      rule: 'ops/r',
      outcome,
      executionId,
      reason: null,
      triggerExecutionId: null,
      at: '2026-11-23T12:00:00Z',
    });
    const matches = [
      match('refused', null),
      match('triggered', 9),
      match('triggered', 4),
      match('throttled', null),
    ];
    expect(outcomeCounts(matches)).toEqual([
      ['triggered', 2],
      ['throttled', 1],
      ['refused', 1],
    ]);
    expect(causedExecutions([...matches, match('triggered', 9)])).toEqual([4, 9]);
  });

  it('flattens the chain depth first, each rule followed by what its execution caused', () => {
    const chain = [
      chainNode('ops/diagnose', 1, [
        chainNode('ops/remediate', 2, [chainNode('ops/notify', 3)]),
        chainNode('ops/page', null),
      ]),
      chainNode('ops/ticket', 4),
    ];
    expect(flattenChain(chain).map(({ depth, node }) => `${depth}:${node.rule}`)).toEqual([
      '0:ops/diagnose',
      '1:ops/remediate',
      '2:ops/notify',
      '1:ops/page',
      '0:ops/ticket',
    ]);
  });

  it('sums an output up in one line, and says nothing for none', () => {
    expect(outputSummary({ cause: 'disk_full', free: 3, paths: ['/var'] })).toBe(
      'cause=disk_full free=3 paths=["/var"]',
    );
    expect(outputSummary({ text: 'y'.repeat(200) }, 20)).toBe(`text=${'y'.repeat(14)}…`);
    expect(outputSummary(null)).toBeNull();
    expect(outputSummary({})).toBeNull();
  });

  it('says where events come from and what rules listen to', () => {
    expect(eventSource({ project: 'ops', hook: 'alerts' })).toBe('ops/alerts');
    expect(eventSource({ project: 'ops', hook: null })).toBe('an execution in ops');
    expect(describeTrigger('hook:alerts')).toBe('events of hook alerts');
    expect(describeTrigger('execution:ops/diagnose')).toBe('finished executions of ops/diagnose');
    expect(describeTrigger('slo:service=web-*,severity=page,status=firing')).toBe(
      'SLO alerts (service web-*, severity page, status firing)',
    );
    expect(eventSource({ project: 'ops', hook: null, format: 'slo' })).toBe('an SLO alert in ops');
  });

  it('links a rule to its job, a bare name being in the rule project', () => {
    expect(ruleJobPath({ project: 'ops', job: 'clean' })).toBe('/jobs/ops/clean');
    expect(ruleJobPath({ project: 'ops', job: 'db/vacuum' })).toBe('/jobs/db/vacuum');
  });

  it('words dedup and throttle, and the URL a hook is posted to', () => {
    expect(describeLimits({ dedup: null, throttle: null })).toBeNull();
    expect(describeLimits({ dedup: { window: '30m' }, throttle: { max: 5, per: '1h' } })).toBe(
      'once per fingerprint within 30m; at most 5 per 1h',
    );
    expect(describeLimits({ dedup: { key: '{{ labels.instance }}', window: '1h' }, throttle: null })).toBe(
      'once per key {{ labels.instance }} within 1h',
    );
    expect(hookUrl('https://baton.example/', '/api/v1/hooks/ops/alerts')).toBe(
      'https://baton.example/api/v1/hooks/ops/alerts',
    );
  });
});
