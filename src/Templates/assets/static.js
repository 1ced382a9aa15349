// Static's browser module (docs/clients.md). Dependency-free; published content-addressed and immutable, and
// referenced by every page with its integrity hash.
//
// It reads the CDN first and keeps what it has verified: the manifest root (with its ETag), the shards it has
// used and the entries it has used, each body checked with SubtleCrypto SHA-256 against the manifest before use
// and kept in the Cache API under its immutable URL. On focus and every `static-refresh` seconds it sends one
// conditional request for /manifest.json; on a new version it refetches only the held shards whose hash changed
// and, in them, only the held entries whose hash changed. On a network error, a 5xx or a hash mismatch it asks
// the Api (`static-api`) instead.
//
// Events (on the client and, as `static:<name>`, on document):
//   change      {version, paths}    held paths whose bytes changed in a new version
//   fallback    {url, reason}       the CDN failed for url; the Api was asked
//   unverified  {path, reason}      bytes that could not be verified were used (no verified copy was held)
//   stale       {path, reason}      the Api's answer did not match the manifest; the held verified copy was kept
//   format      {format}            unknown manifest format: stable paths only, unverified
//   offline     {reason}            neither the CDN nor the Api answered; serving what was verified

const FORMAT = 1;
const CACHE = 'static-v1';
const STATE_KEY = 'static:v2:state';

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

