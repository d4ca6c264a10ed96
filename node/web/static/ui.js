// ui.js — what the pages share: the session (`session`), notices, the
// confirmation dialog, form fields with their error slots, the words of an
// error, and navigation. Pages are functions that fill <main>; they build
// DOM nodes with util.el and never parse node text as HTML.

import { el, clear } from './util.js';
import { t } from './i18n.js';
import { ApiError } from './api.js';

// Who is in: {author, operator, profile: {name, site, role} | null}
export const session = { author: null, operator: false, profile: null };

export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// notice(text, kind): a message in the live region; errors stay until closed.
export function notice(text, kind = 'info') {
  const box = document.getElementById('notices');
  const close = el('button.close', { type: 'button', 'aria-label': t('close'), text: '×' });
  const n = el('div.notice.' + kind, { role: kind === 'error' ? 'alert' : null }, el('span', text), close);
  close.addEventListener('click', () => n.remove());
  if (kind !== 'error') for (const old of box.querySelectorAll('.notice.info')) old.remove(); // one message at a time
  box.appendChild(n);
  if (kind !== 'error') setTimeout(() => n.remove(), 6000);
  return n;
}

export function clearNotices() {
  for (const n of document.querySelectorAll('#notices .notice')) n.remove();
}

// The words for an error of the API or of the publish sequence.
export function errorText(e) {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('err_network');
    if (e.status === 401) return t('err_session');
    if (e.status === 502 || e.status === 503) return t('err_node_down') + (e.message ? ' (' + e.message + ')' : '');
    return e.message || e.errName;
  }
  return e && e.message ? e.message : String(e);
}

// confirmDialog({title, body: [nodes|strings], confirm, danger}): a modal
// <dialog>; Escape or Cancel resolves false, the confirm button true.
export function confirmDialog({ title, body, confirm, danger }) {
  return new Promise((resolve) => {
    const ok = el('button' + (danger ? '.danger' : '.primary'), { type: 'button', text: confirm || t('confirm') });
    const cancel = el('button', { type: 'button', text: t('cancel') });
    const d = el('dialog.confirm', { 'aria-labelledby': 'dlg-title' },
      el('h2#dlg-title', title), el('div.dlg-body', body || []), el('div.actions', cancel, ok));
    const done = (v) => {
      d.close();
      d.remove();
      resolve(v);
    };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    d.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      done(false);
    });
    document.body.appendChild(d);
    d.showModal();
    cancel.focus();
  });
}

let fieldSeq = 0;
// field(label, input, help): a labelled control with a slot for its error.
// Returns {wrap, input, setError(text|null)}.
export function field(label, input, help) {
  const id = input.id || 'f' + ++fieldSeq;
  input.id = id;
  const err = el('p.field-error', { id: id + '-err', hidden: true });
  const hint = help ? el('p.hint', { id: id + '-hint' }, help) : null;
  input.setAttribute('aria-describedby', [hint ? id + '-hint' : null, id + '-err'].filter(Boolean).join(' '));
  const wrap = el('div.field', el('label', { for: id }, label), hint, input, err);
  return {
    wrap,
    input,
    setError(text) {
      err.textContent = text || '';
      err.hidden = !text;
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

// A page heading that takes the focus when a page opens (screen readers and
// keyboard users start there).
export function heading(main, text, sub) {
  const h = el('h1', { tabindex: '-1' }, text);
  main.appendChild(h);
  if (sub) main.appendChild(el('p.lead', sub));
  return h;
}

// busy(button, promiseFn): disables BUTTON while the work runs.
export async function busy(button, fn) {
  const old = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = old;
  }
}

// An error box for a form: a list of what is wrong, focused when shown.
export function errorSummary() {
  const box = el('div.error-summary', { role: 'alert', tabindex: '-1', hidden: true });
  return {
    box,
    show(items) {
      clear(box);
      if (!items.length) {
        box.hidden = true;
        return;
      }
      box.hidden = false;
      box.appendChild(el('h2', t('form_errors')));
      box.appendChild(el('ul', items.map((x) => el('li', x))));
      box.focus();
    },
  };
}

export function displayName(author, name, site) {
  const who = name || t('someone') + ' ' + (author || '').slice(0, 8);
  return site ? who + ' (' + site + ')' : who;
}
