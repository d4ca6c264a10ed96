// db.js — the page's IndexedDB database: the person's key (`keys`), the
// entry signed but not yet known to be stored (`pending`, one per author),
// and what a node last acknowledged per author (`acked`: the publish
// sequence's step 4). IndexedDB is per origin, so two sites' servers on one
// host keep apart. Every call opens one transaction and resolves when it
// commits, so "written before sending" means on disk.

const NAME = 'raison-web';
const VERSION = 1;
let opened = null;

function open() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      for (const s of ['keys', 'pending', 'acked']) if (!db.objectStoreNames.contains(s)) db.createObjectStore(s);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('the page is open in an older tab: close it'));
  });
  return opened;
}

async function tx(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode, { durability: 'strict' });
    let result;
    const req = fn(t.objectStore(store));
    if (req) req.onsuccess = () => { result = req.result; };
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
}

export const dbGet = (store, key) => tx(store, 'readonly', (s) => s.get(key));
export const dbPut = (store, key, value) => tx(store, 'readwrite', (s) => s.put(value, key));
export const dbDelete = (store, key) => tx(store, 'readwrite', (s) => s.delete(key));
