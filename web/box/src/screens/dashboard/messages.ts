import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  title: 'Dashboard',
  version: 'Version',
  uptime: 'Up for',
  ports: 'Ports ready',
  portsValue: '{ready} of {total}',
  lastHour: 'Last hour',
  lastHourValue: '{sent} sent · {failed} failed · {received} received',
  spool: 'Spool by state',
  cloud: 'Cloud link',
  backlog: 'Outbox backlog: {count} events',
  disk: 'Spool files',
  memory: 'Memory (RSS)',
  cloudState: {
    off: 'Not configured',
    connecting: 'Connecting',
    connected: 'Connected',
    disconnected: 'Disconnected',
    stopped: 'Stopped',
  },
} as const;

export const dashboard = defineMessages('box.dashboard', {
  en,
  fr: {
    title: 'Tableau de bord',
    version: 'Version',
    uptime: 'En service depuis',
    ports: 'Ports prêts',
    portsValue: '{ready} sur {total}',
    lastHour: 'Dernière heure',
    lastHourValue: '{sent} envoyés · {failed} échoués · {received} reçus',
    spool: 'File d’attente par état',
    cloud: 'Liaison cloud',
    backlog: 'En attente d’envoi au hub : {count} événements',
    disk: 'Fichiers de la file',
    memory: 'Mémoire (RSS)',
    cloudState: {
      off: 'Non configurée',
      connecting: 'Connexion en cours',
      connected: 'Connectée',
      disconnected: 'Déconnectée',
      stopped: 'Arrêtée',
    },
  },
});

export function cloudStateWords(s: string): string {
  return s in en.cloudState ? dashboard.t(`cloudState.${s as keyof typeof en.cloudState}`) : s;
}
