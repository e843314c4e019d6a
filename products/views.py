from django.shortcuts import get_object_or_404, render

from .models import Product


def product_detail(request, slug):
    product = get_object_or_404(
        Product.objects.live().with_availability().select_related("image", "stock_level"),
        slug=slug,
    )
    variants = list(product.variants.select_related("stock_level", "image"))
    return render(request, "products/product_detail.html", product.page_context(variants))
