import { NavLink } from 'react-router';
import { cx } from './ui';

export function Tabs({ tabs }: { tabs: { to: string; label: string; end?: boolean }[] }) {
  return (
    <nav aria-label="Sections" className="mb-4 flex gap-1 border-b border-line">
      {tabs.map((tab) => (
        <NavLink
          key={tab.to}
          to={tab.to}
          end={tab.end ?? false}
          className={({ isActive }) =>
            cx('-mb-px border-b-2 px-3 py-2 text-[13px] font-medium', isActive ? 'border-accent text-fg' : 'border-transparent text-muted hover:text-fg')
          }
        >
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}

