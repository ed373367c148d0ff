// GraphiQL on the node's /graphql, as the signed-in user in the organization on screen
// (GET /graphql in a browser redirects here). Its own chunk: Monaco and GraphiQL load
// only when this page opens.
import './setupWorkers';
import 'graphiql/style.css';
import { useEffect, useMemo, useState } from 'react';
import { GraphiQL } from 'graphiql';
import { consoleFetcher } from './fetcher';
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

export function GraphiQLPage() {
  const { organizationId } = useOrganization();
  const dark = useDark();
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
    <div className="h-full min-h-0" data-testid="graphiql">
      <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} forcedTheme={dark ? 'dark' : 'light'} isHeadersEditorEnabled shouldPersistHeaders={false} />
    </div>
  );
}
