from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ShopSettings


@receiver(post_save, sender=ShopSettings)
@receiver(post_delete, sender=ShopSettings)
def forget_cached_settings(sender, instance, **kwargs):
    cache.delete(ShopSettings.cache_key(instance.site_id))
