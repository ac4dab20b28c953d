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
