// Manage Invoices: the header checkbox ticks or clears every invoice on the page.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-bulk-all]");
  if (!all) return;
  document.querySelectorAll('input[name="invoice"][form="bulk-form"]').forEach((box) => {
    box.checked = all.checked;
  });
});
