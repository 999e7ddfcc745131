/** The logged-in frame: header, side menu, the current screen. */
import { LiveIndicator } from '@smsgate/shared/components/LiveIndicator';
import { NoAccess } from '@smsgate/shared/components/NoAccess';
import { common } from '@smsgate/shared/i18n/common';
import { AppFrame, closeMenuOnPhone, menuOpen } from '@smsgate/shared/components/AppFrame';
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter-preact';
import { SCREENS } from '../screens';
import { Header } from './Header';
import { live } from './live';
import { shell } from './messages';
import type { ScreenModule, ScreenProps } from './modules';
import { can, loadSession } from './session';
import { SCREEN_LISTS, watchLists } from '../screens/kit/liveLists';
import { Icon } from '@smsgate/shared/components/Icon';


const loaded = new Map<string, ComponentType<ScreenProps>>();

function LazyScreen({ mod, params }: { mod: ScreenModule; params: ScreenProps['params'] }): JSX.Element {
  const [C, setC] = useState<ComponentType<ScreenProps> | undefined>(() => loaded.get(mod.id));
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (C) return;
    let alive = true;
    mod
      .load()
      .then((c) => {
        loaded.set(mod.id, c);
        if (alive) setC(() => c);
      })
      .catch(() => alive && setFailed(true));
    return () => {
      alive = false;
    };
  }, [mod.id]);
  if (failed) return <p role="alert">{common.t('errors.network')}</p>;
  if (!C) return <div class="screen-loading"><span class="spinner" aria-hidden="true" /><span class="visually-hidden">{common.t('state.loading')}</span></div>;
  return <C params={params} />;
}

function Sidebar(): JSX.Element {
  const [location] = useLocation();
  const close = closeMenuOnPhone;
  const section = (s: 'main' | 'admin') =>
    SCREENS.filter((m) => m.nav.section === s && can(m.requires)).map((m) => {
      const href = m.routes[0] ?? '/';
      const active = location === href || location.startsWith(`${href}/`);
      return (
        <li key={m.id}>
          <Link href={href} class={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined} onClick={close}>
            <Icon name={m.nav.icon} />
            <span>{m.nav.label()}</span>
          </Link>
        </li>
      );
    });
  const admin = section('admin');
  return (
    <nav id="side-menu" class="sidebar" aria-label={shell.t('nav.label')} data-open={menuOpen.value ? 'true' : 'false'}>
      <ul class="nav-list">{section('main')}</ul>
      {admin.length ? (
        <>
          <h2 class="nav-heading">{shell.t('nav.administration')}</h2>
          <ul class="nav-list">{admin}</ul>
        </>
      ) : null}
      <div class="sidebar-foot"><LiveIndicator state={live.state} /></div>
    </nav>
  );
}

function NotFound(): JSX.Element {
  return (
    <div class="page">
      <h1>{shell.t('notFound.title')}</h1>
      <Link href="/inbox">{shell.t('notFound.back')}</Link>
    </div>
  );
}

function home(): string {
  const first = SCREENS.find((m) => can(m.requires));
  return first?.routes[0] ?? '/inbox';
}

export function Shell(): JSX.Element {
  // The tenant context's choices (and every screen's tenant names) follow the organisations
  // list: a tenant added, renamed or deleted elsewhere.
  useEffect(() => watchLists(live, SCREEN_LISTS.tenants, () => void loadSession().catch(() => {})), []);
  return (
    <AppFrame skipLabel={shell.t('skipToContent')} live={live} header={<Header />} sidebar={<Sidebar />}>
      <Switch>
        <Route path="/">{() => <Redirect to={home()} replace />}</Route>
        {SCREENS.flatMap((m) =>
          m.routes.map((r) => (
            <Route key={`${m.id}:${r}`} path={r}>
              {(params: ScreenProps['params']) => (can(m.requires) ? <LazyScreen mod={m} params={params} /> : <NoAccess />)}
            </Route>
          )),
        )}
        <Route>
          <NotFound />
        </Route>
      </Switch>
    </AppFrame>
  );
}
