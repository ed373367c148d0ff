// An agent's configuration as a form built from its type's JSON Schema (the node's
// `configuration_schema`), validated by that schema before it is sent, in the console's
// own fields: a label tied to each control, the schema's description as its hint, and
// what is wrong next to the field (from the schema, or from the node's refusal).
import { useImperativeHandle, useMemo, useRef, useState, type ReactNode, type Ref } from 'react';
// The form component itself: the package's index also exports a test helper that loads an
// Ajv-based validator, which compiles schemas into code (refused by the console's CSP).
import Form from '@rjsf/core/lib/components/Form.js';
import {
  enumOptionsIndexForValue,
  enumOptionsValueForIndex,
  getInputProps,
  type ArrayFieldItemTemplateProps,
  type ArrayFieldTemplateProps,
  type BaseInputTemplateProps,
  type ErrorSchema,
  type ErrorTransformer,
  type FieldProps,
  type FieldTemplateProps,
  type MultiSchemaFieldTemplateProps,
  type ObjectFieldTemplateProps,
  type RegistryFieldsType,
  type RegistryWidgetsType,
  type RJSFSchema,
  type TemplatesType,
  type UiSchema,
  type WidgetProps,
} from '@rjsf/utils';
import { ArrowDown, ArrowUp, Plus, Trash2 } from 'lucide-react';
import { Button, Input, Select, Textarea, cx } from '../../components/ui';
import { labelOf, type ConfigErrorSchema, type ConfigurationSchema } from './configSchema';
import { schemaValidator as validator } from './schemaValidator';

/**
 * The schema's errors as people read them: when a value inside an optional object is
 * wrong, the value's own error says it; the "must not be set" and "must be one of the
 * allowed choices" that come with it at the object say nothing more.
 */
const transformErrors: ErrorTransformer = (errors) => {
  const summary = (error: (typeof errors)[number]) => error.name === 'anyOf' || error.name === 'oneOf' || (error.name === 'type' && (error.params as { type?: unknown } | undefined)?.type === 'null');
  return errors.filter((error) => !summary(error) || !errors.some((other) => other !== error && !summary(other) && (other.property ?? '').startsWith(error.property ?? '')));
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function typesOf(schema: RJSFSchema): string[] {
  return Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : [];
}

/** Whether the schema lets the value be unset (`null`). */
function allowsNull(schema: RJSFSchema): boolean {
  return typesOf(schema).includes('null') || (Array.isArray(schema.enum) && schema.enum.includes(null));
}

function isUnion(schema: RJSFSchema): boolean {
  const options = schema.anyOf ?? schema.oneOf;
  // A oneOf of constants is a choice of values (a select), not a union of schemas.
  return Array.isArray(options) && !options.every((option) => isObject(option) && 'const' in option);
}

function isContainer(schema: RJSFSchema): boolean {
  const types = typesOf(schema).filter((type) => type !== 'null');
  return types.length === 1 && (types[0] === 'object' || types[0] === 'array');
}

/**
 * The schema as the form reads it: a choice of constants without a `type` of its own
 * (`oneOf: [{const: "approval"}, …]`) is given its constants' type, which says nothing
 * more to the validator and lets the form show it as a select.
 */
function formSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(formSchemaOf);
  if (!isObject(schema)) return schema;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // Constants and defaults are values, not schemas.
    result[key] = key === 'const' || key === 'default' || key === 'enum' || key === 'examples' ? value : formSchemaOf(value);
  }
  const options = result.oneOf ?? result.anyOf;
  if (result.type === undefined && Array.isArray(options) && options.length > 0 && options.every((option) => isObject(option) && 'const' in option)) {
    const types = new Set(options.map((option) => {
      const value = (option as { const: unknown }).const;
      return value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value === 'number' ? 'number' : typeof value;
    }));
    if (types.size === 1) result.type = [...types][0];
  }
  return result;
}

/**
 * What the schema does not say about presentation: an optional value's (`anyOf` with
 * `null`) choice reads "Not set (the node's default)" or "Set here".
 */
const NOT_SET = 'Not set (the node’s default)';
const SET_HERE = 'Set here';

function uiSchemaOf(schema: ConfigurationSchema): UiSchema {
  const ui: UiSchema = { 'ui:submitButtonOptions': { norender: true } };
  const properties = isObject(schema.properties) ? schema.properties : {};
  for (const [key, property] of Object.entries(properties)) {
    if (!isObject(property)) continue;
    for (const union of ['anyOf', 'oneOf'] as const) {
      const options = property[union];
      if (!Array.isArray(options) || !options.some((option) => isObject(option) && option.type === 'null')) continue;
      ui[key] = { [union]: options.map((option) => ({ 'ui:title': isObject(option) && option.type === 'null' ? NOT_SET : SET_HERE })) };
    }
  }
  return ui;
}

