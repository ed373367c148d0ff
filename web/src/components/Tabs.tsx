import { NavLink } from 'react-router';
import { cx } from './ui';

// An area's sections. On a narrow screen the row scrolls sideways instead of pushing the
// page wider (the line under it is an inset shadow, so the scrolling row clips nothing).

export function Tabs({ tabs }: { tabs: { to: string; label: string; end?: boolean }[] }) {
  return (
    <nav aria-label="Sections" className="mb-4 flex gap-1 overflow-x-auto shadow-[inset_0_-1px_0_var(--border)]">
      {tabs.map((tab) => (
        <NavLink
          key={tab.to}
          to={tab.to}
          end={tab.end ?? false}
          className={({ isActive }) =>
            cx('shrink-0 border-b-2 px-3 py-2 text-[13px] font-medium whitespace-nowrap', isActive ? 'border-accent text-fg' : 'border-transparent text-muted hover:text-fg')
          }
        >
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}

