/** My account: name, password (the hub ends the other sessions on a password change). */
import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, call } from '../../api/hub';
import { shell } from '../../app/messages';
import { loadSession, me } from '../../app/session';

const MIN_PASSWORD = 8;

export function ProfileDialog({ onClose }: { onClose: () => void }): JSX.Element | null {
  const m = me.value;
  const user = m?.user;
  const [name, setName] = useState(user?.name ?? '');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<'name' | 'password' | null>(null);
  if (!m || !user) return null;

  const saveName = async (e: Event) => {
    e.preventDefault();
    setBusy('name');
    setErrors({});
    try {
      await call(api.PATCH('/api/v1/users/{id}', { params: { path: { id: user.id } }, body: { name } }));
      await loadSession();
      toast(shell.t('profile.saved'), 'success');
    } catch (err) {
      setErrors({ name: err instanceof ApiError ? err.message : String(err) });
    } finally {
      setBusy(null);
    }
  };

  const changePassword = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (next.length < MIN_PASSWORD) errs.next = shell.t('profile.tooShort', { min: MIN_PASSWORD });
    if (next !== confirm) errs.confirm = shell.t('profile.mismatch');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy('password');
    try {
      // Prove the current password first (the hub's PATCH does not ask for it).
      await call(api.POST('/api/v1/auth/login', { body: { login: user.login, password: current } })).catch((err) => {
        if (err instanceof ApiError && err.kind === 'unauthorized') throw new ApiError(401, shell.t('profile.wrongCurrent'), undefined, 'current');
        throw err;
      });
      await call(api.PATCH('/api/v1/users/{id}', { params: { path: { id: user.id } }, body: { password: next } }));
      // The change ended every session, this one too: log in again with the new password.
      await call(api.POST('/api/v1/auth/login', { body: { login: user.login, password: next } }));
      await loadSession();
      toast(shell.t('profile.passwordChanged'), 'success');
      onClose();
    } catch (err) {
      if (err instanceof ApiError && err.field === 'current') setErrors({ current: err.message });
      else setErrors({ next: err instanceof ApiError ? err.message : String(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <Dialog open title={shell.t('profile.title')} onClose={onClose}>
      <dl class="facts">
        <dt>{shell.t('profile.login')}</dt>
        <dd>{user.login}</dd>
        <dt>{shell.t('profile.role')}</dt>
        <dd>{shell.t(`roles.${m.role}`)}</dd>
        <dt>{shell.t('profile.organisation')}</dt>
        <dd>{m.org.name}</dd>
      </dl>
      <form onSubmit={saveName}>
        <TextField label={shell.t('profile.name')} value={name} autoComplete="name" required error={errors.name} onInput={(e) => setName(e.currentTarget.value)} />
        <Button type="submit" busy={busy === 'name'}>{shell.t('profile.saveName')}</Button>
      </form>
      <form onSubmit={changePassword} class="section">
        <h3>{shell.t('profile.passwordTitle')}</h3>
        <input type="text" name="username" autoComplete="username" value={user.login} readOnly hidden />
        <TextField label={shell.t('profile.current')} type="password" autoComplete="current-password" required value={current} error={errors.current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        <TextField label={shell.t('profile.newPassword')} type="password" autoComplete="new-password" required value={next} error={errors.next} onInput={(e) => setNext(e.currentTarget.value)} />
        <TextField label={shell.t('profile.confirm')} type="password" autoComplete="new-password" required value={confirm} error={errors.confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
        <Button type="submit" variant="primary" busy={busy === 'password'}>{shell.t('profile.changePassword')}</Button>
      </form>
    </Dialog>
  );
}
