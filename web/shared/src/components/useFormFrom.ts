import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A form's state, seeded from what the server gave and replaced when the server gives something new
 * (a save's answer, a reload). The mount never replaces it: a user may type into the form before
 * its first effects run, and a reset then would silently throw that away.
 */
export function useFormFrom<S, F>(source: S, formOf: (s: S) => F): [F, (f: F) => void] {
  const [form, setForm] = useState<F>(() => formOf(source));
  const shown = useRef(source);
  useEffect(() => {
    if (shown.current === source) return;
    shown.current = source;
    setForm(formOf(source));
  }, [source]);
  return [form, setForm];
}
