from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from home.page_cache import page_shows_query

from .models import Product
from .pages import product_page_context
from .search import SUGGESTION_COUNT, search_context, suggest_products


def product_detail(request, slug):
    product = get_object_or_404(
        Product.objects.live()
        .with_availability()
        .select_related("image", "stock_level")
        .prefetch_related("gallery_images__image"),
        slug=slug,
    )
    variants = list(product.variants.select_related("stock_level", "image"))
    context = {**product.page_context(variants), **product_page_context(request, product)}
    return render(request, "products/product_detail.html", context)


def search(request):
    context = search_context(request.GET.get("q", ""), page=request.GET.get("page"))
    page_shows_query(request, context.pop("shown_query"))
    context["page_title"] = f"Search: {context['query']}" if context["query"] else "Search"
    return render(request, "products/search.html", context)


def search_suggestions(request):
    products = suggest_products(request.GET.get("q", ""), limit=SUGGESTION_COUNT)
    return JsonResponse(
        {
            "suggestions": [
                {"name": product.name, "url": product.get_absolute_url()} for product in products
            ]
        }
    )
