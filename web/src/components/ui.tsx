// The console's building blocks: buttons, cards, badges, fields, empty and error states.
import { Check, Copy, Loader2, Plug, TriangleAlert, X } from 'lucide-react';
import {
  useEffect,
  useId,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { describeError, isNotAvailable } from '../api/problem';
import { absoluteTime, relativeTime } from '../lib/time';

export function cx(...classes: (string | false | null | undefined)[]): string {
  return classes.filter(Boolean).join(' ');
}

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';

const VARIANTS: Record<Variant, string> = {
  primary: 'bg-accent-solid text-accent-fg hover:brightness-110 border border-transparent',
  secondary: 'bg-panel text-fg border border-line hover:bg-panel-2',
  ghost: 'text-fg hover:bg-panel-2 border border-transparent',
  danger: 'bg-red-700 text-white hover:bg-red-800 border border-transparent',
};

/** Button styling for links that look like buttons. */
export function buttonClass(variant: Variant = 'secondary', size: 'sm' | 'md' = 'md'): string {
  return cx(
    'inline-flex items-center justify-center gap-1.5 rounded-md font-medium whitespace-nowrap transition',
    size === 'sm' ? 'h-7 px-2.5 text-xs' : 'h-8 px-3 text-[13px]',
    VARIANTS[variant],
  );
}

/**
 * A button. `disabledReason` says why it is disabled: while `disabled` (and not loading)
 * the reason is its tooltip (`title`) and its accessible description (`aria-describedby`
 * to a hidden text), so a person never meets a dead button without being told why.
 */
export function Button({
  variant = 'secondary',
  size = 'md',
  loading = false,
  icon,
  children,
  className,
  disabled,
  disabledReason,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; size?: 'sm' | 'md'; loading?: boolean; icon?: ReactNode; disabledReason?: string | null | undefined }) {
  const reasonId = useId();
  const why = disabled && !loading && disabledReason ? disabledReason : null;
  const describedBy = [rest['aria-describedby'], why ? reasonId : null].filter(Boolean).join(' ') || undefined;
  const button = (
    <button
      type="button"
      {...rest}
      {...(why ? { title: why } : {})}
      aria-describedby={describedBy}
      data-disabled-reason={why ?? undefined}
      disabled={disabled || loading}
      aria-busy={loading || undefined}
      className={cx(
        'inline-flex items-center justify-center gap-1.5 rounded-md font-medium whitespace-nowrap transition disabled:cursor-not-allowed disabled:opacity-60',
        size === 'sm' ? 'h-7 px-2.5 text-xs' : 'h-8 px-3 text-[13px]',
        VARIANTS[variant],
        className,
      )}
    >
      {loading ? <Loader2 className="size-3.5 animate-spin" aria-hidden /> : icon}
      {children}
    </button>
  );
  return (
    <>
      {button}
      {/* Hidden, yet read as the description: a visually hidden (absolute) span escaped a
          scrolling table and widened the page. */}
      {why && (
        <span id={reasonId} hidden>
          {why}
        </span>
      )}
    </>
  );
}

/**
 * A card. It may shrink below its content's width (a grid or flex cell never pushes the
 * page wider than the screen), and a table in it scrolls sideways inside the card.
 */
export function Card({ title, actions, children, className, bodyClassName, id }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; bodyClassName?: string; id?: string }) {
  return (
    <section id={id} className={cx('min-w-0 rounded-lg border border-line bg-panel shadow-sm', className)}>
      {(title || actions) && (
        <header className="flex flex-wrap items-center justify-between gap-2 border-b border-line px-4 py-2.5">
          {typeof title === 'string' ? <h2 className="text-[13px] font-semibold">{title}</h2> : title}
          {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
        </header>
      )}
      {/* `bodyClassName` replaces the default padding (with both, p-4 came later in the CSS and won). */}
      {/* Relative too: a visually hidden (absolute) header cell stays inside the scroller instead of widening the page. */}
      <div className={cx(bodyClassName ?? 'p-4', 'has-[table]:relative has-[table]:overflow-x-auto')}>{children}</div>
    </section>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
        {description && <p className="mt-0.5 text-[13px] text-muted">{description}</p>}
      </div>
      {actions && <div className="flex items-center gap-2">{actions}</div>}
    </div>
  );
}

type Tone = 'neutral' | 'green' | 'blue' | 'amber' | 'red' | 'violet' | 'gray';

const TONES: Record<Tone, string> = {
  neutral: 'bg-panel-2 text-fg border-line',
  green: 'bg-emerald-50 text-emerald-800 border-emerald-200 dark:bg-emerald-950/50 dark:text-emerald-300 dark:border-emerald-900',
  blue: 'bg-sky-50 text-sky-800 border-sky-200 dark:bg-sky-950/50 dark:text-sky-300 dark:border-sky-900',
  amber: 'bg-amber-50 text-amber-900 border-amber-200 dark:bg-amber-950/50 dark:text-amber-300 dark:border-amber-900',
  red: 'bg-red-50 text-red-800 border-red-200 dark:bg-red-950/50 dark:text-red-300 dark:border-red-900',
  violet: 'bg-violet-50 text-violet-800 border-violet-200 dark:bg-violet-950/50 dark:text-violet-300 dark:border-violet-900',
  gray: 'bg-zinc-100 text-zinc-700 border-zinc-200 dark:bg-zinc-800/60 dark:text-zinc-300 dark:border-zinc-700',
};

export function Badge({ tone = 'neutral', children, className, title }: { tone?: Tone; children: ReactNode; className?: string; title?: string }) {
  return (
    <span title={title} className={cx('inline-flex items-center gap-1 rounded border px-1.5 py-px text-[11px] font-medium whitespace-nowrap', TONES[tone], className)}>
      {children}
    </span>
  );
}

const STATUS_TONES: Record<string, Tone> = {
  idle: 'gray',
  working: 'blue',
  complete: 'green',
  completed: 'green',
  error: 'red',
  failed: 'red',
  disabled: 'gray',
  pending: 'amber',
  needs_approval: 'violet',
  in_progress: 'blue',
  rejected: 'red',
  cancelled: 'gray',
  canceled: 'gray',
  active: 'green',
  inactive: 'gray',
  open: 'green',
  closed: 'gray',
  merged: 'violet',
  ready: 'green',
  building: 'blue',
  queued: 'amber',
  draft: 'gray',
  scheduled: 'blue',
  published: 'green',
  approved: 'green',
  changes_requested: 'amber',
  not_started: 'gray',
};

/** A status in its colour; accepts the REST (`in_progress`) and GraphQL (`IN_PROGRESS`) spellings. */
export function StatusBadge({ status, title }: { status: string | null | undefined; title?: string }) {
  if (!status) return <span className="text-muted">—</span>;
  const key = status.toLowerCase();
  return (
    <Badge tone={STATUS_TONES[key] ?? 'neutral'} {...(title ? { title } : {})}>
      <span className={cx('size-1.5 rounded-full bg-current', key === 'working' || key === 'in_progress' ? 'animate-pulse' : '')} aria-hidden />
      {key.replace(/_/g, ' ')}
    </Badge>
  );
}

export function Mono({ children, className, title }: { children: ReactNode; className?: string; title?: string }) {
  return (
    <code title={title} className={cx('font-mono text-[12px] text-fg', className)}>
      {children}
    </code>
  );
}

export function Time({ iso, className }: { iso: string | null | undefined; className?: string }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => tick((value) => value + 1), 30_000);
    return () => window.clearInterval(timer);
  }, []);
  if (!iso) return <span className="text-muted">—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)} className={cx('whitespace-nowrap', className)}>
      {relativeTime(iso)}
    </time>
  );
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span role="status" className="inline-flex items-center gap-2 text-[13px] text-muted">
      <Loader2 className="size-4 animate-spin" aria-hidden />
      {label}…
    </span>
  );
}

