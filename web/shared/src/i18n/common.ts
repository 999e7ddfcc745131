/** Strings of the shared components (both apps). */
import { defineMessages } from './core';

const en = {
  actions: {
    save: 'Save',
    cancel: 'Cancel',
    close: 'Close',
    confirm: 'Confirm',
    retry: 'Retry',
    search: 'Search',
    clear: 'Clear',
    more: 'More actions',
  },
  state: {
    loading: 'Loading…',
    saving: 'Saving…',
    empty: 'Nothing here yet.',
  },
  errors: {
    network: 'The server cannot be reached. Check the connection and try again.',
    unexpected: 'Something went wrong ({status}).',
    unauthorized: 'Your session has ended. Please log in again.',
    forbidden: 'You do not have access to this feature.',
    notFound: 'This item no longer exists or is not yours to see.',
    field: '{field}: {message}',
  },
  live: {
    connecting: 'Connecting to live updates…',
    open: 'Live',
    reconnecting: 'Connection lost. Reconnecting in {seconds} s…',
    offline: 'You are offline. Changes will appear when the connection returns.',
  },
  sms: {
    counter: '{chars} characters · {parts} SMS · {remaining} left',
    counter_one: '{chars} character · {parts} SMS · {remaining} left',
    encodingGsm7: 'GSM-7',
    encodingUcs2: 'Unicode (UCS-2)',
    ucs2Because: 'Sent as Unicode because of: {chars}',
    overLimit: 'Too long: at most {max} characters ({over} too many).',
    manyParts: 'This message is sent as {parts} SMS and billed as many.',
  },
  theme: {
    light: 'Light mode',
    dark: 'Dark mode',
    system: 'Same as the device',
  },
  dialog: {
    close: 'Close dialog',
  },
} as const;

export const common = defineMessages('common', {
  en,
  fr: {
    actions: {
      save: 'Enregistrer',
      cancel: 'Annuler',
      close: 'Fermer',
      confirm: 'Confirmer',
      retry: 'Réessayer',
      search: 'Rechercher',
      clear: 'Effacer',
      more: "Plus d'actions",
    },
    state: {
      loading: 'Chargement…',
      saving: 'Enregistrement…',
      empty: "Rien pour l'instant.",
    },
    errors: {
      network: 'Le serveur est injoignable. Vérifiez la connexion et réessayez.',
      unexpected: "Une erreur s'est produite ({status}).",
      unauthorized: 'Votre session a pris fin. Veuillez vous reconnecter.',
      forbidden: "Vous n'avez pas accès à cette fonctionnalité.",
      notFound: "Cet élément n'existe plus ou ne vous est pas accessible.",
      field: '{field} : {message}',
    },
    live: {
      connecting: 'Connexion aux mises à jour en direct…',
      open: 'En direct',
      reconnecting: 'Connexion perdue. Nouvelle tentative dans {seconds} s…',
      offline: 'Vous êtes hors ligne. Les changements apparaîtront au retour de la connexion.',
    },
    sms: {
      counter: '{chars} caractères · {parts} SMS · {remaining} restants',
      counter_one: '{chars} caractère · {parts} SMS · {remaining} restants',
      encodingGsm7: 'GSM-7',
      encodingUcs2: 'Unicode (UCS-2)',
      ucs2Because: 'Envoyé en Unicode à cause de : {chars}',
      overLimit: 'Trop long : au plus {max} caractères ({over} de trop).',
      manyParts: 'Ce message part en {parts} SMS et est facturé autant.',
    },
    theme: {
      light: 'Mode clair (Jour)',
      dark: 'Mode sombre (Nuit)',
      system: "Comme l'appareil",
    },
    dialog: {
      close: 'Fermer la boîte de dialogue',
    },
  },
});
