/**
 * Approve with an optional comment, or reject with a required one (the requester reads why).
 * Used by the approvals inbox and the execution page, so a decision works the same on both.
 */
import { useId, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { post } from '../api/client';
import type { Execution } from '../api/types';
import { ErrorMessage } from './common';
import './decision-form.css';

export type Verdict = 'approve' | 'reject';

export function DecisionForm({
  executionId,
  onDecided,
  renderError = (error) => <ErrorMessage error={error} />,
}: {
  executionId: number;
  /** Called with the execution as the decision left it. */
  onDecided: (verdict: Verdict, execution: Execution) => void | Promise<void>;
  renderError?: (error: unknown) => ReactNode;
}) {
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<Verdict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [missingReason, setMissingReason] = useState(false);
  const commentId = useId();
  const hintId = useId();

  const decide = async (verdict: Verdict) => {
    setError(null);
    const text = comment.trim();
    if (verdict === 'reject' && text === '') {
      setMissingReason(true);
      document.getElementById(commentId)?.focus();
      return;
    }
    setBusy(verdict);
    try {
      const { execution } = await post<{ execution: Execution }>(
        `/api/v1/executions/${executionId}/${verdict}`,
        text ? { comment: text } : {},
      );
      await onDecided(verdict, execution);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['approvals'] }),
        queryClient.invalidateQueries({ queryKey: ['executions'] }),
        queryClient.invalidateQueries({ queryKey: ['execution', executionId] }),
      ]);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  };

  return (
    <form className="decision-form" onSubmit={(event) => event.preventDefault()}>
      <label htmlFor={commentId}>Comment (optional to approve, required to reject)</label>
      <textarea
        id={commentId}
        rows={2}
        maxLength={2000}
        value={comment}
        aria-invalid={missingReason && comment.trim() === ''}
        aria-describedby={missingReason ? hintId : undefined}
        onChange={(event) => {
          setComment(event.target.value);
          if (event.target.value.trim()) setMissingReason(false);
        }}
      />
      {missingReason && (
        <p id={hintId} className="field-error">
          Say why you reject it: the requester sees this comment.
        </p>
      )}
      <div className="decision-buttons">
        <button
          type="button"
          className="primary"
          disabled={busy !== null}
          onClick={() => void decide('approve')}
        >
          {busy === 'approve' ? 'Approving…' : 'Approve'}
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy !== null}
          onClick={() => void decide('reject')}
        >
          {busy === 'reject' ? 'Rejecting…' : 'Reject'}
        </button>
      </div>
      {error !== null && renderError(error)}
    </form>
  );
}
