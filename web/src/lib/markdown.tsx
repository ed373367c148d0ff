// A small Markdown renderer for text the node and its agents write (review bodies,
// line comments): headings, lists, fenced code, paragraphs; inside a line bold, italics,
// code and links. Everything becomes React elements holding text — no HTML is ever
// parsed or injected, so whatever a pull request or a model wrote stays text. Links are
// kept only for http(s) addresses.
import { Fragment, type ReactNode } from 'react';

export type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'list'; ordered: boolean; items: string[] }
  | { kind: 'code'; text: string }
  | { kind: 'quote'; text: string }
  | { kind: 'paragraph'; text: string };

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const FENCE = /^\s*(```|~~~)/;
const QUOTE = /^\s*>\s?(.*)$/;

/** Splits Markdown into blocks. */
export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', text: paragraph.join('\n') });
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      index += 1;
      while (index < lines.length && !(lines[index] ?? '').trim().startsWith(fence[1] ?? '```')) {
        code.push(lines[index] ?? '');
        index += 1;
      }
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1]?.length ?? 1, text: heading[2] ?? '' });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flush();
      const ordered = Boolean(numbered);
      const pattern = ordered ? NUMBERED : BULLET;
      const items = [(bullet ?? numbered)?.[1] ?? ''];
      while (index + 1 < lines.length) {
        const next = lines[index + 1] ?? '';
        const item = pattern.exec(next);
        if (item) items.push(item[1] ?? '');
        else if (next.trim() && /^\s{2,}/.test(next)) items[items.length - 1] += `\n${next.trim()}`;
        else break;
        index += 1;
      }
      blocks.push({ kind: 'list', ordered, items });
      continue;
    }
    const quote = QUOTE.exec(line);
    if (quote) {
      flush();
      const quoted = [quote[1] ?? ''];
      while (index + 1 < lines.length && QUOTE.test(lines[index + 1] ?? '')) {
        quoted.push(QUOTE.exec(lines[index + 1] ?? '')?.[1] ?? '');
        index += 1;
      }
      blocks.push({ kind: 'quote', text: quoted.join('\n') });
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return blocks;
}

// `code`, **bold** / __bold__, *italic* / _italic_, [text](http…); the first that starts earliest wins.
const INLINE = /`([^`]+)`|\*\*(.+?)\*\*|__(.+?)__|\*([^*\s][^*]*?)\*|(?<![\w])_([^_\s][^_]*?)_(?![\w])|\[([^\]]+)\]\(([^)\s]+)\)/g;

/** One line's inline Markdown as React nodes (text only). */
export function renderInline(text: string, keyPrefix = 'i'): ReactNode[] {
  const nodes: ReactNode[] = [];
  let last = 0;
  let count = 0;
  for (const match of text.matchAll(INLINE)) {
    const at = match.index;
    if (at > last) nodes.push(text.slice(last, at));
    const key = `${keyPrefix}-${count++}`;
    const [, code, bold, boldUnderscore, italic, italicUnderscore, linkText, href] = match;
    if (code !== undefined) nodes.push(<code key={key} className="rounded bg-panel-2 px-1 font-mono text-[0.92em]">{code}</code>);
    else if (bold !== undefined || boldUnderscore !== undefined) nodes.push(<strong key={key} className="font-semibold">{renderInline(bold ?? boldUnderscore ?? '', key)}</strong>);
    else if (italic !== undefined || italicUnderscore !== undefined) nodes.push(<em key={key}>{renderInline(italic ?? italicUnderscore ?? '', key)}</em>);
    else if (linkText !== undefined) {
      nodes.push(
        href && /^https?:\/\//i.test(href) ? (
          <a key={key} href={href} target="_blank" rel="noreferrer noopener" className="underline">
            {renderInline(linkText, key)}
          </a>
        ) : (
          <Fragment key={key}>{renderInline(linkText, key)}</Fragment>
        ),
      );
    }
    last = at + match[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

function lines(text: string, key: string): ReactNode[] {
  return text.split('\n').flatMap((line, index) => (index === 0 ? renderInline(line, `${key}-${index}`) : [<br key={`${key}-br-${index}`} />, ...renderInline(line, `${key}-${index}`)]));
}

const HEADING_CLASSES = ['text-[15px] font-semibold', 'text-[14px] font-semibold', 'text-[13px] font-semibold', 'text-[13px] font-medium', 'text-[13px] font-medium', 'text-[13px] font-medium'];

/** Renders Markdown as text blocks. */
export function Markdown({ source, className }: { source: string; className?: string }) {
  const blocks = parseBlocks(source);
  return (
    <div className={['space-y-2 text-[13px] leading-relaxed break-words', className].filter(Boolean).join(' ')} data-testid="markdown">
      {blocks.map((block, index) => {
        const key = `b${index}`;
        switch (block.kind) {
          case 'heading': {
            const level = Math.min(Math.max(block.level, 1), 6);
            const Tag = `h${Math.min(level + 2, 6)}` as 'h3' | 'h4' | 'h5' | 'h6';
            return (
              <Tag key={key} className={HEADING_CLASSES[level - 1]}>
                {renderInline(block.text, key)}
              </Tag>
            );
          }
          case 'list': {
            const Tag = block.ordered ? 'ol' : 'ul';
            return (
              <Tag key={key} className={block.ordered ? 'list-decimal space-y-0.5 pl-5' : 'list-disc space-y-0.5 pl-5'}>
                {block.items.map((item, itemIndex) => (
                  <li key={`${key}-${itemIndex}`}>{lines(item, `${key}-${itemIndex}`)}</li>
                ))}
              </Tag>
            );
          }
          case 'code':
            return (
              <pre key={key} tabIndex={0} className="overflow-auto rounded-md border border-line bg-panel-2 p-2 font-mono text-[12px]">
                {block.text}
              </pre>
            );
          case 'quote':
            return (
              <blockquote key={key} className="border-l-2 border-line pl-3 text-muted">
                {lines(block.text, key)}
              </blockquote>
            );
          default:
            return <p key={key}>{lines(block.text, key)}</p>;
        }
      })}
    </div>
  );
}
