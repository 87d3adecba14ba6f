/**
 * The run form, generated from the job's option types. Values are checked as the person types
 * with the same function the server uses (src/contract/options.ts), so a message appears
 * before submitting and says exactly what the server would have said.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { checkOptionValue } from '../../../src/contract/options.js';
import { ApiError, post } from '../api/client';
import type { BudgetCheck } from '../api/slos';
import type { JobOption } from '../api/types';
import { gateNotice, overrideRequest } from './budget-gate';
import './budget-gate.css';

/** What the run request carries besides the option values. */
export interface RunExtras {
  overrideBudget?: { reason: string };
}

/** What a field holds while it is edited: text for most types, a flag for booleans, picks for enum lists. */
export type FieldValue = string | boolean | string[];

export function initialFieldValue(option: JobOption, given?: unknown): FieldValue {
  const value = given ?? option.default;
  if (option.type === 'boolean') return value === true || value === 'true';
  if (option.type === 'list') {
    const items = Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
    return option.items === 'enum' ? items : items.join('\n');
  }
  return value === undefined || value === null ? '' : String(value);
}

/** The typed value to send, or why the field is wrong; `undefined` value means "leave it out". */
export function checkField(option: JobOption, field: FieldValue): { value?: unknown; problem?: string } {
  const empty = field === '' || (Array.isArray(field) && field.length === 0);
  if (empty && option.type !== 'boolean') return option.required ? { problem: 'is required' } : {};
  const raw =
    option.type === 'list' && typeof field === 'string'
      ? field
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== '')
      : field;
  const checked = checkOptionValue(option, raw);
  if ('value' in checked) return { value: checked.value };
  const { message, expected } = checked.problem;
  return { problem: expected ? `expected ${expected}` : message };
}

export function RunForm({
  options,
  onRun,
  submitLabel = 'Run',
  budgetJob,
}: {
  options: JobOption[];
  onRun: (values: Record<string, unknown>, extras: RunExtras) => Promise<void>;
  submitLabel?: string;
  /** `project/name` of a job on a service: the budget gate's answer is asked for and shown before Run. */
  budgetJob?: string;
}) {
  const [fields, setFields] = useState<Record<string, FieldValue>>(() =>
    Object.fromEntries(options.map((option) => [option.name, initialFieldValue(option)])),
  );
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverProblems, setServerProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const checks = useMemo(
    () =>
      Object.fromEntries(
        options.map((option) => [option.name, checkField(option, fields[option.name] ?? '')]),
      ),
    [options, fields],
  );
  const invalid = options.some((option) => checks[option.name]?.problem);
  const gate = useBudgetGate(budgetJob);
  const [overriding, setOverriding] = useState(false);
  const [overrideReason, setOverrideReason] = useState('');
  const override = overrideRequest(overriding, overrideReason);
  const overrideProblem = 'problem' in override ? override.problem : undefined;
  const blocked = gate.notice?.blocks === true && !overriding;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (invalid || blocked || 'problem' in override) return;
    const values: Record<string, unknown> = {};
    for (const option of options) {
      const value = checks[option.name]?.value;
      if (value !== undefined) values[option.name] = value;
    }
    setBusy(true);
    setError(null);
    setServerProblems({});
    try {
      await onRun(values, override);
    } catch (caught) {
      if (caught instanceof ApiError && caught.problems.length > 0) {
        setServerProblems(
          Object.fromEntries(
            caught.problems.map((problem) => [
              (problem.path ?? '').replace(/^(body\.)?options\./, ''),
              problem.expected ? `expected ${problem.expected}` : problem.message,
            ]),
          ),
        );
      }
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="run-form" onSubmit={(event) => void submit(event)} noValidate aria-label="Run this job">
      {options.map((option) => {
        const problem =
          (submitted || touched.has(option.name) ? checks[option.name]?.problem : undefined) ??
          serverProblems[option.name];
        const id = `option-${option.name}`;
        const set = (value: FieldValue) => {
          setFields((current) => ({ ...current, [option.name]: value }));
          setServerProblems(({ [option.name]: _gone, ...rest }) => rest);
        };
        const blur = () => setTouched((current) => new Set(current).add(option.name));
        return (
          <div className="field" key={option.name}>
            <label htmlFor={id}>
              {option.name}
              {option.required && <span aria-label="required"> *</span>}
              <span className="muted"> {describeType(option)}</span>
            </label>
            <OptionInput
              id={id}
              option={option}
              value={fields[option.name] ?? ''}
              onChange={set}
              onBlur={blur}
              invalid={!!problem}
            />
            {option.description && <p className="hint">{option.description}</p>}
            {problem && (
              <p className="field-error" id={`${id}-error`} role="alert">
                {problem}
              </p>
            )}
          </div>
        );
      })}
      {gate.notice && (
        <div className={`budget-gate gate-${gate.notice.tone}`} role="status" aria-label="Error budget">
          <p>{gate.notice.text}</p>
          {gate.notice.overridable && (
            <>
              <label className="choice">
                <input
                  type="checkbox"
                  checked={overriding}
                  onChange={(event) => setOverriding(event.target.checked)}
                />
                Override the error budget
              </label>
              {overriding && (
                <div className="field">
                  <label htmlFor="override-reason">Why (kept in the audit trail)</label>
                  <textarea
                    id="override-reason"
                    rows={2}
                    maxLength={2000}
                    value={overrideReason}
                    aria-invalid={submitted && overrideProblem !== undefined}
                    onChange={(event) => setOverrideReason(event.target.value)}
                  />
                  {submitted && overrideProblem && (
                    <p className="field-error" role="alert">
                      {overrideProblem}
                    </p>
                  )}
                </div>
              )}
            </>
          )}
        </div>
      )}
      {gate.failure && <p className="muted budget-gate-failure">{gate.failure}</p>}
      {error && Object.keys(serverProblems).length === 0 && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || blocked || (submitted && invalid)}>
        {busy ? 'Starting…' : submitLabel}
      </button>
    </form>
  );
}

