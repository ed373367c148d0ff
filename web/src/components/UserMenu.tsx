// The user menu of the top bar (who is signed in, e-mail verification, linking GitHub,
// signing out) and the banners above every area (an unverified address, a lost
// organization).
import { useEffect, useRef, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { ChevronDown, LogOut, MailWarning, SquareTerminal, X } from 'lucide-react';
import { GithubMark } from './GithubMark';
import { Link } from 'react-router';
import { api, call } from '../api/rest';
import { useMe } from '../api/hooks';
import { ApiProblem, describeError } from '../api/problem';
import { queryClient } from '../api/queryClient';
import { ME_KEY } from '../api/membership';
import { useUi } from '../stores/ui';
import { Button, cx } from './ui';

/** POST /api/auth/verify-email/resend; a 409 means it is verified already, so the user is read again. */
function useResendVerification() {
  return useMutation({
    mutationFn: () => call(api.POST('/api/auth/verify-email/resend')),
    onError: (error) => {
      if (error instanceof ApiProblem && error.status === 409) void queryClient.invalidateQueries({ queryKey: ME_KEY });
    },
  });
}

/** POST /api/auth/github/link answers GitHub's authorize URL, which the browser then opens. */
function useLinkGithub() {
  return useMutation({
    mutationFn: () => call(api.POST('/api/auth/github/link')),
    onSuccess: (answer) => window.location.assign(answer.authorize_url),
  });
}

function outcome(mutation: { isSuccess: boolean; error: unknown }, done: string): string | null {
  if (mutation.error) {
    const { title, detail } = describeError(mutation.error);
    return detail || title;
  }
  return mutation.isSuccess ? done : null;
}

export function UserMenu({ onSignOut, signingOut }: { onSignOut: () => void; signingOut: boolean }) {
  const me = useMe().data;
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const resend = useResendVerification();
  const link = useLinkGithub();

  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    root.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const unverified = me ? !me.email_verified_at : false;
  const linked = me ? Boolean(me.github_id) : false;
  const itemClass = 'flex w-full items-center gap-2 rounded-md px-2.5 py-1.5 text-left text-[13px] hover:bg-panel-2 focus:bg-panel-2 focus:outline-none disabled:opacity-60';
  const resendOutcome = outcome(resend, `Link sent to ${me?.email ?? 'your address'}`);
  const linkOutcome = link.error ? outcome(link, '') : null;

  return (
    <div className="relative" ref={root}>
      <button
        ref={button}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((value) => !value)}
        className="flex h-8 items-center gap-2 rounded-md px-1.5 text-[13px] hover:bg-panel-2"
        data-testid="user-menu"
      >
        <span className="relative grid size-6 place-items-center rounded-full bg-accent-solid text-[11px] font-semibold text-accent-fg" aria-hidden>
          {(me?.name ?? '?').slice(0, 1).toUpperCase()}
          {unverified && <span className="absolute -top-0.5 -right-0.5 size-2 rounded-full bg-amber-500 ring-2 ring-panel" />}
        </span>
        <span className="hidden max-w-40 truncate md:inline">{me?.name}</span>
        <span className="sr-only">Account menu</span>
        <ChevronDown className="size-3.5 text-muted" aria-hidden />
      </button>
      {open && (
        <div role="menu" aria-label="Account" className="absolute right-0 z-40 mt-1 w-72 rounded-lg border border-line bg-panel p-1.5 shadow-xl">
          <div className="px-2.5 py-2">
            <div className="truncate text-[13px] font-semibold">{me?.name}</div>
            <div className="truncate text-[12px] text-muted">{me?.email}</div>
            <div className="mt-1 flex flex-wrap gap-1.5 text-[11px]">
              <span className={cx('rounded border px-1.5 py-px', unverified ? 'border-amber-300 text-amber-900 dark:border-amber-800 dark:text-amber-300' : 'border-line text-muted')}>
                {unverified ? 'e-mail not verified' : 'e-mail verified'}
              </span>
              <span className="rounded border border-line px-1.5 py-px text-muted">{linked ? 'GitHub linked' : 'GitHub not linked'}</span>
            </div>
          </div>
          <div className="my-1 border-t border-line" />
          {unverified && (
            <button type="button" role="menuitem" className={itemClass} disabled={resend.isPending} onClick={() => resend.mutate()}>
              <MailWarning className="size-4 text-muted" aria-hidden />
              Resend the verification e-mail
            </button>
          )}
          {resendOutcome && <p className="px-2.5 pb-1 text-[12px] text-muted" role="status">{resendOutcome}</p>}
          {!linked && (
            <button type="button" role="menuitem" className={itemClass} disabled={link.isPending} onClick={() => link.mutate()}>
              <GithubMark className="size-4 text-muted" />
              Link GitHub
            </button>
          )}
          {linkOutcome && <p className="px-2.5 pb-1 text-[12px] text-red-700 dark:text-red-400" role="status">{linkOutcome}</p>}
          <Link to="/graphiql" role="menuitem" className={itemClass} onClick={() => setOpen(false)}>
            <SquareTerminal className="size-4 text-muted" aria-hidden />
            GraphQL explorer
          </Link>
          <div className="my-1 border-t border-line" />
          <button type="button" role="menuitem" className={itemClass} disabled={signingOut} onClick={onSignOut}>
            <LogOut className="size-4 text-muted" aria-hidden />
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}

/** Banners over every area: a notice (a lost organization), an address to verify. */
export function Banners() {
  const notice = useUi((state) => state.notice);
  const setNotice = useUi((state) => state.setNotice);
  const me = useMe().data;
  const [hidden, setHidden] = useState(false);
  const resend = useResendVerification();
  const resendOutcome = outcome(resend, `A new link is on its way to ${me?.email ?? 'your address'}.`);
  if (!notice && !(me && !me.email_verified_at && !hidden)) return null;
  return (
    <section aria-label="Notices">
      {notice && (
        <div role="alert" className="flex items-center gap-2 border-b border-red-200 bg-red-50 px-4 py-2 text-[13px] text-red-900 dark:border-red-900 dark:bg-red-950/50 dark:text-red-200" data-testid="notice">
          <span className="flex-1">{notice}</span>
          <button type="button" aria-label="Dismiss" className="rounded p-1 hover:bg-red-100 dark:hover:bg-red-900/50" onClick={() => setNotice(null)}>
            <X className="size-4" aria-hidden />
          </button>
        </div>
      )}
      {me && !me.email_verified_at && !hidden && (
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-amber-200 bg-amber-50 px-4 py-2 text-[13px] text-amber-950 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-200" data-testid="verify-banner">
          <MailWarning className="size-4 shrink-0" aria-hidden />
          <span className="flex-1">
            Verify your e-mail address: open the link sent to <strong>{me.email}</strong>.
            {resendOutcome && <span className="ml-2" role="status">{resendOutcome}</span>}
          </span>
          <Button size="sm" loading={resend.isPending} onClick={() => resend.mutate()}>
            Resend the link
          </Button>
          <button type="button" aria-label="Hide until the next visit" className="rounded p-1 hover:bg-amber-100 dark:hover:bg-amber-900/50" onClick={() => setHidden(true)}>
            <X className="size-4" aria-hidden />
          </button>
        </div>
      )}
    </section>
  );
}