/** SHA-256 of bytes, lower-case hex. */
export async function sha256(bytes) {
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

const extensionOf = (path) => {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') ? path.slice(dot) : '';
};

class HttpError extends Error {
  constructor(status, url) {
    super(`${status} from ${url}`);
    this.status = status;
  }
}

export class StaticClient extends EventTarget {
  /**
   * @param {{cdnBase?: string, apiBase?: string, storage?: Storage}} options
   *   cdnBase: where the published site is (default: this page's origin); apiBase: the Api ('' for none).
   */
  constructor({ cdnBase = location.origin, apiBase = '', storage = globalThis.localStorage } = {}) {
    super();
    this.cdnBase = cdnBase.replace(/\/$/, '');
    this.apiBase = apiBase.replace(/\/$/, '');
    this.storage = storage;
    this.state = this.#load();
    this.memory = new Map(); // unverified bodies used this session, never persisted
    this.refreshing = null;
  }

  /** The held manifest root (null before the first refresh). */
  get root() {
    return this.state.root;
  }

  /** True when the root's format is unknown: stable paths only. */
  get manifestless() {
    return this.state.root !== null && this.state.root.format !== FORMAT;
  }

  /**
   * One conditional request for /manifest.json; on a new version, refetches the held shards and entries that
   * changed. Concurrent calls share one request. Resolves to {version, paths} (paths: held paths that changed).
   */
  refresh() {
    this.refreshing ??= this.#refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Verified bytes of a published stable path (e.g. /products/7.json). `shard` is the manifest shard holding it. */
  async get(path, shard) {
    if (this.state.root === null) {
      await this.refresh();
    }

    if (this.manifestless || this.state.root === null) {
      return this.#unverified(path, this.manifestless ? 'unknown manifest format' : 'no manifest');
    }

    const entries = await this.#shard(shard);
    const expected = entries?.[path];
    if (!expected) {
      throw new Error(`${path} is not in shard ${shard} of version ${this.state.root.version}`);
    }

    const held = this.state.entries[path]?.[0];
    if (held === expected) {
      const cached = await this.#cached(this.#immutable(expected, path));
      if (cached) {
        return cached;
      }
    }

    return this.#fetchEntry(path, expected, shard);
  }

  /** `get` parsed as JSON. */
  async json(path, shard) {
    return JSON.parse(new TextDecoder().decode(await this.get(path, shard)));
  }

  /**
   * A dynamic read (/stock, listing pages 2 and on): not in the manifest, so neither verified nor kept past its
   * Cache-Control. CDN first, then the Api.
   */
  async dynamic(path) {
    try {
      return await this.#fetch(this.cdnBase + path);
    } catch (error) {
      if (!this.apiBase) throw error;
      this.#emit('fallback', { url: path, reason: String(error.message ?? error) });
      return this.#fetch(this.apiBase + path);
    }
  }

  async #refresh() {
    const previous = this.state.root;
    let response;
    try {
      response = await this.#tryBoth('/manifest.json', { 'If-None-Match': this.state.etag ?? '' }, true);
    } catch (error) {
      this.#emit('offline', { reason: String(error.message ?? error) });
      return { version: previous?.version ?? null, paths: [] };
    }

    if (response.status === 304) {
      return { version: previous?.version ?? null, paths: [] };
    }

    const root = JSON.parse(new TextDecoder().decode(response.bytes));
    if (root.format !== FORMAT) {
      this.state = { etag: response.etag, root, shards: {}, entries: {} };
      this.#save();
      this.#emit('format', { format: root.format });
      return { version: root.version ?? null, paths: [] };
    }

    if (previous && previous.format === FORMAT && root.version <= previous.version) {
      // Versions only move forward: an older root (a lagging cache) is ignored.
      return { version: previous.version, paths: [] };
    }

    // Held entries are [sha256, shard]; only those in a shard whose hash changed can have changed.
    const changed = [];
    const shards = {};
    for (const [name, hash] of Object.entries(this.state.shards)) {
      const now = root.shards[name];
      if (now === hash) {
        shards[name] = hash;
        continue;
      }

      let fresh = null;
      if (now) {
        try {
          fresh = await this.#fetchShard(root, name, now);
          shards[name] = now;
        } catch {
          continue; // kept as it was: the next read retries, and meanwhile serves the verified copy
        }
      }

      for (const [path, [sha, shard]] of Object.entries(this.state.entries)) {
        if (shard !== name) continue;
        const next = fresh?.entries?.[path];
        if (next === sha) continue;
        changed.push(path);
        if (!next) {
          delete this.state.entries[path]; // removed from the catalog
          continue;
        }

        try {
          await this.#fetchEntry(path, next, name, root);
        } catch {
          // Unreachable now; the next read of the path tries again.
        }
      }
    }

    this.state = { etag: response.etag, root, shards, entries: this.state.entries };
    this.#save();
    if (changed.length > 0) {
      this.#emit('change', { version: root.version, paths: changed });
    }

    return { version: root.version, paths: changed };
  }

  async #shard(name) {
    const root = this.state.root;
    const hash = root.shards[name];
    if (!hash) return null;
    if (this.state.shards[name] === hash) {
      const cached = await this.#cachedJson(this.#shardUrl(root, name, hash));
      if (cached) return cached.entries;
    }

    const shard = await this.#fetchShard(root, name, hash);
    this.state.shards[name] = hash;
    this.#save();
    return shard.entries;
  }

  async #fetchShard(root, name, hash) {
    const url = this.#shardUrl(root, name, hash);
    const bytes = await this.#verified(url, url, async (b) => (await sha256(b)).startsWith(hash));
    if (!bytes) {
      throw new Error(`shard ${name}.${hash}: neither the CDN nor the Api served bytes matching the manifest`);
    }

    await this.#put(url, bytes, 'application/json');
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  /** Fetches one entry: its immutable URL from the CDN, else the Api's stable path; verified against sha. */
  async #fetchEntry(path, sha, shard, root = this.state.root) {
    const url = this.#immutable(sha, path, root);
    const bytes = await this.#verified(url, path, async (b) => (await sha256(b)) === sha);
    if (bytes) {
      await this.#put(url, bytes, null);
      this.state.entries[path] = [sha, shard];
      this.#save();
      return bytes;
    }

    // Neither matched. The Api may be ahead of the last publish: use its answer only without a verified copy.
    const heldSha = this.state.entries[path]?.[0];
    const held = heldSha ? await this.#cached(this.#immutable(heldSha, path, root)) : null;
    if (held) {
      this.#emit('stale', { path, reason: 'no source served bytes matching the manifest; kept the verified copy' });
      return held;
    }

    return this.#unverified(path, 'no source served bytes matching the manifest');
  }

  /**
   * CDN first (cdnUrl), then the Api (apiPath). Returns the first body that passes `check`, or null; a body that
   * fails is never returned.
   */
  async #verified(cdnUrl, apiPath, check) {
    try {
      const bytes = await this.#fetch(this.cdnBase + cdnUrl);
      if (await check(bytes)) return bytes;
      this.#emit('fallback', { url: cdnUrl, reason: 'hash mismatch' });
    } catch (error) {
      this.#emit('fallback', { url: cdnUrl, reason: String(error.message ?? error) });
    }

    if (!this.apiBase) return null;
    try {
      const bytes = await this.#fetch(this.apiBase + apiPath);
      if (await check(bytes)) return bytes;
      this.lastApiBody = { path: apiPath, bytes };
    } catch {
      this.lastApiBody = null;
    }
    return null;
  }

  async #unverified(path, reason) {
    let bytes = this.lastApiBody?.path === path ? this.lastApiBody.bytes : null;
    if (!bytes) {
      const response = await this.#tryBoth(path, {}, false);
      bytes = response.bytes;
    }

    this.memory.set(path, bytes);
    this.#emit('unverified', { path, reason });
    return bytes;
  }

  /** GET from the CDN, then the Api on a network error or 5xx. Returns {status, etag, bytes}. */
  async #tryBoth(path, headers, allow304) {
    try {
      return await this.#request(this.cdnBase + path, headers, allow304);
    } catch (error) {
      if (!this.apiBase || (error instanceof HttpError && error.status < 500)) throw error;
      this.#emit('fallback', { url: path, reason: String(error.message ?? error) });
      return this.#request(this.apiBase + path, headers, allow304);
    }
  }

  async #request(url, headers, allow304) {
    const sent = {};
    for (const [k, v] of Object.entries(headers)) if (v) sent[k] = v;
    // no-store: the module does its own revalidation, so a 304 reaches it as a 304.
    const response = await fetch(url, { headers: sent, cache: 'no-store', mode: 'cors', credentials: 'omit' });
    if (response.status === 304 && allow304) {
      return { status: 304, etag: response.headers.get('ETag'), bytes: null };
    }
    if (!response.ok) throw new HttpError(response.status, url);
    return { status: response.status, etag: response.headers.get('ETag'), bytes: await response.arrayBuffer() };
  }

  async #fetch(url) {
    return (await this.#request(url, {}, false)).bytes;
  }

  #shardUrl(root, name, hash) {
    return root.shardUrl.replace('{shard}', name).replace('{hash}', hash);
  }

  #immutable(sha, path, root = this.state.root) {
    return root.immutableUrl.replace('{sha256}', sha).replace('{ext}', extensionOf(path));
  }

  async #cache() {
    return globalThis.caches ? caches.open(CACHE) : null;
  }

  async #put(url, bytes, type) {
    const cache = await this.#cache();
    await cache?.put(url, new Response(bytes, { headers: type ? { 'Content-Type': type } : {} }));
  }

  async #cached(url) {
    const cache = await this.#cache();
    const hit = await cache?.match(url);
    return hit ? hit.arrayBuffer() : null;
  }

  async #cachedJson(url) {
    const bytes = await this.#cached(url);
    return bytes ? JSON.parse(new TextDecoder().decode(bytes)) : null;
  }

  #load() {
    try {
      const saved = JSON.parse(this.storage?.getItem(STATE_KEY) ?? 'null');
      if (saved && typeof saved === 'object' && saved.shards && saved.entries) return saved;
    } catch {
      // A broken saved state starts again from the root.
    }
    return { etag: null, root: null, shards: {}, entries: {} };
  }

  #save() {
    try {
      this.storage?.setItem(STATE_KEY, JSON.stringify(this.state));
    } catch {
      // Storage full or unavailable: the module still works, it only refetches more after a restart.
    }
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
    globalThis.document?.dispatchEvent(new CustomEvent(`static:${name}`, { detail }));
  }
}

