// Small helpers: show the chosen file's name and size, a reading indicator, closing the pop-up.
document.addEventListener("DOMContentLoaded", () => {
  const file = document.getElementById("file");
  const info = document.getElementById("file-info");
  if (file && info) {
    file.addEventListener("change", () => {
      const f = file.files[0];
      info.textContent = f ? `${f.name} — ${(f.size / 1024).toFixed(1)} KB` : "";
    });
  }
  const form = document.getElementById("upload-form");
  if (form) {
    form.addEventListener("submit", () => {
      document.getElementById("busy").hidden = false;
      document.getElementById("upload").disabled = true;
    });
  }
  document.querySelectorAll("[data-close]").forEach((button) => {
    button.addEventListener("click", () => document.getElementById(button.dataset.close).close());
  });
});
