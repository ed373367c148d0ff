// GraphiQL on the node's /graphql, as the signed-in user in the organization on screen
// (GET /graphql in a browser redirects here). Its own chunk: Monaco and GraphiQL load
// only when this page opens.
import './setupWorkers';
import 'graphiql/style.css';
import './graphiql-fixes.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import { GraphiQL } from 'graphiql';
import { consoleFetcher } from './fetcher';
import { improveDarkTheme } from './monacoTheme';
import { tokens } from '../../api/session';
import { live } from '../../api/graphql';
import { currentOrganizationId, useUi } from '../../stores/ui';
import { useOrganization } from '../../api/hooks';

const DEFAULT_QUERY = `# As you, in the organization chosen above.
# Ctrl-Enter runs; the book icon opens the schema.

query Agents {
  agents(first: 20) {
    items {
      id
      name
      type
      status
    }
  }
}

# Subscriptions use the console's live connection:
# subscription {
#   agentTaskUpdated { id taskType status waitingReason }
# }
`;

function useDark(): boolean {
  const theme = useUi((state) => state.theme);
  const [dark, setDark] = useState(() => document.documentElement.classList.contains('dark'));
  useEffect(() => {
    setDark(document.documentElement.classList.contains('dark'));
    const observer = new MutationObserver(() => setDark(document.documentElement.classList.contains('dark')));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    return () => observer.disconnect();
  }, [theme]);
  return dark;
}

/**
 * GraphiQL's tabs are `<li role="tab">` holding two buttons (the tab and its close
 * button), which nests interactive controls (axe: nested-interactive). The tab role and
 * its state move to the tab's own button, the list item becomes presentational.
 */
function useAccessibleTabs(root: React.RefObject<HTMLDivElement | null>): void {
  useEffect(() => {
    const container = root.current;
    if (!container) return;
    const fix = () => {
      for (const item of container.querySelectorAll<HTMLElement>('.graphiql-tab')) {
        const button = item.querySelector<HTMLElement>('.graphiql-tab-button');
        const selected = item.getAttribute('aria-selected') ?? (item.classList.contains('graphiql-tab-active') ? 'true' : 'false');
        if (item.getAttribute('role') !== 'presentation') item.setAttribute('role', 'presentation');
        if (item.hasAttribute('aria-selected')) item.removeAttribute('aria-selected');
        if (button) {
          if (button.getAttribute('role') !== 'tab') button.setAttribute('role', 'tab');
          const active = item.classList.contains('graphiql-tab-active') ? 'true' : selected;
          if (button.getAttribute('aria-selected') !== active) button.setAttribute('aria-selected', active);
        }
      }
    };
    fix();
    const observer = new MutationObserver(fix);
    observer.observe(container, { subtree: true, childList: true, attributes: true, attributeFilter: ['role', 'aria-selected', 'class'] });
    return () => observer.disconnect();
  }, [root]);
}

export function GraphiQLPage() {
  const { organizationId } = useOrganization();
  const dark = useDark();
  const root = useRef<HTMLDivElement>(null);
  useAccessibleTabs(root);
  useEffect(improveDarkTheme, []);
  const fetcher = useMemo(
    () =>
      consoleFetcher({
        fetch: (...args) => fetch(...args),
        accessToken: () => tokens.getAccessToken(),
        refresh: (rejected) => tokens.refresh(rejected),
        organizationId: currentOrganizationId,
        subscribe: (payload, sink) => live().subscribe(payload, sink),
      }),
    // A new organization: a new fetcher, so GraphiQL reads the schema again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [organizationId],
  );
  return (
    <div className="h-full min-h-0" data-testid="graphiql" ref={root}>
      <h1 className="sr-only">GraphiQL: GraphQL explorer</h1>
      <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} forcedTheme={dark ? 'dark' : 'light'} isHeadersEditorEnabled shouldPersistHeaders={false}>
        <GraphiQL.Logo>
          <span className="console-graphiql-logo">GraphiQL</span>
        </GraphiQL.Logo>
      </GraphiQL>
    </div>
  );
}