const ERROR_TEXT = 'text-[12px] text-red-700 dark:text-red-400';
const HINT_TEXT = 'text-[12px] text-muted';

const errorIdOf = (id: string) => `${id}__error`;
const descriptionIdOf = (id: string) => `${id}__description`;

/** The control's description: its error when it has one, else the schema's description when shown. */
function describedBy(id: string, rawErrors: string[] | undefined, schema: RJSFSchema): string | undefined {
  if (rawErrors?.some(Boolean)) return errorIdOf(id);
  return schema.description ? descriptionIdOf(id) : undefined;
}

/** An array item's field is labelled `paths-1` by the library: its label is read, not shown (the list has its legend). */
const isItemLabel = (label: string) => /-\d+$/.test(label);

function FieldTemplate({ id, label, children, rawErrors, rawDescription, hidden, displayLabel, schema }: FieldTemplateProps) {
  if (hidden) return <div className="hidden">{children}</div>;
  const union = isUnion(schema);
  // A union's control is the library's choice between its schemas.
  const control = union ? `${id}${schema.oneOf ? '__oneof_select' : '__anyof_select'}` : id;
  const errors = (rawErrors ?? []).filter(Boolean);
  const error = errors.length > 0 && (
    <p id={errorIdOf(control)} className={ERROR_TEXT}>
      {errors.join('; ')}
    </p>
  );
  if (isContainer(schema)) {
    // No control to describe: the message is read where it stands.
    return (
      <div className="space-y-1">
        {errors.length > 0 && <p className={ERROR_TEXT}>{errors.join('; ')}</p>}
        {children}
      </div>
    );
  }
  const checkbox = typesOf(schema).length === 1 && schema.type === 'boolean';
  // A yes or no that may be unset is a choice (CheckboxWidget), labelled like one.
  const labelled = displayLabel || (typesOf(schema).includes('boolean') && allowsNull(schema));
  const item = isItemLabel(label);
  const hint = !item && rawDescription && !error ? (
    <p id={descriptionIdOf(control)} className={HINT_TEXT}>
      {rawDescription}
    </p>
  ) : null;
  return (
    <div className="space-y-1">
      {labelled && !checkbox && (
        <label htmlFor={control} className={item ? 'sr-only' : 'block text-[12px] font-medium'}>
          {labelOf(label)}
        </label>
      )}
      {union ? (
        <>
          {error}
          {hint}
          {children}
        </>
      ) : (
        <>
          {children}
          {error || hint}
        </>
      )}
    </div>
  );
}

function ObjectFieldTemplate({ title, description, properties, fieldPathId, schema }: ObjectFieldTemplateProps) {
  const root = fieldPathId.path.length === 0;
  const own = isObject(schema.properties) ? schema.properties : {};
  const wide = (name: string) => {
    const property = own[name];
    return isObject(property) && (isContainer(property as RJSFSchema) || isUnion(property as RJSFSchema));
  };
  const fields = (
    <div className="grid gap-3 sm:grid-cols-2">
      {properties.map((property) =>
        property.hidden ? (
          property.content
        ) : (
          <div key={property.name} className={cx('min-w-0', wide(property.name) && 'sm:col-span-2')}>
            {property.content}
          </div>
        ),
      )}
    </div>
  );
  // An optional object set here is headed by its key, not by the choice that set it.
  const last = fieldPathId.path[fieldPathId.path.length - 1];
  const heading = title === SET_HERE && typeof last === 'string' ? last : title;
  if (root) {
    return (
      <div className="space-y-3">
        {description && <p className={HINT_TEXT}>{description}</p>}
        {fields}
      </div>
    );
  }
  return (
    <fieldset className="space-y-3 rounded-md border border-line p-3">
      {heading && <legend className="px-1 text-[12px] font-semibold">{labelOf(heading)}</legend>}
      {description && <p className={HINT_TEXT}>{description}</p>}
      {fields}
    </fieldset>
  );
}

function ArrayFieldTemplate({ title, schema, items, canAdd, onAddClick, disabled, readonly }: ArrayFieldTemplateProps) {
  const label = labelOf(title);
  return (
    <fieldset className="space-y-2 rounded-md border border-line p-3">
      <legend className="px-1 text-[12px] font-semibold">{label}</legend>
      {schema.description && <p className={HINT_TEXT}>{schema.description}</p>}
      {items.length > 0 ? <div className="space-y-2">{items}</div> : <p className={HINT_TEXT}>None.</p>}
      {canAdd && (
        <Button size="sm" icon={<Plus className="size-3.5" aria-hidden />} onClick={onAddClick} disabled={disabled || readonly} aria-label={`Add to ${label}`}>
          Add
        </Button>
      )}
    </fieldset>
  );
}

