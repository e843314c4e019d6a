"""Variants: edited inline in the product, picked on its page, kept on orders; stock shown to
shoppers as sold out and to staff as on hand, held and available."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order, OrderItem
from orders.tests.helpers import login, staff_member
from products.models import Product, ProductVariant, StockLevel
from products.tests.admin_forms import product_form, url
from products.tests.factories import make_variant, set_on_hand, stock_of, track_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee(seeded_shop, make_product):
    product = make_product("Linen Tee", "25.00")
    return {
        "product": product,
        "small": make_variant(product, "Size S", "TEE-S", on_hand=3),
        "large": make_variant(product, "Size L", "TEE-L", price="27.00", on_hand=0),
        "dyed": make_variant(product, "Size M, Indigo", "TEE-M-IND"),
    }


@pytest.fixture
def editor_client(client, seeded_shop):
    return login(client, staff_member("edith", "Editors"))


def add(client, product, variant=None, quantity=1):
    data = {"product_id": product.pk, "quantity": quantity}
    if variant is not None:
        data["variant_id"] = variant.pk
    return client.post(reverse("cart_add"), data)


def product_markup(html: str, product) -> str:
    """The card or page section of one product."""
    start = html.index(f'data-product-id="{product.pk}"')
    return html[start : html.index("</article>", start)]


def cart_lines(client):
    return client.get(reverse("cart")).context["lines"]


def test_in_stock_lists_what_can_be_bought_and_is_sold_out_says_the_rest(seeded_shop, make_product):
    plain = make_product("Plain Mug", "9.00")
    counted = track_stock(make_product("Counted Mug", "9.00"), on_hand=2)
    gone = track_stock(make_product("Gone Mug", "9.00"), on_hand=0)
    sized = make_product("Sized Cap", "15.00")
    make_variant(sized, "Small", "CAP-S", on_hand=0)
    make_variant(sized, "Large", "CAP-L", on_hand=1)
    all_gone = make_product("Gone Cap", "15.00")
    make_variant(all_gone, "Small", "GCAP-S", on_hand=0)
    mine = [plain, counted, gone, sized, all_gone]

    in_stock = set(Product.objects.in_stock().filter(pk__in=[p.pk for p in mine]))
    listed = {p.pk: p.is_sold_out for p in Product.objects.for_storefront()}

    assert in_stock == {plain, counted, sized}
    assert {p.name: p.is_sold_out for p in mine} == {
        "Plain Mug": False,
        "Counted Mug": False,
        "Gone Mug": True,
        "Sized Cap": False,
        "Gone Cap": True,
    }
    assert all(listed[p.pk] == p.is_sold_out for p in mine)


def test_a_product_page_offers_each_variant_and_marks_the_sold_out_one(tee, client):
    html = client.get(tee["product"].get_absolute_url()).content.decode()

    assert 'name="variant_id"' in html
    assert f'id="variant-{tee["small"].pk}" value="{tee["small"].pk}" checked' in html
    assert f'id="variant-{tee["large"].pk}" value="{tee["large"].pk}" disabled' in html
    assert 'Size L, $27.00, <span class="sold-out">Sold out</span>' in html
    assert "Size M, Indigo, $25.00" in html
    assert "From $25.00" in html


def test_a_sold_out_product_offers_no_add_to_cart(seeded_shop, make_product, client):
    gone = track_stock(make_product("Gone Mug", "9.00"), on_hand=0)

    for page in [gone.get_absolute_url(), "/"]:
        html = client.get(page).content.decode()
        card = product_markup(html, gone)
        assert "Sold out" in card, page
        assert 'name="product_id"' not in card, page


def test_a_product_with_variants_is_picked_on_its_page_from_the_home_page(tee, client):
    html = client.get("/").content.decode()

    card = product_markup(html, tee["product"])
    assert "Choose options" in card
    assert tee["product"].get_absolute_url() in card


def test_picking_a_variant_puts_it_in_the_cart_at_its_price(tee, client):
    response = add(client, tee["product"], tee["dyed"], quantity=2)

    assert response.status_code == 302
    (line,) = cart_lines(client)
    assert (line.variant, line.quantity, line.unit_price) == (tee["dyed"], 2, Decimal("25.00"))
    assert "Linen Tee (Size M, Indigo)" in client.get(reverse("cart")).content.decode()


def test_adding_a_product_with_variants_without_picking_one_asks_to_choose(tee, client):
    response = add(client, tee["product"])

    assert response.status_code == 400
    assert "Please choose an option of Linen Tee." in response.content.decode()
    assert cart_lines(client) == []


def test_adding_a_sold_out_variant_is_refused(tee, client):
    response = add(client, tee["product"], tee["large"])

    assert response.status_code == 400
    assert "Linen Tee (Size L) is sold out." in response.content.decode()


def test_a_variant_of_another_product_is_refused(tee, client, make_product):
    other = make_product("Canvas Bag", "12.00")

    response = add(client, other, tee["small"])

    assert response.status_code == 400
    assert cart_lines(client) == []


def test_cart_lines_of_one_product_in_two_variants_change_separately(tee, client):
    add(client, tee["product"], tee["small"])
    add(client, tee["product"], tee["dyed"])

    client.post(
        reverse("cart_update"),
        {"product_id": tee["product"].pk, "variant_id": tee["dyed"].pk, "quantity": 3},
    )
    client.post(
        reverse("cart_remove"), {"product_id": tee["product"].pk, "variant_id": tee["small"].pk}
    )

    assert [(line.variant, line.quantity) for line in cart_lines(client)] == [(tee["dyed"], 3)]


def test_a_deleted_variant_leaves_the_cart_with_a_notice(tee, client):
    add(client, tee["product"], tee["dyed"])
    tee["dyed"].delete()

    response = client.get(reverse("cart"))

    assert response.context["lines"] == []
    assert "Linen Tee is no longer on sale" in response.content.decode()


def test_a_signed_in_shoppers_cart_keeps_the_variant(tee, client, django_user_model):
    user = django_user_model.objects.create_user("vera", "vera@example.com", "pw")
    add(client, tee["product"], tee["small"])
    client.post(reverse("login"), {"username": "vera", "password": "pw"})

    assert [(line.variant, line.quantity) for line in cart_lines(client)] == [(tee["small"], 1)]
    assert user.saved_cart.lines == [[tee["product"].pk, 1, tee["small"].pk]]


def test_an_order_keeps_the_sku_and_options_after_the_variant_is_deleted(
    tee, client, stripe_emulator
):
    add(client, tee["product"], tee["small"], quantity=2)
    client.post(reverse("create_checkout_session"))
    tee["small"].delete()

    item = OrderItem.objects.get()
    assert item.variant is None
    assert (item.sku, item.options, item.display_name) == (
        "TEE-S",
        "Size S",
        "Linen Tee (Size S)",
    )
    order = Order.objects.get()
    assert "Linen Tee (Size S)" in client.get(order.get_absolute_url()).content.decode()


def test_an_editor_adds_variants_inline_and_publishes_them(editor_client, client):
    form = product_form(
        **{
            "action-publish": "publish",
            "variants-TOTAL_FORMS": "2",
            "variants-0-options": "Size S",
            "variants-0-sku": "ADAPT-S",
            "variants-0-price": "",
            "variants-0-track_stock": "on",
            "variants-0-ORDER": "1",
            "variants-1-options": "Size L",
            "variants-1-sku": "ADAPT-L",
            "variants-1-price": "30.00",
            "variants-1-ORDER": "2",
        }
    )

    response = editor_client.post(url("add"), form)

    assert response.status_code == 302
    product = Product.objects.get(slug="travel-adapter")
    small, large = product.variants.all()
    assert (small.sku, small.unit_price, small.track_stock) == ("ADAPT-S", Decimal("24.50"), True)
    assert (large.sku, large.unit_price, large.track_stock) == ("ADAPT-L", Decimal("30.00"), False)
    assert stock_of(small) == (0, 0)
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'Size S, $24.50, <span class="sold-out">Sold out</span>' in html
    assert f'value="{large.pk}" checked' in html


def test_a_sku_two_variants_share_is_refused_with_a_message(editor_client, tee):
    form = product_form(
        **{
            "variants-TOTAL_FORMS": "1",
            "variants-0-options": "Size S",
            "variants-0-sku": "TEE-S",
            "variants-0-ORDER": "1",
        }
    )

    response = editor_client.post(url("add"), form)

    assert response.status_code == 200
    assert "Variant with this SKU already exists." in response.content.decode()


def test_publishing_a_product_never_brings_back_old_stock_counts(tee, editor_client):
    product = tee["product"]
    draft = product.save_revision()
    set_on_hand(tee["small"], 9)

    draft.publish()

    assert stock_of(tee["small"]) == (9, 0)


def test_staff_see_on_hand_held_and_available_in_the_product_list_and_editor(
    tee, editor_client, make_product
):
    lantern = track_stock(make_product("Storm Lantern", "30.00"), on_hand=5)
    StockLevel.objects.filter(product=lantern).update(held=2)

    listing = editor_client.get(url("list")).content.decode()
    editor = editor_client.get(url("edit", tee["product"].pk)).content.decode()

    assert "5 on hand, 2 held, 3 available" in listing
    assert "Size S: 3 on hand, 0 held, 3 available" in listing
    assert "Size M, Indigo: Not tracked" in listing
    assert 'data-stock="available">3<' in editor
    assert "Change what is on hand" in editor


def test_staff_count_what_is_on_hand_without_touching_what_checkouts_hold(tee, editor_client):
    level = StockLevel.objects.get(variant=tee["small"])
    StockLevel.objects.filter(pk=level.pk).update(held=2)

    response = editor_client.post(reverse("stock_levels:edit", args=[level.pk]), {"on_hand": "10"})

    assert response.status_code == 302
    assert stock_of(tee["small"]) == (10, 2)


def test_the_dashboard_lists_low_stock(tee, editor_client, make_product):
    track_stock(make_product("Plenty Lantern", "30.00"), on_hand=50)

    html = editor_client.get("/admin/").content.decode()

    panel = html[html.index('id="shop-low-stock-section"') :][:4000]
    assert "Linen Tee (Size L)" in panel
    assert "Linen Tee (Size S)" in panel
    assert "Plenty Lantern" not in panel
    assert "Linen Tee (Size M, Indigo)" not in panel


def test_a_variant_keeps_its_place_in_the_editors_order(tee):
    assert list(ProductVariant.objects.filter(product=tee["product"])) == [
        tee["small"],
        tee["large"],
        tee["dyed"],
    ]
