// Integrations: connect each service with its credentials, the webhook URL to paste,
// its health (status and the last sync's outcome), "sync now", disconnect. Reconnecting
// starts a sync at once, which the card follows. Connecting, reconnecting and
// disconnecting (the service's credentials and webhook secret) are an admin's or owner's;
// a member syncs, and is told to ask an admin for the rest.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { CheckCircle2, CircleAlert, Plug, RefreshCw, TriangleAlert, Unplug } from 'lucide-react';
import { api, call } from '../api/rest';
import { useCan, useInvalidateOrg, useOrgKey } from '../api/hooks';
import { fieldErrors } from '../api/problem';
import type { ConnectedIntegration, ServiceWire, TaskRow } from '../api/models';
import { Badge, Button, Card, CopyButton, ErrorNotice, Field, Input, LoadingBlock, Modal, Mono, PageHeader, Time, cx, useFieldId } from '../components/ui';
import { CreateAgentButton, QueuedTask, useLiveTask } from './agents/Waiting';
import { useAgents } from './agents/queries';
import { agentTypeWords } from './agents/waiting';
import { integrationHealth, watcherState, type IntegrationView } from './integrationHealth';

interface CredentialField {
  key: string;
  label: string;
  required?: boolean;
  secret?: boolean;
  hint?: ReactNode;
  list?: boolean;
}

interface ServiceSpec {
  service: ServiceWire;
  name: string;
  blurb: string;
  fields: CredentialField[];
  secretLabel: string;
  secretHint: string;
  watcher: string;
}

export const SERVICES: ServiceSpec[] = [
  {
    service: 'github',
    name: 'GitHub',
    blurb: 'Pull requests, pushes, deployments; reviews by the code review agent.',
    fields: [
      { key: 'token', label: 'Access token', required: true, secret: true, hint: <GithubTokenHint /> },
      { key: 'organization', label: 'Organization', hint: "Sync this GitHub organization's repositories (else the token's own)." },
      { key: 'installation_id', label: 'App installation id', hint: 'For a GitHub App installation instead of a token owner.' },
    ],
    secretLabel: 'Webhook secret',
    secretHint: "The secret you enter in GitHub's webhook settings.",
    watcher: 'github_watcher',
  },
  {
    service: 'vercel',
    name: 'Vercel',
    blurb: 'Deployments and their state; health checks and rollbacks.',
    fields: [
      { key: 'token', label: 'Access token', required: true, secret: true },
      { key: 'team_id', label: 'Team id' },
      { key: 'project_id', label: 'Project id' },
    ],
    secretLabel: 'Webhook secret',
    secretHint: "Vercel's webhook secret.",
    watcher: 'vercel_watcher',
  },
  {
    service: 'figma',
    name: 'Figma',
    blurb: 'Files and library components for the design agents.',
    fields: [
      { key: 'token', label: 'Personal access token', required: true, secret: true },
      { key: 'team_id', label: 'Team id' },
      { key: 'file_keys', label: 'File keys', list: true, hint: 'Comma-separated keys of the files to follow.' },
    ],
    secretLabel: 'Webhook passcode',
    secretHint: 'The passcode given when creating the Figma webhook.',
    watcher: 'figma_watcher',
  },
  {
    service: 'slack',
    name: 'Slack',
    blurb: 'Messages and mentions in; standups and notifications out.',
    fields: [{ key: 'token', label: 'Bot token', required: true, secret: true }],
    secretLabel: 'Signing secret',
    secretHint: "Your Slack app's signing secret.",
    watcher: 'slack_watcher',
  },
  {
    service: 'twitter',
    name: 'X',
    blurb: 'Account, posts and engagement for the Social Command Post.',
    fields: [{ key: 'token', label: 'Access token', required: true, secret: true }],
    secretLabel: 'Consumer secret',
    secretHint: "Your X app's consumer secret (signs the webhooks).",
    watcher: 'social_watcher',
  },
  {
    service: 'linkedin',
    name: 'LinkedIn',
    blurb: 'Company page posts and engagement.',
    fields: [{ key: 'token', label: 'Access token', required: true, secret: true }],
    secretLabel: 'Client secret',
    secretHint: "Your LinkedIn app's client secret.",
    watcher: 'social_watcher',
  },
];

