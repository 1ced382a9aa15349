// Static's Service Worker (opt-in: publish-config.json client.serviceWorker). Published at the stable path /sw.js
// (scope /). When the network is gone it serves the pages it has seen and the verified copies the browser
// module keeps in the Cache API; with the network up it stays out of the way.
//   - navigations: network first; a page that loads is kept; offline, the kept copy (else /404.html if kept)
//   - /_immutable/* and /_manifest/*: content-addressed, so the cached copy is always right: cache first
//   - anything else (the manifest root, the Api, /stock): straight to the network
const PAGES = 'static-pages-v1';
const VERIFIED = 'static-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// The module reports the page it runs on and its own URL, so the first visit works offline too.
self.addEventListener('message', (event) => {
  const urls = event.data?.type === 'seen' && Array.isArray(event.data.urls) ? event.data.urls : [];
  event.waitUntil(Promise.all(urls.filter(sameOrigin).map((url) => keep(url))));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !sameOrigin(request.url)) return;
  const path = new URL(request.url).pathname;
  if (request.mode === 'navigate') {
    event.respondWith(page(request));
  } else if (path.startsWith('/_immutable/') || path.startsWith('/_manifest/')) {
    event.respondWith(immutable(request));
  }
});

function sameOrigin(url) {
  return new URL(url, self.location.href).origin === self.location.origin;
}

async function keep(url) {
  try {
    const response = await fetch(url, { cache: 'no-cache' });
    if (response.ok) {
      const path = new URL(url).pathname;
      const name = path.startsWith('/_immutable/') ? VERIFIED : PAGES;
      await (await caches.open(name)).put(path.startsWith('/_immutable/') ? url : stripQuery(url), response);
    }
  } catch {
    // Offline already: nothing to keep.
  }
}

const stripQuery = (url) => url.split('?')[0].split('#')[0];

async function page(request) {
  const pages = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    if (response.ok) await pages.put(stripQuery(request.url), response.clone());
    return response;
  } catch (error) {
    const kept = (await pages.match(stripQuery(request.url))) ?? (await pages.match(new URL('/404.html', self.location.href).href));
    if (kept) return kept;
    throw error;
  }
}

async function immutable(request) {
  const kept = await caches.match(request.url, { ignoreSearch: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).pathname.startsWith('/_immutable/') && (request.destination === 'script' || request.destination === 'style')) {
    // Scripts and styles are checked by their integrity attribute; data the module verifies and keeps itself.
    await (await caches.open(VERIFIED)).put(request.url, response.clone());
  }
  return response;
}
