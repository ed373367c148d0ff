// Integrations: connect each service with its credentials, the webhook URL to paste,
// status, last sync, "sync now", disconnect.
import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { CheckCircle2, Plug, RefreshCw, Unplug } from 'lucide-react';
import { api, call } from '../api/rest';
import { useCan, useInvalidateOrg, useOrgKey } from '../api/hooks';
import { fieldErrors } from '../api/problem';
import type { IntegrationRow, ServiceWire } from '../api/models';
import { Badge, Button, Card, CopyButton, ErrorNotice, Field, Input, LoadingBlock, Modal, Mono, PageHeader, StatusBadge, Time, useFieldId } from '../components/ui';
import { QueuedTask } from './agents/Waiting';

interface CredentialField {
  key: string;
  label: string;
  required?: boolean;
  secret?: boolean;
  hint?: string;
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
      { key: 'token', label: 'Access token', required: true, secret: true, hint: 'A fine-grained or classic token that can read the repositories.' },
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

function ConnectDialog({ spec, onClose }: { spec: ServiceSpec; onClose: () => void }) {
  const invalidate = useInvalidateOrg();
  const [values, setValues] = useState<Record<string, string>>({});
  const [secret, setSecret] = useState('');
  const base = useFieldId(spec.service);
  const connect = useMutation({
    mutationFn: () => call(api.POST('/api/integrations/{service}/connect', { params: { path: { service: spec.service } }, body: connectBody(spec, values, secret) })),
    onSuccess: () => void invalidate('integrations'),
  });
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
            <Button variant="primary" loading={connect.isPending} onClick={() => connect.mutate()} disabled={spec.fields.some((field) => field.required && !(values[field.key] ?? '').trim())}>
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
          <p className="text-muted">
            Next: paste the URL into {spec.name}'s webhook settings with the same secret
            {done.agents_started.some((agent) => agent.type === spec.watcher) ? (
              <>; its watcher turns the deliveries into tasks. Steer the agents in <Link className="underline" to="/agents/list">Agents</Link>.</>
            ) : (
              <>, and create a <Mono>{spec.watcher}</Mono> agent in <Link className="underline" to="/agents/list?new=1">Agents</Link> so events become tasks.</>
            )}
          </p>
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

function ServiceCard({ spec, integration }: { spec: ServiceSpec; integration: IntegrationRow | undefined }) {
  const canManage = useCan('manageIntegrations');
  const invalidate = useInvalidateOrg();
  const [connecting, setConnecting] = useState(false);
  const sync = useMutation({ mutationFn: () => call(api.POST('/api/integrations/{service}/sync', { params: { path: { service: spec.service } } })) });
  const disconnect = useMutation({
    mutationFn: () => call(api.DELETE('/api/integrations/{service}/disconnect', { params: { path: { service: spec.service } } })),
    onSuccess: () => void invalidate('integrations'),
  });
  const [confirming, setConfirming] = useState(false);
  const url = integration?.webhook_url ?? null;
  return (
    <Card
      title={
        <div className="flex items-center gap-2">
          <h2 className="text-[14px] font-semibold">{spec.name}</h2>
          {integration ? <StatusBadge status={integration.status} /> : <Badge tone="gray">not connected</Badge>}
        </div>
      }
      actions={
        canManage && (
          <Button size="sm" variant={integration ? 'secondary' : 'primary'} icon={<Plug className="size-3.5" aria-hidden />} onClick={() => setConnecting(true)}>
            {integration ? 'Reconnect' : 'Connect'}
          </Button>
        )
      }
    >
      <div className="space-y-3 text-[13px]" data-testid={`integration-${spec.service}`}>
        <p className="text-muted">{spec.blurb}</p>
        {integration && (
          <>
            <dl className="grid grid-cols-2 gap-2 text-[12px]">
              <dt className="text-muted">Connected</dt>
              <dd><Time iso={integration.created_at} /></dd>
              <dt className="text-muted">Last sync</dt>
              <dd><Time iso={integration.last_sync_at} /></dd>
            </dl>
            {url && <WebhookUrl url={url} secretSet={integration.webhook_secret_set} />}
            {!url && canManage && <p className="text-[12px] text-muted">This node lists no webhook URL for {spec.name}.</p>}
            {canManage && (
              <div className="flex flex-wrap items-center gap-2">
                <Button size="sm" icon={<RefreshCw className="size-3.5" aria-hidden />} loading={sync.isPending} onClick={() => sync.mutate()}>
                  Sync now
                </Button>
                {confirming ? (
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
            {sync.data && <QueuedTask key={sync.data.id} task={sync.data} what="Sync" />}
            {(sync.error || disconnect.error) && <ErrorNotice error={sync.error ?? disconnect.error} />}
          </>
        )}
      </div>
      {connecting && <ConnectDialog spec={spec} onClose={() => setConnecting(false)} />}
    </Card>
  );
}

export function Integrations() {
  const integrations = useQuery({ queryKey: useOrgKey('integrations'), queryFn: () => call(api.GET('/api/integrations')) });
  const byService = new Map((integrations.data?.items ?? []).map((integration) => [integration.service, integration]));
  return (
    <div>
      <PageHeader title="Integrations" description="Connect a service, paste its webhook URL where the service asks for one, and start its watcher agent. Start with GitHub." />
      {integrations.error && <ErrorNotice error={integrations.error} />}
      {integrations.isLoading ? (
        <LoadingBlock rows={4} />
      ) : (
        <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
          {SERVICES.map((spec) => (
            <ServiceCard key={spec.service} spec={spec} integration={byService.get(spec.service)} />
          ))}
        </div>
      )}
    </div>
  );
}
