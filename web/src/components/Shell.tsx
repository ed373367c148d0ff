// The signed-in frame: sidebar of areas, top bar (organization, live status, palette,
// theme, sign-out), and the area itself.
import { Suspense, useEffect, useRef, useState } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { Building2, ChevronsLeft, ChevronsRight, Menu, Monitor, Moon, Search, Sun, SquareTerminal, X } from 'lucide-react';
import { AREAS } from './nav';
import { CommandPalette } from './CommandPalette';
import { EmptyState, ErrorNotice, Spinner, cx } from './ui';
import { Banners, UserMenu } from './UserMenu';
import { useOrganization, useSignedIn } from '../api/hooks';
import { closeSubscriptions, useLiveStatus } from '../api/graphql';
import { useLive } from '../api/live';
import { logout } from '../api/session';
import { applyTheme, useUi, type Theme } from '../stores/ui';

function LiveDot() {
  const state = useLiveStatus((live) => live.state);
  const label = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting' : 'Offline';
  return (
    <span className="inline-flex items-center gap-1.5 text-[12px] text-muted" title={`Live updates: ${label.toLowerCase()}`} data-testid="live-status" data-state={state}>
      <span className={cx('size-2 rounded-full', state === 'live' ? 'bg-emerald-500' : state === 'connecting' ? 'bg-amber-500' : 'bg-zinc-400')} aria-hidden />
      <span className="sr-only sm:not-sr-only">{label}</span>
    </span>
  );
}

const THEMES: { value: Theme; icon: typeof Sun; label: string }[] = [
  { value: 'light', icon: Sun, label: 'Light theme' },
  { value: 'dark', icon: Moon, label: 'Dark theme' },
  { value: 'system', icon: Monitor, label: 'System theme' },
];

function ThemeSwitch() {
  const theme = useUi((state) => state.theme);
  const setTheme = useUi((state) => state.setTheme);
  return (
    <div role="radiogroup" aria-label="Theme" className="flex rounded-md border border-line p-0.5">
      {THEMES.map(({ value, icon: Icon, label }) => (
        <button
          key={value}
          type="button"
          role="radio"
          aria-checked={theme === value}
          aria-label={label}
          title={label}
          onClick={() => setTheme(value)}
          className={cx('rounded p-1', theme === value ? 'bg-panel-2 text-fg' : 'text-muted hover:text-fg')}
        >
          <Icon className="size-3.5" aria-hidden />
        </button>
      ))}
    </div>
  );
}

function OrganizationSwitch() {
  const { organizations, organizationId } = useOrganization();
  const setOrganization = useUi((state) => state.setOrganization);
  const client = useQueryClient();
  if (organizations.length === 0) return null;
  return (
    <label className="flex min-w-0 items-center gap-2 text-[12px] text-muted">
      <span className="sr-only">Organization</span>
      <select
        value={organizationId ?? ''}
        onChange={(event) => {
          setOrganization(event.target.value);
          void client.invalidateQueries({ queryKey: ['org'] });
        }}
        className="h-8 w-full max-w-36 min-w-0 truncate rounded-md border border-line bg-panel px-2 text-[13px] font-medium text-fg sm:max-w-56"
        data-testid="organization-switch"
      >
        {organizations.map((organization) => (
          <option key={organization.id} value={organization.id}>
            {organization.name} · {organization.role}
          </option>
        ))}
      </select>
    </label>
  );
}

const linkClass = (isActive: boolean) => cx('flex h-8 items-center gap-2.5 rounded-md px-2 text-[13px] font-medium', isActive ? 'bg-panel-2 text-fg' : 'text-muted hover:bg-panel-2 hover:text-fg');

