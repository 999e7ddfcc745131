/**
 * A port's settings form: device, baud, flow control, profile, PIN (write-only: never filled
 * in, the server never gives it back), SMSC and text mode. The gateway validates the change as
 * `config check` would, saves it to overrides.json and restarts the port with it; every field it
 * refuses is shown on that field, and nothing is changed then.
 */
import { Button } from '@smsgate/shared/components/Button';
import { SelectField, TextField } from '@smsgate/shared/components/Field';
import { toast } from '@smsgate/shared/components/Toasts';
import type { JSX } from 'preact';
import { useFormFrom } from '@smsgate/shared/components/useFormFrom';
import { useState } from 'preact/hooks';
import { ApiError, api, call, type PortSettings } from '../../api/box';
import { app } from '../../app/messages';
import { portsMsg } from './messages';
import { BAUD_RATES, FLOW_CONTROLS, PROFILES, settingsFormOf, settingsPatchOf, type SettingsForm as Form } from './settings';

const FLOW_WORDS = { none: 'detail.flowNone', hardware: 'detail.flowHardware', software: 'detail.flowSoftware' } as const;

export function SettingsForm({ settings, onSaved }: { settings: PortSettings; onSaved: (s: PortSettings) => void }): JSX.Element {
  const initial = settingsFormOf(settings);
  const [form, setForm] = useFormFrom(settings, settingsFormOf);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Array<{ field?: string; message: string }>>([]);
  const text = (k: 'device' | 'baud' | 'flow_control' | 'profile' | 'pin' | 'smsc') => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const err = (k: string) => problems.find((p) => p.field === k)?.message;
  const id = settings.id;
  const none = app.t('none');

  if (!settings.editable) {
    return (
      <section class="panel" aria-labelledby="set-title">
        <h2 id="set-title">{portsMsg.t('detail.settings')}</h2>
        <p class="muted">{portsMsg.t('detail.notEditable')}</p>
        <dl class="facts">
          <dt>{portsMsg.t('detail.kind')}</dt><dd>{settings.kind}</dd>
          <dt>{portsMsg.t('detail.device')}</dt><dd class="mono wrap-any">{settings.device}</dd>
          <dt>{portsMsg.t('detail.groups')}</dt><dd>{settings.groups.join(', ') || none}</dd>
        </dl>
      </section>
    );
  }

  const save = async (e: Event) => {
    e.preventDefault();
    const patch = settingsPatchOf(initial, form);
    if (Object.keys(patch).length === 0) {
      toast(portsMsg.t('detail.nothing'));
      return;
    }
    setBusy(true);
    setProblems([]);
    try {
      const r = await call(api.PATCH('/api/v1/box/ports/{id}/settings', { params: { path: { id } }, body: patch as never }));
      toast(portsMsg.t('detail.saved', { port: id }), 'success');
      setForm(settingsFormOf(r));
      onSaved(r);
    } catch (error) {
      if (error instanceof ApiError && error.details.length) setProblems([...error.details]);
      else setProblems([{ message: error instanceof Error ? error.message : String(error) }]);
    } finally {
      setBusy(false);
    }
  };
  // A problem with no field of this form (e.g. `body`) is listed above it only.
  const known = new Set(['device', 'baud', 'flow_control', 'profile', 'pin', 'smsc', 'text_mode']);
  return (
    <section class="panel" aria-labelledby="set-title">
      <h2 id="set-title">{portsMsg.t('detail.settings')}</h2>
      <dl class="facts">
        <dt>{portsMsg.t('detail.kind')}</dt><dd>{settings.kind}</dd>
        <dt>{portsMsg.t('detail.groups')}</dt><dd>{settings.groups.join(', ') || none}</dd>
      </dl>
      {settings.overridden.length ? <p class="muted" data-testid="overridden">{portsMsg.t('detail.overridden', { fields: settings.overridden.join(', ') })}</p> : null}
      <form onSubmit={save} noValidate>
        {problems.length ? (
          <div role="alert">
            <p class="form-error">{portsMsg.t('detail.refused')}</p>
            <ul class="problems">
              {problems.map((p, i) => <li key={i}>{p.field && known.has(p.field) ? `${p.field}: ${p.message}` : p.message}</li>)}
            </ul>
          </div>
        ) : null}
        <div class="form-grid">
          <TextField label={portsMsg.t('detail.device')} hint={portsMsg.t('detail.deviceHint')} name="device" autoComplete="off" spellcheck={false} value={form.device} onInput={text('device')} error={err('device')} />
          <TextField label={portsMsg.t('detail.baud')} name="baud" inputMode="numeric" list="baud-rates" autoComplete="off" value={form.baud} onInput={text('baud')} error={err('baud')} />
          <datalist id="baud-rates">{BAUD_RATES.map((b) => <option key={b} value={String(b)} />)}</datalist>
          <SelectField label={portsMsg.t('detail.flow')} name="flow_control" value={form.flow_control} onChange={text('flow_control')} error={err('flow_control')}>
            {FLOW_CONTROLS.map((f) => <option key={f} value={f}>{portsMsg.t(FLOW_WORDS[f])}</option>)}
          </SelectField>
          <SelectField label={portsMsg.t('detail.profile')} name="profile" value={form.profile} onChange={text('profile')} error={err('profile')}>
            {PROFILES.map((p) => <option key={p} value={p}>{p === 'generic' ? portsMsg.t('detail.profileGeneric') : p.charAt(0).toUpperCase() + p.slice(1)}</option>)}
          </SelectField>
          <TextField
            label={portsMsg.t('detail.pinNew')}
            hint={settings.pin_set ? portsMsg.t('detail.pinHintSet') : portsMsg.t('detail.pinHintNone')}
            name="pin"
            type="password"
            inputMode="numeric"
            autoComplete="new-password"
            value={form.pin}
            disabled={form.clearPin}
            onInput={text('pin')}
            error={err('pin')}
          />
          <TextField label={portsMsg.t('detail.smsc')} hint={portsMsg.t('detail.smscHint')} name="smsc" type="tel" inputMode="tel" autoComplete="off" value={form.smsc} onInput={text('smsc')} error={err('smsc')} />
        </div>
        {settings.pin_set ? (
          <label class="check">
            <input type="checkbox" name="clear_pin" checked={form.clearPin} onChange={(e) => setForm({ ...form, clearPin: e.currentTarget.checked, pin: '' })} />
            <span>{portsMsg.t('detail.pinClear')}</span>
          </label>
        ) : null}
        <label class="check">
          <input type="checkbox" name="text_mode" checked={form.text_mode} aria-invalid={err('text_mode') ? 'true' : undefined} onChange={(e) => setForm({ ...form, text_mode: e.currentTarget.checked })} />
          <span>{portsMsg.t('detail.textModeLabel')}</span>
        </label>
        {err('text_mode') ? <div class="field-error" role="alert">{err('text_mode')}</div> : null}
        <div class="actions">
          <Button type="submit" variant="primary" busy={busy}>{portsMsg.t('detail.saveSettings', { port: id })}</Button>
        </div>
      </form>
    </section>
  );
}
