/** Strings of the header's presence menu (issue 13). */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  menu: 'My presence: {state}',
  heading: 'My presence',
  available: 'Available',
  away: 'Away',
  awayFor: 'Away: {reason}',
  offline: 'Offline',
  reason: {
    break: 'break',
    lunch: 'lunch',
    training: 'training',
    meeting: 'meeting',
  },
  hint: 'Away or offline: no new conversation is assigned to you; yours stay yours.',
  changed: 'You are now {state}.',
} as const;

export const presenceText = defineMessages('presence', {
  en,
  fr: {
    menu: 'Ma présence : {state}',
    heading: 'Ma présence',
    available: 'Disponible',
    away: 'Absent',
    awayFor: 'Absent : {reason}',
    offline: 'Hors ligne',
    reason: {
      break: 'pause',
      lunch: 'déjeuner',
      training: 'formation',
      meeting: 'réunion',
    },
    hint: 'Absent ou hors ligne : aucune nouvelle conversation ne vous est assignée ; les vôtres restent à vous.',
    changed: 'Vous êtes maintenant : {state}.',
  },
});