function ArrayFieldItemTemplate({ children, buttonsProps, index, hasToolbar }: ArrayFieldItemTemplateProps) {
  const { hasMoveUp, hasMoveDown, hasRemove, onMoveUpItem, onMoveDownItem, onRemoveItem, disabled, readonly } = buttonsProps;
  const off = disabled || readonly;
  // Named with its list, as lists may hold lists (a route's kinds).
  const path = buttonsProps.fieldPathId.path;
  const list = typeof path[path.length - 2] === 'string' ? labelOf(String(path[path.length - 2])) : 'the list';
  const which = `item ${index + 1} of ${list}`;
  return (
    <div className="flex items-start gap-1">
      <div className="min-w-0 flex-1">{children}</div>
      {hasToolbar && (
        <div className="flex shrink-0 gap-0.5">
          {(hasMoveUp || hasMoveDown) && (
            <>
              <Button size="sm" variant="ghost" icon={<ArrowUp className="size-3.5" aria-hidden />} disabled={off || !hasMoveUp} onClick={onMoveUpItem} aria-label={`Move ${which} up`} />
              <Button size="sm" variant="ghost" icon={<ArrowDown className="size-3.5" aria-hidden />} disabled={off || !hasMoveDown} onClick={onMoveDownItem} aria-label={`Move ${which} down`} />
            </>
          )}
          {hasRemove && <Button size="sm" variant="ghost" icon={<Trash2 className="size-3.5" aria-hidden />} disabled={off} onClick={onRemoveItem} aria-label={`Remove ${which}`} />}
        </div>
      )}
    </div>
  );
}

function MultiSchemaFieldTemplate({ selector, optionSchemaField }: MultiSchemaFieldTemplateProps): ReactNode {
  return (
    <div className="space-y-2">
      {selector}
      {optionSchemaField}
    </div>
  );
}

function BaseInputTemplate({ id, htmlName, value, readonly, disabled, autofocus, placeholder, onBlur, onFocus, onChange, onChangeOverride, options, schema, rawErrors, type, required }: BaseInputTemplateProps) {
  const inputProps = getInputProps(schema, type, options);
  const invalid = Boolean(rawErrors?.some(Boolean));
  return (
    <Input
      id={id}
      name={htmlName || id}
      {...inputProps}
      value={value === undefined || value === null ? '' : String(value)}
      placeholder={placeholder || (allowsNull(schema) ? 'not set' : undefined)}
      readOnly={readonly}
      disabled={disabled}
      autoFocus={autofocus}
      required={required}
      invalid={invalid}
      aria-describedby={describedBy(id, rawErrors, schema)}
      className={inputProps.type === 'text' ? 'font-mono text-[12px]' : undefined}
      onChange={onChangeOverride ?? ((event) => onChange(event.target.value === '' ? options.emptyValue : event.target.value))}
      onBlur={(event) => onBlur(id, event.target.value)}
      onFocus={(event) => onFocus(id, event.target.value)}
    />
  );
}

/** A choice of the schema's values (`enum`, `oneOf` of constants, a union's options); an optional one can be left unset. */
function SelectWidget({ id, name, htmlName, options, value, required, disabled, readonly, autofocus, placeholder, onChange, onBlur, onFocus, rawErrors, schema }: WidgetProps) {
  const choices = (options.enumOptions ?? []).filter((option) => option.value !== null);
  const index = enumOptionsIndexForValue(value, choices, false);
  const selected = typeof index === 'string' ? index : '';
  // The library's own choice between a union's schemas always has one chosen.
  const unionSelector = /__(any|one)of_select$/.test(name);
  const unset = !unionSelector && (!required || allowsNull(schema) || selected === '');
  const read = (raw: string) => enumOptionsValueForIndex(raw, choices, options.emptyValue);
  return (
    <Select
      id={id}
      name={htmlName || id}
      value={selected}
      required={required}
      disabled={disabled || readonly}
      autoFocus={autofocus}
      invalid={Boolean(rawErrors?.some(Boolean))}
      aria-describedby={describedBy(id, rawErrors, schema)}
      onChange={(event) => onChange(read(event.target.value))}
      onBlur={(event) => onBlur(id, read(event.target.value))}
      onFocus={(event) => onFocus(id, read(event.target.value))}
    >
      {unset && <option value="">{placeholder || NOT_SET}</option>}
      {choices.map((option, at) => (
        <option key={at} value={String(at)} disabled={Array.isArray(options.enumDisabled) && options.enumDisabled.includes(option.value)}>
          {option.label}
        </option>
      ))}
    </Select>
  );
}

