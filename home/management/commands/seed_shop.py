import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.images import get_image_model
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
)

from home.models import CategoryPage, HomePage, ProductIndexPage
from orders.models import (
    DEMO_CHECKOUT_SESSION_PREFIX,
    Order,
    OrderItem,
    StripeEvent,
    new_reference,
)
from orders.money import to_cents
from products.models import Product, ProductImage, ProductVariant, StockLevel
from products.seed import (
    DEMO_CATEGORIES,
    DEMO_PICTURES,
    STARTER_PRODUCT_WITH_VARIANTS,
    STARTER_PRODUCTS,
    STARTER_VARIANTS,
    demo_picture,
)
from stripe_emulator import objects

EDITOR_MODEL_PERMISSIONS = [
    ("products", "add_product"),
    ("products", "change_product"),
    ("products", "delete_product"),
    ("products", "publish_product"),
    ("products", "view_product"),
    ("products", "change_stocklevel"),
]
SHOP_MANAGER_MODEL_PERMISSIONS = [
    ("orders", "view_order"),
    ("orders", "refund_order"),
    ("orders", "fulfil_order"),
    ("orders", "change_checkoutsettings"),
]
EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "view_page"]
EDITOR_COLLECTION_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
]
DEMO_CUSTOMERS = [
    "ada@example.com",
    "grace@example.com",
    "alan@example.com",
    "katherine@example.com",
    "linus@example.com",
    "margaret@example.com",
]
# Roughly what a small shop sees: most checkouts paid, some abandoned, a few failed or refunded.
DEMO_STATUSES = [Order.Status.PAID] * 6 + [
    Order.Status.PENDING,
    Order.Status.CANCELLED,
    Order.Status.CANCELLED,
    Order.Status.FAILED,
    Order.Status.REFUNDED,
]
DEMO_EVENT_TYPES = {
    Order.Status.PAID: ["checkout.session.completed"],
    Order.Status.REFUNDED: ["checkout.session.completed", "charge.refunded"],
    Order.Status.FAILED: ["checkout.session.completed", "checkout.session.async_payment_failed"],
    Order.Status.CANCELLED: ["checkout.session.expired"],
    Order.Status.PENDING: [],
}
DEMO_SPREAD = timedelta(days=14)
# The staff groups seed_shop keeps, and what membership lets a person do.
EDITORS, SHOP_MANAGERS = "Editors", "Shop managers"
STAFF_GROUPS = {
    EDITORS: "edit and publish products, pages and images",
    SHOP_MANAGERS: "see, refund and ship orders; set shipping rates and tax",
}