/**
 * What the GitHub token needs: reading the repositories' contents, pull requests and
 * metadata (syncs, reviews), and writing pull requests (the code review agent posts its
 * reviews).
 */
export function GithubTokenHint() {
  return (
    <span data-testid="github-token-hint">
      It reads the repositories and pull requests and posts the code review agent's reviews. A fine-grained token needs{' '}
      <strong className="font-medium text-fg">Pull requests: Read and write, Contents: Read, Metadata: Read</strong>; a classic token the{' '}
      <Mono>repo</Mono> scope.
    </span>
  );
}

/** The connect request's body, from the form. */
export function connectBody(spec: ServiceSpec, values: Record<string, string>, secret: string) {
  const credentials: Record<string, unknown> = {};
  for (const field of spec.fields) {
    const value = (values[field.key] ?? '').trim();
    if (!value) continue;
    credentials[field.key] = field.list ? value.split(',').map((item) => item.trim()).filter(Boolean) : value;
  }
  return { credentials, ...(secret.trim() ? { webhook_secret: secret.trim() } : {}) };
}

/** After connecting: whether the service's watcher turns its webhooks into tasks, and what to do if not. */
function WatcherNext({ spec, done }: { spec: ServiceSpec; done: ConnectedIntegration }) {
  const agents = useAgents();
  const watcher = agentTypeWords(spec.watcher);
  if (!agents.data && !done.agents_started.some((agent) => agent.type === spec.watcher)) return null;
  const state = watcherState(spec.watcher, done.agents_started, agents.data?.agents.items ?? []);
  return (
    <div className="space-y-2 text-muted" data-testid="watcher-next" data-state={state.state}>
      <p>
        Next: paste the URL into {spec.name}'s webhook settings with the same secret
        {state.state === 'started' || state.state === 'running' ? (
          <>
            ; its {watcher} agent <strong className="font-medium text-fg">{state.name}</strong>
            {state.state === 'running' ? ', already running,' : ''} turns the deliveries into tasks. Steer the agents in{' '}
            <Link className="underline" to="/agents/list">Agents</Link>.
          </>
        ) : state.state === 'disabled' ? (
          <>
            . Its {watcher} agent <strong className="font-medium text-fg">{state.name}</strong> is disabled: enable it in{' '}
            <Link className="underline" to="/agents/list">Agents</Link> so events become tasks.
          </>
        ) : (
          <>. No {watcher} agent runs yet: start one so events become tasks.</>
        )}
      </p>
      {state.state === 'none' && <CreateAgentButton agentType={spec.watcher} />}
    </div>
  );
}