/** The areas' links (and GraphiQL's), for the sidebar and the narrow screen's menu. */
function AreaLinks({ collapsed, onNavigate }: { collapsed: boolean; onNavigate?: () => void }) {
  return (
    <>
      <nav aria-label="Areas" className="flex-1 space-y-0.5 overflow-y-auto p-2">
        {AREAS.map(({ path, label, icon: Icon }) => (
          <NavLink key={path} to={path} end={path === '/'} title={collapsed ? label : undefined} onClick={onNavigate} className={({ isActive }) => linkClass(isActive)}>
            <Icon className="size-4 shrink-0" aria-hidden />
            {!collapsed && <span className="truncate">{label}</span>}
          </NavLink>
        ))}
      </nav>
      <div className="space-y-0.5 border-t border-line p-2">
        <NavLink to="/graphiql" title={collapsed ? 'GraphiQL' : 'GraphQL explorer (GraphiQL)'} onClick={onNavigate} className={({ isActive }) => linkClass(isActive)}>
          <SquareTerminal className="size-4 shrink-0" aria-hidden />
          {!collapsed && <span className="truncate">GraphiQL</span>}
        </NavLink>
      </div>
    </>
  );
}

/**
 * Narrow screens (under 768 px): the sidebar collapses behind a menu button in the top
 * bar, which opens the areas (and the theme) as a drawer over the page; a link, Escape,
 * the close button or a click beside it closes it.
 */
export function MobileMenu() {
  const [open, setOpen] = useState(false);
  const location = useLocation();
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    panel.current?.querySelector<HTMLElement>('nav a')?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  return (
    <div className="md:hidden">
      <button
        ref={button}
        type="button"
        onClick={() => setOpen(true)}
        aria-label="Open the menu"
        aria-expanded={open}
        aria-controls="mobile-menu"
        className="grid size-8 place-items-center rounded-md border border-line text-muted hover:bg-panel-2 hover:text-fg"
        data-testid="menu-button"
      >
        <Menu className="size-4" aria-hidden />
      </button>
      {open && (
        <div className="fixed inset-0 z-50 flex bg-black/40" onMouseDown={(event) => event.target === event.currentTarget && setOpen(false)}>
          <div ref={panel} id="mobile-menu" role="dialog" aria-modal="true" aria-label="Menu" className="flex h-full w-64 max-w-[85vw] flex-col border-r border-line bg-panel shadow-xl" data-testid="mobile-menu">
            <div className="flex h-12 items-center gap-2 border-b border-line px-3">
              <div className="grid size-7 shrink-0 place-items-center rounded-md bg-accent-solid text-[13px] font-bold text-accent-fg" aria-hidden>
                C
              </div>
              <span className="flex-1 truncate text-[14px] font-semibold">CompanyOS</span>
              <button type="button" onClick={() => setOpen(false)} aria-label="Close the menu" className="rounded p-1 text-muted hover:bg-panel-2">
                <X className="size-4" aria-hidden />
              </button>
            </div>
            <AreaLinks collapsed={false} onNavigate={() => setOpen(false)} />
            <div className="flex items-center justify-between border-t border-line p-3 text-[12px] text-muted">
              Theme
              <ThemeSwitch />
            </div>
          </div>
        </div>
      )}
    </div>
  );
}

/** `g` then a letter jumps to an area (ignored while typing in a field). */
export const GO_KEYS: Record<string, string> = { c: '/', a: '/agents', t: '/agents/tasks', i: '/agents/approvals', d: '/development', y: '/design', m: '/team', s: '/social', l: '/intelligence', n: '/integrations', q: '/graphiql' };

function useGoShortcuts(navigate: (path: string) => void) {
  useEffect(() => {
    let armed = 0;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (event.metaKey || event.ctrlKey || event.altKey || (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)))) return;
      if (event.key === 'g') {
        armed = Date.now();
        return;
      }
      const path = GO_KEYS[event.key];
      if (path && Date.now() - armed < 1200) {
        armed = 0;
        navigate(path);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);
}

