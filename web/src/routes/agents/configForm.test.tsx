import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { ConfigForm, channelOf, configurationOf, draftOf, routesOf, type ConfigDraft } from './ConfigForm';

afterEach(cleanup);

const DEFAULTS = { default_channel: null, routes: [] };

function Harness({ initial, onDraft }: { initial: Record<string, unknown>; onDraft: (draft: ConfigDraft) => void }) {
  const [draft, setDraft] = useState<ConfigDraft>(draftOf(initial));
  return (
    <ConfigForm
      draft={draft}
      defaults={DEFAULTS}
      agentType="notification"
      errors={{}}
      onChange={(next) => {
        setDraft(next);
        onDraft(next);
      }}
    />
  );
}

describe('the notification agent’s configuration', () => {
  it('reads channels and routes from the draft', () => {
    expect(channelOf('null')).toBe('');
    expect(channelOf('"C1"')).toBe('C1');
    expect(channelOf('C1')).toBe('C1');
    expect(routesOf('[{"kinds":["deployment.*"],"min_severity":"high","channel":"C2"}]')).toEqual([{ kinds: ['deployment.*'], min_severity: 'high', channel: 'C2' }]);
    expect(routesOf('{')).toBeNull();
    expect(routesOf('null')).toEqual([]);
  });

  it('edits channels and a routing table, and saves them as the node reads them', async () => {
    let draft = draftOf({ default_channel: null, routes: [] });
    render(<Harness initial={{ default_channel: null, routes: [] }} onDraft={(next) => (draft = next)} />);
    await userEvent.type(screen.getByLabelText('Default channel'), 'C0DEFAULT');
    await userEvent.type(screen.getByLabelText('Approvals channel'), 'C0APPROVE');
    await userEvent.click(screen.getByRole('button', { name: 'Add a route' }));
    fireEvent.change(screen.getByLabelText('Route 1 kinds'), { target: { value: 'deployment.*, incident.*,' } });
    await userEvent.selectOptions(screen.getByLabelText('Route 1 minimum severity'), 'high');
    await userEvent.type(screen.getByLabelText('Route 1 channel'), 'C0DEPLOYS');
    expect(configurationOf(draft, DEFAULTS)).toEqual({
      default_channel: 'C0DEFAULT',
      approvals_channel: 'C0APPROVE',
      routes: [{ kinds: ['deployment.*', 'incident.*'], min_severity: 'high', channel: 'C0DEPLOYS' }],
    });
    // The routes stay editable as JSON.
    expect(screen.getByText('Routes as JSON')).toBeInTheDocument();
    expect((screen.getByLabelText('routes') as HTMLTextAreaElement).value).toContain('"C0DEPLOYS"');
    await userEvent.click(screen.getByRole('button', { name: 'Remove route 1' }));
    expect(configurationOf(draft, DEFAULTS).routes).toEqual([]);
  });

  it('keeps a channel typed as plain text in the JSON fields', () => {
    expect(configurationOf({ default_channel: 'C0PLAIN', routes: '[]' }, DEFAULTS)).toEqual({ default_channel: 'C0PLAIN', routes: [] });
  });
});
