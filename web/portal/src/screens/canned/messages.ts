/** Strings of the canned replies administration. */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  nav: 'Canned replies',
  title: 'Canned replies',
  intro: 'Prepared answers agents insert from the reply box: for every queue of the tenant, or for one queue.',
  search: 'Search title and text',
  add: 'New canned reply',
  edit: 'Edit {title}',
  remove: 'Delete {title}',
  removed: '{title} was deleted.',
  saved: '{title} was saved.',
  confirm: 'Delete the canned reply {title}?',
  none: 'No canned reply yet.',
  noMatch: 'No canned reply matches.',
  col: { title: 'Title', text: 'Text', scope: 'For', actions: 'Actions' },
  form: {
    newTitle: 'New canned reply',
    editTitle: 'Edit the canned reply',
    title: 'Title',
    text: 'Text',
    queue: 'For',
    everyQueue: 'Every queue of the tenant',
    save: 'Save',
    cancel: 'Cancel',
    delete: 'Delete',
  },
} as const;

export const cannedText = defineMessages('canned', {
  en,
  fr: {
    nav: 'Réponses prédéfinies',
    title: 'Réponses prédéfinies',
    intro: "Des réponses préparées que les agents insèrent depuis la zone de réponse : pour toutes les files d'attente de la société, ou pour une seule.",
    search: 'Rechercher dans le titre et le texte',
    add: 'Nouvelle réponse prédéfinie',
    edit: 'Modifier {title}',
    remove: 'Supprimer {title}',
    removed: '{title} a été supprimée.',
    saved: '{title} a été enregistrée.',
    confirm: 'Supprimer la réponse prédéfinie {title} ?',
    none: 'Aucune réponse prédéfinie pour le moment.',
    noMatch: 'Aucune réponse prédéfinie ne correspond.',
    col: { title: 'Titre', text: 'Texte', scope: 'Pour', actions: 'Actions' },
    form: {
      newTitle: 'Nouvelle réponse prédéfinie',
      editTitle: 'Modifier la réponse prédéfinie',
      title: 'Titre',
      text: 'Texte',
      queue: 'Pour',
      everyQueue: "Toutes les files d'attente de la société",
      save: 'Enregistrer',
      cancel: 'Annuler',
      delete: 'Supprimer',
    },
  },
});
