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
  disk: 'Disk',
  diskFree: '{free} free of {total}',
  diskLow: 'Less than 10 % of the disk is free: the spool may soon stop accepting messages.',
  spoolFiles: 'Spool files: {size}',
  memory: 'Memory (RSS)',
  unknown: 'Unknown',
  lastReceipt: 'Last receipt from the hub: {when}',
  noReceipt: 'No receipt from the hub since start',
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
    disk: 'Disque',
    diskFree: '{free} libres sur {total}',
    diskLow: 'Moins de 10 % du disque est libre : la file pourrait bientôt refuser des messages.',
    spoolFiles: 'Fichiers de la file : {size}',
    memory: 'Mémoire (RSS)',
    unknown: 'Inconnu',
    lastReceipt: 'Dernier accusé du hub : {when}',
    noReceipt: 'Aucun accusé du hub depuis le démarrage',
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
