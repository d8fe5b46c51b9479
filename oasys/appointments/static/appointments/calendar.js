// The calendar's small behaviours (no inline scripts: the Content-Security-Policy allows
// scripts only from our static files). Everything works without them too.
(() => {
  // A phone opens on the day view: seven columns do not fit 390 px (the week still
  // scrolls sideways when asked for with ?view=week).
  const params = new URLSearchParams(window.location.search);
  if (!params.has("view") && window.matchMedia("(max-width: 640px)").matches) {
    params.set("view", "day");
    window.location.replace(`${window.location.pathname}?${params.toString()}`);
    return;
  }
  // The clinician picker shows the choice at once (its Show button is for no-JS).
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-autosubmit]");
    if (select) select.form.requestSubmit();
  });
  // The session whose card is open stays marked in the grid.
  document.addEventListener("click", (event) => {
    const session = event.target.closest(".cal-session");
    if (!session) return;
    document.querySelectorAll(".cal-session.selected").forEach((s) => s.classList.remove("selected"));
    session.classList.add("selected");
  });
  // On a narrow screen the card opens below the grid: bring it into view.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "cal-panel" && window.matchMedia("(max-width: 900px)").matches) {
      event.detail.target.scrollIntoView({ behavior: "smooth", block: "start" });
    }
  });
})();