function ConnectDialog({ spec, onClose, onConnected }: { spec: ServiceSpec; onClose: () => void; onConnected?: (answer: ConnectedIntegration) => void }) {
  const invalidate = useInvalidateOrg();
  const [values, setValues] = useState<Record<string, string>>({});
  const [secret, setSecret] = useState('');
  const base = useFieldId(spec.service);
  const connect = useMutation({
    mutationFn: () => call(api.POST('/api/integrations/{service}/connect', { params: { path: { service: spec.service } }, body: connectBody(spec, values, secret) })),
    onSuccess: (answer) => {
      for (const key of ['integrations', 'agents', 'tree']) void invalidate(key);
      onConnected?.(answer);
    },
  });
  const missing = spec.fields.filter((field) => field.required && !(values[field.key] ?? '').trim());
  const errors = fieldErrors(connect.error, ['credentials', 'webhook_secret', 'metadata', ...spec.fields.map((field) => field.key)]);
  const credentialsError = errors.fields.credentials;
  const done = connect.data;
  return (
    <Modal
      title={done ? `${spec.name} connected` : `Connect ${spec.name}`}
      open
      onClose={onClose}
      wide
      footer={
        done ? (
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button
              variant="primary"
              loading={connect.isPending}
              onClick={() => connect.mutate()}
              disabled={missing.length > 0}
              disabledReason={`Fill in the ${missing.map((field) => field.label.toLowerCase()).join(' and ')} first.`}
            >
              Connect
            </Button>
          </>
        )
      }
    >
      {done ? (
        <div className="space-y-3 text-[13px]" data-testid="connected">
          <p className="flex items-center gap-2">
            <CheckCircle2 className="size-4 text-emerald-600" aria-hidden /> Credentials are sealed on the node and never shown again.
          </p>
          {done.webhook_url && <WebhookUrl url={done.webhook_url} />}
          {done.agents_started.length > 0 && (
            <div data-testid="agents-started">
              <div className="mb-1 text-[12px] font-medium">Agents started for {spec.name}</div>
              <ul className="space-y-0.5">
                {done.agents_started.map((agent) => (
                  <li key={agent.id}>
                    {agent.name} <Mono className="text-muted">({agent.type})</Mono>
                  </li>
                ))}
              </ul>
            </div>
          )}
          <WatcherNext spec={spec} done={done} />
        </div>
      ) : (
        <form className="space-y-3" onSubmit={(event) => { event.preventDefault(); connect.mutate(); }}>
          {errors.form && <ErrorNotice error={connect.error} />}
          {credentialsError && <p className="text-[12px] text-red-700 dark:text-red-400">{credentialsError}</p>}
          {spec.fields.map((field) => (
            <Field key={field.key} label={`${field.label}${field.required ? '' : ' (optional)'}`} htmlFor={`${base}-${field.key}`} error={errors.fields[field.key]} hint={field.hint}>
              <Input
                id={`${base}-${field.key}`}
                name={field.key}
                type={field.secret ? 'password' : 'text'}
                autoComplete="off"
                value={values[field.key] ?? ''}
                onChange={(event) => setValues({ ...values, [field.key]: event.target.value })}
                invalid={Boolean(errors.fields[field.key])}
              />
            </Field>
          ))}
          <Field label={spec.secretLabel} htmlFor={`${base}-secret`} error={errors.fields.webhook_secret} hint={spec.secretHint}>
            <Input id={`${base}-secret`} name="webhook_secret" type="password" autoComplete="off" value={secret} onChange={(event) => setSecret(event.target.value)} invalid={Boolean(errors.fields.webhook_secret)} />
          </Field>
        </form>
      )}
    </Modal>
  );
}

function WebhookUrl({ url, secretSet }: { url: string; secretSet?: boolean | null | undefined }) {
  return (
    <div>
      <div className="mb-1 flex items-center gap-2 text-[12px] font-medium">
        Webhook URL
        {typeof secretSet === 'boolean' &&
          (secretSet ? (
            <Badge tone="green" title="Deliveries are checked against the secret">secret set</Badge>
          ) : (
            <Badge tone="amber" title="Reconnect with a webhook secret so deliveries can be verified">no secret</Badge>
          ))}
      </div>
      <div className="flex items-center gap-2">
        <code className="min-w-0 flex-1 truncate rounded-md border border-line bg-panel-2 px-2 py-1.5 font-mono text-[12px]" title={url} data-testid="webhook-url">
          {url}
        </code>
        <CopyButton value={url} />
      </div>
    </div>
  );
}

const HEALTH_BADGE = { green: 'green', amber: 'amber', red: 'red', gray: 'gray' } as const;

/** The card's health: the status badge and, after a failure, what went wrong. */
function HealthBadge({ integration, name }: { integration: IntegrationView; name: string }) {
  const health = integrationHealth(integration, name);
  return (
    <Badge tone={HEALTH_BADGE[health.tone]} title={health.problem ?? undefined}>
      <span className="size-1.5 rounded-full bg-current" aria-hidden />
      <span data-testid={`integration-health-${integration.service}`} data-tone={health.tone}>
        {health.label}
      </span>
    </Badge>
  );
}

