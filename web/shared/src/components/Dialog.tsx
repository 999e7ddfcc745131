/**
 * A modal dialog on the native `<dialog>` element: focus is trapped and restored by the browser,
 * Escape closes it, the title labels it. When its content is taller than the screen allows, the
 * content becomes a labelled, focusable region so a keyboard user can scroll it too (WCAG 2.1.1;
 * axe `scrollable-region-focusable`); short content adds no tab stop.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { common } from '../i18n/common';
import { IconButton } from './Button';

export function Dialog({ open, title, onClose, children, footer, wide }: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  wide?: boolean;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  const titleId = useId();
  useEffect(() => {
    const c = content.current;
    if (!open || !c) return undefined;
    const check = (): void => setScrolls(c.scrollHeight > c.clientHeight + 1);
    check();
    const resized = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(check);
    resized?.observe(c);
    const changed = new MutationObserver(check);
    changed.observe(c, { childList: true, subtree: true, characterData: true });
    return () => {
      resized?.disconnect();
      changed.disconnect();
    };
  }, [open]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      onClose={() => open && onClose()}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <div class="dialog-body">
          <header class="dialog-header">
            <h2 id={titleId}>{title}</h2>
            <IconButton icon="close" label={common.t('dialog.close')} onClick={onClose} />
          </header>
          <div ref={content} class="dialog-content" {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-labelledby': titleId } : {})}>
            {children}
          </div>
          {footer ? <footer class="dialog-footer">{footer}</footer> : null}
        </div>
      ) : null}
    </dialog>
  );
}