/** A yes or no; one that may be unset (`["boolean", "null"]`) is a choice of three instead. */
function CheckboxWidget(props: WidgetProps) {
  const { id, value, disabled, readonly, autofocus, label, onChange, onBlur, onFocus, rawErrors, schema, options } = props;
  if (allowsNull(schema)) {
    const enumOptions = options.enumOptions?.length ? options.enumOptions : [
      { label: 'Yes', value: true },
      { label: 'No', value: false },
    ];
    return <SelectWidget {...props} options={{ ...options, enumOptions }} />;
  }
  const errors = (rawErrors ?? []).filter(Boolean);
  return (
    <label htmlFor={id} className="flex items-center gap-2 text-[13px]">
      <input
        id={id}
        type="checkbox"
        checked={value === true}
        disabled={disabled || readonly}
        autoFocus={autofocus}
        aria-invalid={errors.length > 0 || undefined}
        aria-describedby={describedBy(id, rawErrors, schema)}
        onChange={(event) => onChange(event.target.checked)}
        onBlur={() => onBlur(id, value)}
        onFocus={() => onFocus(id, value)}
        className="size-4 accent-[var(--accent)]"
      />
      <span>{labelOf(label)}</span>
    </label>
  );
}

/**
 * A value the schema gives no type (any JSON, such as a workflow step's task input): typed
 * as JSON, read as JSON when it is JSON and else as the text itself.
 */
function JsonField({ fieldPathId, formData, onChange, schema, disabled, readonly, rawErrors }: FieldProps) {
  const id = fieldPathId.$id;
  const [text, setText] = useState(() => (formData === undefined || formData === null ? '' : typeof formData === 'string' ? formData : JSON.stringify(formData, null, 2)));
  return (
    <Textarea
      id={id}
      rows={Math.min(8, Math.max(2, text.split('\n').length + 1))}
      value={text}
      disabled={disabled || readonly}
      invalid={Boolean(rawErrors?.some(Boolean))}
      aria-describedby={describedBy(id, rawErrors, schema)}
      onChange={(event) => {
        const next = event.target.value;
        setText(next);
        if (next.trim() === '') return onChange(undefined, fieldPathId.path);
        try {
          onChange(JSON.parse(next), fieldPathId.path);
        } catch {
          onChange(next, fieldPathId.path);
        }
      }}
    />
  );
}

const fields: RegistryFieldsType = { FallbackField: JsonField };
const templates: Partial<TemplatesType> = { FieldTemplate, ObjectFieldTemplate, ArrayFieldTemplate, ArrayFieldItemTemplate, MultiSchemaFieldTemplate, BaseInputTemplate };
const widgets: RegistryWidgetsType = { SelectWidget, CheckboxWidget };

/** What the dialog asks of the form when it sends. */
export interface SchemaFormHandle {
  /** The configuration when the schema accepts it; otherwise null, with each error shown next to its field. */
  read(): Record<string, unknown> | null;
}

export default function SchemaForm({
  schema,
  formData,
  onChange,
  extraErrors,
  handle,
}: {
  schema: ConfigurationSchema;
  formData: Record<string, unknown>;
  onChange: (formData: Record<string, unknown>) => void;
  /** The node's refusal, next to the field it names. */
  extraErrors?: ConfigErrorSchema | null | undefined;
  handle?: Ref<SchemaFormHandle | null> | undefined;
}) {
  const form = useRef<Form<Record<string, unknown>>>(null);
  // Once sending found an error, each field's error follows its value as it is typed.
  const [checked, setChecked] = useState(false);
  const formSchema = useMemo(() => formSchemaOf(schema) as RJSFSchema, [schema]);
  const uiSchema = useMemo(() => uiSchemaOf(schema), [schema]);
  useImperativeHandle(handle, () => ({
    read() {
      const current = form.current;
      if (!current) return null;
      setChecked(true);
      return current.validateForm() ? ((current.state.formData ?? {}) as Record<string, unknown>) : null;
    },
  }));
  return (
    <Form<Record<string, unknown>>
      ref={form}
      tagName="div"
      schema={formSchema}
      uiSchema={uiSchema}
      formData={formData}
      validator={validator}
      templates={templates}
      widgets={widgets}
      fields={fields}
      transformErrors={transformErrors}
      extraErrors={(extraErrors ?? undefined) as ErrorSchema<Record<string, unknown>> | undefined}
      showErrorList={false}
      noHtml5Validate
      liveValidate={checked ? 'onChange' : undefined}
      onChange={(event) => onChange((event.formData ?? {}) as Record<string, unknown>)}
      onError={() => undefined}
    />
  );
}
