/** Strings of the supervisor monitor. */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  nav: 'Monitor',
  title: 'Live monitor',
  intro: 'Agents and waiting customers, as they change.',
  agents: {
    label: 'Agents',
    name: 'Agent',
    state: 'State',
    since: 'Time in state',
    active: 'Active',
    completed: 'Completed today',
    actions: 'Actions',
    logout: 'Log {name} out',
    loggedOut: '{name} was logged out.',
    none: 'No agent in this tenant.',
  },
  state: {
    offline: 'Offline',
    available: 'Available',
    busy: 'Busy',
    away: 'Away',
  },
  reason: {
    break: 'break',
    lunch: 'lunch',
    training: 'training',
    meeting: 'meeting',
  },
  signedOff: 'signed off',
  waiting: {
    label: 'Customers waiting',
    number: 'Customer',
    waited: 'Waiting for',
    assignee: 'Assigned to',
    nobody: 'Nobody',
    spy: 'Watch the conversation with {who}',
    takeOver: 'Take over',
    taken: 'The conversation is yours now.',
    none: 'Nobody is waiting.',
  },
  spy: {
    title: 'Watching {who}',
    readOnly: 'Read only: you see the conversation live and cannot write in it.',
    back: 'Back to the monitor',
  },
} as const;

export const monitorText = defineMessages('monitor', {
  en,
  fr: {
    nav: 'Supervision',
    title: 'Supervision en direct',
    intro: 'Les agents et les clients en attente, en temps réel.',
    agents: {
      label: 'Agents',
      name: 'Agent',
      state: 'État',
      since: 'Depuis',
      active: 'Actives',
      completed: "Terminées aujourd'hui",
      actions: 'Actions',
      logout: 'Déconnecter {name}',
      loggedOut: '{name} a été déconnecté.',
      none: 'Aucun agent dans cette société.',
    },
    state: {
      offline: 'Hors ligne',
      available: 'Disponible',
      busy: 'Occupé',
      away: 'Absent',
    },
    reason: {
      break: 'pause',
      lunch: 'déjeuner',
      training: 'formation',
      meeting: 'réunion',
    },
    signedOff: 'déconnecté par choix',
    waiting: {
      label: 'Clients en attente',
      number: 'Client',
      waited: 'Attend depuis',
      assignee: 'Assigné à',
      nobody: 'Personne',
      spy: 'Observer la conversation avec {who}',
      takeOver: 'Prendre en charge',
      taken: 'La conversation vous est assignée.',
      none: "Personne n'attend.",
    },
    spy: {
      title: 'Observation de {who}',
      readOnly: 'Lecture seule : vous voyez la conversation en direct sans pouvoir y écrire.',
      back: 'Retour à la supervision',
    },
  },
});
