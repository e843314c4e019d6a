"""The hosted Checkout page at `/c/pay/{session_id}`: plain HTML, no JavaScript."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import parse_qs

from stripe_emulator.account import (
    BANK_TRANSFER,
    CARD,
    CARD_DECLINED_MESSAGE,
    CHECKOUT_SESSION_ID_PLACEHOLDER,
    Account,
    CheckoutView,
    PaymentRejected,
)
from stripe_emulator.errors import StripeError
from stripe_emulator.money import format_amount
from stripe_emulator.responses import Request, Response, html_response, redirect

PAGE_PATH = re.compile(r"/c/pay/(?P<id>[^/]+)")

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f6f9fc; color: #1a1f36;
  margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 2rem 1rem; display: grid;
  gap: 2rem; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); }
h1 { font-size: 1.1rem; } .total { font-size: 2rem; font-weight: 600; }
table { width: 100%; border-collapse: collapse; }
td { padding: 0.5rem 0; border-bottom: 1px solid #e3e8ee; vertical-align: top; }
td.amount { text-align: right; } .muted { color: #697386; font-size: 0.9rem; }
form { background: #fff; padding: 1.5rem; border-radius: 8px;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.08); }
label { display: block; margin: 1rem 0 0.25rem; font-weight: 500; }
input[type=email], input[type=text] { width: 100%; box-sizing: border-box;
  padding: 0.6rem; border: 1px solid #cfd7df; border-radius: 4px; font-size: 1rem; }
fieldset { border: 0; padding: 0; margin: 1rem 0 0; }
fieldset label { display: inline; font-weight: normal; margin: 0 1rem 0 0.25rem; }
button { margin-top: 1.5rem; width: 100%; padding: 0.8rem; border: 0;
  border-radius: 4px; background: #635bff; color: #fff; font-size: 1rem; }
.error { color: #df1b41; background: #fff0f3; padding: 0.75rem; border-radius: 4px; }
.banner { background: #fff; padding: 1.5rem; border-radius: 8px; }
"""


class HostedPage:
    def __init__(self, account: Account, merchant_name: str) -> None:
        self._account = account
        self._merchant_name = merchant_name

    def handle(self, request: Request, session_id: str) -> Response:
        view = self._account.checkout_view(session_id)
        if view is None:
            return html_response(404, self._unknown_session())
        if view.session["status"] != "open":
            return html_response(200, self._closed_session(view))
        if request.method == "GET":
            return html_response(200, self._payment_form(view))
        if request.method == "POST":
            return self._submit(request, view)
        return html_response(405, self._document("Not allowed", "<p>Use GET or POST.</p>"))

    def _submit(self, request: Request, view: CheckoutView) -> Response:
        form = {
            name: values[-1]
            for name, values in parse_qs(
                request.body.decode(errors="replace"), keep_blank_values=True
            ).items()
        }
        method = form.get("payment_method", CARD)
        session_id = view.session["id"]
        try:
            self._account.pay(
                session_id,
                method=method,
                email=form.get("email"),
                card_number=form.get("cardnumber"),
            )
        except PaymentRejected as rejected:
            status = 402 if rejected.message == CARD_DECLINED_MESSAGE else 400
            markup = self._payment_form(view, error=rejected.message, form=form)
            return html_response(status, markup)
        except StripeError:
            # The session stopped being open meanwhile (expired or paid).
            refreshed = self._account.checkout_view(session_id) or view
            return html_response(409, self._closed_session(refreshed))
        success_url = view.session["success_url"]
        return redirect(success_url.replace(CHECKOUT_SESSION_ID_PLACEHOLDER, session_id))

    def _payment_form(
        self,
        view: CheckoutView,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
    ) -> str:
        session = view.session
        form = form or {}
        currency = session["currency"]
        rows = "".join(
            "<tr>"
            f'<td><span class="item-name">{escape(item["description"])}</span>'
            f'<div class="muted">Qty {item["quantity"]} × '
            f"{format_amount(item['price']['unit_amount'], currency)}</div></td>"
            f'<td class="amount">{format_amount(item["amount_total"], currency)}</td>'
            "</tr>"
            for item in view.line_items
        )
        total = format_amount(session["amount_total"], currency)
        email = form.get("email", session["customer_email"] or "")
        chosen = form.get("payment_method", CARD)
        error_markup = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        body = f"""
<main>
  <section>
    {self._back_link(session["cancel_url"])}
    <h1>{escape(self._merchant_name)}</h1>
    <p class="total" data-testid="total">{total}</p>
    <table>{rows}</table>
  </section>
  <form method="post" action="/c/pay/{escape(session["id"])}">
    {error_markup}
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="email"
      value="{escape(email)}">
    <fieldset>
      <legend>Payment method</legend>
      {self._method_choice("pm-card", CARD, "Card", chosen)}
      {self._method_choice("pm-bank", BANK_TRANSFER, "Bank transfer", chosen)}
      <p class="muted">Bank transfers are confirmed a little later.</p>
    </fieldset>
    <label for="cardnumber">Card number</label>
    <input id="cardnumber" name="cardnumber" type="text" inputmode="numeric"
      autocomplete="cc-number" placeholder="1234 1234 1234 1234"
      value="{escape(form.get("cardnumber", ""))}">
    <p class="muted">Test cards: 4242 4242 4242 4242 pays,
      4000 0000 0000 0002 is declined.</p>
    <button type="submit">Pay</button>
  </form>
</main>"""
        return self._document(f"Pay {self._merchant_name}", body)

    def _method_choice(self, input_id: str, value: str, label: str, chosen: str) -> str:
        checked = " checked" if value == chosen else ""
        return (
            f'<input type="radio" id="{input_id}" name="payment_method" '
            f'value="{value}"{checked}><label for="{input_id}">{label}</label>'
        )

    def _back_link(self, url: str | None) -> str:
        if not url:
            return ""
        merchant = escape(self._merchant_name)
        return f'<a class="back" href="{escape(url)}">← Back to {merchant}</a>'

    def _closed_session(self, view: CheckoutView) -> str:
        session = view.session
        if session["status"] == "complete":
            message = "This checkout session is already complete."
            link = session["success_url"].replace(CHECKOUT_SESSION_ID_PLACEHOLDER, session["id"])
        else:
            message = "This checkout session has expired."
            link = session["cancel_url"]
        back = self._back_link(link)
        body = (
            f'<main><section class="banner"><h1>{escape(self._merchant_name)}</h1>'
            f'<p role="status">{message}</p>{back}</section></main>'
        )
        return self._document(message, body)

    def _unknown_session(self) -> str:
        body = (
            '<main><section class="banner"><h1>Page not found</h1>'
            "<p>This checkout session does not exist.</p></section></main>"
        )
        return self._document("Page not found", body)

    def _document(self, title: str, body: str) -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>"
        )
