// Progressive enhancement only: every form works without this file.
document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-single-submit]")) {
        return;
    }
    if (form.dataset.submitted === "true") {
        event.preventDefault();
        return;
    }
    form.dataset.submitted = "true";
    form.querySelectorAll("button[type=submit]").forEach((button) => {
        button.disabled = true;
        button.textContent = button.dataset.busyText || "Please wait…";
    });
});

document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches("[data-autosubmit]") && input.form) {
        input.form.requestSubmit();
    }
});
