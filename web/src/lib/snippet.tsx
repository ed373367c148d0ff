// A search hit's snippet: the node marks each match between « and »; the console shows
// them as <mark>. The snippet is text and stays text: it is split into strings that React
// escapes, never parsed as HTML.
export interface SnippetPart {
  text: string;
  match: boolean;
}

/**
 * The snippet as runs of plain and matched text. A « inside a match, or a » outside one,
 * is kept as a character; a match the snippet cut off before its » runs to the end.
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let current = '';
  let match = false;
  const flush = () => {
    if (!current) return;
    const last = parts[parts.length - 1];
    if (last && last.match === match) last.text += current;
    else parts.push({ text: current, match });
    current = '';
  };
  for (const character of snippet) {
    if (character === '«' && !match) {
      flush();
      match = true;
    } else if (character === '»' && match) {
      flush();
      match = false;
    } else {
      current += character;
    }
  }
  flush();
  return parts;
}

/** The snippet with its matches highlighted. */
export function Snippet({ text, className }: { text: string; className?: string }) {
  return (
    <span className={className}>
      {snippetParts(text).map((part, index) =>
        part.match ? (
          <mark key={index} className="rounded-sm bg-amber-200/80 px-0.5 text-fg dark:bg-amber-400/30">
            {part.text}
          </mark>
        ) : (
          <span key={index}>{part.text}</span>
        ),
      )}
    </span>
  );
}
