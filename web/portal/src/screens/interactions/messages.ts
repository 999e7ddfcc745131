import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  nav: 'Interactions',
  title: 'Interactions',
  intro: 'Every conversation, closed ones included.',
  table: {
    label: 'Interactions',
    contact: 'Contact',
    channel: 'Channel',
    status: 'Status',
    assignee: 'Assigned to',
    updated: 'Last activity',
    open: 'View the conversation with {who}',
  },
} as const;

export const interactionsText = defineMessages('interactions', {
  en,
  fr: {
    nav: 'Interactions',
    title: 'Interactions',
    intro: 'Toutes les conversations, y compris celles qui sont fermées.',
    table: {
      label: 'Interactions',
      contact: 'Contact',
      channel: 'Canal',
      status: 'Statut',
      assignee: 'Assigné à',
      updated: 'Dernière activité',
      open: 'Voir la conversation avec {who}',
    },
  },
});
