/** Form fields: every control has a visible label, its hint and error tied by `aria-describedby`. */
import type { ComponentChildren, JSX } from 'preact';
import { useId } from 'preact/hooks';

interface FieldProps {
  label: string;
  hint?: ComponentChildren;
  error?: string | undefined;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: 'true' }) => ComponentChildren;
}

export function Field({ label, hint, error, children }: FieldProps): JSX.Element {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children({ id, ...(described ? { 'aria-describedby': described } : {}), ...(error ? { 'aria-invalid': 'true' as const } : {}) })}
      {hint ? <div id={hintId} class="field-hint">{hint}</div> : null}
      {error ? <div id={errorId} class="field-error" role="alert">{error}</div> : null}
    </div>
  );
}

type InputProps = JSX.InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ComponentChildren; error?: string | undefined };

export function TextField({ label, hint, error, ...rest }: InputProps): JSX.Element {
  return (
    <Field label={label} hint={hint} error={error}>
      {(a) => <input class="input" {...rest} {...a} />}
    </Field>
  );
}

type SelectProps = JSX.SelectHTMLAttributes<HTMLSelectElement> & { label: string; hint?: ComponentChildren; error?: string | undefined; children: ComponentChildren };

export function SelectField({ label, hint, error, children, ...rest }: SelectProps): JSX.Element {
  return (
    <Field label={label} hint={hint} error={error}>
      {(a) => (
        <select class="input" {...rest} {...a}>
          {children}
        </select>
      )}
    </Field>
  );
}
