// Small keyboard helpers: "/" focuses the page's search box; Alt+N opens a new application.
document.addEventListener("keydown", function (e) {
  const t = e.target;
  const typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  if (!typing && e.key === "/") {
    const box = document.querySelector("[data-search]");
    if (box) { e.preventDefault(); box.focus(); box.select && box.select(); }
  }
});
// "Select all" checkboxes for bulk actions: <input type="checkbox" data-select-all="name">
document.addEventListener("change", function (e) {
  const name = e.target && e.target.dataset && e.target.dataset.selectAll;
  if (name) document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) { box.checked = e.target.checked; });
});
// The employer picker (enrollment/forms/fields.py): a combobox over the employers whose name or code
// contains what is typed. Arrow keys move through the list, Enter or a tap picks, Escape closes; the
// box then holds the 18-character code and the employer's name is shown beside it. Without this
// script the form still works: the server finds the employer from a part of its name.
(function () {
  function setup(box) {
    const list = document.getElementById(box.getAttribute("aria-controls"));
    const picked = document.getElementById(box.id + "-picked");
    let active = -1, timer = null, controller = null, lastQuery = null;
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");

    function options() { return Array.from(list.querySelectorAll('[role=option]:not([aria-disabled="true"])')); }
    function open() { list.hidden = false; box.setAttribute("aria-expanded", "true"); }
    function close() {
      list.hidden = true; box.setAttribute("aria-expanded", "false"); box.removeAttribute("aria-activedescendant"); active = -1;
    }
    function highlight(index) {
      const opts = options();
      if (!opts.length) return;
      active = (index + opts.length) % opts.length;
      opts.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      box.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }
    function choose(option) {
      box.value = option.dataset.value;
      if (picked) picked.textContent = option.dataset.label;
      lastQuery = box.value;
      close();
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function search() {
      const q = box.value.trim();
      if (q === lastQuery) { if (list.children.length) open(); return; }
      lastQuery = q;
      if (picked) picked.textContent = "";
      if (!q) { list.innerHTML = ""; close(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(box.dataset.searchUrl + "?q=" + encodeURIComponent(q), { headers: { "X-Requested-With": "fetch" }, signal: controller.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          list.innerHTML = html;
          list.querySelectorAll("[role=option]").forEach(function (o, i) { o.id = list.id + "-" + i; });
          active = -1;
          if (list.children.length && document.activeElement === box) open(); else close();
        })
        .catch(function () { /* a newer search replaced this one */ });
    }
    box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    box.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { clearTimeout(timer); search(); open(); }
        highlight(active < 0 ? (e.key === "ArrowDown" ? 0 : -1) : active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && !list.hidden) {
        const opts = options();
        const chosen = active >= 0 ? opts[active] : (opts.length === 1 ? opts[0] : null);
        e.preventDefault();  // never submit the form with a half-typed name while the list is open
        if (chosen) choose(chosen);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
    // mousedown keeps the focus in the box (the list would close on blur); the click, also a tap on a
    // phone (a swipe that scrolls the list is no click), picks.
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    list.addEventListener("click", function (e) {
      const option = e.target.closest('[role=option]:not([aria-disabled="true"])');
      if (option) choose(option);
    });
    box.addEventListener("blur", function () { setTimeout(close, 200); });
    box.addEventListener("focus", function () { if (list.children.length && box.value.trim() === lastQuery && box.value.length < 18) open(); });
  }
  function init(root) { (root || document).querySelectorAll("[data-employer-picker]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
})();
// The language switch ([data-language-switch] in base.html) only acts on its button. When a form on the
// page has been changed and not sent, it asks first: the page in the other language would lose it.
(function () {
  const dirty = new Set();
  function watched(form) { return form && !form.matches("[data-language-switch], [role=search], .filters"); }
  document.addEventListener("input", function (e) { if (watched(e.target.form)) dirty.add(e.target.form); });
  document.addEventListener("change", function (e) { if (watched(e.target.form)) dirty.add(e.target.form); });
  document.addEventListener("submit", function (e) { dirty.delete(e.target); });
  function setup(form) {
    const button = form.querySelector("[data-switch]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      const pending = Array.from(dirty).some(function (f) { return document.contains(f); });
      if (pending && !window.confirm(form.dataset.confirm)) return;
      form.submit();
    });
  }
  function init() { document.querySelectorAll("[data-language-switch]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
