// util.js — small helpers every module of the page shares: hex and base64,
// building DOM nodes (text only: whatever comes from the node is put in the
// page with textContent, never parsed as HTML), and formatting.

export function hex(u8) {
  let s = '';
  for (const b of u8) s += b.toString(16).padStart(2, '0');
  return s;
}

export function unhex(s) {
  if (typeof s !== 'string' || s.length % 2 || /[^0-9a-f]/i.test(s)) throw new RangeError('not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

// Standard base64 with padding (the server's sodium_base64_VARIANT_ORIGINAL).
export function b64(u8) {
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
}

export function unb64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function sha256(u8) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', u8));
}

// el('tag.class#id', {attr: v, on: {click: f}}, ...children): a DOM element.
// Strings among the children become text nodes, so node text is never HTML.
export function el(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(spec);
  if (!m) throw new Error('bad element spec ' + spec);
  const svg = ['svg', 'rect', 'g', 'text', 'line', 'title', 'polyline', 'path'].includes(m[1]);
  const e = svg ? document.createElementNS('http://www.w3.org/2000/svg', m[1]) : document.createElement(m[1]);
  for (const part of m[2].match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') e.classList.add(part.slice(1));
    else e.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else if (k === 'text') e.textContent = String(v);
    else if (k in e && !svg && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else if (c instanceof Node) e.appendChild(c);
    else e.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function short(hexId) {
  return hexId ? hexId.slice(0, 12) : '';
}

export function fmtTime(ms, lang) {
  if (!ms) return '';
  return new Date(Number(ms)).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

export function fmtDay(day, lang) {
  return new Date(day * 86400000).toLocaleDateString(lang === 'fr' ? 'fr-FR' : 'en-GB', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

// A promise that resolves after ms milliseconds.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// pageSize(n): N items per page, unless the browser test asked for smaller
// pages (localStorage 'raison-test-page-size', 1..500) to page through a
// short list.
export function pageSize(n) {
  try {
    const t = Number(localStorage.getItem('raison-test-page-size'));
    return t >= 1 && t <= 500 ? t : n;
  } catch {
    return n;
  }
}

// inView(node): whether NODE is shown and within the viewport (a list's
// "more" button: when it still is after a page came, the next page comes too).
export function inView(node) {
  if (!node || node.hidden || !node.isConnected) return false;
  const r = node.getBoundingClientRect();
  return r.bottom >= 0 && r.top <= (window.innerHeight || document.documentElement.clientHeight);
}
