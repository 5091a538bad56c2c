// irisgate dashboard, Access > API Keys: the Copy button of the one-time key box.
// Delegated, so it works on boxes htmx swaps in later. Without JS the key can still be selected by hand.
"use strict";

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_) { /* fall back below */ }
  }
  const scratch = document.createElement("textarea");
  scratch.value = text;
  scratch.setAttribute("readonly", "");
  scratch.style.position = "fixed";
  scratch.style.opacity = "0";
  document.body.append(scratch);
  scratch.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch (_) { /* not supported */ }
  scratch.remove();
  return copied;
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const copied = await copyText(source.textContent.trim());
  button.textContent = copied ? "Copied" : "Select and copy by hand";
  button.classList.toggle("copied", copied);
});