export function LoadingBlock({ rows = 3 }: { rows?: number }) {
  return (
    <div role="status" aria-label="Loading" className="space-y-2">
      {Array.from({ length: rows }, (_, index) => (
        <div key={index} className="h-7 animate-pulse rounded bg-panel-2" />
      ))}
    </div>
  );
}

export function EmptyState({ icon, title, children, action }: { icon?: ReactNode; title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="flex flex-col items-center justify-center gap-2 rounded-md border border-dashed border-line px-6 py-8 text-center">
      {icon && <div className="text-muted">{icon}</div>}
      <p className="text-[13px] font-medium">{title}</p>
      {children && <div className="max-w-md text-[13px] text-muted">{children}</div>}
      {action && <div className="mt-1">{action}</div>}
    </div>
  );
}

export function ErrorNotice({ error, what }: { error: unknown; what?: string }) {
  if (isNotAvailable(error)) {
    return (
      <EmptyState icon={<Plug className="size-5" aria-hidden />} title={`${what ?? 'This'} is not available on this node yet`}>
        The node answered 404 for this endpoint: it comes with a newer build of the node.
      </EmptyState>
    );
  }
  const { title, detail } = describeError(error);
  return (
    <div role="alert" className="flex items-start gap-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-[13px] text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300">
      <TriangleAlert className="mt-0.5 size-4 shrink-0" aria-hidden />
      <div>
        <strong className="font-semibold">{title}</strong>
        {detail && <span>: {detail}</span>}
      </div>
    </div>
  );
}

export function Field({ label, error, hint, children, htmlFor }: { label: string; error?: string | undefined; hint?: ReactNode; children: ReactNode; htmlFor: string }) {
  return (
    <div className="space-y-1">
      <label htmlFor={htmlFor} className="block text-[12px] font-medium">
        {label}
      </label>
      {children}
      {error ? (
        <p id={`${htmlFor}-error`} className="text-[12px] text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : hint ? (
        <p className="text-[12px] text-muted">{hint}</p>
      ) : null}
    </div>
  );
}