/**
 * The gate's answer for the job, asked once when the form opens. A 404 means this server has no
 * budget gate (or the job is gone, which Run will say): nothing to show. Any other failure is said
 * in a line, without blocking Run: the server's own check at Run still applies.
 */
function useBudgetGate(job: string | undefined) {
  const check = useQuery({
    queryKey: ['budget-check', job],
    queryFn: () => post<BudgetCheck>('/api/v1/budget/check', { job }),
    enabled: job !== undefined,
    retry: false,
    staleTime: 30_000,
  });
  const notice = check.data ? gateNotice(check.data) : null;
  const failure =
    check.error && !(check.error instanceof ApiError && check.error.status === 404)
      ? `The error budget could not be checked: ${check.error.message}`
      : null;
  return { notice, failure };
}

function describeType(option: JobOption): string {
  if (option.type === 'list') return `list of ${option.items ?? 'string'}`;
  if (option.type === 'secret') return 'secret path';
  if (
    (option.type === 'integer' || option.type === 'number') &&
    (option.min !== undefined || option.max !== undefined)
  )
    return `${option.type} ${option.min ?? '…'}–${option.max ?? '…'}`;
  return option.type;
}

function OptionInput({
  id,
  option,
  value,
  onChange,
  onBlur,
  invalid,
}: {
  id: string;
  option: JobOption;
  value: FieldValue;
  onChange: (value: FieldValue) => void;
  onBlur: () => void;
  invalid: boolean;
}) {
  const common = {
    id,
    name: option.name,
    onBlur,
    'aria-invalid': invalid,
    'aria-describedby': invalid ? `${id}-error` : undefined,
  };
  switch (option.type) {
    case 'boolean':
      return (
        <span className="switch">
          <input
            {...common}
            type="checkbox"
            role="switch"
            checked={value === true}
            onChange={(event) => onChange(event.target.checked)}
          />
          <span aria-hidden="true">{value === true ? 'on' : 'off'}</span>
        </span>
      );
    case 'enum':
      return (
        <select {...common} value={String(value)} onChange={(event) => onChange(event.target.value)}>
          {!option.required || value === '' ? <option value="">—</option> : null}
          {(option.values ?? []).map((choice) => (
            <option key={String(choice)} value={String(choice)}>
              {String(choice)}
            </option>
          ))}
        </select>
      );
    case 'integer':
    case 'number':
      return (
        <input
          {...common}
          type="number"
          inputMode={option.type === 'integer' ? 'numeric' : 'decimal'}
          step={option.type === 'integer' ? 1 : 'any'}
          min={option.min}
          max={option.max}
          value={String(value)}
          onChange={(event) => onChange(event.target.value)}
        />
      );
    case 'list':
      if (option.items === 'enum') {
        const picked = Array.isArray(value) ? value : [];
        return (
          <fieldset className="choices" {...common}>
            {(option.values ?? []).map((choice) => {
              const text = String(choice);
              return (
                <label key={text} className="choice">
                  <input
                    type="checkbox"
                    checked={picked.includes(text)}
                    onChange={(event) =>
                      onChange(
                        event.target.checked ? [...picked, text] : picked.filter((item) => item !== text),
                      )
                    }
                  />
                  {text}
                </label>
              );
            })}
          </fieldset>
        );
      }
      return (
        <textarea
          {...common}
          rows={3}
          placeholder="one value per line"
          value={String(value)}
          onChange={(event) => onChange(event.target.value)}
        />
      );
    case 'secret':
      return (
        <input
          {...common}
          autoComplete="off"
          spellCheck={false}
          placeholder="a secret path, e.g. db/prod/password"
          value={String(value)}
          onChange={(event) => onChange(event.target.value)}
        />
      );
    default:
      return (
        <input
          {...common}
          autoComplete="off"
          pattern={option.pattern}
          value={String(value)}
          onChange={(event) => onChange(event.target.value)}
        />
      );
  }
}
