/**
 * A modal dialog on the native `<dialog>` element: focus is trapped and restored by the browser,
 * Escape closes it, the title labels it.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
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
  const titleId = useId();
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
          <div class="dialog-content">{children}</div>
          {footer ? <footer class="dialog-footer">{footer}</footer> : null}
        </div>
      ) : null}
    </dialog>
  );
}
