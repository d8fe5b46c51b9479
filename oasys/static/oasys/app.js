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

// The header's Menu button (base.html): on a phone the account links and the billing tabs
// fold behind it. It starts hidden, so without this script the links simply stay unfolded;
// here it is shown, and it opens and closes them by tap, click, Enter or Space (a real
// button), and Escape closes an open menu and gives the focus back to the button.
document.querySelectorAll(".menu-toggle").forEach((toggle) => {
  const header = toggle.closest("header");
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  };
  header.classList.add("has-menu");
  toggle.hidden = false;
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
});
