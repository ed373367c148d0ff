// Ctrl/⌘-K: jump to any area or run an action, by keyboard; from two characters on, it
// also searches the organization's events, pull requests, findings, deployments,
// components and posts (GET /api/search), listed under "Search": by their words, and by
// their meaning too where the node compares meanings (such hits are tagged "by meaning").
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Activity, ArrowRight, Building2, Component, GitPullRequest, Megaphone, Moon, Plus, Rocket, ShieldAlert, SquareTerminal, Sun, UserPlus } from 'lucide-react';
import { AREAS } from './nav';
import { cx } from './ui';
import { SEARCH_DELAY_MS, SEARCH_MIN_CHARS, matchedByTag, searchHitPath, searchKindLabel, searchModeNote } from './search';
import { useOrganization, useOrgKey } from '../api/hooks';
import { api, call } from '../api/rest';
import { describeError, isNotAvailable } from '../api/problem';
import type { SearchHit } from '../api/models';
import { useUi } from '../stores/ui';
import { can } from '../lib/permissions';
import { Snippet } from '../lib/snippet';

interface Command {
  id: string;
  label: string;
  hint: string;
  keywords: string;
  icon: React.ReactNode;
  run: () => void;
}

const KIND_ICONS: Record<string, React.ReactNode> = {
  event: <Activity className="size-4" aria-hidden />,
  pull_request: <GitPullRequest className="size-4" aria-hidden />,
  finding: <ShieldAlert className="size-4" aria-hidden />,
  deployment: <Rocket className="size-4" aria-hidden />,
  component: <Component className="size-4" aria-hidden />,
  post: <Megaphone className="size-4" aria-hidden />,
};

/** `value`, once it has stayed the same for `delay` ms. */
function useDebounced<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delay);
    return () => window.clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** A row of the palette the keyboard moves over: a command, or a search hit. */
interface Item {
  id: string;
  run: () => void;
}