// ---- The published pages: update names, prices and listings in place when a new version appears. ----

const meta = (name) => globalThis.document?.querySelector(`meta[name="static-${name}"]`)?.content ?? null;

// The documents carry the price as the site writes it (priceText, site.locale); older ones only the amount.
const price = (p) => p.priceText ?? `${Number(p.price).toFixed(2)} ${p.currency}`;

// Listing thumbnails, built as the templates build them (src/Templates/Views/_Picture.cshtml, PictureModel.cs),
// attribute for attribute, so an unchanged list compares equal and is left alone.
const EAGER_THUMBNAILS = 4;
const THUMBNAIL_SIZES = '(max-width: 30rem) calc(100vw - 3.5rem), (max-width: 48rem) calc(50vw - 2.5rem), 17rem';

// Items are built in an inert document: its images load nothing until a changed list is put into the page.
let inertDocument = null;
const inert = () => (inertDocument ??= document.implementation.createHTMLDocument(''));

function picture(image, alt, lazy) {
  const make = (tag, attributes) => {
    const el = inert().createElement(tag);
    for (const [name, value] of attributes) el.setAttribute(name, String(value));
    return el;
  };
  const pic = inert().createElement('picture');
  pic.append(
    make('source', [['type', 'image/webp'], ['srcset', image.webpSrcset], ['sizes', THUMBNAIL_SIZES]]),
    make('img', [['src', image.src], ['srcset', image.srcset], ['sizes', THUMBNAIL_SIZES], ['width', image.width], ['height', image.height],
      ['alt', alt], ['loading', lazy ? 'lazy' : 'eager'], ['decoding', 'async']]));
  return pic;
}

