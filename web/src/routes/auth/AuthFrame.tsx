import type { ReactNode } from 'react';
import { useEffect } from 'react';
import { applyTheme, useUi } from '../../stores/ui';

export function AuthFrame({ title, subtitle, children, footer }: { title: string; subtitle?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  const theme = useUi((state) => state.theme);
  useEffect(() => applyTheme(theme), [theme]);
  return (
    <main className="flex min-h-full items-center justify-center bg-bg p-6">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center gap-2">
          <div className="grid size-8 place-items-center rounded-md bg-accent-solid text-[14px] font-bold text-accent-fg" aria-hidden>
            C
          </div>
          <span className="text-[15px] font-semibold">CompanyOS</span>
        </div>
        <div className="rounded-lg border border-line bg-panel p-6 shadow-sm">
          <h1 className="text-lg font-semibold">{title}</h1>
          {subtitle && <p className="mt-1 text-[13px] text-muted">{subtitle}</p>}
          <div className="mt-5">{children}</div>
        </div>
        {footer && <div className="mt-4 text-center text-[13px] text-muted">{footer}</div>}
      </div>
    </main>
  );
}

/** Where to go after signing in: the `next` parameter when it is a path of ours. */
export function nextPath(search: URLSearchParams): string {
  const next = search.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