class Command(BaseCommand):
    help = (
        "Create the starter products, the home page and the staff groups (Editors, Shop "
        "managers), and say how to put people in those groups. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-orders",
            type=int,
            default=0,
            metavar="N",
            help="Also make sure N sample orders from the last two weeks exist, in mixed "
            "states, for trying the admin. They use fake cs_test_demo_... Stripe ids, so "
            "never run this against a shop with real orders.",
        )
        parser.add_argument(
            "--without-pictures",
            action="store_true",
            help="Leave starter products without the demo pictures otherwise drawn for them.",
        )

    @transaction.atomic
    def handle(self, *args, demo_orders, without_pictures, **options):
        if demo_orders < 0:
            raise CommandError("--demo-orders takes a number of orders, 0 or more.")
        created_products = self.seed_products()
        home = self.seed_home_page()
        self.seed_catalogue(home)
        if not without_pictures:
            self.seed_pictures(created_products)
        self.seed_groups(home)
        created_orders = self.seed_demo_orders(demo_orders) if demo_orders else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Shop ready: {Product.objects.live().count()} live products "
                f"({len(created_products)} new), home page '{home.title}'."
            )
        )
        if demo_orders:
            self.stdout.write(self.style.SUCCESS(f"{created_orders} demo orders added."))
        self.describe_groups()

    def describe_groups(self) -> None:
        self.stdout.write("Staff groups:")
        for name in Group.objects.order_by("name").values_list("name", flat=True):
            purpose = STAFF_GROUPS.get(
                name, "not set up by the shop; see its permissions in the admin"
            )
            self.stdout.write(f"  {name}: {purpose}")
        self.stdout.write(
            "To put someone in a group, sign in to /admin/ as a superuser, open Settings > "
            "Users, choose the person (or Add a user) and tick the group under Roles."
        )

    def seed_products(self) -> list[Product]:
        created = []
        for fields in STARTER_PRODUCTS:
            if Product.objects.filter(slug=fields["slug"]).exists():
                continue
            product = Product(**fields, live=False)
            product.save()
            product.save_revision().publish()
            created.append(product)
        return created + self.seed_product_with_variants()

    def seed_product_with_variants(self) -> list[Product]:
        fields = STARTER_PRODUCT_WITH_VARIANTS
        if Product.objects.filter(slug=fields["slug"]).exists():
            return []
        product = Product(**fields, live=False)
        on_hand = {}
        for variant_fields in STARTER_VARIANTS:
            variant_fields = dict(variant_fields)
            on_hand[variant_fields["sku"]] = variant_fields.pop("on_hand")
            product.variants.add(ProductVariant(**variant_fields))
        product.save()
        product.save_revision().publish()
        for sku, quantity in on_hand.items():
            StockLevel.objects.filter(variant__sku=sku).update(on_hand=quantity)
        return [product]

    def seed_home_page(self) -> HomePage:
        existing = HomePage.objects.first()
        if existing is not None:
            return existing
        root = self.wagtail_root()
        welcome_pages = list(root.get_children().exact_type(Page))
        home = HomePage(
            title="Home",
            slug="home",
            hero_heading="Good things, shipped fast",
            intro=[
                (
                    "paragraph",
                    "<p>Hand-picked gadgets, honest prices and secure payment by Stripe.</p>",
                )
            ],
            show_all_products=True,
        )
        for page in welcome_pages:
            page.slug = f"{page.slug}-old"
            page.save(update_fields=["slug"])
        root.add_child(instance=home)
        home.save_revision().publish()
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=home,
                is_default_site=True,
                site_name="Wagtail Shop",
            )
        else:
            site.root_page = home
            site.site_name = "Wagtail Shop"
            site.save()
        for page in welcome_pages:
            page.delete()
        return home

    @staticmethod
    def seed_catalogue(home: HomePage) -> None:
        """A "Shop" page listing every product and the demo categories under it, made once."""
        index = ProductIndexPage.objects.first()
        if index is None:
            index = ProductIndexPage(
                title="Shop",
                slug="shop",
                show_in_menus=True,
                intro="<p>Everything we sell, in one place.</p>",
            )
            home.add_child(instance=index)
            index.save_revision().publish()
        for fields in DEMO_CATEGORIES:
            if CategoryPage.objects.filter(slug=fields["slug"]).exists():
                continue
            category = CategoryPage(
                title=fields["title"], slug=fields["slug"], intro=fields["intro"]
            )
            index.add_child(instance=category)
            category.save_revision().publish()
            for product in Product.objects.filter(slug__in=fields["products"]):
                product.categories.add(category)
                product.save_revision().publish()

    @staticmethod
    def seed_pictures(products: list[Product]) -> None:
        """Demo pictures for starter products made just now, drawn here, not downloaded."""
        for product in Product.objects.filter(
            pk__in=[product.pk for product in products], slug__in=DEMO_PICTURES
        ):
            pictures = [
                get_image_model().objects.create(
                    title=title,
                    file=ContentFile(
                        demo_picture(product.name[:1], background, accent),
                        name=f"{product.slug}-{number}.png",
                    ),
                )
                for number, (title, background, accent) in enumerate(
                    DEMO_PICTURES[product.slug], start=1
                )
            ]
            product.image = pictures[0]
            product.gallery_images.set(ProductImage(image=picture) for picture in pictures[1:])
            product.save_revision().publish()

    @staticmethod
    def wagtail_root() -> Page:
        """The page tree's root, recreated (with its locale) if the database was emptied."""
        Locale.objects.get_or_create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
        return Page.get_first_root_node() or Page.add_root(
            instance=Page(title="Root", slug="root", live=True)
        )

    def seed_groups(self, home: HomePage) -> None:
        admin_access = Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
        editors, _ = Group.objects.get_or_create(name=EDITORS)
        editors.permissions.add(admin_access, *self.model_permissions(EDITOR_MODEL_PERMISSIONS))
        for codename in EDITOR_PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=editors,
                page=home,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
        root_collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
        for permission in self.model_permissions(EDITOR_COLLECTION_PERMISSIONS):
            GroupCollectionPermission.objects.get_or_create(
                group=editors, collection=root_collection, permission=permission
            )
        managers, _ = Group.objects.get_or_create(name=SHOP_MANAGERS)
        managers.permissions.add(
            admin_access, *self.model_permissions(SHOP_MANAGER_MODEL_PERMISSIONS)
        )

    @staticmethod
    def model_permissions(pairs):
        return [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in pairs
        ]

    def seed_demo_orders(self, wanted: int) -> int:
        """Top the demo orders up to `wanted`, so running again adds none."""
        existing = Order.objects.demo().count()
        products = list(
            Product.objects.filter(slug__in=[fields["slug"] for fields in STARTER_PRODUCTS])
        )
        now = timezone.now()
        for number in range(existing, wanted):
            create_demo_order(random.Random(number), products, now)
        return max(0, wanted - existing)