export function filterCommands<T extends { label: string; keywords: string }>(commands: T[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return commands;
  const matches = commands.filter((command) => {
    const haystack = `${command.label} ${command.keywords}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
  // Commands whose label holds every word come first.
  const inLabel = (command: T) => words.every((word) => command.label.toLowerCase().includes(word));
  return [...matches.filter(inLabel), ...matches.filter((command) => !inLabel(command))];
}

export function CommandPalette() {
  const open = useUi((state) => state.paletteOpen);
  const setOpen = useUi((state) => state.setPaletteOpen);
  const setTheme = useUi((state) => state.setTheme);
  const setOrganization = useUi((state) => state.setOrganization);
  const navigate = useNavigate();
  const client = useQueryClient();
  const { role, organizations, organizationId } = useOrganization();
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  const commands = useMemo<Command[]>(() => {
    const go = (path: string) => () => navigate(path);
    const list: Command[] = AREAS.map((area) => ({
      id: `go:${area.path}`,
      label: `Go to ${area.label}`,
      hint: area.description,
      keywords: area.keywords,
      icon: <area.icon className="size-4" aria-hidden />,
      run: go(area.path),
    }));
    list.push(
      { id: 'go:tasks', label: 'Go to Task queue', hint: 'Every task with its status', keywords: 'tasks queue', icon: <ArrowRight className="size-4" aria-hidden />, run: go('/agents/tasks') },
      { id: 'go:approvals', label: 'Go to Approval inbox', hint: 'Tasks waiting for a person', keywords: 'approve reject inbox', icon: <ArrowRight className="size-4" aria-hidden />, run: go('/agents/approvals') },
      { id: 'go:prs', label: 'Go to Pull requests', hint: 'Development Hub', keywords: 'pr review', icon: <ArrowRight className="size-4" aria-hidden />, run: go('/development') },
      { id: 'go:deployments', label: 'Go to Deployments', hint: 'Development Hub', keywords: 'deploy rollback vercel', icon: <ArrowRight className="size-4" aria-hidden />, run: go('/development/deployments') },
      { id: 'go:incidents', label: 'Go to Incidents', hint: 'Development Hub', keywords: 'incident outage timeline rollback restore postmortem', icon: <ArrowRight className="size-4" aria-hidden />, run: go('/development/incidents') },
      { id: 'go:schedules', label: 'Go to Schedules', hint: 'Settings', keywords: 'schedule cron recurring timer', icon: <ArrowRight className="size-4" aria-hidden />, run: go('/settings/schedules') },
      { id: 'go:llm', label: 'Go to Language model settings', hint: 'Settings', keywords: 'llm model openai anthropic budget tokens', icon: <ArrowRight className="size-4" aria-hidden />, run: go('/settings/llm') },
      { id: 'go:graphiql', label: 'Open GraphiQL', hint: 'GraphQL explorer', keywords: 'graphql graphiql api explorer query schema docs subscription', icon: <SquareTerminal className="size-4" aria-hidden />, run: go('/graphiql') },
    );
    if (can(role, 'spawnAgents')) {
      list.push({ id: 'new-agent', label: 'Create an agent', hint: 'Agents', keywords: 'spawn new agent', icon: <Plus className="size-4" aria-hidden />, run: go('/agents/list?new=1') });
      list.push({ id: 'new-task', label: 'Create a task', hint: 'Agents', keywords: 'new task run', icon: <Plus className="size-4" aria-hidden />, run: go('/agents/tasks?new=1') });
    }
    if (can(role, 'manageIntegrations')) {
      list.push({ id: 'connect', label: 'Connect a service', hint: 'Integrations', keywords: 'github vercel figma slack connect', icon: <Plus className="size-4" aria-hidden />, run: go('/integrations') });
    }
    if (can(role, 'manageMembers')) {
      list.push({ id: 'invite', label: 'Invite a member', hint: 'Team', keywords: 'invite member email', icon: <UserPlus className="size-4" aria-hidden />, run: go('/team?invite=1') });
    }
    list.push(
      { id: 'theme-dark', label: 'Use the dark theme', hint: 'Appearance', keywords: 'dark theme mode', icon: <Moon className="size-4" aria-hidden />, run: () => setTheme('dark') },
      { id: 'theme-light', label: 'Use the light theme', hint: 'Appearance', keywords: 'light theme mode', icon: <Sun className="size-4" aria-hidden />, run: () => setTheme('light') },
    );
    for (const organization of organizations) {
      if (organization.id === organizationId) continue;
      list.push({
        id: `org:${organization.id}`,
        label: `Switch to ${organization.name}`,
        hint: `Organization · ${organization.role}`,
        keywords: 'organization switch',
        icon: <Building2 className="size-4" aria-hidden />,
        run: () => {
          setOrganization(organization.id);
          void client.invalidateQueries({ queryKey: ['org'] });
        },
      });
    }
    return list;
  }, [navigate, role, organizations, organizationId, setTheme, setOrganization, client]);

  const shown = filterCommands(commands, query);

  // Search: from SEARCH_MIN_CHARS characters, SEARCH_DELAY_MS after the last keystroke.
  const typed = query.trim();
  const wanted = useDebounced(typed, SEARCH_DELAY_MS);
  const searching = typed.length >= SEARCH_MIN_CHARS;
  const search = useQuery({
    queryKey: useOrgKey('search', wanted),
    queryFn: ({ signal }) => call(api.GET('/api/search', { params: { query: { q: wanted, limit: 8 } }, signal })),
    enabled: open && searching && wanted.length >= SEARCH_MIN_CHARS,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    retry: false,
  });
  const hits: SearchHit[] = searching ? (search.data?.hits ?? []) : [];
  const hitItems = hits.map((hit) => ({ id: `search-${hit.kind}-${hit.id}`, hit, tag: matchedByTag(hit), run: () => navigate(searchHitPath(hit)) }));
  // The answer's own note (meaning unavailable for this query), once an answer is there.
  const modeNote = searching && search.data && !search.error ? searchModeNote(search.data.mode) : null;
  const items: Item[] = [...shown, ...hitItems];
  const pending = searching && (wanted !== typed || search.isFetching);

  useEffect(() => {
    if (open) {
      setQuery('');
      setActive(0);
      window.setTimeout(() => input.current?.focus(), 0);
    }
  }, [open]);

  if (!open) return null;

  const run = (item: Item | undefined) => {
    if (!item) return;
    setOpen(false);
    item.run();
  };

  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center bg-black/40 p-4 pt-[12vh]" onMouseDown={(event) => event.target === event.currentTarget && setOpen(false)}>
      <div role="dialog" aria-modal="true" aria-label="Command palette" className="w-full max-w-xl overflow-hidden rounded-lg border border-line bg-panel shadow-2xl">
        <input
          ref={input}
          value={query}
          onChange={(event) => {
            setQuery(event.target.value);
            setActive(0);
          }}
          onKeyDown={(event) => {
            if (event.key === 'Escape') setOpen(false);
            if (event.key === 'ArrowDown') {
              event.preventDefault();
              setActive((index) => Math.min(index + 1, items.length - 1));
            }
            if (event.key === 'ArrowUp') {
              event.preventDefault();
              setActive((index) => Math.max(index - 1, 0));
            }
            if (event.key === 'Enter') run(items[active]);
          }}
          placeholder="Type an area or an action, or search…"
          aria-label="Command"
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-list"
          aria-activedescendant={items[active] ? `palette-${items[active].id}` : undefined}
          className="h-12 w-full border-b border-line bg-panel px-4 text-[14px] text-fg outline-none placeholder:text-muted"
        />
        <ul id="palette-list" role="listbox" aria-label="Commands" className="max-h-80 overflow-y-auto p-1.5">
          {shown.length === 0 && !searching && <li className="px-3 py-6 text-center text-[13px] text-muted">Nothing matches “{query}”.</li>}
          {shown.map((command, index) => (
            <li
              key={command.id}
              id={`palette-${command.id}`}
              role="option"
              aria-selected={index === active}
              onMouseEnter={() => setActive(index)}
              onMouseDown={(event) => {
                event.preventDefault();
                run(command);
              }}
              className={cx('flex cursor-pointer items-center gap-3 rounded-md px-3 py-2 text-[13px]', index === active ? 'bg-panel-2' : '')}
            >
              <span className="text-muted">{command.icon}</span>
              <span className="flex-1 font-medium">{command.label}</span>
              <span className="text-[12px] text-muted">{command.hint}</span>
            </li>
          ))}
          {searching && (
            <li role="presentation" className={cx(shown.length > 0 && 'mt-1 border-t border-line pt-1')}>
              <div id="palette-search-label" className="px-3 pt-1.5 pb-1 text-[11px] font-medium tracking-wide text-muted uppercase">
                Search
              </div>
              <ul role="group" aria-labelledby="palette-search-label" data-testid="search-results" aria-busy={pending || undefined}>
                {hitItems.map((item, index) => {
                  const position = shown.length + index;
                  return (
                    <li
                      key={item.id}
                      id={`palette-${item.id}`}
                      role="option"
                      aria-selected={position === active}
                      data-testid="search-hit"
                      data-kind={item.hit.kind}
                      data-matched-by={item.hit.matched_by}
                      onMouseEnter={() => setActive(position)}
                      onMouseDown={(event) => {
                        event.preventDefault();
                        run(item);
                      }}
                      className={cx('flex cursor-pointer items-center gap-3 rounded-md px-3 py-2 text-[13px]', position === active ? 'bg-panel-2' : '')}
                    >
                      <span className="text-muted">{KIND_ICONS[item.hit.kind] ?? <ArrowRight className="size-4" aria-hidden />}</span>
                      <span className="min-w-0 flex-1">
                        <span className="block truncate font-medium">{item.hit.title}</span>
                        {item.hit.snippet && <Snippet text={item.hit.snippet} className="block truncate text-[12px] text-muted" />}
                      </span>
                      {item.tag && (
                        <span className="shrink-0 rounded border border-line px-1 text-[11px] text-muted" title={item.tag.title} data-testid="search-hit-meaning">
                          {item.tag.label}
                        </span>
                      )}
                      <span className="shrink-0 text-[12px] text-muted">{searchKindLabel(item.hit.kind)}</span>
                    </li>
                  );
                })}
                {hitItems.length === 0 && (
                  <li role="presentation" className="px-3 py-2 text-[12px] text-muted" data-testid="search-status">
                    {search.error
                      ? isNotAvailable(search.error)
                        ? 'Search is not available on this node yet.'
                        : `Search failed: ${describeError(search.error).title}`
                      : pending || !search.data
                        ? 'Searching…'
                        : `Nothing found for “${typed}”.`}
                  </li>
                )}
                {modeNote && (
                  <li role="presentation" className="px-3 pt-1 pb-1.5 text-[11px] text-muted" data-testid="search-mode-note">
                    {modeNote}
                  </li>
                )}
              </ul>
            </li>
          )}
        </ul>
        <p className="border-t border-line px-4 py-2 text-[11px] text-muted">
          ↑ ↓ to move · Enter to run · Esc to close · two letters or more search everything · outside the palette, <kbd className="font-mono">g</kbd> then <kbd className="font-mono">c</kbd>/<kbd className="font-mono">a</kbd>/<kbd className="font-mono">t</kbd>/<kbd className="font-mono">i</kbd>/<kbd className="font-mono">d</kbd>/<kbd className="font-mono">n</kbd>/<kbd className="font-mono">q</kbd> jumps to an area
        </p>
      </div>
    </div>
  );
}
