from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Product, ProductVariant, StockLevel


@receiver(post_save, sender=Product)
@receiver(post_save, sender=ProductVariant)
def give_every_product_and_variant_a_stock_level(sender, instance, created, raw=False, **kwargs):
    """Each saved product and variant has its row of counts, so staff can set what is on hand
    and a checkout never has to create one while racing another."""
    if raw:
        return
    owner = "variant" if sender is ProductVariant else "product"
    StockLevel.objects.get_or_create(**{owner: instance})
