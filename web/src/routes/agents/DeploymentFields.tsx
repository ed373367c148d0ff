// The deployment agent's configuration as labelled fields: the health check (the paths
// probed, the probe timeout, when an answer is slow, the healthy score) and the redeploy
// (how long it waits for the new deployment, how often it asks).
import { Field, Input, Textarea, useFieldId } from '../../components/ui';
import type { ConfigDraft } from './ConfigForm';
import { DEPLOYMENT_PATHS_KEY, HEALTH_CHECK_FIELDS, REDEPLOY_FIELDS, deploymentErrors, pathLines, pathsDraft, type DeploymentNumberSpec } from './deploymentConfig';

export function DeploymentFields({ draft, defaults, onChange, errors }: { draft: ConfigDraft; defaults: Record<string, unknown> | null | undefined; onChange: (draft: ConfigDraft) => void; errors: Record<string, string> }) {
  const base = useFieldId('deployment');
  // A key's error, once saving found one, follows the value: it goes when the value is
  // fixed and says what is wrong with the value now.
  const now = deploymentErrors(draft, defaults);
  const errorOf = (key: string) => (errors[key] !== undefined ? now[key] : undefined);
  const paths = pathLines(draft[DEPLOYMENT_PATHS_KEY]);
  const pathsId = `${base}-paths`;
  const pathsError = errorOf(DEPLOYMENT_PATHS_KEY);
  const number = (spec: DeploymentNumberSpec) => {
    const id = `${base}-${spec.key}`;
    const error = errorOf(spec.key);
    const fallback = defaults?.[spec.key];
    const value = draft[spec.key];
    return (
      <Field key={spec.key} label={spec.label} htmlFor={id} error={error} hint={`${spec.hint}${typeof fallback === 'number' ? ` Empty: ${fallback.toLocaleString('en')}.` : ''}`}>
        <Input
          id={id}
          name={spec.key}
          type="number"
          inputMode="numeric"
          min={spec.min}
          max={spec.max}
          step={1}
          placeholder={typeof fallback === 'number' ? String(fallback) : undefined}
          value={typeof value === 'string' ? value : ''}
          onChange={(event) => onChange({ ...draft, [spec.key]: event.target.value })}
          invalid={Boolean(error)}
        />
      </Field>
    );
  };
  return (
    <div className="space-y-4" data-testid="deployment-config">
      <fieldset className="space-y-3">
        <legend className="mb-2 text-[12px] font-semibold">Health check</legend>
        <Field label="Paths to probe" htmlFor={pathsId} error={pathsError} hint="One a line, each from / (such as /api/health); probed on the deployment's URL one after another. Empty: / alone.">
          <Textarea
            id={pathsId}
            name={DEPLOYMENT_PATHS_KEY}
            rows={Math.min(6, Math.max(2, paths.split('\n').length + 1))}
            placeholder="/"
            value={paths}
            onChange={(event) => onChange({ ...draft, [DEPLOYMENT_PATHS_KEY]: pathsDraft(event.target.value) })}
            invalid={Boolean(pathsError)}
            aria-describedby={pathsError ? `${pathsId}-error` : undefined}
          />
        </Field>
        <div className="grid gap-3 sm:grid-cols-3">{HEALTH_CHECK_FIELDS.map(number)}</div>
      </fieldset>
      <fieldset className="space-y-3">
        <legend className="mb-2 text-[12px] font-semibold">Redeploy</legend>
        <div className="grid gap-3 sm:grid-cols-2">{REDEPLOY_FIELDS.map(number)}</div>
      </fieldset>
    </div>
  );
}
