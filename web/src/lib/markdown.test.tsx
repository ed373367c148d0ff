import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { Markdown, parseBlocks } from './markdown';

afterEach(cleanup);

const REVIEW = `**CompanyOS code review** — risk: **high**

Medium risk: S change (3 files, +40/−2 lines), 2 findings.

- high \`src/config.rs\` (secret): a token
- medium \`Cargo.toml\` (dependencies): a new crate

Suggested reviewers: @alice, @bob

## Notes
1. first
2. second

\`\`\`rust
let x = "<b>not bold</b>";
\`\`\``;

describe('parseBlocks', () => {
  it('splits a review body into paragraphs, a list, a heading, an ordered list and code', () => {
    expect(parseBlocks(REVIEW).map((block) => block.kind)).toEqual(['paragraph', 'paragraph', 'list', 'paragraph', 'heading', 'list', 'code']);
    const lists = parseBlocks(REVIEW).filter((block) => block.kind === 'list');
    expect(lists.map((list) => list.kind === 'list' && list.ordered)).toEqual([false, true]);
  });

  it('keeps an unterminated fence as code to the end', () => {
    expect(parseBlocks('```\na\nb')).toEqual([{ kind: 'code', text: 'a\nb' }]);
  });
});

describe('Markdown', () => {
  it('renders headings, lists, bold and code as elements', () => {
    const { container } = render(<Markdown source={REVIEW} />);
    expect(screen.getByRole('heading', { name: 'Notes' })).toBeInTheDocument();
    expect(screen.getByText('CompanyOS code review').tagName).toBe('STRONG');
    expect(screen.getByText('src/config.rs').tagName).toBe('CODE');
    expect(container.querySelectorAll('ul > li')).toHaveLength(2);
    expect(container.querySelectorAll('ol > li')).toHaveLength(2);
    expect(container.querySelector('pre')?.textContent).toBe('let x = "<b>not bold</b>";');
  });

  it('never turns markup into elements and links only http(s) addresses', () => {
    const { container } = render(<Markdown source={'<img src=x onerror=alert(1)> [safe](https://example.com) [bad](javascript:alert(1)) <script>x</script>'} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror=alert(1)>');
    const links = container.querySelectorAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]).toHaveAttribute('href', 'https://example.com');
    expect(container.textContent).toContain(' bad');
  });

  it('reads italics without touching snake_case names', () => {
    const { container } = render(<Markdown source={'an *important* note on post_review and task_type'} />);
    expect(container.querySelectorAll('em')).toHaveLength(1);
    expect(container.textContent).toBe('an important note on post_review and task_type');
  });
});
