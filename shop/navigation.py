from django.utils.functional import SimpleLazyObject
from wagtail.models import Page, Site


def menu_pages(request):
    """Top-level pages editors marked "show in menus", fetched only if a template asks."""

    def load():
        site = Site.find_for_request(request)
        if site is None:
            return []
        root = site.root_page
        return list(
            Page.objects.live()
            .in_menu()
            .filter(path__startswith=root.path, depth=root.depth + 1)
            .order_by("path")
        )

    return SimpleLazyObject(load)
