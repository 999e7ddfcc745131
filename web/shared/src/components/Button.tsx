import type { ComponentChildren, JSX } from 'preact';
import { Icon, type IconName } from './Icon';

type ButtonProps = Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, 'icon' | 'type' | 'disabled'> & {
  variant?: 'primary' | 'secondary' | 'ghost' | 'danger';
  icon?: IconName;
  busy?: boolean;
  children?: ComponentChildren;
  type?: 'button' | 'submit' | 'reset';
  disabled?: boolean;
};

export function Button({ variant = 'secondary', icon, busy, children, class: cls, type = 'button', disabled, ...rest }: ButtonProps): JSX.Element {
  return (
    <button {...rest} type={type} disabled={disabled || busy} aria-busy={busy ? 'true' : undefined} class={`btn btn-${variant}${cls ? ` ${cls}` : ''}`}>
      {icon ? <Icon name={icon} /> : null}
      {children ? <span>{children}</span> : null}
    </button>
  );
}

/** A button showing only an icon: the label is mandatory (screen readers, tooltips). */
export function IconButton({ icon, label, class: cls, pressed, ...rest }: Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, 'icon' | 'label'> & { icon: IconName; label: string; pressed?: boolean }): JSX.Element {
  return (
    <button type="button" {...rest} class={`icon-btn${cls ? ` ${cls}` : ''}`} aria-label={label} title={label} aria-pressed={pressed === undefined ? undefined : pressed ? 'true' : 'false'}>
      <Icon name={icon} />
    </button>
  );
}
