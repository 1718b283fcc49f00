// The district console: copy an invitation link to the clipboard.
for (const button of document.querySelectorAll("[data-copy-target]")) {
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copyTarget);
    if (!field) return;
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      field.select();
      document.execCommand("copy");
    }
    button.textContent = button.dataset.copiedLabel || button.textContent;
  });
}