function listItem(p, index = 0) {
  const li = inert().createElement('li');
  li.dataset.product = String(p.id);
  const a = inert().createElement('a');
  a.href = `/products/${p.id}.html`;
  a.textContent = p.name;
  const span = inert().createElement('span');
  span.className = 'price';
  span.dataset.currency = p.currency;
  span.textContent = price(p);
  if (p.image && typeof p.image === 'object') li.append(picture(p.image, p.name, index >= EAGER_THUMBNAILS));
  li.append(a, ' ', span);
  return li;
}

/** Applies a verified data document to the page (textContent only: nothing is parsed as HTML). */
export function render(kind, doc) {
  if (kind === 'product') {
    const set = (field, text) => {
      const el = document.querySelector(`[data-field="${field}"]`);
      if (el && el.textContent !== text) el.textContent = text;
    };
    set('name', doc.name);
    set('price', price(doc));
    set('description', doc.description);
    const title = document.title.split(' · ');
    if (title.length === 2 && title[0] !== doc.name) document.title = `${doc.name} · ${title[1]}`;
    return;
  }

  const list = document.querySelector(kind === 'home' ? '[data-list="featured"]' : '[data-list="products"]');
  const items = kind === 'home' ? doc.featured : doc.products;
  if (!list || !Array.isArray(items)) return;
  const stock = new Map([...list.querySelectorAll('li[data-product]')].map((li) => [li.dataset.product, li.querySelector('.stock')]));
  const fresh = items.map((p, i) => {
    const li = listItem(p, i);
    const badge = stock.get(String(p.id));
    // A copy of the page's badge (moving it would change the item being compared with, so the list would always be replaced).
    if (kind === 'home') li.append(' ', badge ? badge.cloneNode(true) : Object.assign(document.createElement('span'), { className: 'stock' }));
    if (kind === 'home') li.lastChild.dataset.product = String(p.id);
    return li;
  });
  const same = fresh.length === list.children.length && fresh.every((li, i) => li.outerHTML === list.children[i].outerHTML);
  if (!same) list.replaceChildren(...fresh);
}

