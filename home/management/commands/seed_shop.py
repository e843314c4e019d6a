from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, Site

from home.models import HomePage
from products.models import Product
from products.seed import STARTER_PRODUCTS

EDITOR_MODEL_PERMISSIONS = [
    ("products", "add_product"),
    ("products", "change_product"),
    ("products", "delete_product"),
    ("products", "publish_product"),
    ("products", "view_product"),
]
SHOP_MANAGER_MODEL_PERMISSIONS = [("orders", "view_order"), ("orders", "refund_order")]
EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "view_page"]
EDITOR_COLLECTION_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
]


class Command(BaseCommand):
    help = "Create the starter products, the home page and the staff groups. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        created_products = self.seed_products()
        home = self.seed_home_page()
        self.seed_groups(home)
        self.stdout.write(
            self.style.SUCCESS(
                f"Shop ready: {Product.objects.live().count()} live products "
                f"({created_products} new), home page '{home.title}'."
            )
        )

    def seed_products(self) -> int:
        created = 0
        for fields in STARTER_PRODUCTS:
            if Product.objects.filter(slug=fields["slug"]).exists():
                continue
            product = Product(**fields, live=False)
            product.save()
            product.save_revision().publish()
            created += 1
        return created

    def seed_home_page(self) -> HomePage:
        existing = HomePage.objects.first()
        if existing is not None:
            return existing
        root = Page.get_first_root_node()
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

    def seed_groups(self, home: HomePage) -> None:
        admin_access = Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
        editors, _ = Group.objects.get_or_create(name="Editors")
        editors.permissions.add(admin_access, *self.model_permissions(EDITOR_MODEL_PERMISSIONS))
        for codename in EDITOR_PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=editors,
                page=home,
                permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename
                ),
            )
        root_collection = Collection.get_first_root_node()
        for permission in self.model_permissions(EDITOR_COLLECTION_PERMISSIONS):
            GroupCollectionPermission.objects.get_or_create(
                group=editors, collection=root_collection, permission=permission
            )
        managers, _ = Group.objects.get_or_create(name="Shop managers")
        managers.permissions.add(
            admin_access, *self.model_permissions(SHOP_MANAGER_MODEL_PERMISSIONS)
        )

    @staticmethod
    def model_permissions(pairs):
        return [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in pairs
        ]
