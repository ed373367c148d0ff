// An agent's configuration as a form, shaped by its type's default configuration:
// strings, numbers and booleans as fields, anything else as JSON.
import { Field, Input, Textarea, useFieldId } from '../../components/ui';

export type ConfigDraft = Record<string, string | boolean>;

export function draftOf(configuration: Record<string, unknown> | null | undefined): ConfigDraft {
  const draft: ConfigDraft = {};
  for (const [key, value] of Object.entries(configuration ?? {})) {
    draft[key] = typeof value === 'boolean' ? value : typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value, null, 2);
  }
  return draft;
}

/** The configuration to send, read back with the defaults' types; throws naming the key that is not valid. */
export function configurationOf(draft: ConfigDraft, defaults: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(draft)) {
    const sample = defaults?.[key];
    if (typeof raw === 'boolean') result[key] = raw;
    else if (typeof sample === 'number') {
      const value = Number(raw);
      if (raw.trim() === '' || Number.isNaN(value)) throw new ConfigError(key, 'must be a number');
      result[key] = value;
    } else if (typeof sample === 'string') result[key] = raw;
    else {
      try {
        result[key] = JSON.parse(raw);
      } catch {
        throw new ConfigError(key, 'must be valid JSON');
      }
    }
  }
  return result;
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key} ${message}`);
  }
}

export function ConfigForm({ draft, defaults, onChange, errors }: { draft: ConfigDraft; defaults: Record<string, unknown> | null | undefined; onChange: (draft: ConfigDraft) => void; errors: Record<string, string> }) {
  const base = useFieldId('config');
  const keys = Object.keys(draft);
  if (keys.length === 0) return <p className="text-[13px] text-muted">This agent type takes no configuration.</p>;
  return (
    <div className="space-y-3">
      {keys.map((key) => {
        const value = draft[key];
        const sample = defaults?.[key];
        const id = `${base}-${key}`;
        if (typeof value === 'boolean') {
          return (
            <label key={key} className="flex items-center gap-2 text-[13px]">
              <input id={id} type="checkbox" checked={value} onChange={(event) => onChange({ ...draft, [key]: event.target.checked })} className="size-4 accent-[var(--accent)]" />
              <span className="font-mono text-[12px]">{key}</span>
            </label>
          );
        }
        const complex = typeof sample === 'object' && sample !== null;
        return (
          <Field key={key} label={key} htmlFor={id} error={errors[key]}>
            {complex ? (
              <Textarea id={id} rows={Math.min(8, String(value).split('\n').length + 1)} value={String(value)} onChange={(event) => onChange({ ...draft, [key]: event.target.value })} invalid={Boolean(errors[key])} />
            ) : (
              <Input id={id} type={typeof sample === 'number' ? 'number' : 'text'} value={String(value)} onChange={(event) => onChange({ ...draft, [key]: event.target.value })} invalid={Boolean(errors[key])} />
            )}
          </Field>
        );
      })}
    </div>
  );
}
