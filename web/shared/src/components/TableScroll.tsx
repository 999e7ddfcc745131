import type { ComponentChildren, JSX } from 'preact';

/**
 * The frame of a wide table: it scrolls sideways on a phone rather than squeezing, and the
 * scrolling region is a labelled, focusable landmark so a keyboard user can scroll it too
 * (WCAG 2.1.1; axe `scrollable-region-focusable`).
 */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
