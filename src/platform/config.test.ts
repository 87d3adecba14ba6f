import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { InputError } from './errors.js';

describe('BATON_SLO_ALERT_PROJECT', () => {
  it('names the project of alert events of SLOs without one, `slos` unless set', () => {
    expect(loadConfig({}, {}).sloAlertProject).toBe('slos');
    expect(loadConfig({}, { BATON_SLO_ALERT_PROJECT: 'ops' }).sloAlertProject).toBe('ops');
    expect(loadConfig({ sloAlertProject: 'sre' }, { BATON_SLO_ALERT_PROJECT: 'ops' }).sloAlertProject).toBe(
      'sre',
    );
  });

  it('refuses what is not a project name, naming the variable', () => {
    expect(() => loadConfig({}, { BATON_SLO_ALERT_PROJECT: 'Ops Team' })).toThrow(InputError);
    expect(() => loadConfig({}, { BATON_SLO_ALERT_PROJECT: 'Ops Team' })).toThrow(
      'environment variable BATON_SLO_ALERT_PROJECT is invalid',
    );
  });
});

describe('BATON_PROMETHEUS_URL', () => {
  const problemOf = (value: string) => {
    try {
      loadConfig({}, { BATON_PROMETHEUS_URL: value });
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as InputError).problems[0];
    }
    throw new Error(`${value} was accepted`);
  };

  it('is the default Prometheus, unset unless given, without a trailing slash', () => {
    expect(loadConfig({}, {}).prometheusUrl).toBeUndefined();
    expect(loadConfig({}, { BATON_PROMETHEUS_URL: '' }).prometheusUrl).toBeUndefined();
    expect(loadConfig({}, { BATON_PROMETHEUS_URL: 'http://prometheus:9090' }).prometheusUrl).toBe(
      'http://prometheus:9090',
    );
    expect(loadConfig({}, { BATON_PROMETHEUS_URL: 'https://metrics.example.com/prom/' }).prometheusUrl).toBe(
      'https://metrics.example.com/prom',
    );
    expect(
      loadConfig({ prometheusUrl: 'http://a:9090' }, { BATON_PROMETHEUS_URL: 'http://b:9090' }).prometheusUrl,
    ).toBe('http://a:9090');
  });

  it('refuses what is not an http(s) URL, naming the variable and what was expected', () => {
    for (const value of ['prometheus:9090', 'ftp://prometheus', 'just words', 'http://']) {
      expect(problemOf(value)).toEqual({
        path: 'BATON_PROMETHEUS_URL',
        message: 'expected an http:// or https:// URL',
        found: JSON.stringify(value),
      });
    }
  });

  it('refuses credentials in the URL without repeating them', () => {
    const problem = problemOf('http://scraper:hunter2@prometheus:9090');
    expect(problem?.message).toBe('expected a URL without credentials (user:password@)');
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });
});
