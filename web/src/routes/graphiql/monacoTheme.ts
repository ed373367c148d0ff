// GraphiQL's dark editor theme with comments readable on its background (axe
// color-contrast: Monaco's vs-dark comment green is 3:1 there). GraphiQL defines its
// themes when it loads Monaco (and exposes it as globalThis.__MONACO); the dark one is
// defined again here, GraphiQL's colours kept (from @graphiql/react's constants).
import type * as Monaco from 'monaco-editor';

const DARK = {
  primary: '#ff5794',
  primaryBg: '#ff579419',
  secondary: '#b7c2d711',
  bg: '#212a3b',
};

function darkTheme(): Monaco.editor.IStandaloneThemeData {
  return {
    base: 'vs-dark',
    inherit: true,
    colors: {
      'editor.background': '#ffffff00',
      'scrollbar.shadow': '#ffffff00',
      'textLink.foreground': DARK.primary,
      'textLink.activeForeground': DARK.primary,
      'editorLink.activeForeground': DARK.primary,
      'editorHoverWidget.background': DARK.bg,
      'list.hoverBackground': DARK.primaryBg,
      'list.highlightForeground': DARK.primary,
      'list.focusHighlightForeground': DARK.primary,
      'menu.background': DARK.bg,
      'editorSuggestWidget.background': DARK.bg,
      'editorSuggestWidget.selectedBackground': DARK.primaryBg,
      'editorSuggestWidget.selectedForeground': DARK.primary,
      'quickInput.background': DARK.bg,
      'quickInputList.focusForeground': '#ffffff',
      'highlighted.label': DARK.primary,
      'quickInput.widget': DARK.primary,
      highlight: DARK.primary,
      'editorWidget.background': DARK.bg,
      'input.background': DARK.secondary,
      focusBorder: DARK.primary,
      'toolbar.hoverBackground': DARK.primaryBg,
      'inputOption.hoverBackground': DARK.primaryBg,
      'quickInputList.focusBackground': DARK.primaryBg,
      'editorWidget.resizeBorder': DARK.primary,
      'pickerGroup.foreground': DARK.primary,
      'menu.selectionBackground': DARK.primaryBg,
      'menu.selectionForeground': DARK.primary,
      'editorLineNumber.foreground': '#a3acb9',
      'editorLineNumber.activeForeground': '#e5e7eb',
    },
    rules: [
      { token: 'argument.identifier.gql', foreground: '#a9a4ff' },
      { token: 'comment', foreground: '#a3b8a0' },
      { token: 'comment.gql', foreground: '#a3b8a0' },
    ],
  };
}

/** Redefines GraphiQL's dark theme as soon as GraphiQL has loaded Monaco. */
export function improveDarkTheme(): () => void {
  let stopped = false;
  const apply = () => {
    if (stopped) return;
    const monaco = (globalThis as { __MONACO?: typeof Monaco }).__MONACO;
    if (!monaco) {
      window.setTimeout(apply, 100);
      return;
    }
    monaco.editor.defineTheme('graphiql-DARK', darkTheme());
  };
  apply();
  return () => {
    stopped = true;
  };
}
