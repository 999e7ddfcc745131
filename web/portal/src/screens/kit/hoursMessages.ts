/** Strings of the opening-hours editor (queues and channels) and of the time-of-day field. */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  legend: 'Opening hours',
  restrict: 'Open only at set hours; outside them the customer gets an automatic reply, once per conversation',
  timezone: 'Time zone',
  timezoneHint: 'The hours are read in this zone, for example Europe/Paris.',
  intervals: 'When it is open',
  day: 'Day',
  open: 'Opens',
  close: 'Closes',
  closeHint: '24:00 = end of the day',
  interval: 'Interval {n}',
  remove: 'Remove the interval {n}',
  add: 'Add an interval',
  weekdays: 'Weekdays 09:00–18:00',
  none: 'No interval: always closed, every message gets the reply.',
  reply: 'Automatic reply outside the hours',
  replyHint: 'Sent by SMS once per conversation when a message arrives while closed.',
  defaultReply: 'Thank you for your message. We are closed now and will answer when we open.',
  timeHint: 'HH:MM, 24-hour clock',
  badTime: 'Write the time as HH:MM, for example 09:30.',
} as const;

export const hoursText = defineMessages('hours', {
  en,
  fr: {
    legend: "Heures d'ouverture",
    restrict: "Ouvert seulement aux heures choisies ; en dehors, le client reçoit une réponse automatique, une fois par conversation",
    timezone: 'Fuseau horaire',
    timezoneHint: 'Les heures sont lues dans ce fuseau, par exemple Europe/Paris.',
    intervals: 'Quand c’est ouvert',
    day: 'Jour',
    open: 'Ouvre à',
    close: 'Ferme à',
    closeHint: '24:00 = fin de la journée',
    interval: 'Intervalle {n}',
    remove: "Retirer l'intervalle {n}",
    add: 'Ajouter un intervalle',
    weekdays: 'En semaine 09:00–18:00',
    none: 'Aucun intervalle : toujours fermé, chaque message reçoit la réponse.',
    reply: 'Réponse automatique hors des heures',
    replyHint: "Envoyée par SMS une fois par conversation quand un message arrive pendant la fermeture.",
    defaultReply: 'Merci pour votre message. Nous sommes fermés et vous répondrons dès notre ouverture.',
    timeHint: 'HH:MM, sur 24 heures',
    badTime: "Écrivez l'heure sous la forme HH:MM, par exemple 09:30.",
  },
});
