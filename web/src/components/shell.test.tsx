import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';

vi.mock('../api/graphql', () => ({ closeSubscriptions: () => undefined, useLiveStatus: () => 'live' }));
vi.mock('../api/live', () => ({ useLive: () => undefined }));
vi.mock('../api/session', () => ({ logout: async () => undefined }));
vi.mock('../api/hooks', () => ({ useOrganization: () => ({ organizations: [], organizationId: null }), useSignedIn: () => true }));
vi.mock('./UserMenu', () => ({ UserMenu: () => null, Banners: () => null }));
vi.mock('./CommandPalette', () => ({ CommandPalette: () => null }));

const { MobileMenu } = await import('./Shell');

function Where() {
  return <p data-testid="where">{useLocation().pathname}</p>;
}

function show() {
  render(
    <MemoryRouter initialEntries={['/']}>
      <MobileMenu />
      <Routes>
        <Route path="*" element={<Where />} />
      </Routes>
    </MemoryRouter>,
  );
}

afterEach(cleanup);

describe('the menu of narrow screens', () => {
  it('opens the areas behind a menu button and closes on going to one', async () => {
    show();
    const button = screen.getByRole('button', { name: 'Open the menu' });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('navigation', { name: 'Areas' })).toBeNull();
    await userEvent.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const menu = screen.getByRole('dialog', { name: 'Menu' });
    expect(menu).toContainElement(screen.getByRole('link', { name: 'Integrations' }));
    expect(screen.getByRole('radiogroup', { name: 'Theme' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('link', { name: 'Integrations' }));
    expect(screen.getByTestId('where')).toHaveTextContent('/integrations');
    expect(screen.queryByRole('dialog', { name: 'Menu' })).toBeNull();
  });

  it('closes on Escape, giving the focus back to the button', async () => {
    show();
    await userEvent.click(screen.getByRole('button', { name: 'Open the menu' }));
    expect(screen.getByRole('link', { name: 'Command Center' })).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog', { name: 'Menu' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Open the menu' })).toHaveFocus();
  });
});
