/** Strings of the building blocks the administration screens share (tables, confirmations, tenant choice). */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  actions: 'Actions',
  edit: 'Edit',
  delete: 'Delete',
  add: 'Add',
  search: 'Search',
  loadMore: 'Show more',
  count: '{count} items',
  count_one: '{count} item',
  confirmTitle: 'Please confirm',
  deleted: 'Deleted.',
  saved: 'Saved.',
  tenant: 'Tenant',
  chooseTenant: 'Choose a tenant',
  tenantRequired: 'Choose the tenant first (tenant drop-down in the header, or here).',
  required: 'Required.',
  never: 'Never',
  copy: 'Copy',
  copied: 'Copied to the clipboard.',
  copyFailed: 'The browser refused the clipboard: select the text and copy it.',
} as const;

export const kitText = defineMessages('kit', {
  en,
  fr: {
    actions: 'Actions',
    edit: 'Modifier',
    delete: 'Supprimer',
    add: 'Ajouter',
    search: 'Rechercher',
    loadMore: 'Afficher plus',
    count: '{count} éléments',
    count_one: '{count} élément',
    confirmTitle: 'Confirmation',
    deleted: 'Supprimé.',
    saved: 'Enregistré.',
    tenant: 'Société',
    chooseTenant: 'Choisissez une société',
    tenantRequired: "Choisissez d'abord la société (liste dans l'en-tête, ou ici).",
    required: 'Obligatoire.',
    never: 'Jamais',
    copy: 'Copier',
    copied: 'Copié dans le presse-papiers.',
    copyFailed: 'Le navigateur a refusé le presse-papiers : sélectionnez le texte et copiez-le.',
  },
});