const CONTROL = 'w-full rounded-md border border-line bg-panel px-2.5 py-1.5 text-[13px] text-fg placeholder:text-muted/80 focus:border-ring focus:outline-none focus:ring-2 focus:ring-ring/30';

export function Input({ invalid, className, ...rest }: InputHTMLAttributes<HTMLInputElement> & { invalid?: boolean }) {
  return <input {...rest} aria-invalid={invalid || undefined} aria-describedby={rest['aria-describedby'] ?? (invalid && rest.id ? `${rest.id}-error` : undefined)} className={cx(CONTROL, invalid && 'border-red-500', className)} />;
}

export function Select({ invalid, className, children, ...rest }: SelectHTMLAttributes<HTMLSelectElement> & { invalid?: boolean }) {
  return (
    <select {...rest} aria-invalid={invalid || undefined} className={cx(CONTROL, 'pr-7', invalid && 'border-red-500', className)}>
      {children}
    </select>
  );
}

export function Textarea({ invalid, className, ...rest }: TextareaHTMLAttributes<HTMLTextAreaElement> & { invalid?: boolean }) {
  return <textarea {...rest} aria-invalid={invalid || undefined} className={cx(CONTROL, 'font-mono text-[12px]', invalid && 'border-red-500', className)} />;
}

/** Form field ids that do not collide across dialogs. */
export function useFieldId(name: string): string {
  return `${useId()}-${name}`;
}

/** Copies `value`; `name` is its accessible name when several copy buttons share a view ("Copy Button.tsx"). */
export function CopyButton({ value, label = 'Copy', name }: { value: string; label?: string; name?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      size="sm"
      aria-label={copied ? 'Copied' : (name ?? label)}
      icon={copied ? <Check className="size-3.5" aria-hidden /> : <Copy className="size-3.5" aria-hidden />}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(value);
        } catch {
          const area = document.createElement('textarea');
          area.value = value;
          document.body.append(area);
          area.select();
          document.execCommand('copy');
          area.remove();
        }
        setCopied(true);
        window.setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? 'Copied' : label}
    </Button>
  );
}

export function Modal({ title, open, onClose, children, footer, wide }: { title: string; open: boolean; onClose: () => void; children: ReactNode; footer?: ReactNode; wide?: boolean }) {
  const panel = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    if (!open) return;
    const previous = document.activeElement as HTMLElement | null;
    const first = panel.current?.querySelector<HTMLElement>('input, select, textarea, button:not([data-close])');
    (first ?? panel.current)?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
      if (event.key === 'Tab' && panel.current) {
        const focusable = panel.current.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex="-1"])');
        const list = Array.from(focusable);
        const head = list[0];
        const tail = list[list.length - 1];
        if (event.shiftKey && document.activeElement === head) {
          event.preventDefault();
          tail?.focus();
        } else if (!event.shiftKey && document.activeElement === tail) {
          event.preventDefault();
          head?.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, [open, onClose]);
  if (!open) return null;
  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center bg-black/40 p-4 pt-[10vh]" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div ref={panel} role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} className={cx('w-full rounded-lg border border-line bg-panel shadow-xl', wide ? 'max-w-2xl' : 'max-w-md')}>
        <header className="flex items-center justify-between border-b border-line px-4 py-3">
          <h2 id={titleId} className="text-[14px] font-semibold">
            {title}
          </h2>
          <button type="button" data-close onClick={onClose} aria-label="Close" className="rounded p-1 text-muted hover:bg-panel-2">
            <X className="size-4" aria-hidden />
          </button>
        </header>
        <div className="max-h-[65vh] overflow-y-auto p-4">{children}</div>
        {footer && <footer className="flex justify-end gap-2 border-t border-line px-4 py-3">{footer}</footer>}
      </div>
    </div>
  );
}

export function Stat({ label, value, hint, tone }: { label: string; value: ReactNode; hint?: ReactNode; tone?: Tone }) {
  return (
    <div className="min-w-0">
      <div className="text-[11px] font-medium tracking-wide text-muted uppercase">{label}</div>
      <div className={cx('mt-0.5 text-2xl font-semibold tabular-nums', tone === 'red' && 'text-red-700 dark:text-red-400', tone === 'violet' && 'text-violet-700 dark:text-violet-300')}>{value}</div>
      {hint && <div className="text-[12px] text-muted">{hint}</div>}
    </div>
  );
}

/** A table; its headers do not wrap and its first column keeps 10rem, so on a narrow screen it scrolls inside its card rather than crushing its columns. */
export const tableClass = 'w-full text-left text-[13px] [&_th]:whitespace-nowrap [&_td:first-child]:min-w-40 [&_th]:px-3 [&_th]:py-2 [&_th]:text-[11px] [&_th]:font-medium [&_th]:uppercase [&_th]:tracking-wide [&_th]:text-muted [&_td]:px-3 [&_td]:py-2 [&_tbody_tr]:border-t [&_tbody_tr]:border-line [&_tbody_tr:hover]:bg-panel-2/60';