export function Shell() {
  const signedIn = useSignedIn();
  const location = useLocation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const theme = useUi((state) => state.theme);
  const collapsed = useUi((state) => state.sidebarCollapsed);
  const toggleSidebar = useUi((state) => state.toggleSidebar);
  const setPaletteOpen = useUi((state) => state.setPaletteOpen);
  const { error, loading, organization } = useOrganization();
  const [signingOut, setSigningOut] = useState(false);
  const fullBleed = location.pathname === '/graphiql';

  useEffect(() => {
    applyTheme(theme);
    if (theme !== 'system') return;
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => applyTheme('system');
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, [theme]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.metaKey || event.ctrlKey) && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        setPaletteOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setPaletteOpen]);

  useGoShortcuts(navigate);
  // Tasks and agents are live everywhere (counts, inbox, tree); areas add their own topics.
  useLive(signedIn ? ['tasks', 'agents'] : []);

  if (!signedIn) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }

  const signOut = async () => {
    setSigningOut(true);
    try {
      await logout();
    } finally {
      closeSubscriptions();
      client.clear();
      navigate('/login', { replace: true });
    }
  };

  return (
    <div className="flex h-full">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:z-50 focus:m-2 focus:rounded focus:bg-panel focus:p-2">
        Skip to content
      </a>
      <aside className={cx('hidden shrink-0 flex-col border-r border-line bg-panel transition-[width] md:flex', collapsed ? 'w-14' : 'w-56')} data-testid="sidebar">
        <div className="flex h-12 items-center gap-2 border-b border-line px-3">
          <div className="grid size-7 shrink-0 place-items-center rounded-md bg-accent-solid text-[13px] font-bold text-accent-fg" aria-hidden>
            C
          </div>
          {!collapsed && <span className="truncate text-[14px] font-semibold">CompanyOS</span>}
        </div>
        <AreaLinks collapsed={collapsed} />
        <div className="p-2 pt-0">
          <button type="button" onClick={toggleSidebar} className="flex h-8 w-full items-center gap-2 rounded-md px-2 text-[12px] text-muted hover:bg-panel-2" aria-label={collapsed ? 'Expand sidebar' : 'Collapse sidebar'}>
            {collapsed ? <ChevronsRight className="size-4" aria-hidden /> : <ChevronsLeft className="size-4" aria-hidden />}
            {!collapsed && 'Collapse'}
          </button>
        </div>
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-12 shrink-0 items-center gap-2 border-b border-line bg-panel px-3 md:gap-3 md:px-4">
          <MobileMenu />
          <OrganizationSwitch />
          <button
            type="button"
            onClick={() => setPaletteOpen(true)}
            className="flex h-8 shrink-0 items-center gap-2 rounded-md border border-line bg-bg px-2 text-[13px] text-muted hover:border-ring sm:ml-2 sm:w-full sm:max-w-80 sm:shrink sm:px-2.5"
            title="Open the command palette (Ctrl K)"
          >
            <Search className="size-3.5" aria-hidden />
            <span className="sr-only text-left sm:not-sr-only sm:flex-1">Jump to or run…</span>
            <kbd className="hidden rounded border border-line px-1 font-mono text-[11px] sm:inline">Ctrl K</kbd>
          </button>
          <div className="ml-auto flex shrink-0 items-center gap-2 md:gap-3">
            <LiveDot />
            <div className="hidden md:block">
              <ThemeSwitch />
            </div>
            <UserMenu onSignOut={signOut} signingOut={signingOut} />
          </div>
        </header>
        <Banners />
        <main id="main" className={cx('min-h-0 flex-1', fullBleed ? 'overflow-hidden' : 'overflow-y-auto')}>
          <div className={fullBleed ? 'h-full' : 'mx-auto max-w-[1400px] px-3 py-4 sm:px-6 sm:py-5'}>
            {error ? (
              <ErrorNotice error={error} />
            ) : loading ? (
              <Spinner label="Loading your organization" />
            ) : !organization ? (
              <EmptyState icon={<Building2 className="size-5" aria-hidden />} title="You are not a member of any organization">
                Ask an owner or admin of an organization on this node to invite you, then open the link from the e-mail.
              </EmptyState>
            ) : (
              <Suspense fallback={<Spinner />}>
                <Outlet />
              </Suspense>
            )}
          </div>
        </main>
      </div>
      <CommandPalette />
    </div>
  );
}
