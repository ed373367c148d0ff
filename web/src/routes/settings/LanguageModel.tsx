// The node's language model, read-only: an operator sets it on the node (llm.* settings
// or COMPANYOS_LLM_* variables), with the models an agent may choose; an agent's
// configuration may narrow it, never change its address or provider.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Bot } from 'lucide-react';
import type { ReactNode } from 'react';
import { api, call } from '../../api/rest';
import { useOrgKey } from '../../api/hooks';
import type { LlmSettings } from '../../api/models';
import { Badge, Card, EmptyState, ErrorNotice, LoadingBlock, Mono } from '../../components/ui';

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-[11px] font-medium tracking-wide text-muted uppercase">{label}</dt>
      <dd className="mt-0.5">{children}</dd>
    </div>
  );
}

const limit = (value: number | null | undefined, unit: string) => (value === null || value === undefined || value === 0 ? 'no limit' : `${value.toLocaleString('en')} ${unit}`);

export function LanguageModel() {
  const settings = useQuery({ queryKey: useOrgKey('settings', 'llm'), staleTime: 5 * 60_000, queryFn: () => call(api.GET('/api/settings/llm')) });
  const llm: LlmSettings | undefined = settings.data;
  const allowed = llm?.allowed_models;
  return (
    <div className="space-y-4">
      <Card title="Language model" actions={llm && <Badge tone={llm.enabled ? 'green' : 'gray'}>{llm.enabled ? 'in use' : 'off'}</Badge>}>
        {settings.isLoading && <LoadingBlock rows={2} />}
        {settings.error && <ErrorNotice error={settings.error} what="The language model's settings" />}
        {llm && !llm.enabled && (
          <EmptyState icon={<Bot className="size-5" aria-hidden />} title="This node has no language model">
            Agents work by their rules alone; the code review agent, for one, reviews without the model's notes.
          </EmptyState>
        )}
        {llm && llm.enabled && (
          <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-[13px] md:grid-cols-4" data-testid="llm-settings">
            <Item label="Provider">{llm.provider ?? <span className="text-muted">—</span>}</Item>
            <Item label="Model">{llm.model ? <Mono>{llm.model}</Mono> : <span className="text-muted">—</span>}</Item>
            <Item label="API address">{llm.base_url ? <Mono>{llm.base_url}</Mono> : <span className="text-muted">the provider's own</span>}</Item>
            <Item label="API key">{llm.api_key_set ? 'set (never shown)' : <span className="text-muted">none (a local server may need none)</span>}</Item>
            <Item label="Tokens per day, per agent">{limit(llm.tokens_per_day, 'tokens')}</Item>
            <Item label="Requests per minute, per agent">{limit(llm.requests_per_minute, 'requests')}</Item>
            <Item label="Longest answer">{llm.max_tokens ? `${llm.max_tokens.toLocaleString('en')} tokens` : <span className="text-muted">the provider's default</span>}</Item>
          </dl>
        )}
        {llm && allowed !== undefined && (
          <div className="mt-4 border-t border-line pt-3 text-[13px]" data-testid="llm-allowed-models">
            <h3 className="text-[11px] font-medium tracking-wide text-muted uppercase">Models an agent may choose</h3>
            {allowed.length === 0 ? (
              <p className="mt-1 text-muted">None: the node has no model set.</p>
            ) : (
              <>
                <ul className="mt-1 flex flex-wrap gap-1.5">
                  {allowed.map((model, index) => (
                    <li key={model}>
                      <Mono>{model}</Mono>
                      {index === 0 && model === llm.model && <span className="text-muted"> (the node's own)</span>}
                    </li>
                  ))}
                </ul>
                {allowed.length === 1 && <p className="mt-1 text-[12px] text-muted">Only the node's own: agents have no other model to choose.</p>}
              </>
            )}
          </div>
        )}
      </Card>
      <Card title="Changing it">
        <div className="max-w-3xl space-y-2 text-[13px]" data-testid="llm-how-to-change">
          <p>
            The language model is the node's, set by whoever runs the node — not from the console. It is changed with the <Mono>llm.*</Mono> settings in the node's configuration file (<Mono>companyos.toml</Mono>) or the <Mono>COMPANYOS_LLM_*</Mono> environment variables, and takes effect when the node restarts:
          </p>
          <ul className="list-disc space-y-0.5 pl-5">
            <li><Mono>llm.provider</Mono> / <Mono>COMPANYOS_LLM_PROVIDER</Mono>: <Mono>openai</Mono> (any OpenAI-compatible server) or <Mono>anthropic</Mono>; empty turns the model off;</li>
            <li><Mono>llm.model</Mono>, <Mono>llm.base_url</Mono>, <Mono>llm.api_key</Mono> or <Mono>llm.api_key_file</Mono> (a mounted secret);</li>
            <li><Mono>llm.allowed_models</Mono>: the other models, served at the same address, that an agent may choose (the node's own model always may be);</li>
            <li><Mono>llm.tokens_per_day</Mono> and <Mono>llm.requests_per_minute</Mono>: each agent's budgets (0: no limit).</li>
          </ul>
          <p>
            An agent may use less of it: its configuration's language model fields (in <Link to="/agents/list" className="underline">Agents</Link>, Configure) turn the model off for that agent or give it one of the allowed models and its own budgets — never an address, a provider or a key: the node sends its key only to its own <Mono>llm.base_url</Mono>.
          </p>
        </div>
      </Card>
    </div>
  );
}
