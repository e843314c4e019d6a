from django.utils.functional import SimpleLazyObject
from wagtail.models import Page, Site


def current_marker(path: str, url: str | None) -> str:
    """aria-current for a menu link: "page" on the page itself, "true" anywhere inside it."""
    if not url:
        return ""
    if path == url:
        return "page"
    return "true" if url.endswith("/") and path.startswith(url) else ""


def menu_pages(request):
    """Top-level pages marked "show in menus", the current one marked; fetched only if asked."""

    def load():
        site = Site.find_for_request(request)
        if site is None:
            return []
        root = site.root_page
        pages = list(
            Page.objects.live()
            .in_menu()
            .filter(path__startswith=root.path, depth=root.depth + 1)
            .order_by("path")
        )
        for page in pages:
            page.menu_current = current_marker(request.path, page.get_url(request))
        return pages

    return SimpleLazyObject(load)
