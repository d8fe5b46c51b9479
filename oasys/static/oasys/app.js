// The few behaviours pages need beyond htmx, without inline handlers (the Content-Security-
// Policy allows scripts only from our static files):
//   <input type="checkbox" data-select-all="input[name=session]">  ticks or clears them all
//   <form data-confirm="Void this claim?">                          asks before submitting
document.addEventListener("click", (event) => {
  const box = event.target.closest("[data-select-all]");
  if (box) {
    document.querySelectorAll(box.dataset.selectAll).forEach((c) => { c.checked = box.checked; });
  }
});
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
