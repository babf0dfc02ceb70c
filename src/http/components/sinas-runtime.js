/* global window, document, fetch, CustomEvent, history */
// The component runtime of the render page, served by the platform (no CDN): it reads the page's
// configuration (a JSON data block, not a script), provides the modules a compiled component may
// import through `require` (React from the platform's own node_modules, the SDK and UI below), and
// receives the caller's credential: from the parent frame (`sinas:auth`) or a `#auth=` fragment.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('sinas-config').textContent);
  window.__SINAS_CONFIG__ = config;
  window.__SINAS_AUTH_TOKEN__ = null;

  function authenticated(token) {
    window.__SINAS_AUTH_TOKEN__ = token;
    window.dispatchEvent(new CustomEvent('sinas:authenticated'));
  }
  window.addEventListener('message', function (event) {
    if (event.data && event.data.type === 'sinas:auth' && typeof event.data.token === 'string')
      authenticated(event.data.token);
  });
  var hash = window.location.hash;
  if (hash.indexOf('#auth=') === 0) {
    window.__SINAS_AUTH_TOKEN__ = decodeURIComponent(hash.substring(6));
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }

  var component = config.component.namespace + '/' + config.component.name;
  function call(path, body) {
    var headers = { 'Content-Type': 'application/json' };
    var token = window.__SINAS_AUTH_TOKEN__;
    if (token)
      headers[token.indexOf('eyJ') === 0 ? 'Authorization' : 'X-API-Key'] =
        token.indexOf('eyJ') === 0 ? 'Bearer ' + token : token;
    return fetch(config.apiBase + '/components/' + component + '/proxy/' + path, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw Object.assign(new Error(data.detail || res.statusText), { status: res.status });
        return data;
      });
    });
  }
  function ref(r) {
    return r.split('/').map(encodeURIComponent).join('/');
  }

  var React = window.React;
  var SinasSDK = {
    config: config,
    input: config.input,
    executeQuery: function (query, input) {
      return call('queries/' + ref(query) + '/execute', { input: input || {} });
    },
    executeFunction: function (fn, input) {
      return call('functions/' + ref(fn) + '/execute', { input: input || {} });
    },
    state: function (store, body) {
      return call('states/' + ref(store), body);
    },
    /** a React hook: runs the query once (and when `input` changes), with loading and error */
    useQuery: function (query, input) {
      var key = JSON.stringify(input || {});
      var st = React.useState({ loading: true, data: null, error: null });
      React.useEffect(
        function () {
          SinasSDK.executeQuery(query, input).then(
            function (r) {
              st[1]({ loading: false, data: r.data, error: null });
            },
            function (e) {
              st[1]({ loading: false, data: null, error: e.message });
            },
          );
        },
        [query, key],
      );
      return st[0];
    },
  };
  function el(tag, cls) {
    return function (props) {
      return React.createElement(tag, Object.assign({}, props, { className: cls }), props.children);
    };
  }
  var SinasUI = {
    Card: el('div', 'sinas-card'),
    Button: el('button', 'sinas-button'),
    Text: el('p', 'sinas-text'),
  };
  var jsx = function (type, props, key) {
    return React.createElement(type, key === undefined ? props : Object.assign({}, props, { key: key }));
  };
  var modules = {
    react: React,
    'react/jsx-runtime': { jsx: jsx, jsxs: jsx, Fragment: React.Fragment },
    'react-dom': window.ReactDOM,
    'react-dom/client': window.ReactDOM,
    '@sinas/sdk': SinasSDK,
    '@sinas/ui': SinasUI,
  };
  window.SinasSDK = SinasSDK;
  window.SinasUI = SinasUI;
  window.require = function (name) {
    if (Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
    throw new Error('module not available to components: ' + name);
  };
})();
