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

// Cart forms answer in place: the shopper keeps their page, their focus and hears the outcome.
document.addEventListener("submit", (event) => {
    const form = event.target;
    const send = form.matches("[data-add-to-cart]")
        ? addToCart
        : form.matches("[data-cart-update]")
          ? updateCartLine
          : null;
    if (send === null) {
        return;
    }
    event.preventDefault();
    if (form.dataset.sending === "true") {
        return;
    }
    form.dataset.sending = "true";
    send(form)
        // An answer that is not the shop's JSON (a refused token, a lost connection): let the
        // browser post the form and show the shop's own page.
        .catch(() => (form.isConnected ? form.submit() : window.location.reload()))
        .finally(() => delete form.dataset.sending);
});

async function addToCart(form) {
    const answer = await postForJson(form);
    if (answer.ok) {
        showCartCount(answer.count);
    }
    announce(document.getElementById(form.dataset.status), answer.message, !answer.ok);
}

async function updateCartLine(form) {
    const fieldId = form.elements.quantity.id;
    const status = document.getElementById(form.dataset.status);
    const answer = await postForJson(form);
    let notices = [];
    if (answer.ok) {
        showCartCount(answer.count);
        notices = await redrawCart();
    }
    announce(status, [answer.message, ...notices].join(" "), !answer.ok);
    (document.getElementById(fieldId) || document.getElementById("cart-heading")).focus();
}

async function postForJson(form) {
    const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: {
            Accept: "application/json",
            "X-CSRFToken": form.elements.csrfmiddlewaretoken.value,
        },
        credentials: "same-origin",
    });
    const answer = await response.json();
    return { ok: response.ok, count: answer.count, message: answer.message || answer.error };
}

// Line totals, the cart total and the next forms come from the cart page itself, so they are
// computed in one place; returns the notices that page carried (a product no longer on sale).
async function redrawCart() {
    const region = document.querySelector("[data-cart-region]");
    const response = await fetch(region.dataset.cartRegion, { credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    region.replaceWith(page.querySelector("[data-cart-region]"));
    return Array.from(page.querySelectorAll(".messages .message"), (notice) =>
        notice.textContent.trim(),
    );
}

function showCartCount(count) {
    document.querySelectorAll("[data-cart-count]").forEach((badge) => {
        badge.textContent = count;
        badge.setAttribute("aria-label", `${count} item${count === 1 ? "" : "s"} in cart`);
    });
}

function announce(status, message, isError) {
    status.classList.toggle("form-status--error", isError);
    // A live region speaks when its text changes: empty it first so a repeated message is heard.
    status.textContent = "";
    window.setTimeout(() => {
        status.textContent = message;
    }, 100);
}
