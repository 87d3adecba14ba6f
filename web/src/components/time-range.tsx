/**
 * The since/until filter of lists: preset windows as buttons, and free bounds (an ISO time or a
 * duration ago) committed on Enter or when the field loses focus, checked as the API checks them.
 */
import { useEffect, useId, useState } from 'react';
import { TIME_PRESETS, timeBoundProblem } from './time-bound';

interface TimeRangeProps {
  since: string;
  until: string;
  onChange: (range: { since?: string; until?: string }) => void;
  /** What the times are of: `Queued` executions, audit records `Recorded`. */
  legend: string;
  /** Problems the API reported, by field (`since`, `until`). */
  refused?: Partial<Record<'since' | 'until', string>>;
}

export function TimeRange({ since, until, onChange, legend, refused = {} }: TimeRangeProps) {
  return (
    <fieldset className="time-range">
      <legend>{legend}</legend>
      <div className="time-presets" role="group" aria-label="Preset windows">
        {TIME_PRESETS.map((preset) => (
          <button
            key={preset.value}
            type="button"
            aria-pressed={since === preset.value && !until}
            onClick={() => onChange({ since: preset.value, until: undefined })}
          >
            {preset.label}
          </button>
        ))}
        <button
          type="button"
          aria-pressed={!since && !until}
          onClick={() => onChange({ since: undefined, until: undefined })}
        >
          Any time
        </button>
      </div>
      <div className="time-bounds">
        <BoundField
          label="Since"
          value={since}
          refused={refused.since}
          onCommit={(value) => onChange({ since: value })}
        />
        <BoundField
          label="Until"
          value={until}
          refused={refused.until}
          onCommit={(value) => onChange({ until: value })}
        />
      </div>
    </fieldset>
  );
}

function BoundField({
  label,
  value,
  refused,
  onCommit,
}: {
  label: string;
  value: string;
  refused: string | undefined;
  onCommit: (value: string | undefined) => void;
}) {
  const [draft, setDraft] = useState(value);
  const errorId = useId();
  // A preset or a link changed the URL: show what it says now.
  useEffect(() => setDraft(value), [value]);
  const problem = timeBoundProblem(draft) ?? (draft === value ? refused : undefined) ?? null;
  const commit = () => {
    if (draft !== value && timeBoundProblem(draft) === null) onCommit(draft.trim() || undefined);
  };
  return (
    <label>
      {label}
      <input
        value={draft}
        placeholder="7d or 2025-03-14"
        aria-invalid={problem !== null}
        aria-describedby={problem ? errorId : undefined}
        onChange={(event) => setDraft(event.target.value)}
        onBlur={commit}
        onKeyDown={(event) => {
          if (event.key === 'Enter') {
            event.preventDefault();
            commit();
          }
        }}
      />
      {problem && (
        <span id={errorId} className="field-error">
          {problem}
        </span>
      )}
    </label>
  );
}
