import { describe, expect, it, vi } from 'vitest';
import type { RJSFSchema } from '@rjsf/utils';
import fixture from './agentTypes.fixture.json';
import { SchemaValidator } from './schemaValidator';

const TYPES = fixture as { items: { type: string; default_configuration: Record<string, unknown>; configuration_schema: Record<string, unknown> }[] };
const schemaOf = (name: string) => TYPES.items.find((item) => item.type === name)!.configuration_schema as RJSFSchema;
const deployment = schemaOf('deployment');

/** Each error as `property: message`. */
function errorsOf(formData: unknown, schema: RJSFSchema = deployment) {
  return new SchemaValidator().validateFormData(formData, schema).errors.map((error) => `${error.property ?? ''}: ${error.message ?? ''}`);
}

describe('the configuration validator', () => {
  it('takes every type’s defaults, whatever number formats its schema names (uint, uint32, uint64…)', () => {
    for (const item of TYPES.items) {
      expect({ type: item.type, errors: errorsOf(item.default_configuration, item.configuration_schema as RJSFSchema) }).toEqual({ type: item.type, errors: [] });
    }
  });

  it('says what is wrong in short words, at the value’s path', () => {
    expect(errorsOf({ healthy_at: 101 })).toEqual(['.healthy_at: must be at most 100']);
    expect(errorsOf({ healthy_at: -1 })).toEqual(['.healthy_at: must be at least 0']);
    expect(errorsOf({ healthy_at: 1.5 })).toEqual(['.healthy_at: must be a whole number']);
    expect(errorsOf({ paths: ['/', 'health'] })).toEqual(['.paths.1: must start with /']);
    expect(errorsOf({ paths: [] })).toEqual(['.paths: must have at least one item']);
    expect(errorsOf({ paths: ['/', undefined] })).toEqual(['.paths.1: must not be empty']);
    expect(errorsOf({ paths: [''] })).toEqual(expect.arrayContaining(['.paths.0: must not be empty']));
    expect(errorsOf({ probe_host: 'acme.test' })).toEqual([': must not have the key probe_host']);
    // An emptied field is absent, not wrong.
    expect(errorsOf({ healthy_at: undefined })).toEqual([]);
  });

  it('reads the schema’s definitions ($ref) inside an optional object', () => {
    expect(errorsOf({ llm: { tokens_per_day: 0 } })).toEqual(expect.arrayContaining(['.llm.tokens_per_day: must be at least 1']));
    expect(errorsOf({ llm: { model: 'gpt-5' } })).toEqual(expect.arrayContaining(['.llm.model: must be one of gpt-4o-mini, gpt-4o']));
    expect(errorsOf({ llm: { model: 'gpt-4o', enabled: null } })).toEqual([]);
    expect(errorsOf({ llm: null })).toEqual([]);
  });

  it('says a missing key is required, at that key', () => {
    const schema = { type: 'object', properties: { channel: { type: 'string' } }, required: ['channel'] } as RJSFSchema;
    expect(errorsOf({}, schema)).toEqual(['.channel: is required']);
  });

  it('chooses a union’s option by the root schema’s definitions', () => {
    const validator = new SchemaValidator();
    const llm = (deployment.properties as Record<string, { anyOf: RJSFSchema[] }>).llm!.anyOf;
    const [set, unset] = [llm[0]!, llm[1]!];
    expect(validator.isValid(set, { model: 'gpt-4o' }, deployment)).toBe(true);
    expect(validator.isValid(set, { model: 5 }, deployment)).toBe(false);
    expect(validator.isValid(set, null, deployment)).toBe(false);
    expect(validator.isValid(unset, null, deployment)).toBe(true);
    // A copy of the option, as the form makes one, finds the definition too.
    expect(validator.isValid({ ...set, anyOf: [{ required: ['model'] }] }, { model: 'gpt-4o' }, deployment)).toBe(true);
    const review = schemaOf('code_review');
    const post = (review.properties as Record<string, RJSFSchema>).post!;
    expect(validator.isValid(post, 'no-such-mode', review)).toBe(false);
  });

  it('reports a schema it cannot read instead of throwing', () => {
    const broken = { type: 'object', properties: { a: { $ref: '#/$defs/Missing' } } } as RJSFSchema;
    const { errors } = new SchemaValidator().validateFormData({ a: 1 }, broken);
    expect(errors.map((error) => error.stack)).toEqual(['Unresolved $ref "#/$defs/Missing".']);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(new SchemaValidator().isValid(broken, { a: 1 }, broken)).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
