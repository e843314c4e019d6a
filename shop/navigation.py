from django.utils.functional import SimpleLazyObject
from wagtail.models import Page, Site


def current_marker(path: str, url: str) -> str:
    """aria-current for a menu link: "page" on the page itself, "true" anywhere inside it."""
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
            # From the page's path under the site's root: the same address Wagtail gives it,
            # without asking for every site's root paths.
            page.menu_url = "/" + page.url_path[len(root.url_path) :]
            page.menu_current = current_marker(request.path, page.menu_url)
        return pages

    return SimpleLazyObject(load)
