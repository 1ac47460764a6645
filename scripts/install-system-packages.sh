#!/usr/bin/env bash
# System packages Merezha needs beyond Python (Debian/Ubuntu, as root):
#   chromium        the browser the Playwright tests drive (Playwright cannot download its own here)
#   fonts-dejavu    Cyrillic fonts for PDFs (WeasyPrint)
#   libpango        WeasyPrint's text layout
#   gettext         msgfmt, only to recompile translations (compiled .mo files are committed)
#   wrk             the HTTP load generator of bench.payments_http (it falls back to Python threads)
#   poppler-utils   pdftoppm, with which tests render PDFs (bills, receipts, shift reports) to PNG
#   libzbar0        the QR decoder (pyzbar) with which tests read the bills' payment QR codes back
#   tesseract-ocr, tesseract-ocr-ukr
#                   OCR, with which tests read the totals back from printed receipts and shift reports
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q libzbar.so.0 || missing+=(libzbar0)
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
[ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/ukr.traineddata 2>/dev/null)" ] || missing+=(tesseract-ocr-ukr)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
