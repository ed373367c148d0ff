import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from '@testing-library/react';
import { Snippet, snippetParts } from './snippet';

afterEach(cleanup);

describe('a search snippet', () => {
  it('is split into plain and matched runs at « and »', () => {
    expect(snippetParts('…fix the «login» page «Login»s…')).toEqual([
      { text: '…fix the ', match: false },
      { text: 'login', match: true },
      { text: ' page ', match: false },
      { text: 'Login', match: true },
      { text: 's…', match: false },
    ]);
    expect(snippetParts('')).toEqual([]);
    expect(snippetParts('no match at all')).toEqual([{ text: 'no match at all', match: false }]);
  });

  it('keeps a stray » as text, and runs a match cut off before its » to the end', () => {
    expect(snippetParts('a » b «c « d')).toEqual([
      { text: 'a » b ', match: false },
      { text: 'c « d', match: true },
    ]);
    expect(snippetParts('««x»»')).toEqual([
      { text: '«x', match: true },
      { text: '»', match: false },
    ]);
  });

  it('shows the matches as <mark> and everything else as text, never as HTML', () => {
    const { container } = render(<Snippet text={'<img src=x onerror="alert(1)"> «<b>deploy</b>» <script>alert(2)</script>'} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    const marks = container.querySelectorAll('mark');
    expect(marks).toHaveLength(1);
    expect(marks[0]).toHaveTextContent('<b>deploy</b>');
    expect(container).toHaveTextContent('<img src=x onerror="alert(1)"> <b>deploy</b> <script>alert(2)</script>');
  });
});
