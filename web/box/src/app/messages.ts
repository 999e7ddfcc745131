/** Strings of the box UI's frame: navigation, header, login, and the words for port states. */
import { defineMessages } from '@smsgate/shared/i18n/core';

const en = {
  appName: 'smsgate box',
  skipToContent: 'Skip to content',
  loadFailed: 'The gateway cannot be reached.',
  nav: {
    label: 'Main menu',
    dashboard: 'Dashboard',
    ports: 'Ports',
    groups: 'Groups',
    spool: 'Spool',
    inbound: 'Inbound',
    cloud: 'Cloud',
    diagnostics: 'Diagnostics',
  },
  header: {
    toggleMenu: 'Show or hide the side menu',
    language: 'Language',
    theme: 'Switch between light and dark',
    logout: 'Log out',
    loggedInAs: 'Logged in as {login}',
  },
  login: {
    title: 'Log in to this box',
    subtitle: 'Local administration of the gateway: ports, groups, spool, diagnostics.',
    login: 'Username',
    password: 'Password',
    submit: 'Log in',
    failed: 'Wrong username or password.',
    throttled: 'Too many failed attempts. Try again in {seconds} s.',
    ended: 'Your session has ended. Please log in again.',
    noAccount: 'No local admin account is set on this box. On the box, run: smsgate-gateway admin password --config <gateway.toml>',
  },
  notFound: {
    title: 'Page not found',
    back: 'Back to the dashboard',
  },
  state: {
    absent: 'Absent',
    initialising: 'Initialising',
    searching: 'Searching network',
    registered: 'Registered',
    roaming: 'Roaming',
    denied: 'Registration denied',
    pin_required: 'PIN required',
    failed: 'Failed',
    benched: 'Benched',
    unknown: 'Unknown',
  },
  msgState: {
    queued: 'Queued',
    sending: 'Sending',
    sent: 'Sent',
    delivered: 'Delivered',
    failed: 'Failed',
    expired: 'Expired',
    blocked: 'Blocked',
    unknown: 'Unknown',
    cancelled: 'Cancelled',
    no_report: 'No report',
  },
  signal: {
    none: 'No signal',
    bars: '{bars} of 5 bars',
  },
  none: '—',
} as const;

export const app = defineMessages('box', {
  en,
  fr: {
    appName: 'smsgate box',
    skipToContent: 'Aller au contenu',
    loadFailed: 'La passerelle est injoignable.',
    nav: {
      label: 'Menu principal',
      dashboard: 'Tableau de bord',
      ports: 'Ports',
      groups: 'Groupes',
      spool: 'File d’attente',
      inbound: 'Reçus',
      cloud: 'Cloud',
      diagnostics: 'Diagnostic',
    },
    header: {
      toggleMenu: 'Afficher ou masquer le menu latéral',
      language: 'Langue',
      theme: 'Basculer entre clair et sombre',
      logout: 'Se déconnecter',
      loggedInAs: 'Connecté en tant que {login}',
    },
    login: {
      title: 'Se connecter à ce boîtier',
      subtitle: 'Administration locale de la passerelle : ports, groupes, file d’attente, diagnostic.',
      login: "Nom d'utilisateur",
      password: 'Mot de passe',
      submit: 'Se connecter',
      failed: "Nom d'utilisateur ou mot de passe incorrect.",
      throttled: 'Trop de tentatives échouées. Réessayez dans {seconds} s.',
      ended: 'Votre session a pris fin. Veuillez vous reconnecter.',
      noAccount: "Aucun compte administrateur local n'est défini sur ce boîtier. Sur le boîtier, lancez : smsgate-gateway admin password --config <gateway.toml>",
    },
    notFound: {
      title: 'Page introuvable',
      back: 'Retour au tableau de bord',
    },
    state: {
      absent: 'Absent',
      initialising: 'Initialisation',
      searching: 'Recherche du réseau',
      registered: 'Enregistré',
      roaming: 'En itinérance',
      denied: 'Enregistrement refusé',
      pin_required: 'PIN requis',
      failed: 'En échec',
      benched: 'Mis à l’écart',
      unknown: 'Inconnu',
    },
    msgState: {
      queued: 'En attente',
      sending: 'En cours d’envoi',
      sent: 'Envoyé',
      delivered: 'Remis',
      failed: 'Échoué',
      expired: 'Expiré',
      blocked: 'Bloqué',
      unknown: 'Incertain',
      cancelled: 'Annulé',
      no_report: 'Sans accusé',
    },
    signal: {
      none: 'Pas de signal',
      bars: '{bars} barres sur 5',
    },
    none: '—',
  },
});

type StateKey = keyof typeof en.state;
/** A port state in words (unknown states as they are). */
export function stateWords(s: string): string {
  return s in en.state ? app.t(`state.${s as StateKey}`) : s;
}

type MsgStateKey = keyof typeof en.msgState;
export function msgStateWords(s: string): string {
  return s in en.msgState ? app.t(`msgState.${s as MsgStateKey}`) : s;
}

/** Signal bars 0–5 from dBm (−113 dBm = none … ≥ −73 dBm = 5). */
export function bars(dbm: number | null | undefined): number {
  if (dbm === null || dbm === undefined) return 0;
  if (dbm >= -73) return 5;
  if (dbm >= -83) return 4;
  if (dbm >= -93) return 3;
  if (dbm >= -103) return 2;
  if (dbm > -113) return 1;
  return 0;
}
