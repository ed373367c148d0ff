// The configuration form's validator: the node's JSON Schema (draft 2020-12) is read and
// applied as data, never turned into code, so the form works under the console's
// Content-Security-Policy (no 'unsafe-eval'). Its errors are said the way the form shows
// them, short and next to the field they are about.
import { dereference, encodePointer, validate, type OutputUnit, type Schema, type SchemaDraft } from '@cfworker/json-schema';
import {
  createErrorHandler,
  getDefaultFormState,
  toErrorSchema,
  unwrapErrorHandler,
  validationDataMerge,
  type CustomValidator,
  type ErrorSchema,
  type ErrorTransformer,
  type RJSFSchema,
  type RJSFValidationError,
  type UiSchema,
  type ValidationData,
  type ValidatorType,
} from '@rjsf/utils';

type Lookup = Record<string, Schema | boolean>;

/** Where the schema's `$ref`s are resolved from when it names no `$id` of its own. */
const BASE_URI = new URL('https://schema.invalid/configuration');

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The draft a schema says it is written in (`$schema`); 2020-12 when it says none. */
function draftOf(schema: unknown): SchemaDraft {
  const uri = isObject(schema) && typeof schema.$schema === 'string' ? schema.$schema : '';
  if (uri.includes('draft-04')) return '4';
  if (uri.includes('draft-07') || uri.includes('draft-06')) return '7';
  if (uri.includes('2019-09')) return '2019-09';
  return '2020-12';
}

/**
 * The value as JSON has it: a key set to `undefined` is absent (the form leaves an emptied
 * field so), an `undefined` item is `null`.
 */
function asJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : asJson(item)));
  if (!isObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = asJson(item);
  return result;
}

/**
 * Every schema of a document by its address, for `$ref`: by the absolute address and by its
 * fragment alone (`#/$defs/AgentLlm`), so that a part of the document taken out on its own
 * still finds the definitions of the document it came from.
 */
function lookupOf(document: RJSFSchema): Lookup {
  const lookup = dereference(document as Schema, Object.create(null) as Lookup, BASE_URI);
  for (const [uri, schema] of Object.entries(lookup)) {
    const at = uri.indexOf('#');
    const fragment = at < 0 ? '#' : uri.slice(at);
    if (!(fragment in lookup)) lookup[fragment] = schema;
  }
  return lookup;
}

