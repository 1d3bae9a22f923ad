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

  const editor = document.getElementById("editor");
  if (editor) enhanceEditor(editor);
});

// The automation editor: fixed or mapped fields, inserting sample values, the live preview.
function enhanceEditor(editor) {
  let lastField = null;

  // Show only the control of the chosen mode: the list (fixed) or the text (mapped).
  const showMode = (select) => {
    const box = select.closest("[data-field]");
    for (const part of box.querySelectorAll("[data-when]")) {
      part.hidden = part.dataset.when !== select.value;
    }
  };
  for (const select of editor.querySelectorAll("select[data-mode]")) {
    showMode(select);
    select.addEventListener("change", () => showMode(select));
  }

  // Warn before leaving with changes that are not saved: only Save (or a change button) stores them.
  let unsaved = false;
  editor.addEventListener("input", () => { unsaved = true; });
  editor.addEventListener("change", () => { unsaved = true; });
  editor.addEventListener("submit", () => { unsaved = false; });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) event.preventDefault();
  });

  editor.addEventListener("focusin", (event) => {
    if (event.target.matches("[data-mappable]")) lastField = event.target;
  });

  // A value of the data panel goes where the cursor was, in the field selected last.
  for (const button of document.querySelectorAll("button[data-insert]")) {
    button.addEventListener("click", () => {
      const field = lastField || editor.querySelector("[data-mappable]");
      if (!field) return;
      const box = field.closest("[data-field]");
      const mode = box ? box.querySelector("select[data-mode]") : null;
      if (mode && mode.value !== "mapped") {
        mode.value = "mapped";
        showMode(mode);
      }
      const text = button.dataset.insert;
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? field.value.length;
      field.value = field.value.slice(0, start) + text + field.value.slice(end);
      field.focus();
      field.setSelectionRange(start + text.length, start + text.length);
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  // After a change button, come back to the card that was changed.
  for (const button of editor.querySelectorAll("button[name=change]")) {
    button.addEventListener("click", () => {
      const card = button.closest("[id^=s-]");
      editor.elements.namedItem("anchor").value = card ? card.id : "";
    });
  }

  const status = editor.querySelector("[data-preview-status]");
  let timer = null;
  let sequence = 0;
  const refresh = async () => {
    const mine = ++sequence;
    const body = new URLSearchParams(new FormData(editor));
    body.delete("change");
    try {
      const response = await fetch(editor.dataset.previewUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "Accept": "application/json" },
      });
      if (!response.ok || mine !== sequence) return;
      const answer = await response.json();
      for (const output of editor.querySelectorAll("output[data-preview-for]")) {
        showPreview(output, answer.fields[output.dataset.previewFor]);
      }
      for (const badge of editor.querySelectorAll("[data-status-for]")) {
        const step = answer.steps[badge.dataset.statusFor];
        badge.hidden = !step;
        if (step) {
          badge.className = `badge preview-${step.status}`;
          badge.textContent = step.label;
        }
      }
      if (status) status.textContent = "";
    } catch (error) {
      if (status) status.textContent = editor.dataset.previewFailed || "";
    }
  };
  editor.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
  editor.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  });
}

// Write one field's preview: the value sent, or "left out", then warnings and errors.
function showPreview(output, field) {
  output.replaceChildren();
  if (!field) return;
  const words = output.closest("form").dataset;
  if (field.evaluated && field.sent !== null && field.sent !== undefined) {
    const label = document.createElement("span");
    label.className = "preview-label";
    label.textContent = words.sentLabel;
    const code = document.createElement("code");
    code.textContent = JSON.stringify(field.sent);
    output.append(label, " ", code);
  } else if (field.evaluated) {
    const label = document.createElement("span");
    label.className = "preview-label";
    label.textContent = words.leftOutLabel;
    output.append(label);
  }
  for (const [list, kind] of [[field.warnings, "preview-warning"], [field.errors, "preview-error"]]) {
    for (const message of list || []) {
      const span = document.createElement("span");
      span.className = kind;
      span.textContent = message.message || message.text || "";
      output.append(" ", span);
    }
  }
}
