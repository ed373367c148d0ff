// An agent's configuration as a form built from its type's JSON Schema, which the node
// publishes with the type (`configuration_schema` in GET /api/agents/types): the fields,
// their hints and what each accepts all come from it, and it validates the configuration
// before it is sent. The form and its validator load when a form is first shown.
import { lazy, Suspense, type Ref } from 'react';
import { LoadingBlock, Mono } from '../../components/ui';
import { takesNothing, type ConfigErrorSchema, type ConfigurationSchema } from './configSchema';
import type { SchemaFormHandle } from './SchemaForm';

export type { SchemaFormHandle as ConfigFormHandle } from './SchemaForm';

const SchemaForm = lazy(() => import('./SchemaForm'));

export function ConfigForm({
  schema,
  formData,
  onChange,
  extraErrors,
  dropped = [],
  handle,
}: {
  /** The type's configuration schema; null when the node publishes none. */
  schema: ConfigurationSchema | null;
  formData: Record<string, unknown>;
  onChange: (formData: Record<string, unknown>) => void;
  /** The node's refusal of a key, shown next to its field. */
  extraErrors?: ConfigErrorSchema | null | undefined;
  /** Saved keys the schema does not list, left out of the form. */
  dropped?: readonly string[];
  handle: Ref<SchemaFormHandle | null>;
}) {
  if (!schema) {
    return <p className="text-[13px] text-muted">This node does not describe this type’s configuration: it is kept as it is.</p>;
  }
  if (takesNothing(schema)) return <p className="text-[13px] text-muted">This agent type takes no configuration.</p>;
  return (
    <div className="space-y-3">
      {dropped.length > 0 && (
        <p className="text-[12px] text-muted" data-testid="config-dropped">
          Saved keys the node no longer takes are left out, and go when this is saved: {dropped.map((key, at) => <span key={key}>{at > 0 && ', '}<Mono>{key}</Mono></span>)}.
        </p>
      )}
      <Suspense fallback={<LoadingBlock rows={3} />}>
        <SchemaForm schema={schema} formData={formData} onChange={onChange} extraErrors={extraErrors} handle={handle} />
      </Suspense>
    </div>
  );
}
