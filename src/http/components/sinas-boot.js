/* global window, document */
// Renders the compiled component (the bundle set `window.__SinasComponent__`) with the page's
// `input` as props inside a card. Embedded in a frame, it first tells the parent it is ready and
// waits up to 3 seconds for `sinas:auth`; opened directly, it renders at once.
(function () {
  'use strict';
  var config = window.__SINAS_CONFIG__;
  var root = document.getElementById('root');
  function boot() {
    if (boot.done) return;
    boot.done = true;
    var Component = window.__SinasComponent__;
    if (typeof Component !== 'function' && typeof Component !== 'object') {
      root.textContent = 'The component has no default export to render.';
      return;
    }
    var React = window.React;
    var card = React.createElement(window.SinasUI.Card, null, React.createElement(Component, config.input));
    window.ReactDOM.createRoot(root).render(card);
    root.setAttribute('data-sinas-rendered', 'true');
  }
  if (window.parent !== window && !window.__SINAS_AUTH_TOKEN__) {
    window.addEventListener('sinas:authenticated', boot, { once: true });
    window.parent.postMessage(
      { type: 'sinas:ready', component: config.component.namespace + '/' + config.component.name },
      '*',
    );
    window.setTimeout(boot, 3000);
  } else boot();
})();
