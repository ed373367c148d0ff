// UI state that is not server state: theme, the chosen organization, the command
// palette. Persisted in localStorage (nothing secret here).
import { create } from 'zustand';
import { persist } from 'zustand/middleware';

export type Theme = 'light' | 'dark' | 'system';

interface UiState {
  theme: Theme;
  organizationId: string | null;
  paletteOpen: boolean;
  sidebarCollapsed: boolean;
  /** A message for the top of the console (e.g. access to an organization was lost). */
  notice: string | null;
  setTheme: (theme: Theme) => void;
  setOrganization: (id: string | null) => void;
  setPaletteOpen: (open: boolean) => void;
  toggleSidebar: () => void;
  setNotice: (notice: string | null) => void;
}

export const useUi = create<UiState>()(
  persist(
    (set) => ({
      theme: 'system',
      organizationId: null,
      paletteOpen: false,
      sidebarCollapsed: false,
      notice: null,
      setTheme: (theme) => set({ theme }),
      setOrganization: (organizationId) => set({ organizationId }),
      setPaletteOpen: (paletteOpen) => set({ paletteOpen }),
      toggleSidebar: () => set((state) => ({ sidebarCollapsed: !state.sidebarCollapsed })),
      setNotice: (notice) => set({ notice }),
    }),
    {
      name: 'companyos-ui',
      partialize: (state) => ({ theme: state.theme, organizationId: state.organizationId, sidebarCollapsed: state.sidebarCollapsed }),
    },
  ),
);

export function applyTheme(theme: Theme): void {
  const dark = theme === 'dark' || (theme === 'system' && window.matchMedia?.('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', Boolean(dark));
}

/** The organization requests act on, outside React. */
export function currentOrganizationId(): string | null {
  return useUi.getState().organizationId;
}
