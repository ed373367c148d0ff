import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { Button, Card, ErrorNotice, StatusBadge, Time } from './ui';
import { problemFrom } from '../api/problem';
import { filterCommands } from './CommandPalette';

describe('StatusBadge', () => {
  it('reads REST and GraphQL spellings alike', () => {
    render(
      <>
        <StatusBadge status="needs_approval" />
        <StatusBadge status="IN_PROGRESS" />
      </>,
    );
    expect(screen.getByText('needs approval')).toBeInTheDocument();
    expect(screen.getByText('in progress')).toBeInTheDocument();
  });
});

describe('ErrorNotice', () => {
  it('shows the problem title and detail', () => {
    render(<ErrorNotice error={problemFrom(409, { title: 'Conflict', status: 409, detail: 'this organization has no enabled deployment agent to do this' })} />);
    expect(screen.getByRole('alert')).toHaveTextContent('Conflict: this organization has no enabled deployment agent to do this');
  });

  it('says an endpoint is not on this node yet for a bare 404', () => {
    render(<ErrorNotice error={problemFrom(404, '')} what="The supervision tree" />);
    expect(screen.getByText('The supervision tree is not available on this node yet')).toBeInTheDocument();
  });
});

describe('Time', () => {
  it('shows a relative time with the absolute one on hover', () => {
    const iso = new Date(Date.now() - 3 * 60_000).toISOString();
    render(<Time iso={iso} />);
    const element = screen.getByText(/3 min\. ago/);
    expect(element.getAttribute('title')).toMatch(/\d{4}/);
    expect(element.getAttribute('datetime')).toBe(iso);
  });
});

describe('command filter', () => {
  const commands = [
    { label: 'Go to Agents', keywords: 'supervision tree tasks' },
    { label: 'Invite a member', keywords: 'team email' },
  ];
  it('matches every word against label and keywords', () => {
    expect(filterCommands(commands, 'tree')).toEqual([commands[0]]);
    expect(filterCommands(commands, 'invite email')).toEqual([commands[1]]);
    expect(filterCommands(commands, '')).toEqual(commands);
    expect(filterCommands(commands, 'nothing')).toEqual([]);
    const ranked = [{ label: 'Go to Agents', keywords: 'approvals inbox' }, { label: 'Go to Approval inbox', keywords: '' }];
    expect(filterCommands(ranked, 'approval inbox')[0]?.label).toBe('Go to Approval inbox');
  });
});

describe('Button with a disabled reason', () => {
  afterEach(cleanup);

  it('says why it is disabled as its tooltip and accessible description', () => {
    render(
      <Button disabled disabledReason="Choose a type first">
        Create
      </Button>,
    );
    const button = screen.getByRole('button', { name: 'Create' });
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute('title', 'Choose a type first');
    expect(button).toHaveAccessibleDescription('Choose a type first');
  });

  it('says nothing once enabled, or while it is busy', () => {
    const { rerender } = render(<Button disabledReason="Choose a type first">Create</Button>);
    expect(screen.getByRole('button', { name: 'Create' })).not.toHaveAttribute('title');
    expect(screen.getByRole('button', { name: 'Create' })).not.toHaveAccessibleDescription();
    rerender(
      <Button disabled loading disabledReason="Choose a type first">
        Create
      </Button>,
    );
    expect(screen.getByRole('button', { name: 'Create' })).not.toHaveAttribute('title');
    expect(screen.queryByText('Choose a type first')).toBeNull();
  });

  it('keeps a description of its own next to the reason', () => {
    render(
      <>
        <p id="own">Runs at once</p>
        <Button disabled disabledReason="Viewers cannot start agents" aria-describedby="own">
          Start
        </Button>
      </>,
    );
    expect(screen.getByRole('button', { name: 'Start' })).toHaveAccessibleDescription('Runs at once Viewers cannot start agents');
  });
});

describe('Card', () => {
  afterEach(cleanup);

  it('lets its body padding be replaced, and scrolls a table sideways inside itself', () => {
    render(
      <>
        <Card title="Padded">text</Card>
        <Card title="Flush" bodyClassName="p-0">
          <table>
            <tbody>
              <tr>
                <td>cell</td>
              </tr>
            </tbody>
          </table>
        </Card>
      </>,
    );
    const padded = screen.getByText('text');
    expect(padded.className).toContain('p-4');
    const flush = screen.getByText('cell').closest('table')!.parentElement!;
    expect(flush.className.split(' ')).toContain('p-0');
    expect(flush.className.split(' ')).not.toContain('p-4');
    expect(flush.className).toContain('has-[table]:overflow-x-auto');
    expect(flush.className).toContain('has-[table]:relative');
    expect(flush.closest('section')!.className).toContain('min-w-0');
  });
});
