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
