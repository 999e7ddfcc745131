// Theme before first paint (see shared/src/theme.ts for the live switch).
(function () {
  var choice = 'system';
  try { choice = localStorage.getItem('smsgate.theme') || 'system'; } catch (e) {}
  var dark = choice === 'dark' || (choice === 'system' && window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
})();
