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
    ChoiceRejected,
    PaymentRejected,
)
from stripe_emulator.checkout_form import (
    chosen_country,
    collects_billing_country,
    collects_shipping,
    countries_offered,
    country_name,
    customer_info,
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
input[type=email], input[type=text], input[type=tel], select { width: 100%;
  box-sizing: border-box; padding: 0.6rem; border: 1px solid #cfd7df;
  border-radius: 4px; font-size: 1rem; background: #fff; }
fieldset { border: 0; padding: 0; margin: 1rem 0 0; min-width: 0; }
legend { font-weight: 600; padding: 0; }
fieldset.choices label { display: inline; font-weight: normal; margin: 0 1rem 0 0.25rem; }
.option { margin: 0.5rem 0; }
button { margin-top: 1.5rem; width: 100%; padding: 0.8rem; border: 0;
  border-radius: 4px; background: #635bff; color: #fff; font-size: 1rem; }
button.secondary { margin-top: 0.5rem; background: #fff; color: #3c3f9e;
  border: 1px solid #635bff; }
dl.summary { display: grid; grid-template-columns: 1fr auto; gap: 0.4rem 1rem;
  margin: 1rem 0 0; } dl.summary dd { margin: 0; text-align: right; }
.applied { color: #0e6245; }
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
            self._apply_choices(view, form)
            if form.get("action") == "update":
                refreshed = self._account.checkout_view(session_id) or view
                return html_response(200, self._payment_form(refreshed, form=form))
            self._account.pay(
                session_id,
                method=method,
                email=form.get("email"),
                card_number=form.get("cardnumber"),
                info=customer_info(view.session, form),
            )
        except (PaymentRejected, ChoiceRejected) as rejected:
            status = 402 if rejected.message == CARD_DECLINED_MESSAGE else 400
            refreshed = self._account.checkout_view(session_id) or view
            markup = self._payment_form(refreshed, error=rejected.message, form=form)
            return html_response(status, markup)
        except StripeError:
            # The session stopped being open meanwhile (expired or paid).
            refreshed = self._account.checkout_view(session_id) or view
            return html_response(409, self._closed_session(refreshed))
        success_url = view.session["success_url"]
        return redirect(success_url.replace(CHECKOUT_SESSION_ID_PLACEHOLDER, session_id))

    def _apply_choices(self, view: CheckoutView, form: dict[str, str]) -> None:
        """Shipping rate, promotion code and the country tax follows, as the form picks them."""
        session = view.session
        promotion_code = (form.get("promotion_code") or "").strip()
        if promotion_code.upper() == (view.promotion_code or ""):
            promotion_code = ""
        self._account.choose(
            session["id"],
            shipping_rate_id=form.get("shipping_rate") or None,
            promotion_code=promotion_code or None,
            tax_country=chosen_country(session, form),
        )

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
            f'<td class="amount">{format_amount(item["amount_subtotal"], currency)}</td>'
            "</tr>"
            for item in view.line_items
        )
        total = format_amount(session["amount_total"], currency)
        email = form.get("email", session["customer_email"] or "")
        chosen = form.get("payment_method", CARD)
        error_markup = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        summary = self._summary(view)
        address = self._address_fields(session, form)
        phone = self._phone_field(session, form)
        shipping = self._shipping_choice(view)
        promotion = self._promotion_field(view, form)
        body = f"""
<main>
  <section>
    {self._back_link(session["cancel_url"])}
    <h1>{escape(self._merchant_name)}</h1>
    <p class="total" data-testid="total">{total}</p>
    <table>{rows}</table>
    {summary}
  </section>
  <form method="post" action="/c/pay/{escape(session["id"])}">
    {error_markup}
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="email"
      value="{escape(email)}">
    {address}{phone}{shipping}{promotion}
    <fieldset class="choices">
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

    def _summary(self, view: CheckoutView) -> str:
        """Subtotal, discount, shipping and tax, when the session has any of them."""
        session = view.session
        currency = session["currency"]
        details = session["total_details"]
        shipping_cost = session["shipping_cost"]
        automatic_tax = session["automatic_tax"]["enabled"]
        if not (details["amount_discount"] or shipping_cost or automatic_tax):
            return ""
        rows = [("Subtotal", "subtotal", format_amount(session["amount_subtotal"], currency))]
        if details["amount_discount"]:
            label = f"Discount ({view.promotion_code})" if view.promotion_code else "Discount"
            amount = format_amount(details["amount_discount"], currency)
            rows.append((label, "discount", f"−{amount}"))
        if shipping_cost:
            amount = format_amount(shipping_cost["amount_subtotal"], currency)
            rows.append(("Shipping", "shipping", amount))
        if automatic_tax:
            if session["automatic_tax"]["status"] == "requires_location_inputs":
                rows.append(("Tax", "tax", "Enter your address to see tax"))
            else:
                rows.append(("Tax", "tax", format_amount(details["amount_tax"], currency)))
        rows.append(("Total due", "total-due", format_amount(session["amount_total"], currency)))
        items = "".join(
            f'<dt>{escape(label)}</dt><dd data-testid="{test_id}">{escape(value)}</dd>'
            for label, test_id, value in rows
        )
        return f'<dl class="summary">{items}</dl>'

    def _address_fields(self, session: dict, form: dict[str, str]) -> str:
        if collects_shipping(session):
            legend = "Shipping address"
            fields = [
                self._text_field("name", "Full name", form, autocomplete="shipping name"),
                self._text_field(
                    "line1", "Address line 1", form, autocomplete="shipping address-line1"
                ),
                self._text_field(
                    "line2",
                    "Address line 2 (optional)",
                    form,
                    autocomplete="shipping address-line2",
                ),
                self._text_field("city", "City", form, autocomplete="shipping address-level2"),
                self._text_field(
                    "state",
                    "State, county or region (optional)",
                    form,
                    autocomplete="shipping address-level1",
                ),
                self._text_field(
                    "postal_code", "Postal code", form, autocomplete="shipping postal-code"
                ),
                self._country_select(session, form, "shipping country"),
            ]
        elif collects_billing_country(session):
            legend = "Billing address"
            fields = [
                self._country_select(session, form, "billing country"),
                self._text_field(
                    "postal_code", "Postal code", form, autocomplete="billing postal-code"
                ),
            ]
        else:
            return ""
        return f"<fieldset><legend>{legend}</legend>{''.join(fields)}</fieldset>"

    def _text_field(self, name: str, label: str, form: dict[str, str], *, autocomplete: str) -> str:
        return (
            f'<label for="{name}">{escape(label)}</label>'
            f'<input id="{name}" name="{name}" type="text" autocomplete="{autocomplete}" '
            f'value="{escape(form.get(name, ""))}">'
        )

    def _country_select(self, session: dict, form: dict[str, str], autocomplete: str) -> str:
        offered = countries_offered(session)
        chosen = chosen_country(session, form) or ("US" if "US" in offered else offered[0])
        options = "".join(
            f'<option value="{code}"{" selected" if code == chosen else ""}>'
            f"{escape(country_name(code))}</option>"
            for code in offered
        )
        return (
            '<label for="country">Country</label>'
            f'<select id="country" name="country" autocomplete="{autocomplete}">'
            f"{options}</select>"
        )

    def _phone_field(self, session: dict, form: dict[str, str]) -> str:
        if not session["phone_number_collection"]["enabled"]:
            return ""
        return (
            '<label for="phone">Phone number</label>'
            '<input id="phone" name="phone" type="tel" autocomplete="tel" '
            f'value="{escape(form.get("phone", ""))}">'
        )

    def _shipping_choice(self, view: CheckoutView) -> str:
        if not view.shipping_rates:
            return ""
        session = view.session
        chosen = session["shipping_cost"]["shipping_rate"]
        options = []
        for index, rate in enumerate(view.shipping_rates):
            checked = " checked" if rate["id"] == chosen else ""
            amount = rate["fixed_amount"]["amount"]
            price = format_amount(amount, session["currency"]) if amount else "Free"
            estimate = _delivery_estimate(rate["delivery_estimate"])
            options.append(
                f'<div class="option"><input type="radio" id="shipping-rate-{index}" '
                f'name="shipping_rate" value="{escape(rate["id"])}"{checked}>'
                f'<label for="shipping-rate-{index}">{escape(rate["display_name"])}, '
                f"{price}{escape(estimate)}</label></div>"
            )
        return (
            '<fieldset class="choices"><legend>Shipping method</legend>'
            f"{''.join(options)}"
            '<button type="submit" name="action" value="update" class="secondary">'
            "Update total</button></fieldset>"
        )

    def _promotion_field(self, view: CheckoutView, form: dict[str, str]) -> str:
        if not view.session["allow_promotion_codes"]:
            return ""
        applied = ""
        if view.promotion_code:
            applied = f'<p class="applied" role="status">{escape(view.promotion_code)} applied.</p>'
        value = form.get("promotion_code", view.promotion_code or "")
        return (
            '<label for="promotion_code">Promotion code</label>'
            '<input id="promotion_code" name="promotion_code" type="text" '
            f'autocomplete="off" value="{escape(value)}">{applied}'
            '<button type="submit" name="action" value="update" class="secondary">'
            "Apply</button>"
        )

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


def _delivery_estimate(estimate: dict | None) -> str:
    """`, 3–5 business days` from a shipping rate's delivery estimate; empty without one."""
    if not estimate:
        return ""
    bounds = [estimate.get("minimum"), estimate.get("maximum")]
    known = [bound for bound in bounds if bound]
    if not known:
        return ""
    unit = known[-1]["unit"].replace("_", " ")
    values = sorted({bound["value"] for bound in known})
    span = "–".join(str(value) for value in values)
    plural = "" if values == [1] else "s"
    return f", {span} {unit}{plural}"
