// Suggestions under the search box as the shopper types; without JavaScript the form still
// searches. Suggestions are links, so Tab and Enter reach them like any other link.
(function () {
  "use strict";

  const DELAY_MS = 150;

  function attach(form) {
    const input = form.querySelector("input[name=q]");
    const list = form.querySelector(".site-search__suggestions");
    const status = form.querySelector("[role=status]");
    let timer = null;
    let latest = 0;

    function hide() {
      list.hidden = true;
      list.replaceChildren();
    }

    function show(suggestions) {
      list.replaceChildren(
        ...suggestions.map(function (suggestion) {
          const item = document.createElement("li");
          const link = document.createElement("a");
          link.href = suggestion.url;
          link.textContent = suggestion.name;
          item.append(link);
          return item;
        })
      );
      list.hidden = suggestions.length === 0;
      status.textContent = suggestions.length
        ? suggestions.length + " suggestion" + (suggestions.length === 1 ? "" : "s") + " below"
        : "";
    }

    async function suggest() {
      const query = input.value.trim();
      const asked = ++latest;
      if (query.length < 2) {
        hide();
        return;
      }
      const url = form.dataset.suggestionsUrl + "?q=" + encodeURIComponent(query);
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok || asked !== latest) return;
        show((await response.json()).suggestions);
      } catch (error) {
        hide();
      }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, DELAY_MS);
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        hide();
        input.focus();
      }
    });
    form.addEventListener("focusout", function (event) {
      if (!form.contains(event.relatedTarget)) hide();
    });
  }

  document.querySelectorAll("form[data-suggestions-url]").forEach(attach);
})();
