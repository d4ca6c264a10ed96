// api.js — the page's calls to `raison web` (docs/web.md): JSON over fetch,
// same origin, the session cookie the server set. A failure throws an
// ApiError carrying the HTTP status and the node's error name when there is
// one, so pages can say what went wrong in words (and the publish sequence
// can tell "the node refused" from "the network failed").

export class ApiError extends Error {
  constructor(status, name, message, code) {
    super(message || name || 'HTTP ' + status);
    this.status = status; // 0: no answer (network down, server stopped)
    this.errName = name || '';
    this.code = code || 0;
  }
}

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message ? e.message : e));
  }
  let doc = null;
  const text = await res.text();
  try {
    doc = text ? JSON.parse(text) : null;
  } catch {
    doc = null;
  }
  if (!res.ok) {
    const err = doc && doc.error ? doc.error : {};
    throw new ApiError(res.status, err.name || 'web', err.message || text.slice(0, 200) || res.statusText, err.code);
  }
  return doc;
}

// get('groups', {limit: 20}): GET /api/groups?limit=20 (empty values left out)
export function get(name, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return call('GET', '/api/' + name + (qs ? '?' + qs : ''));
}

export function post(name, body) {
  return call('POST', '/api/' + name, body || {});
}