def create_demo_order(rng: random.Random, products: list[Product], now) -> Order:
    status = rng.choice(DEMO_STATUSES)
    created_at = now - rng.random() * DEMO_SPREAD
    settled_at = min(now, created_at + timedelta(minutes=rng.randint(1, 20)))
    lines = [
        (product, rng.randint(1, 3))
        for product in rng.sample(products, rng.randint(1, len(products)))
    ]
    total = sum((product.price * quantity for product, quantity in lines), Decimal("0"))
    reference = new_reference()
    is_paid = status in (Order.Status.PAID, Order.Status.REFUNDED)
    order = Order.objects.create(
        reference=reference,
        status=status,
        owner_key=f"demo:{reference}",
        customer_email=rng.choice(DEMO_CUSTOMERS),
        currency=settings.SHOP_CURRENCY,
        total=total,
        amount_refunded=total if status == Order.Status.REFUNDED else Decimal("0"),
        cart_fingerprint=f"demo-{reference}",
        checkout_open=status == Order.Status.PENDING,
        checkout_expires_at=created_at + timedelta(minutes=settings.SHOP_CHECKOUT_SESSION_MINUTES),
        stripe_checkout_session_id=f"{DEMO_CHECKOUT_SESSION_PREFIX}{reference}",
        stripe_payment_intent_id=f"pi_test_demo_{reference}" if is_paid else "",
        paid_at=settled_at if is_paid else None,
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            product=product,
            product_name=product.name,
            unit_price=product.price,
            quantity=quantity,
        )
        for product, quantity in lines
    )
    # created_at and received_at are stamped "now" on insert; move them into the past.
    Order.objects.filter(pk=order.pk).update(created_at=created_at)
    for position, event_type in enumerate(DEMO_EVENT_TYPES[status]):
        received_at = min(now, settled_at + timedelta(minutes=position * rng.randint(5, 600)))
        event_id = f"evt_test_demo_{reference}_{position}"
        event = StripeEvent.objects.create(
            stripe_event_id=event_id,
            type=event_type,
            order=order,
            outcome=StripeEvent.Outcome.PROCESSED,
            payload=demo_event(event_id, event_type, order, received_at),
            processed_at=received_at,
        )
        StripeEvent.objects.filter(pk=event.pk).update(received_at=received_at)
    return order


def demo_event(event_id: str, event_type: str, order: Order, received_at) -> dict:
    """An event shaped like the one Stripe would have sent for this demo order."""
    paid = order.status in (Order.Status.PAID, Order.Status.REFUNDED)
    if event_type == "charge.refunded":
        data_object = objects.charge(
            f"ch_test_demo_{order.reference}",
            amount=to_cents(order.total),
            amount_refunded=to_cents(order.total),
            currency=order.currency,
            payment_intent=order.stripe_payment_intent_id,
        )
    else:
        data_object = objects.checkout_session(
            order.stripe_checkout_session_id,
            status="expired" if event_type == "checkout.session.expired" else "complete",
            payment_status="paid" if paid else "unpaid",
            amount_total=to_cents(order.total),
            currency=order.currency,
            client_reference_id=order.reference,
            customer_email=order.customer_email,
            payment_intent=order.stripe_payment_intent_id or None,
        )
    return objects.event(event_type, data_object, event_id, created=int(received_at.timestamp()))
