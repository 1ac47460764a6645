/* The cashier's desk without the mouse (keys by physical position, so a Ukrainian layout works too): search as you type, arrows + Enter, keys on the card and receipt.
   Plain fetch, no library; every page also works without JavaScript (forms and links). */
(function () {
  "use strict";

  function typing(e) {
    var t = e.target;
    if (!t || !t.tagName) return false;
    if (t.tagName === "TEXTAREA" || t.tagName === "SELECT") return true;
    return t.tagName === "INPUT" && t.type !== "checkbox" && t.type !== "radio";
  }
  function plainKey(e) { return !e.ctrlKey && !e.metaKey && !e.altKey; }

  /* amounts as integer kopecks: "1 234,5" -> 123450; null when not an amount (never a float) */
  function kopecks(text) {
    var m = String(text || "").replace(/[\s\u00a0\u202f]/g, "").replace(",", ".").match(/^(\d+)(?:\.(\d{0,2}))?$/);
    if (!m) return null;
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }
  function show(k) {
    var s = String(Math.abs(k) % 100); if (s.length < 2) s = "0" + s;
    var whole = String(Math.floor(Math.abs(k) / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return (k < 0 ? "-" : "") + whole + "," + s;
  }

  function searchPage(box, results) {
    var timer = null, seq = 0, sel = 0, pending = false, openWhenReady = false;
    function links() { return results.querySelectorAll("a.hit"); }
    function mark() {
      var l = links();
      for (var i = 0; i < l.length; i++) {
        l[i].classList.toggle("selected", i === sel);
        l[i].setAttribute("aria-selected", i === sel ? "true" : "false");
      }
    }
    function open() { var l = links(); if (l.length) window.location.href = l[Math.min(sel, l.length - 1)].href; }
    function run() {
      timer = null;
      var q = box.value, mine = ++seq;
      pending = true;
      fetch(results.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (mine !== seq) return;
          pending = false;
          results.innerHTML = html;
          sel = 0; mark();
          window.history.replaceState(null, "", "?q=" + encodeURIComponent(q));
          if (openWhenReady) { openWhenReady = false; open(); }
        });
    }
    box.addEventListener("input", function () {
      clearTimeout(timer); pending = true; timer = setTimeout(run, 120);
    });
    box.addEventListener("keydown", function (e) {
      var n = links().length;
      if (e.key === "ArrowDown") { sel = Math.min(sel + 1, Math.max(n - 1, 0)); mark(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { sel = Math.max(sel - 1, 0); mark(); e.preventDefault(); }
      else if (e.key === "Enter") {
        e.preventDefault();
        if (pending) { openWhenReady = true; if (timer) { clearTimeout(timer); run(); } }
        else open();
      } else if (e.key === "Escape") { box.value = ""; results.innerHTML = ""; }
    });
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    mark();
  }

  function payPage(form) {
    var boxes = form.querySelectorAll("input[name=account]");
    var tendered = form.querySelector("#tendered");
    function amountOf(box) { return form.querySelector("input[name=amount_" + box.value + "]"); }
    function method() { var m = form.querySelector("input[name=method]:checked"); return m ? m.value : "cash"; }
    var totals = form.querySelector(".totals");
    var unit = totals && totals.dataset.unit ? "\u00a0" + totals.dataset.unit : "";
    function recompute() {
      var total = 0, ok = true;
      for (var i = 0; i < boxes.length; i++) {
        var row = boxes[i].closest("tr");
        if (row) row.classList.toggle("off", !boxes[i].checked);
        if (!boxes[i].checked) continue;
        var k = kopecks(amountOf(boxes[i]).value);
        if (k === null) ok = false; else total += k;
      }
      form.querySelector("#total").textContent = ok ? show(total) + unit : "?";
      var change = "—";
      var cash = method() === "cash";
      if (tendered) tendered.disabled = !cash;
      if (cash && ok && tendered && tendered.value.trim()) {
        var t = kopecks(tendered.value);
        change = t === null ? "?" : (t < total ? "−" + show(total - t) : show(t - total)) + unit;
      }
      form.querySelector("#change").textContent = change;
    }
    form.addEventListener("input", recompute);
    form.addEventListener("change", recompute);
    document.addEventListener("keydown", function (e) {
      if (!plainKey(e)) return;
      if (typing(e)) {
        if (e.key === "Escape") { e.target.blur(); e.preventDefault(); }
        return;
      }
      var key = (e.code || "").replace(/^Key|^Digit|^Numpad/, "").toLowerCase();
      if (/^[1-9]$/.test(key)) {
        var box = form.querySelector("input[name=account][data-key='" + key + "']");
        if (box) { box.checked = !box.checked; recompute(); e.preventDefault(); }
      } else if (key === "c" || key === "k") {
        var value = key === "c" ? "cash" : "card";
        var radio = form.querySelector("input[name=method][value=" + value + "]");
        if (radio) { radio.checked = true; recompute(); e.preventDefault(); }
      } else if (key === "t") {
        if (tendered && !tendered.disabled) { tendered.focus(); tendered.select(); e.preventDefault(); }
      } else if (key === "e") {
        for (var i = 0; i < boxes.length; i++) {
          if (boxes[i].checked) { var a = amountOf(boxes[i]); a.focus(); a.select(); e.preventDefault(); break; }
        }
      } else if (e.key === "Enter") {
        e.preventDefault(); form.requestSubmit();
      } else if (e.key === "Escape") {
        window.location.href = document.querySelector("header.top nav a").href;
      }
    });
    /* one submit per render: a second Enter while the first is on its way does nothing */
    form.addEventListener("submit", function (e) {
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
    });
    /* the same page shown again by the browser's Back (from its page cache): Enter may send the form
       again, with the same key, and the server answers with the receipt of the payment already taken */
    window.addEventListener("pageshow", function (e) { if (e.persisted) delete form.dataset.sent; });
    recompute();
  }

  function receiptPage() {
    document.addEventListener("keydown", function (e) {
      if (!plainKey(e)) return;
      if (typing(e)) { if (e.key === "Escape") e.target.blur(); return; }
      var key = (e.code || "").replace(/^Key/, "").toLowerCase();
      if (key === "p") { e.preventDefault(); window.print(); }
      else if (key === "d") { e.preventDefault(); window.location.href = document.getElementById("pdf").href; }
      else if (key === "n" || e.key === "Escape") { e.preventDefault(); window.location.href = document.getElementById("new-search").href; }
      else if (key === "x") {
        var reason = document.getElementById("reason");
        if (reason) { e.preventDefault(); reason.focus(); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("q"), results = document.getElementById("results");
    if (box && results) searchPage(box, results);
    var form = document.getElementById("pay-form");
    if (form) payPage(form);
    if (document.getElementById("receipt") && document.getElementById("pdf")) receiptPage();
    /* closing the day issues the registers and cannot be undone: ask first */
    var close = document.getElementById("close-form");
    if (close) close.addEventListener("submit", function (e) {
      if (!window.confirm(close.dataset.confirm)) e.preventDefault();
    });
  });
})();
