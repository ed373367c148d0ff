// The node's language model, read-only: an operator sets it on the node (llm.* settings
// or COMPANYOS_LLM_* variables); an agent's configuration may narrow it.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Bot } from 'lucide-react';
import type { ReactNode } from 'react';
import { api, call } from '../../api/rest';
import { useOrgKey } from '../../api/hooks';
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
  const llm = settings.data;
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
      </Card>
      <Card title="Changing it">
        <div className="max-w-3xl space-y-2 text-[13px]" data-testid="llm-how-to-change">
          <p>
            The language model is the node's, set by whoever runs the node — not from the console. It is changed with the <Mono>llm.*</Mono> settings in the node's configuration file (<Mono>companyos.toml</Mono>) or the <Mono>COMPANYOS_LLM_*</Mono> environment variables, and takes effect when the node restarts:
          </p>
          <ul className="list-disc space-y-0.5 pl-5">
            <li><Mono>llm.provider</Mono> / <Mono>COMPANYOS_LLM_PROVIDER</Mono>: <Mono>openai</Mono> (any OpenAI-compatible server) or <Mono>anthropic</Mono>; empty turns the model off;</li>
            <li><Mono>llm.model</Mono>, <Mono>llm.base_url</Mono>, <Mono>llm.api_key</Mono> or <Mono>llm.api_key_file</Mono> (a mounted secret);</li>
            <li><Mono>llm.tokens_per_day</Mono> and <Mono>llm.requests_per_minute</Mono>: each agent's budgets (0: no limit).</li>
          </ul>
          <p>
            An agent may use less of it: its configuration's language model fields (in <Link to="/agents/list" className="underline">Agents</Link>, Configure) turn the model off for that agent or give it its own model and budgets — never a key.
          </p>
        </div>
      </Card>
    </div>
  );
}
