import { catalogueProblems } from '@smsgate/shared/i18n/testing';
import { describe, expect, it } from 'vitest';
import { shell } from '../app/messages';
import { presenceText } from '../app/presenceMessages';
import { campaignsText } from './campaigns/messages';
import { inboxFloorText } from './inbox/floorMessages';
import { inboxText } from './inbox/messages';
import { messageText } from './inbox/messageMessages';
import { recipientNumber } from './inbox/NewMessageDialog';
import { interactionsText } from './interactions/messages';
import { monitorText } from './monitor/messages';
import { contactsText } from './contacts/messages';
import { kitText } from './kit/messages';
import { hoursText } from './kit/hoursMessages';
import { bulkText } from './bulk/messages';
import { optOutText } from './optouts/messages';
import { queuesText } from './queues/messages';
import { usersText } from './users/messages';
import { channelsText } from './channels/messages';
import { tenantsText } from './tenants/messages';
import { gatewaysText } from './gateways/messages';
import { apiKeysText } from './apikeys/messages';
import { webhooksText } from './webhooks/messages';
import { reportsText } from './reports/messages';
import { notificationsText } from './notifications/messages';
import { cannedText } from './canned/messages';
import { auditText } from './audit/messages';

describe('every portal string is translated', () => {
  it.each([shell, inboxText, interactionsText, monitorText, kitText, contactsText, bulkText, optOutText, usersText, queuesText, channelsText, tenantsText, gatewaysText, apiKeysText, webhooksText, inboxFloorText, reportsText, notificationsText, cannedText, auditText, campaignsText, messageText, presenceText, hoursText].map((c) => [c.namespace, c] as const))('%s: French matches English key for key', (_n, c) => {
    expect(catalogueProblems(c)).toEqual([]);
  });
});

describe('the new-message recipient', () => {
  it('accepts an international number, spaces allowed', () => {
    expect(recipientNumber('+44 7700 900123')).toBe('+447700900123');
  });
  it('takes the number of a picked contact suggestion', () => {
    expect(recipientNumber('Élodie Martin (+33612345678)')).toBe('+33612345678');
  });
  it('refuses a number without country code or a bare name', () => {
    expect(recipientNumber('0612345678')).toBeUndefined();
    expect(recipientNumber('Élodie')).toBeUndefined();
  });
});
