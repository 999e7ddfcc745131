import type { JSX } from 'preact';
import { common } from '../i18n/common';
import { Icon } from './Icon';

/** Shown instead of a screen the user's role may not use (the seed's "Please Wait"). */
export function NoAccess({ detail }: { detail?: string }): JSX.Element {
  return (
    <div class="no-access" role="alert">
      <Icon name="lock" size={32} />
      <h2>{common.t('errors.forbidden')}</h2>
      {detail ? <p>{detail}</p> : null}
    </div>
  );
}
