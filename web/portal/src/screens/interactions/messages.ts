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
  more: {
    button: 'Load more closed conversations',
    loading: 'Loading more conversations…',
    failed: 'Closed conversations could not be loaded.',
    retry: 'Try again',
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
    more: {
      button: 'Charger d’autres conversations fermées',
      loading: 'Chargement d’autres conversations…',
      failed: 'Les conversations fermées n’ont pas pu être chargées.',
      retry: 'Réessayer',
    },
  },
});
