/** Strings of the audit log. */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  nav: 'Audit log',
  title: 'Audit log',
  intro: 'Who created, changed, deleted or exported what, and when; newest first.',
  search: 'Search actor, action, target and detail',
  since: 'From',
  until: 'Until',
  none: 'No entry.',
  col: { at: 'When', actor: 'Who', action: 'Action', target: 'What', detail: 'Detail' },
} as const;

export const auditText = defineMessages('audit', {
  en,
  fr: {
    nav: "Journal d'audit",
    title: "Journal d'audit",
    intro: 'Qui a créé, modifié, supprimé ou exporté quoi, et quand ; les plus récents en premier.',
    search: "Rechercher l'auteur, l'action, la cible et le détail",
    since: 'Du',
    until: "Jusqu'au",
    none: 'Aucune entrée.',
    col: { at: 'Quand', actor: 'Qui', action: 'Action', target: 'Quoi', detail: 'Détail' },
  },
});
