// Diagnosis pickers (ICD-10-CM): htmx fills the options under the input as one types
// (clients/_diagnosis_options.html); this file makes choosing one work, by mouse or keyboard.
//   <form data-diagnosis-picker>               the picker: an input and its options box
//     <input data-diagnosis-input [data-diagnosis-multi]>   a code, or a comma list of codes
//     <div class="diagnosis-options">          htmx target; buttons carry data-diagnosis-pick
// No inline handlers: the Content-Security-Policy allows scripts only from our static files.
(() => {
  const pickerOf = (el) => el.closest("[data-diagnosis-picker]");
  const inputOf = (picker) => picker.querySelector("[data-diagnosis-input]");
  const optionsOf = (picker) => picker.querySelector(".diagnosis-options");

  function choose(button) {
    const picker = pickerOf(button);
    const input = inputOf(picker);
    const code = button.dataset.diagnosisPick;
    if (input.hasAttribute("data-diagnosis-multi")) {
      // Replace the term being typed (the last one) and leave room for the next code.
      const terms = input.value.split(",").map((t) => t.trim()).filter((t) => t);
      terms.pop();
      terms.push(code);
      input.value = terms.join(", ") + ", ";
    } else {
      input.value = code;
    }
    optionsOf(picker).innerHTML = "";
    input.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-diagnosis-pick]");
    if (button) {
      event.preventDefault();
      choose(button);
    }
  });

  document.addEventListener("keydown", (event) => {
    const picker = pickerOf(event.target);
    if (!picker) return;
    const buttons = Array.from(picker.querySelectorAll("[data-diagnosis-pick]"));
    if (!buttons.length) return;
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const next = at < 0 ? (step > 0 ? 0 : buttons.length - 1)
        : Math.min(Math.max(at + step, 0), buttons.length - 1);
      buttons[next].focus();
    } else if (event.key === "Escape") {
      optionsOf(picker).innerHTML = "";
      inputOf(picker).focus();
    } else if (event.key === "Enter" && at >= 0) {
      event.preventDefault();  // choose the code, do not submit the form yet
      choose(buttons[at]);
    }
  });
})();
