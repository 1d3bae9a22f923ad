// Progressive enhancements of the Arrimage web app: every page also works without JavaScript.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // A button with data-fill='{"field": "value"}' fills fields of its form instead of submitting.
  for (const button of document.querySelectorAll("button[data-fill]")) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const values = JSON.parse(button.dataset.fill);
      for (const [name, value] of Object.entries(values)) {
        const input = button.form.elements.namedItem(name);
        if (input) input.value = value;
      }
      const status = document.getElementById(button.dataset.status || "");
      if (status) status.textContent = button.dataset.filled || "";
    });
  }

  // A button with data-copy copies the text of the element it names.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const status = document.getElementById(button.dataset.status || "");
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        if (status) status.textContent = button.dataset.copied || "";
      } catch (error) {
        if (status) status.textContent = button.dataset.failed || "";
      }
    });
  }

  // Changing a filter in a form marked data-autosubmit applies it at once.
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    for (const select of form.querySelectorAll("select")) {
      select.addEventListener("change", () => form.requestSubmit());
    }
  }
});
