/** Strings of one spooled message's details: its parts and the reports that settle (or may settle) it (issue 17). */
import { defineMessages } from '@smsgate/shared/i18n/core';

export const detailMsg = defineMessages('box.spool.details', {
  en: {
    open: 'Details',
    title: 'Message #{id}',
    loading: 'Loading…',
    to: 'To',
    group: 'Group',
    campaign: 'Campaign',
    state: 'State',
    error: 'Reason',
    port: 'Port',
    attempts: 'Attempts',
    created: 'Submitted',
    sent: 'Accepted by the network',
    done: 'Final state reached',
    none: '—',
    pending: 'still trying',
    parts: 'Parts',
    partsNone: 'No part was recorded as sent.',
    col: { seq: 'Part', port: 'Port', reference: 'Reference (TP-MR)', state: 'State' },
    unknownNote:
      'The modem may have sent this message before the gateway lost its answer. It is never sent again by itself: a delivery report that matches it settles it.',
    evidence: 'How the outcome became known',
    evidenceText:
      'Delivery report #{report} ({status}) from {recipient} on port {port}, reference {reference}, received {received}, settled it {settled} ({rule}).',
    rule: {
      reference: 'same port, number and message reference',
      only_candidate: 'the only message that could fit: same port and number, no reference recorded',
    },
    ambiguous: 'Reports the gateway could not attribute',
    ambiguousText: 'Delivery report #{report} ({status}) on port {port}, reference {reference}, received {received}, fits messages {candidates}.',
    ambiguousAdvice: 'An operator decides: check with the recipient before requeueing.',
  },
  fr: {
    open: 'Détails',
    title: 'Message n° {id}',
    loading: 'Chargement…',
    to: 'Destinataire',
    group: 'Groupe',
    campaign: 'Campagne',
    state: 'État',
    error: 'Motif',
    port: 'Port',
    attempts: 'Tentatives',
    created: 'Soumis',
    sent: 'Accepté par le réseau',
    done: 'État final atteint',
    none: '—',
    pending: 'nouvel essai en cours',
    parts: 'Parties',
    partsNone: "Aucune partie n'a été enregistrée comme envoyée.",
    col: { seq: 'Partie', port: 'Port', reference: 'Référence (TP-MR)', state: 'État' },
    unknownNote:
      "Le modem a peut-être envoyé ce message avant que la passerelle ne perde sa réponse. Il n'est jamais renvoyé de lui-même : un accusé de réception qui lui correspond le règle.",
    evidence: "Comment l'issue est connue",
    evidenceText:
      "L'accusé de réception n° {report} ({status}) de {recipient} sur le port {port}, référence {reference}, reçu le {received}, l'a réglé le {settled} ({rule}).",
    rule: {
      reference: 'même port, même numéro et même référence de message',
      only_candidate: 'le seul message possible : même port et même numéro, aucune référence enregistrée',
    },
    ambiguous: "Accusés que la passerelle n'a pas pu attribuer",
    ambiguousText: "L'accusé de réception n° {report} ({status}) sur le port {port}, référence {reference}, reçu le {received}, peut concerner les messages {candidates}.",
    ambiguousAdvice: 'Un opérateur tranche : vérifiez auprès du destinataire avant de remettre en file.',
  },
});
