#!/usr/bin/env bash
# System packages Merezha needs beyond Python (Debian/Ubuntu, as root):
#   chromium        the browser the Playwright tests drive (Playwright cannot download its own here)
#   fonts-dejavu    Cyrillic fonts for PDFs (WeasyPrint)
#   libpango        WeasyPrint's text layout
#   gettext         msgfmt, only to recompile translations (compiled .mo files are committed)
#   wrk             the HTTP load generator of bench.payments_http (it falls back to Python threads)
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