/** A JSON Pointer's segment as its key. */
const unescape = (segment: string) => decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~');

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** The keyword's value where an error's `keywordLocation` points, following the `$ref`s it went through. */
function keywordValue(schema: unknown, location: string, lookup: Lookup): unknown {
  let node: unknown = schema;
  const segments = location.replace(/^#\/?/, '').split('/').filter((segment) => segment !== '');
  for (const [at, raw] of segments.entries()) {
    const segment = unescape(raw);
    // `$ref` as a step is the reference followed, unless it is a key in a map of schemas.
    const followed = segment === '$ref' && at < segments.length - 1 && !SCHEMA_MAPS.has(unescape(segments[at - 1] ?? ''));
    if (followed && isObject(node)) {
      const target = (node as Schema).__absolute_ref__ ?? node.$ref;
      node = typeof target === 'string' ? lookup[target] : undefined;
    } else if (Array.isArray(node)) {
      node = node[Number(segment)];
    } else if (isObject(node)) {
      node = node[segment];
    } else {
      return undefined;
    }
  }
  return node;
}

/** A JSON Pointer's keys: `#/routes/0/channel` → `routes`, `0`, `channel`. */
const keysOf = (pointer: string) =>
  pointer
    .replace(/^#\/?/, '')
    .split('/')
    .filter((segment) => segment !== '')
    .map(unescape);

/** A key as a step of the form's property path: `.channel`, `.0`, or `['a.b']`. */
const stepOf = (key: string) => (/^[A-Za-z_$][\w$]*$|^\d+$/.test(key) ? `.${key}` : `['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`);

/** A JSON Pointer to a value (`#/routes/0/channel`) as the form's property path (`.routes.0.channel`). */
const propertyOf = (instanceLocation: string) => keysOf(instanceLocation).map(stepOf).join('');

/** The value a JSON Pointer points at. */
function valueAt(data: unknown, instanceLocation: string): unknown {
  let node = data;
  for (const key of keysOf(instanceLocation)) node = Array.isArray(node) ? node[Number(key)] : isObject(node) ? node[key] : undefined;
  return node;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'yes or no',
  object: 'an object',
  array: 'a list',
  null: 'not set',
};

function typeMessage(expected: unknown, value: unknown): string {
  const types = (Array.isArray(expected) ? expected : [expected]).filter((type): type is string => typeof type === 'string');
  if (types.length === 1 && types[0] === 'null') return 'must not be set';
  // A field left empty (a list's new item) is null.
  if (value === null) return 'must not be empty';
  return `must be ${types.map((type) => TYPE_WORDS[type] ?? type).join(' or ')}`;
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** What a `pattern` asks, in words when it only asks for a beginning or an end. */
function patternMessage(pattern: unknown): string {
  if (typeof pattern !== 'string') return 'is not in the expected form';
  const literal = (text: string) => !/[\\.^$|?*+()[\]{}]/.test(text);
  const start = /^\^(.+)$/.exec(pattern);
  if (start && literal(start[1]!)) return `must start with ${start[1]}`;
  const end = /^(.+)\$$/.exec(pattern);
  if (end && literal(end[1]!)) return `must end with ${end[1]}`;
  return `must match ${pattern}`;
}

const plural = (count: unknown, one: string, many: string) => (count === 1 ? `one ${one}` : `${String(count)} ${many}`);

/** The keywords whose error only says that something inside failed: that inner error says what. */
const WRAPPERS = new Set(['$ref', '$recursiveRef', 'properties', 'patternProperties', 'items', 'prefixItems', 'additionalItems', 'unevaluatedItems', 'allOf', 'if', 'dependentSchemas', 'contains']);

/** The form's errors for the validator's, each where the field it is about is. */
function toValidationErrors(units: readonly OutputUnit[], data: unknown, schema: RJSFSchema, lookup: Lookup): RJSFValidationError[] {
  const errors: RJSFValidationError[] = [];
  const seen = new Set<string>();
  const add = (error: Omit<RJSFValidationError, 'stack'>) => {
    const key = `${error.property}\u0000${error.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    errors.push({ ...error, stack: `${error.property ?? ''} ${error.message ?? ''}`.trim() });
  };
  // Keys a closed object refuses: said at the object, as they have no field.
  const refusedKey = (unit: OutputUnit) => /^Property "(.*)" does not match/.exec(unit.error)?.[1] ?? '';
  const refused = new Set(
    units
      .filter((unit) => (unit.keyword === 'additionalProperties' || unit.keyword === 'unevaluatedProperties') && keywordValue(schema, unit.keywordLocation, lookup) === false)
      .map((unit) => `${unit.instanceLocation}/${encodePointer(refusedKey(unit))}`),
  );
  for (const unit of units) {
    const { keyword, keywordLocation, instanceLocation } = unit;
    const property = propertyOf(instanceLocation);
    const value = keywordValue(schema, keywordLocation, lookup);
    const base = { name: keyword, property, schemaPath: keywordLocation };
    if (WRAPPERS.has(keyword)) continue;
    switch (keyword) {
      case 'additionalProperties':
      case 'unevaluatedProperties': {
        if (value !== false) continue;
        const key = refusedKey(unit);
        add({ ...base, name: 'additionalProperties', params: { additionalProperty: key }, message: `must not have the key ${key}` });
        continue;
      }
      case 'false':
        // The refusal of a key is said at its object (above).
        if (refused.has(instanceLocation)) continue;
        add({ ...base, params: {}, message: 'is not allowed' });
        continue;
      case 'required': {
        const key = /required property "(.*)"\.$/.exec(unit.error)?.[1] ?? '';
        add({ ...base, property: `${property}${stepOf(key)}`, params: { missingProperty: key }, message: 'is required' });
        continue;
      }
      case 'type':
        add({ ...base, params: { type: Array.isArray(value) ? value.join(',') : value }, message: typeMessage(value, valueAt(data, instanceLocation)) });
        continue;
      case 'const':
        add({ ...base, params: { allowedValue: value }, message: `must be ${show(value)}` });
        continue;
      case 'enum': {
        const allowed = Array.isArray(value) ? value.filter((item) => item !== null) : [];
        add({ ...base, params: { allowedValues: value }, message: allowed.length > 0 ? `must be one of ${allowed.map(show).join(', ')}` : 'is not one of the allowed values' });
        continue;
      }
      case 'minimum':
        add({ ...base, params: { comparison: '>=', limit: value }, message: `must be at least ${String(value)}` });
        continue;
      case 'maximum':
        add({ ...base, params: { comparison: '<=', limit: value }, message: `must be at most ${String(value)}` });
        continue;
      case 'exclusiveMinimum':
        add({ ...base, params: { comparison: '>', limit: value }, message: `must be more than ${String(value)}` });
        continue;
      case 'exclusiveMaximum':
        add({ ...base, params: { comparison: '<', limit: value }, message: `must be less than ${String(value)}` });
        continue;
      case 'multipleOf':
        add({ ...base, params: { multipleOf: value }, message: `must be a multiple of ${String(value)}` });
        continue;
      case 'minLength':
        add({ ...base, params: { limit: value }, message: value === 1 ? 'must not be empty' : `must be at least ${plural(value, 'character', 'characters')}` });
        continue;
      case 'maxLength':
        add({ ...base, params: { limit: value }, message: `must be at most ${plural(value, 'character', 'characters')}` });
        continue;
      case 'pattern':
        add({ ...base, params: { pattern: value }, message: patternMessage(value) });
        continue;
      case 'format':
        add({ ...base, params: { format: value }, message: `must be a valid ${String(value)}` });
        continue;
      case 'minItems':
        add({ ...base, params: { limit: value }, message: `must have at least ${plural(value, 'item', 'items')}` });
        continue;
      case 'maxItems':
        add({ ...base, params: { limit: value }, message: `must have at most ${plural(value, 'item', 'items')}` });
        continue;
      case 'uniqueItems':
        add({ ...base, params: {}, message: 'must not repeat an item' });
        continue;
      case 'minProperties':
        add({ ...base, params: { limit: value }, message: `must have at least ${plural(value, 'key', 'keys')}` });
        continue;
      case 'maxProperties':
        add({ ...base, params: { limit: value }, message: `must have at most ${plural(value, 'key', 'keys')}` });
        continue;
      case 'anyOf':
      case 'oneOf':
        add({ ...base, params: {}, message: 'must be one of the allowed choices' });
        continue;
      case 'not':
        add({ ...base, params: {}, message: 'is not allowed' });
        continue;
      default:
        // The validator's own words for what is said of no field above.
        if (keyword === 'dependencies' && unit.error.includes('dependant schema')) continue;
        add({ ...base, params: {}, message: unit.error.replace(/\.$/, '').replace(/^Instance /, '') });
    }
  }
  return errors;
}

/** The form's validator: rjsf's `ValidatorType` on a JSON Schema validator that interprets the schema. */
export class SchemaValidator<T = unknown> implements ValidatorType<T, RJSFSchema> {
  private lookups = new WeakMap<object, Lookup>();

  private lookupFor(document: RJSFSchema): Lookup {
    let lookup = this.lookups.get(document);
    if (!lookup) {
      lookup = lookupOf(document);
      this.lookups.set(document, lookup);
    }
    return lookup;
  }

  reset(): void {
    this.lookups = new WeakMap();
  }

  rawValidation<Result = OutputUnit>(schema: RJSFSchema, formData?: unknown): { errors?: Result[]; validationError?: Error } {
    try {
      const { errors } = validate(asJson(formData ?? null), schema as Schema, draftOf(schema), this.lookupFor(schema), false);
      return { errors: errors.length > 0 ? (errors as Result[]) : undefined };
    } catch (error) {
      // Its first sentence says what; the rest lists the validator's own addresses for the schema.
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(/\s+Absolute URI .*$/, '');
      return { validationError: new Error(message) };
    }
  }

  validateFormData(formData: T | undefined, schema: RJSFSchema, customValidate?: CustomValidator<T, RJSFSchema>, transformErrors?: ErrorTransformer<T, RJSFSchema>, uiSchema?: UiSchema<T, RJSFSchema>): ValidationData<T> {
    const { errors: units = [], validationError } = this.rawValidation<OutputUnit>(schema, formData);
    // Errors come only from a schema whose addresses were read (`lookupFor` succeeded).
    let errors = units.length > 0 ? toValidationErrors(units, asJson(formData ?? null), schema, this.lookupFor(schema)) : [];
    if (validationError) errors = [...errors, { stack: validationError.message }];
    if (typeof transformErrors === 'function') errors = transformErrors(errors, uiSchema);
    let errorSchema: ErrorSchema<T> = toErrorSchema<T>(errors);
    if (validationError) errorSchema = { ...errorSchema, $schema: { __errors: [validationError.message] } } as ErrorSchema<T>;
    if (typeof customValidate !== 'function') return { errors, errorSchema };
    // The form data with its unset values, as a custom validation reads it.
    const data = getDefaultFormState<T>(this, schema, formData, schema, true) as T;
    const handler = customValidate(data, createErrorHandler(data), uiSchema, errorSchema);
    return validationDataMerge({ errors, errorSchema }, unwrapErrorHandler(handler));
  }

  isValid(schema: RJSFSchema, formData: T | undefined, rootSchema: RJSFSchema): boolean {
    if (formData === undefined) return false;
    try {
      return validate(asJson(formData), schema as Schema, draftOf(rootSchema), this.lookupFor(rootSchema), true).valid;
    } catch (error) {
      console.warn('The configuration schema could not be applied:', error);
      return false;
    }
  }
}

export const schemaValidator = new SchemaValidator<Record<string, unknown>>();
