import { describe, expect, it } from 'vitest';
import { CursorTrail } from './cursor-trail';

describe('Newer/Older paging by cursor', () => {
  it('retraces the Older steps taken, back to the first page', () => {
    const trail = new CursorTrail();
    trail.stepOlder('f', undefined, '150');
    trail.stepOlder('f', '150', '100');
    expect(trail.newer('f', '100')).toEqual({ known: true, cursor: '150' });
    expect(trail.newer('f', '150')).toEqual({ known: true, cursor: undefined });
  });

  it('does not know the page before one opened from a link', () => {
    expect(new CursorTrail().newer('f', '100')).toEqual({ known: false });
  });

  it('keeps the trails of different filters apart', () => {
    const trail = new CursorTrail();
    trail.stepOlder('state=failed', '900', '500');
    expect(trail.newer('state=running', '500')).toEqual({ known: false });
  });

  it('has nothing newer than the first page', () => {
    const trail = new CursorTrail();
    trail.stepOlder('f', undefined, '150');
    expect(trail.newer('f', undefined)).toEqual({ known: false });
  });
});
