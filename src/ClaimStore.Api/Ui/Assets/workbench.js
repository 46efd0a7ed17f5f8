// The workbench's only script: live regions that follow the SSE feeds, pickers that redraw, and the
// record-claim form. Pages work without it, except live updates and recording.
(() => {
  'use strict';
  const KEY_COOKIE = 'ClaimStore-Key';

  const apiKey = () => {
    const entry = document.cookie.split('; ').find(c => c.startsWith(KEY_COOKIE + '='));
    return entry ? decodeURIComponent(entry.slice(KEY_COOKIE.length + 1)) : null;
  };

  // Live: re-render the page on the server and swap in its [data-live] regions, without a reload.
  const live = document.querySelectorAll('[data-live][id]');
  if (live.length && 'EventSource' in window) {
    const status = document.getElementById('live-status');
    let pending = null;
    const refresh = () => {
      pending = null;
      fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
        .then(response => response.ok ? response.text() : Promise.reject(response.status))
        .then(html => {
          const next = new DOMParser().parseFromString(html, 'text/html');
          live.forEach(region => {
            const fresh = next.getElementById(region.id);
            if (fresh) region.innerHTML = fresh.innerHTML;
          });
          if (status) status.textContent = 'Live: updated at ' + new Date().toLocaleTimeString();
        })
        .catch(() => { if (status) status.textContent = 'Live: could not update; reload the page.'; });
    };
    const schedule = () => { if (!pending) pending = setTimeout(refresh, 150); };
    const names = ['message', 'contradiction-opened', 'contradiction-updated', 'contradiction-withdrawn',
      'ClaimRecorded', 'ClaimRetracted', 'ActorRegistered', 'ActorProfileChanged',
      'claim_recorded', 'claim_retracted', 'actor_registered', 'actor_profile_changed'];
    const feeds = new Set();
    live.forEach(region => (region.dataset.feeds || '').split(' ').filter(Boolean).forEach(f => feeds.add(f)));
    feeds.forEach(url => {
      const source = new EventSource(url);
      names.forEach(name => source.addEventListener(name, schedule));
    });
  }

  // Pickers: a changed date redraws the page at once (the Show button does the same by keyboard).
  document.querySelectorAll('form[data-autosubmit]').forEach(form =>
    form.addEventListener('change', () => form.requestSubmit()));

  // Record a claim: the same POST clients make, with the session's key as X-Api-Key.
  document.querySelectorAll('form[data-record-claim]').forEach(form => {
    const status = form.querySelector('.form-status');
    form.addEventListener('submit', event => {
      event.preventDefault();
      const data = new FormData(form);
      const claim = {};
      for (const [name, value] of data.entries()) {
        if (String(value).trim() !== '') claim[name] = String(value).trim();
      }
      if (claim.statedAt && !/[zZ]|[+-]\d\d:\d\d$/.test(claim.statedAt)) {
        claim.statedAt += (claim.statedAt.length === 16 ? ':00' : '') + 'Z';
      }
      const headers = { 'Content-Type': 'application/json' };
      const key = apiKey();
      if (key) headers['X-Api-Key'] = key;
      status.textContent = 'Recording…';
      fetch(form.action, { method: 'POST', headers, body: JSON.stringify(claim), credentials: 'same-origin' })
        .then(response => response.json().then(body => ({ response, body })))
        .then(({ response, body }) => {
          if (response.ok) {
            status.textContent = 'Recorded as version ' + body.version + '. Reload to see it on the page.';
            form.reset();
          } else {
            const errors = body.errors ? Object.entries(body.errors).map(([f, m]) => f + ': ' + m.join(' ')) : [];
            status.textContent = (body.detail || body.title || 'Not recorded.') + ' ' + errors.join(' ');
          }
        })
        .catch(() => { status.textContent = 'Not recorded: the host did not answer.'; });
    });
  });
})();
