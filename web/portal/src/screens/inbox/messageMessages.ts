/** Strings of one message's details, and what the gateway knows about an unknown outcome (issue 17). */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  open: 'Message details',
  whatWeKnow: 'What do we know?',
  title: 'Message details',
  direction: 'Direction',
  inbound: 'Received from the customer',
  outbound: 'Sent to the customer',
  from: 'From',
  to: 'To',
  created: 'Written',
  updated: 'Last change',
  state: 'Delivery',
  error: 'Reason',
  none: '—',
  unknown: {
    heading: 'Outcome unknown',
    explain:
      'The gateway handed this message to the modem, then lost the answer (for example the power went out or the modem stopped responding). It may have reached the customer. It is never sent again automatically: a delivery report that arrives later settles it by itself.',
    advice: 'Before sending it again, ask the customer whether it arrived.',
    cause: 'What interrupted it: {cause}',
    evidence: 'What the gateway recorded',
    noEvidence: 'The gateway recorded nothing more.',
    raw: 'As the gateway wrote it',
  },
  settledBy: {
    heading: 'How the outcome is known',
    explain:
      'The gateway had lost the modem’s answer to this message, so for a while its outcome was unknown. A delivery report from the network matched it afterwards and settled it.',
  },
  fact: {
    attempt: 'Attempt {attempt} on port {port}.',
    attemptNoPort: 'Attempt {attempt}, no port had taken it.',
    noPart: 'The network never confirmed any part (no reference was received).',
    part: 'Part {seq}: {state} on port {port}, network reference {reference}.',
    partNoRef: 'Part {seq}: {state} on port {port}, no network reference.',
    settled: 'A delivery report ({status}) on port {port} with reference {reference} settled it.',
    ambiguous: 'A delivery report ({status}) on port {port} with reference {reference} could be about {candidates} messages: an operator decides.',
  },
  partState: {
    queued: 'not sent',
    sending: 'being sent',
    sent: 'accepted by the network',
    delivered: 'delivered',
    failed: 'failed',
    unknown: 'outcome unknown',
  },
  reportStatus: {
    delivered: 'delivered',
    failed: 'failed',
    pending: 'still trying',
  },
} as const;

export const messageText = defineMessages('inboxMessage', {
  en,
  fr: {
    open: 'Détails du message',
    whatWeKnow: 'Que sait-on ?',
    title: 'Détails du message',
    direction: 'Sens',
    inbound: 'Reçu du client',
    outbound: 'Envoyé au client',
    from: 'De',
    to: 'À',
    created: 'Écrit',
    updated: 'Dernier changement',
    state: 'Remise',
    error: 'Motif',
    none: '—',
    unknown: {
      heading: 'Issue inconnue',
      explain:
        "La passerelle a confié ce message au modem, puis a perdu la réponse (par exemple une coupure de courant ou un modem qui ne répond plus). Il est peut-être arrivé chez le client. Il n'est jamais renvoyé automatiquement : un accusé de réception arrivé plus tard le règle de lui-même.",
      advice: 'Avant de le renvoyer, demandez au client s’il l’a reçu.',
      cause: 'Ce qui l’a interrompu : {cause}',
      evidence: 'Ce que la passerelle a enregistré',
      noEvidence: "La passerelle n'a rien enregistré de plus.",
      raw: 'Tel que la passerelle l’a écrit',
    },
    settledBy: {
      heading: 'Comment l’issue est connue',
      explain:
        'La passerelle avait perdu la réponse du modem à ce message : son issue est restée inconnue un moment. Un accusé de réception du réseau lui a ensuite correspondu et l’a réglée.',
    },
    fact: {
      attempt: 'Tentative {attempt} sur le port {port}.',
      attemptNoPort: "Tentative {attempt}, aucun port ne l'avait prise.",
      noPart: "Le réseau n'a confirmé aucune partie (aucune référence reçue).",
      part: 'Partie {seq} : {state} sur le port {port}, référence réseau {reference}.',
      partNoRef: 'Partie {seq} : {state} sur le port {port}, sans référence réseau.',
      settled: 'Un accusé de réception ({status}) sur le port {port}, référence {reference}, l’a réglé.',
      ambiguous: 'Un accusé de réception ({status}) sur le port {port}, référence {reference}, peut concerner {candidates} messages : un opérateur tranche.',
    },
    partState: {
      queued: 'non envoyée',
      sending: 'en cours d’envoi',
      sent: 'acceptée par le réseau',
      delivered: 'remise',
      failed: 'en échec',
      unknown: 'issue inconnue',
    },
    reportStatus: {
      delivered: 'remis',
      failed: 'en échec',
      pending: 'nouvel essai en cours',
    },
  },
});
