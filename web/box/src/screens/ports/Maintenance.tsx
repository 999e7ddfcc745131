/**
 * A port's maintenance actions, each after a confirmation: reset the modem (`AT+CFUN`), and
 * power-cycle it through its power control. A port with none wired answers 409
 * `no_power_control`, shown as a plain sentence saying what to do instead.
 */
import { Button } from '@smsgate/shared/components/Button';
import { Dialog } from '@smsgate/shared/components/Dialog';
import { toast } from '@smsgate/shared/components/Toasts';
import { common } from '@smsgate/shared/i18n/common';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api, call } from '../../api/box';
import { portsMsg } from './messages';

/** What the technician reads when a power cycle is refused or fails. */
export function powerCycleProblem(port: number, e: unknown): string {
  if (e instanceof ApiError && e.status === 409 && e.code === 'no_power_control') return portsMsg.t('detail.noPower', { port });
  const message = e instanceof Error ? e.message : String(e);
  return portsMsg.t('detail.powerFailed', { port, message });
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.field ? common.t('errors.field', { field: e.field, message: e.message }) : e.message;
  return String(e);
}

type Asking = 'reset' | 'power' | undefined;

export function Maintenance({ port }: { port: number }): JSX.Element {
  const [asking, setAsking] = useState<Asking>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const run = async (what: 'reset' | 'power') => {
    setBusy(true);
    setProblem(undefined);
    setDone(undefined);
    try {
      if (what === 'reset') {
        await call(api.POST('/api/v1/ports/{id}/reset', { params: { path: { id: port } } }));
        toast(portsMsg.t('detail.resetDone', { port }), 'success');
      } else {
        await call(api.POST('/api/v1/ports/{id}/power-cycle', { params: { path: { id: port } } }));
        setDone(portsMsg.t('detail.powerDone', { port }));
      }
    } catch (err) {
      if (what === 'reset') toast(errorText(err), 'error');
      else setProblem(powerCycleProblem(port, err));
    } finally {
      setBusy(false);
      setAsking(undefined);
    }
  };
  return (
    <section class="panel" aria-labelledby="maint-title">
      <h2 id="maint-title">{portsMsg.t('detail.maintenance')}</h2>
      <div class="actions">
        <Button variant="danger" onClick={() => setAsking('reset')}>{portsMsg.t('detail.reset')}</Button>
        <Button variant="danger" onClick={() => setAsking('power')}>{portsMsg.t('detail.powerCycle')}</Button>
      </div>
      {problem ? <p class="form-error" role="alert" data-testid="power-problem">{problem}</p> : null}
      {done ? <p class="notice" role="status" data-testid="power-done">{done}</p> : null}
      <Dialog
        open={asking !== undefined}
        title={asking === 'power' ? portsMsg.t('detail.powerConfirmTitle', { port }) : portsMsg.t('detail.resetConfirmTitle', { port })}
        onClose={() => setAsking(undefined)}
        footer={
          <>
            <Button onClick={() => setAsking(undefined)}>{common.t('actions.cancel')}</Button>
            <Button variant="danger" busy={busy} onClick={() => asking && void run(asking)}>
              {asking === 'power' ? portsMsg.t('detail.powerCycle') : portsMsg.t('detail.reset')}
            </Button>
          </>
        }
      >
        <p>{asking === 'power' ? portsMsg.t('detail.powerConfirm') : portsMsg.t('detail.resetConfirm')}</p>
      </Dialog>
    </section>
  );
}
