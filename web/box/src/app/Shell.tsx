/** The logged-in frame: header, side menu, the current screen. */
import { Icon, type IconName } from '@smsgate/shared/components/Icon';
import { LiveIndicator } from '@smsgate/shared/components/LiveIndicator';
import { AppFrame, closeMenuOnPhone, menuOpen } from '@smsgate/shared/components/AppFrame';
import type { JSX } from 'preact';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter-preact';
import { Cloud } from '../screens/cloud/Cloud';
import { Dashboard } from '../screens/dashboard/Dashboard';
import { Diagnostics } from '../screens/diagnostics/Diagnostics';
import { Groups } from '../screens/groups/Groups';
import { Inbound } from '../screens/inbound/Inbound';
import { PortDetail } from '../screens/ports/PortDetail';
import { Ports } from '../screens/ports/Ports';
import { Spool } from '../screens/spool/Spool';
import { live } from './live';
import { app } from './messages';
import { logout, me } from './session';
import { Tools } from './Tools';


type NavKey = 'dashboard' | 'ports' | 'groups' | 'spool' | 'inbound' | 'cloud' | 'diagnostics';
const NAV: Array<{ key: NavKey; href: string; icon: IconName }> = [
  { key: 'dashboard', href: '/dashboard', icon: 'info' },
  { key: 'ports', href: '/ports', icon: 'list' },
  { key: 'groups', href: '/groups', icon: 'filter' },
  { key: 'spool', href: '/spool', icon: 'clock' },
  { key: 'inbound', href: '/inbound', icon: 'inbox' },
  { key: 'cloud', href: '/cloud', icon: 'globe' },
  { key: 'diagnostics', href: '/diagnostics', icon: 'alert' },
];

function Sidebar(): JSX.Element {
  const [location] = useLocation();
  const close = closeMenuOnPhone;
  return (
    <nav id="side-menu" class="sidebar" aria-label={app.t('nav.label')} data-open={menuOpen.value ? 'true' : 'false'}>
      <ul class="nav-list">
        {NAV.map((n) => {
          const active = location === n.href || location.startsWith(`${n.href}/`);
          return (
            <li key={n.key}>
              <Link href={n.href} class={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined} onClick={close}>
                <Icon name={n.icon} />
                <span>{app.t(`nav.${n.key}`)}</span>
              </Link>
            </li>
          );
        })}
      </ul>
      <div class="sidebar-foot"><LiveIndicator state={live.state} /></div>
    </nav>
  );
}

function Header(): JSX.Element {
  return (
    <header class="header">
      <button type="button" class="icon-btn" aria-label={app.t('header.toggleMenu')} aria-expanded={menuOpen.value ? 'true' : 'false'} aria-controls="side-menu" onClick={() => (menuOpen.value = !menuOpen.value)}>
        <Icon name="menu" />
      </button>
      <span class="brand">{app.t('appName')}</span>
      <span class="header-spacer" />
      <span class="header-user muted">{app.t('header.loggedInAs', { login: me.value?.login ?? '' })}</span>
      <Tools />
      <button type="button" class="icon-btn" aria-label={app.t('header.logout')} title={app.t('header.logout')} onClick={() => void logout()}>
        <Icon name="logout" />
      </button>
    </header>
  );
}

function NotFound(): JSX.Element {
  return (
    <div class="page">
      <h1>{app.t('notFound.title')}</h1>
      <Link href="/dashboard">{app.t('notFound.back')}</Link>
    </div>
  );
}

export function Shell(): JSX.Element {
  return (
    <AppFrame skipLabel={app.t('skipToContent')} live={live} header={<Header />} sidebar={<Sidebar />}>
      <Switch>
        <Route path="/">{() => <Redirect to="/dashboard" replace />}</Route>
        <Route path="/dashboard" component={Dashboard} />
        <Route path="/ports" component={Ports} />
        <Route path="/ports/:id">{(p: { id: string }) => <PortDetail id={Number(p.id)} />}</Route>
        <Route path="/groups" component={Groups} />
        <Route path="/spool" component={Spool} />
        <Route path="/inbound" component={Inbound} />
        <Route path="/cloud" component={Cloud} />
        <Route path="/diagnostics" component={Diagnostics} />
        <Route>
          <NotFound />
        </Route>
      </Switch>
    </AppFrame>
  );
}
