from django.shortcuts import get_object_or_404, render

from .models import Product


def product_detail(request, slug):
    product = get_object_or_404(Product.objects.live().select_related("image"), slug=slug)
    return render(
        request, "products/product_detail.html", {"product": product, "page_title": product.name}
    )
