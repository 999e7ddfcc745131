/** An API failure as a sentence for a toast or a form. */
import { common } from '@smsgate/shared/i18n/common';
import { ApiError } from '../../api/hub';

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.kind === 'network') return common.t('errors.network');
    if (e.kind === 'forbidden') return common.t('errors.forbidden');
    return e.field ? common.t('errors.field', { field: e.field, message: e.message }) : e.message;
  }
  return String(e);
}