/** The last sync: when, and ok or why not (the node's words as a sentence). */
function LastSyncRow({ integration, name }: { integration: IntegrationView; name: string }) {
  const health = integrationHealth(integration, name);
  const last = integration.last_sync;
  return (
    <>
      <dt className="text-muted">Last sync</dt>
      <dd data-testid="last-sync" data-ok={last ? String(last.ok) : undefined}>
        {last ? (
          <span className="inline-flex flex-wrap items-center gap-1">
            <Time iso={last.at} />
            {last.ok ? (
              <span className="inline-flex items-center gap-0.5 text-emerald-700 dark:text-emerald-400">
                <CheckCircle2 className="size-3.5" aria-hidden /> ok
              </span>
            ) : (
              <span className="inline-flex items-center gap-0.5 text-red-700 dark:text-red-400">
                <CircleAlert className="size-3.5" aria-hidden /> failed
              </span>
            )}
          </span>
        ) : last === null ? (
          <span className="text-muted">not yet</span>
        ) : (
          <Time iso={integration.last_sync_at} />
        )}
      </dd>
      {last && !last.ok && integration.last_sync_at && (
        <>
          <dt className="text-muted">Last good sync</dt>
          <dd><Time iso={integration.last_sync_at} /></dd>
        </>
      )}
      {health.problem && (
        <dd
          className={cx(
            'col-span-2 flex items-start gap-1.5 rounded-md border px-2 py-1.5',
            health.tone === 'red' ? 'border-red-200 bg-red-50 text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300' : 'border-amber-300 bg-amber-50 text-amber-950 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200',
          )}
          data-testid="sync-problem"
        >
          <TriangleAlert className="mt-0.5 size-3.5 shrink-0" aria-hidden />
          <span>{health.problem}</span>
        </dd>
      )}
    </>
  );
}

/**
 * The sync a reconnection started: the newest sync task of the service created since the
 * integration was written (the node's own clock, so no skew), looked for until it shows.
 */
function useSyncAfterConnect(service: ServiceWire, since: string | null) {
  const key = useOrgKey('tasks', 'sync-after-connect', service, since);
  const found = useQuery({
    queryKey: key,
    enabled: Boolean(since),
    refetchInterval: (query) => (query.state.data ? false : 2_000),
    queryFn: async (): Promise<TaskRow | null> => {
      const after = new Date(Date.parse(since ?? '') - 1_000).toISOString();
      const page = await call(api.GET('/api/agent-tasks', { params: { query: { type: 'sync_integration', created_after: after, include: 'data', limit: 20 } } }));
      const ofService = page.items.filter((task) => task.input_data?.service === service);
      return ofService.sort((a, b) => b.created_at.localeCompare(a.created_at))[0] ?? null;
    },
  });
  return found.data ?? null;
}

/**
 * A sync followed until it finishes; each time the task moves (an attempt failed, it
 * finished) the integration is read again for the outcome the node recorded.
 */
function FollowedSync({ task, what }: { task: TaskRow; what: string }) {
  const invalidate = useInvalidateOrg();
  const row = useLiveTask(task);
  // Empty at first: a sync found already finished is read once too.
  const seen = useRef('');
  const now = `${row.status}@${row.updated_at}`;
  useEffect(() => {
    if (seen.current === now) return;
    seen.current = now;
    void invalidate('integrations');
  });
  return <QueuedTask key={task.id} task={task} what={what} />;
}

/** What a member sees instead of Connect, Reconnect and Disconnect. */
export const ASK_AN_ADMIN = 'Ask an admin to connect or change this service';