/**
 * Stock badges (`.stock[data-product]`): one dynamic read of the Api's /stock (through the edge, which passes it
 * to the Api; the Api directly when the edge fails). Not verified, not kept. Without script, or if the read
 * fails, the badges stay empty (and hidden by the stylesheet).
 */
export async function fillStock(client) {
  const badges = [...document.querySelectorAll('.stock[data-product]')];
  const ids = [...new Set(badges.map((b) => b.dataset.product))].filter((id) => /^[0-9]+$/.test(id)).slice(0, 200);
  if (ids.length === 0) return;
  try {
    const levels = JSON.parse(new TextDecoder().decode(await client.dynamic(`/stock?ids=${ids.join(',')}`)));
    for (const badge of badges) {
      const n = levels[badge.dataset.product];
      if (typeof n !== 'number') continue;
      badge.dataset.quantity = String(n);
      badge.textContent = n <= 0 ? 'Out of stock' : n < 10 ? `Only ${n} left` : 'In stock';
    }
    markAvailability(levels);
  } catch {
    // Stock is a nicety: the page works without it.
  } finally {
    document.documentElement.dataset.staticStock = 'true';
  }
}

/**
 * A product page's JSON-LD offer gets its availability from the same /stock read: stock is never in published bytes
 * (a stock change must not republish), and search engines render the page's script.
 */
function markAvailability(levels) {
  const product = document.querySelector('main.product[data-product]')?.dataset.product;
  const script = document.querySelector('script[type="application/ld+json"]');
  if (!product || !script || typeof levels[product] !== 'number') return;
  try {
    const ld = JSON.parse(script.textContent);
    if (!ld.offers) return;
    ld.offers.availability = levels[product] > 0 ? 'https://schema.org/InStock' : 'https://schema.org/OutOfStock';
    script.textContent = JSON.stringify(ld);
  } catch {
    // Leave the published data as it is.
  }
}

async function boot() {
  const kind = meta('page');
  const dataPath = meta('data');
  const shard = meta('shard');
  if (!kind) return;
  if (!dataPath || !shard) {
    // A page that is not published (a listing's page 2 and on): nothing to verify or keep up to date.
    document.documentElement.dataset.staticReady = 'true';
    return;
  }

  const client = new StaticClient({ apiBase: meta('api') ?? '' });
  globalThis.staticClient = client;
  const show = async () => {
    try {
      render(kind, await client.json(dataPath, shard));
      document.documentElement.dataset.staticVersion = String(client.root?.version ?? '');
    } catch (error) {
      document.documentElement.dataset.staticError = String(error.message ?? error);
    }
  };

  client.addEventListener('change', (event) => {
    if (event.detail.paths.includes(dataPath)) show();
  });

  const sw = meta('sw');
  if ('serviceWorker' in navigator) {
    if (sw && sw !== 'off') {
      navigator.serviceWorker.register(sw, { scope: '/' }).then(async () => {
        const ready = await navigator.serviceWorker.ready;
        ready.active?.postMessage({ type: 'seen', urls: [location.href, import.meta.url] });
      }, () => {});
    } else {
      navigator.serviceWorker.getRegistrations().then((all) => all.forEach((r) => r.unregister()), () => {});
    }
  }

  await client.refresh();
  await show();
  document.documentElement.dataset.staticReady = 'true';
  fillStock(client);

  const check = () => client.refresh();
  globalThis.addEventListener('focus', check);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
  const seconds = Number(meta('refresh') ?? '0');
  if (seconds > 0) setInterval(check, seconds * 1000);
}

if (globalThis.document) boot();
