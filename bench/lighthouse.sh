#!/usr/bin/env bash
# lighthouse: Lighthouse 12.2.3 (Debian's Chromium, headless) on the homepage, a category's page 1 and 2 and a product page through the local edge, mobile and desktop: scores, failing audits, bytes per page by type.
# Runs on its own (bench/lighthouse.sh) or through bench/run.sh lighthouse. Uses the running local stack's edge
# (STATIC_EDGE_URL, from .local/stack.env; default http://127.0.0.1:56081); when the edge does not answer it runs
# scripts/stack.sh up, and when nothing is published it says to start the demo shop (./run.sh) — it never seeds or
# publishes by itself. Page 2 needs the Api (./run.sh starts it).
# Installs npm lighthouse@12.2.3 once into STATIC_LIGHTHOUSE_DIR (default .local/tools/lighthouse; idempotent).
# Full reports: bench/results/lighthouse/<page>.<mobile|desktop>.<run>.json (gitignored, ~0.5 MB each);
# the summary: BENCH_OUT (bench/results/lighthouse.json), printed as a table.
# LIGHTHOUSE_FORM_FACTORS="mobile desktop" (either or both), LIGHTHOUSE_PAGES="home category category-2 product",
# LIGHTHOUSE_RUNS=3 (runs per page and form factor; the summary reports the median run by performance score and
# every run's performance score: on this shared 2-core machine one run's performance moves by 10 points or more).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
VERSION=12.2.3
TOOLS="${STATIC_LIGHTHOUSE_DIR:-$ROOT/.local/tools/lighthouse}"
REPORTS="$ROOT/bench/results/lighthouse"
OUT="${BENCH_OUT:-$ROOT/bench/results/lighthouse.json}"
FORMS="${LIGHTHOUSE_FORM_FACTORS:-mobile desktop}"
PAGES="${LIGHTHOUSE_PAGES:-home category category-2 product}"
RUNS="${LIGHTHOUSE_RUNS:-3}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
say() { printf '[lighthouse] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$CHROME_PATH" ] || die "$CHROME_PATH is missing: scripts/stack.sh up (or apt-get install -y --no-install-recommends chromium) installs it"
command -v node >/dev/null || die "node is missing (Node 20 with npm is a prerequisite, see README)"

# 1. Lighthouse, project-local, installed once.
LH="$TOOLS/node_modules/.bin/lighthouse"
if [ ! -x "$LH" ] || [ "$(node -p "require('$TOOLS/node_modules/lighthouse/package.json').version" 2>/dev/null)" != "$VERSION" ]; then
  say "installing lighthouse@$VERSION into $TOOLS (once) ..."
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "lighthouse@$VERSION" >&2
fi

# 2. The edge: the running stack's, or bring the stack up (it does not publish: ./run.sh does).
if [ -z "${STATIC_EDGE_URL:-}" ] && [ -f .local/stack.env ]; then
  STATIC_EDGE_URL="$(sed -n "s/^STATIC_EDGE_URL='\(.*\)'$/\1/p" .local/stack.env)"
fi
EDGE="${STATIC_EDGE_URL:-http://127.0.0.1:${STATIC_EDGE_PORT:-56081}}"
EDGE="${EDGE%/}"
if ! curl -fsS -o /dev/null --max-time 5 "$EDGE/manifest.json" 2>/dev/null; then
  curl -s -o /dev/null --max-time 5 "$EDGE/" 2>/dev/null || { say "the edge at $EDGE does not answer: scripts/stack.sh up"; scripts/stack.sh up >&2; }
  curl -fsS -o /dev/null --max-time 5 "$EDGE/manifest.json" \
    || die "the edge at $EDGE serves no published shop: start the demo shop with ./run.sh (in another terminal) and run this again"
fi

# 3. The four pages, found as a shopper finds them: a category from the homepage, page 2 through page 1's rel=next,
#    a product from page 1.
links() { # html regex: every distinct href matching, in page order
  grep -oE "href=\"$2\"" <<<"$1" | sed -E 's/^href="(.*)"$/\1/' | awk '!seen[$0]++' || true
}
next_link() { # html: the href of a rel=next <link> or <a>, either attribute order
  tr '\n' ' ' <<<"$1" | grep -oE '<(link|a)\b[^>]*>' | grep -E 'rel="([^"]* )?next( [^"]*)?"' \
    | grep -oE 'href="[^"]*"' | sed -n '1s/^href="\(.*\)"$/\1/p' || true
}
HOME_HTML="$(curl -fsS --max-time 10 "$EDGE/")" || die "the edge does not serve $EDGE/"
CATEGORY="" PRODUCT="" PAGE2=""
# The first category (of the homepage's links) that has products, preferring one whose page 1 links to a page 2.
for c in $(links "$HOME_HTML" '/categories/[a-z0-9-]+/1\.html'); do
  html="$(curl -fsS --max-time 10 "$EDGE$c")" || continue
  p="$(links "$html" '/products/[0-9]+\.html' | sed -n 1p)"
  [ -n "$p" ] || continue
  n="$(next_link "$html")"
  if [ -z "$CATEGORY" ] || [ -n "$n" ]; then CATEGORY="$c" PRODUCT="$p" PAGE2="$n"; fi
  if [ -n "$n" ]; then break; fi
done
[ -n "$CATEGORY" ] || die "no category page linked from $EDGE/ lists a product"
PAGE2_NOTE=""
if [ -z "$PAGE2" ]; then
  PAGE2="${CATEGORY%/1.html}/2.html"
  PAGE2_NOTE="page 1 has no rel=next link; measured $PAGE2 by its expected name"
  say "$PAGE2_NOTE"
fi
case "$PAGE2" in http*) PAGE2="${PAGE2#"$EDGE"}" ;; esac
declare -A URL=([home]="/" [category]="$CATEGORY" [category-2]="$PAGE2" [product]="$PRODUCT")

# 4. Lighthouse, one run per page and form factor (mobile is Lighthouse's default: Moto G Power, simulated slow 4G).
mkdir -p "$REPORTS"
rm -f "$REPORTS"/*.json
for form in $FORMS; do
  for page in $PAGES; do
    [ -n "${URL[$page]:-}" ] || die "unknown page '$page' (home category category-2 product)"
    preset=()
    [ "$form" = desktop ] && preset=(--preset=desktop)
    for run in $(seq 1 "$RUNS"); do
      say "$form $page (run $run of $RUNS): $EDGE${URL[$page]}"
      # Lighthouse exits non-zero when the page fails to load (a 404 page 2); the report still says why.
      "$LH" "$EDGE${URL[$page]}" "${preset[@]}" --quiet --output=json --output-path="$REPORTS/$page.$form.$run.json" \
        --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="--headless=new --no-sandbox" --max-wait-for-load=30000 >&2 \
        || { say "lighthouse exited $? on $page ($form): the page did not load; no further runs of it"; break; }
    done
  done
done

# 5. The summary: scores, failing audits for scores under 95, transfer bytes by resource type.
node "$ROOT/bench/lighthouse-summary.mjs" "$REPORTS" "$OUT" "$EDGE" "$PAGE2_NOTE"
say "reports: $REPORTS/; summary: $OUT"
