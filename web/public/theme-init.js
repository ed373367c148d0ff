// Applies the saved theme before the first paint (a file, not an inline script: the node's
// Content-Security-Policy allows scripts from its own origin only).
(function () {
  try {
    var stored = JSON.parse(localStorage.getItem('companyos-ui') || '{}');
    var theme = (stored.state && stored.state.theme) || 'system';
    var dark = theme === 'dark' || (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.classList.toggle('dark', dark);
  } catch (error) {
    // no stored theme: the console applies the system's
  }
})();
