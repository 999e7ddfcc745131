/** Strings of the inbox's notes, labels, canned replies and transcript (issue 13). */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  mode: {
    label: 'Write',
    reply: 'Reply',
    note: 'Internal note',
  },
  note: {
    label: 'Internal note',
    placeholder: 'Only your team sees this note; it is never sent to the customer.',
    add: 'Add note',
    added: 'Note added. The customer does not see it.',
    badge: 'Internal note · {author}',
    hint: 'Never sent to the customer',
  },
  labels: {
    label: 'Labels',
    none: 'No label',
    add: 'Add a label',
    name: 'New label',
    save: 'Add',
    cancel: 'Cancel',
    remove: 'Remove the label {label}',
    filter: 'Label',
    any: 'Any label',
  },
  canned: {
    open: 'Canned replies',
    title: 'Canned replies',
    search: 'Search canned replies',
    none: 'No canned reply matches.',
    insert: 'Insert {title}',
    queue: 'Queue {name}',
    tenant: 'Every queue',
  },
  transcript: {
    download: 'Download the transcript (PDF)',
    done: 'Transcript downloaded: {name}',
  },
} as const;

export const inboxFloorText = defineMessages('inboxFloor', {
  en,
  fr: {
    mode: {
      label: 'Écrire',
      reply: 'Réponse',
      note: 'Note interne',
    },
    note: {
      label: 'Note interne',
      placeholder: "Seule votre équipe voit cette note ; elle n'est jamais envoyée au client.",
      add: 'Ajouter la note',
      added: 'Note ajoutée. Le client ne la voit pas.',
      badge: 'Note interne · {author}',
      hint: 'Jamais envoyée au client',
    },
    labels: {
      label: 'Étiquettes',
      none: 'Aucune étiquette',
      add: 'Ajouter une étiquette',
      name: 'Nouvelle étiquette',
      save: 'Ajouter',
      cancel: 'Annuler',
      remove: "Retirer l'étiquette {label}",
      filter: 'Étiquette',
      any: 'Toutes les étiquettes',
    },
    canned: {
      open: 'Réponses prédéfinies',
      title: 'Réponses prédéfinies',
      search: 'Rechercher une réponse prédéfinie',
      none: 'Aucune réponse prédéfinie ne correspond.',
      insert: 'Insérer {title}',
      queue: "File d'attente {name}",
      tenant: "Toutes les files d'attente",
    },
    transcript: {
      download: 'Télécharger la transcription (PDF)',
      done: 'Transcription téléchargée : {name}',
    },
  },
});
