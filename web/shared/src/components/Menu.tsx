/**
 * A menu button (WAI-ARIA menu pattern): Enter/Space/ArrowDown open it on the first item,
 * arrows and Home/End move, Escape or Tab closes it and returns focus to the button, a click
 * outside closes it.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { Icon, type IconName } from './Icon';

export interface MenuItem {
  id: string;
  label: string;
  icon?: IconName;
  /** A radio item (e.g. a language or a theme): shown checked. */
  checked?: boolean;
  disabled?: boolean;
  danger?: boolean;
  onSelect: () => void;
}

export type MenuEntry = MenuItem | { separator: true; id: string } | { heading: string; id: string };

export function Menu({ label, button, items, align = 'end', class: cls }: {
  /** Accessible name of the button. */
  label: string;
  /** What the button shows (defaults to a "more" icon). */
  button?: ComponentChildren;
  items: MenuEntry[];
  align?: 'start' | 'end';
  class?: string;
}): JSX.Element {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const id = useId();
  const focusItem = (which: 'first' | 'last' | number) => {
    const nodes = [...(listRef.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]:not([aria-disabled="true"])') ?? [])];
    if (!nodes.length) return;
    const current = nodes.indexOf(document.activeElement as HTMLElement);
    const i = which === 'first' ? 0 : which === 'last' ? nodes.length - 1 : (current + which + nodes.length) % nodes.length;
    nodes[i]?.focus();
  };
  useEffect(() => {
    if (!open) return;
    focusItem('first');
    const onDown = (e: MouseEvent) => {
      const t = e.target as Node;
      if (!listRef.current?.contains(t) && !buttonRef.current?.contains(t)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        focusItem(1);
        break;
      case 'ArrowUp':
        e.preventDefault();
        focusItem(-1);
        break;
      case 'Home':
        e.preventDefault();
        focusItem('first');
        break;
      case 'End':
        e.preventDefault();
        focusItem('last');
        break;
      case 'Escape':
        e.preventDefault();
        close(true);
        break;
      case 'Tab':
        close(false);
        break;
    }
  };
  return (
    <div class={`menu${cls ? ` ${cls}` : ''}`}>
      <button
        ref={buttonRef}
        type="button"
        class={button ? 'menu-button' : 'icon-btn'}
        aria-haspopup="menu"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls={open ? id : undefined}
        aria-label={button ? undefined : label}
        title={button ? undefined : label}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        {button ? (
          <>
            {/* The visible content stays part of the accessible name (WCAG 2.5.3). */}
            <span class="visually-hidden">{label} </span>
            {button}
          </>
        ) : (
          <Icon name="more" />
        )}
      </button>
      {open ? (
        <div ref={listRef} id={id} role="menu" aria-label={label} class={`menu-list menu-${align}`} onKeyDown={onKey}>
          {items.map((it) => {
            if ('separator' in it) return <div key={it.id} role="separator" class="menu-separator" />;
            if ('heading' in it) return <div key={it.id} role="presentation" class="menu-heading">{it.heading}</div>;
            const radio = it.checked !== undefined;
            return (
              <div
                key={it.id}
                role={radio ? 'menuitemradio' : 'menuitem'}
                aria-checked={radio ? (it.checked ? 'true' : 'false') : undefined}
                aria-disabled={it.disabled ? 'true' : undefined}
                tabIndex={-1}
                class={`menu-item${it.danger ? ' menu-item-danger' : ''}`}
                onClick={() => {
                  if (it.disabled) return;
                  close(true);
                  it.onSelect();
                }}
                onKeyDown={(e) => {
                  if ((e.key === 'Enter' || e.key === ' ') && !it.disabled) {
                    e.preventDefault();
                    close(true);
                    it.onSelect();
                  }
                }}
              >
                {it.icon ? <Icon name={it.icon} /> : <span class="menu-icon-space" />}
                <span>{it.label}</span>
                {radio && it.checked ? <Icon name="check" class="menu-check" /> : null}
              </div>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}
