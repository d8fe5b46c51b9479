// Bill Sessions, Ready tab: "Select all N matching" (Gmail style). Ticking the header box
// ticks this page's rows (app.js) and offers every Ready session matching the filters, on
// every page; choosing it sets all_matching=1 and the server recomputes that set from the
// filters sent with the form. Unticking any box goes back to "this page only".
(() => {
  const form = () => document.getElementById("bill-form");
  const part = (name) => form() && form().querySelector(`[data-${name}]`);

  function matching(on) {
    const flag = part("all-matching");
    if (!flag) return;
    flag.value = on ? "1" : "";
    part("page-selected").hidden = on;
    part("select-matching").hidden = on;
    part("matching-selected").hidden = !on;
    part("clear-matching").hidden = !on;
    const button = part("bill-button");
    if (button) {
      button.dataset.pageLabel = button.dataset.pageLabel || button.textContent;
      button.textContent = on ? button.dataset.allLabel : button.dataset.pageLabel;
    }
  }

  document.addEventListener("change", (event) => {
    const banner = part("select-banner");
    if (!banner || !form().contains(event.target)) return;
    if (event.target.id === "select-all") {
      banner.hidden = !event.target.checked;
      matching(false);
    } else if (event.target.name === "session" && !event.target.checked) {
      banner.hidden = true;
      document.getElementById("select-all").checked = false;
      matching(false);
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-select-matching]")) {
      matching(true);
    } else if (event.target.closest("[data-clear-matching]")) {
      form().querySelectorAll("input[name=session], #select-all").forEach((box) => {
        box.checked = false;
      });
      part("select-banner").hidden = true;
      matching(false);
    }
  });
})();