function ServiceCard({ spec, integration }: { spec: ServiceSpec; integration: IntegrationView | undefined }) {
  const canManage = useCan('manageIntegrations');
  const canChange = useCan('manageIntegrationSecrets');
  const invalidate = useInvalidateOrg();
  const [connecting, setConnecting] = useState(false);
  const [reconnectedAt, setReconnectedAt] = useState<string | null>(null);
  const sync = useMutation({ mutationFn: () => call(api.POST('/api/integrations/{service}/sync', { params: { path: { service: spec.service } } })) });
  const disconnect = useMutation({
    mutationFn: () => call(api.DELETE('/api/integrations/{service}/disconnect', { params: { path: { service: spec.service } } })),
    onSuccess: () => void invalidate('integrations'),
  });
  const [confirming, setConfirming] = useState(false);
  const afterConnect = useSyncAfterConnect(spec.service, reconnectedAt);
  const url = integration?.webhook_url ?? null;
  const followed = sync.data ?? afterConnect;
  return (
    <Card
      className="min-w-0"
      title={
        <div className="flex min-w-0 items-center gap-2">
          <h2 className="text-[14px] font-semibold">{spec.name}</h2>
          {integration ? <HealthBadge integration={integration} name={spec.name} /> : <Badge tone="gray">not connected</Badge>}
        </div>
      }
      actions={
        canChange && (
          <Button size="sm" variant={integration ? 'secondary' : 'primary'} icon={<Plug className="size-3.5" aria-hidden />} onClick={() => setConnecting(true)}>
            {integration ? 'Reconnect' : 'Connect'}
          </Button>
        )
      }
    >
      <div className="space-y-3 text-[13px]" data-testid={`integration-${spec.service}`}>
        <p className="text-muted">{spec.blurb}</p>
        {canManage && !canChange && (
          <p className="text-[12px] text-muted" data-testid="ask-an-admin">
            {ASK_AN_ADMIN}.
          </p>
        )}
        {integration && (
          <>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-[12px]">
              <dt className="text-muted">Connected</dt>
              <dd><Time iso={integration.created_at} /></dd>
              <LastSyncRow integration={integration} name={spec.name} />
            </dl>
            {url && <WebhookUrl url={url} secretSet={integration.webhook_secret_set} />}
            {!url && canManage && <p className="text-[12px] text-muted">This node lists no webhook URL for {spec.name}.</p>}
            {canManage && (
              <div className="flex flex-wrap items-center gap-2">
                <Button size="sm" icon={<RefreshCw className="size-3.5" aria-hidden />} loading={sync.isPending} onClick={() => sync.mutate()}>
                  Sync now
                </Button>
                {!canChange ? null : confirming ? (
                  <>
                    <Button size="sm" variant="danger" loading={disconnect.isPending} onClick={() => disconnect.mutate()}>
                      Disconnect
                    </Button>
                    <Button size="sm" onClick={() => setConfirming(false)}>
                      Keep
                    </Button>
                  </>
                ) : (
                  <Button size="sm" variant="ghost" icon={<Unplug className="size-3.5" aria-hidden />} onClick={() => setConfirming(true)}>
                    Disconnect
                  </Button>
                )}
              </div>
            )}
            {reconnectedAt && !sync.data && !afterConnect && (
              <p className="text-[12px] text-muted" data-testid="sync-after-connect-pending">
                Reconnected: looking for the sync it started…
              </p>
            )}
            {followed && <FollowedSync key={followed.id} task={followed} what={followed === sync.data ? 'Sync' : 'Sync after reconnecting'} />}
            {(sync.error || disconnect.error) && <ErrorNotice error={sync.error ?? disconnect.error} />}
          </>
        )}
      </div>
      {connecting && (
        <ConnectDialog
          spec={spec}
          onClose={() => setConnecting(false)}
          onConnected={(answer) => {
            // A first connection starts no sync of its own; a reconnection does, at once.
            if (integration) {
              sync.reset();
              setReconnectedAt(answer.updated_at);
            }
          }}
        />
      )}
    </Card>
  );
}

export function Integrations() {
  const integrations = useQuery({ queryKey: useOrgKey('integrations'), queryFn: () => call(api.GET('/api/integrations')) });
  const byService = new Map((integrations.data?.items ?? []).map((integration): [ServiceWire, IntegrationView] => [integration.service, integration]));
  return (
    <div>
      <PageHeader title="Integrations" description="Connect a service, paste its webhook URL where the service asks for one, and start its watcher agent. Start with GitHub." />
      {integrations.error && <ErrorNotice error={integrations.error} />}
      {integrations.isLoading ? (
        <LoadingBlock rows={4} />
      ) : (
        <div className="grid grid-cols-1 gap-4 md:grid-cols-2 xl:grid-cols-3">
          {SERVICES.map((spec) => (
            <ServiceCard key={spec.service} spec={spec} integration={byService.get(spec.service)} />
          ))}
        </div>
      )}
    </div>
  );
}
