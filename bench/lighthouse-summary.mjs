// Summarises bench/lighthouse.sh's reports: node bench/lighthouse-summary.mjs REPORTS_DIR OUT_JSON EDGE [NOTE]
// Prints a table of the four category scores per page and form factor; for any score under 95, the audits of that
// category scoring under 0.9 (id, title, displayed value); and the bytes each page transferred by resource type
// (Lighthouse's resource-summary: transfer size, i.e. compressed as delivered, headers included).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, out, edge, note = ''] = process.argv.slice(2);
const categories = ['performance', 'accessibility', 'best-practices', 'seo'];
const order = ['home', 'category', 'category-2', 'product'];
const kinds = { html: 'document', css: 'stylesheet', js: 'script', images: 'image', fonts: 'font', other: 'other', total: 'total' };

// Runs of one page and form factor (<page>.<form>.<run>.json): the median run by performance score stands for them.
const groups = new Map();
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
  const [page, form] = f.split('.');
  const lhr = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const key = `${page}.${form}`;
  if (!groups.has(key)) groups.set(key, { page, form, runs: [] });
  groups.get(key).runs.push(lhr);
}

const rows = [...groups.values()]
  .map(({ page, form, runs }) => {
    const perf = (l) => l.categories.performance?.score ?? -1;
    runs.sort((a, b) => perf(a) - perf(b));
    const lhr = runs[Math.floor((runs.length - 1) / 2)];
    const performanceRuns = runs.map((l) => (l.categories.performance?.score == null ? null : Math.round(l.categories.performance.score * 100)));
    const scores = Object.fromEntries(categories.map((c) => [c, lhr.categories[c]?.score == null ? null : Math.round(lhr.categories[c].score * 100)]));
    const failing = {};
    for (const c of categories) {
      if (scores[c] !== null && scores[c] >= 95) continue;
      failing[c] = (lhr.categories[c]?.auditRefs ?? [])
        .map((ref) => lhr.audits[ref.id])
        .filter((a) => a && a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual')
        .map((a) => ({ id: a.id, title: a.title, score: a.score, value: a.displayValue ?? undefined }));
    }
    const summary = lhr.audits['resource-summary']?.details?.items ?? [];
    const bytes = {};
    const requests = {};
    for (const [name, type] of Object.entries(kinds)) {
      const item = summary.find((i) => i.resourceType === type);
      bytes[name] = item?.transferSize ?? 0;
      requests[name] = item?.requestCount ?? 0;
    }
    const status = lhr.audits['network-requests']?.details?.items?.find((r) => r.resourceType === 'Document')?.statusCode ?? null;
    return {
      page, formFactor: form, runs: runs.length, performanceRuns, url: lhr.finalDisplayedUrl ?? lhr.requestedUrl, documentStatus: status,
      runtimeError: lhr.runtimeError ? `${lhr.runtimeError.code}: ${lhr.runtimeError.message}` : undefined,
      scores, failing, bytes, requests,
      metrics: Object.fromEntries(['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time', 'cumulative-layout-shift', 'speed-index']
        .map((id) => [id, lhr.audits[id]?.displayValue ?? null])),
      lighthouseVersion: lhr.lighthouseVersion, userAgent: lhr.environment?.hostUserAgent,
    };
  })
  .sort((a, b) => a.formFactor.localeCompare(b.formFactor) || order.indexOf(a.page) - order.indexOf(b.page));

const pad = (s, n) => String(s).padEnd(n);
const num = (s, n) => String(s).padStart(n);
const show = (v) => (v === null ? 'n/a' : v);
console.log(`Lighthouse ${rows[0]?.lighthouseVersion ?? '?'} through ${edge}${note ? ` (${note})` : ''}\n`);
console.log(`${pad('form', 8)}${pad('page', 12)}${num('perf', 6)}${num('a11y', 6)}${num('b.p.', 6)}${num('seo', 6)}  ${pad('perf, each run', 16)}url`);
for (const r of rows) {
  const s = r.scores;
  console.log(`${pad(r.formFactor, 8)}${pad(r.page, 12)}${num(show(s.performance), 6)}${num(show(s.accessibility), 6)}${num(show(s['best-practices']), 6)}${num(show(s.seo), 6)}  ${pad(r.performanceRuns.map(show).join(' '), 16)}${r.url}${r.documentStatus && r.documentStatus !== 200 ? ` (status ${r.documentStatus})` : ''}`);
}

console.log('\nFailing audits (score < 0.9) where a category scored under 95 (in the median run):');
for (const r of rows) {
  if (r.runtimeError) console.log(`  ${r.formFactor} ${r.page}: ${r.runtimeError}`);
  for (const [c, audits] of Object.entries(r.failing)) {
    if (audits.length === 0) continue;
    console.log(`  ${r.formFactor} ${r.page} — ${c} ${show(r.scores[c])}:`);
    for (const a of audits) console.log(`      ${a.id} (${a.score}): ${a.title}${a.value ? ` — ${a.value}` : ''}`);
  }
}

console.log('\nBytes transferred per page in the median run (compressed as delivered, headers included; requests in brackets):');
console.log(`${pad('form', 8)}${pad('page', 12)}${Object.keys(kinds).map((k) => num(k, 13)).join('')}`);
for (const r of rows) {
  console.log(`${pad(r.formFactor, 8)}${pad(r.page, 12)}${Object.keys(kinds).map((k) => num(`${r.bytes[k]} [${r.requests[k]}]`, 13)).join('')}`);
}

writeFileSync(out, JSON.stringify({
  benchmark: 'lighthouse', date: new Date().toISOString(), edge, note: note || undefined,
  lighthouse: rows[0]?.lighthouseVersion, browser: rows[0]?.userAgent,
  pages: rows.map(({ lighthouseVersion, userAgent, ...r }) => r),
}, null, 2) + '\n');
