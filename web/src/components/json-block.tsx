/**
 * A JSON value, pretty-printed in a block that folds away and copies with one click (like a job's
 * YAML). Used for an event's payload and an execution's output.
 */
import { useState } from 'react';
import './json-block.css';

export function JsonBlock({
  value,
  label,
  open = true,
}: {
  value: unknown;
  /** Said on the fold, e.g. "Payload (1.2 KB)". */
  label: string;
  open?: boolean;
}) {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const [copied, setCopied] = useState(false);
  return (
    <details className="json-block" open={open}>
      <summary>{label}</summary>
      <div className="code-block">
        <button
          type="button"
          className="ghost copy"
          onClick={() => {
            void navigator.clipboard?.writeText(text).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <pre>
          <code>{text}</code>
        </pre>
      </div>
    </details>
  );
}
