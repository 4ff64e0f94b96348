"""Events that come from Django's own signals: sign-ins and sign-outs, the admin's change log,
and datasets as their rows are created, renamed, replaced and deleted (whatever view or command
did it: the dataset code needs no call of its own)."""
from django.contrib.admin.models import LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from datasets.models import Dataset
from .models import Event
from .trail import STAFF_ONLY, record, record_refusal


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    record(Event.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(Event.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def _failed(sender, credentials, request=None, **kwargs):
    record_refusal(Event.LOGIN_FAILED, credentials.get("username") or "", request)


@receiver(post_save, sender=LogEntry)
def _admin_change(sender, instance, created, **kwargs):
    if created:
        model = instance.content_type.model if instance.content_type_id else ""
        # The admin is staff's alone: whichever partner they act as, its trail does not show it.
        record(Event.ADMIN_CHANGE, user=instance.user, partner=STAFF_ONLY,
               target=f"{model} {instance.object_repr}".strip(), detail=instance.get_change_message())


@receiver(pre_save, sender=Dataset)
def _dataset_before(sender, instance, **kwargs):
    known = Dataset.objects.filter(pk=instance.pk).values("name", "path").first() if instance.pk else None
    instance._audit_before = known


@receiver(post_save, sender=Dataset)
def _dataset_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        record(Event.DATASET_UPLOADED, user=instance.uploaded_by, partner=instance.partner, target=instance.name)
        return
    if before["name"] != instance.name:
        record(Event.DATASET_RENAMED, partner=instance.partner, target=instance.name, detail=before["name"])
    if before["path"] != instance.path:
        # A new upload or an earlier version made current again: either way another file now.
        record(Event.DATASET_NEW_VERSION, partner=instance.partner, target=instance.name, detail=f"v{instance.number}")


@receiver(post_delete, sender=Dataset)
def _dataset_deleted(sender, instance, **kwargs):
    record(Event.DATASET_DELETED, partner=instance.partner, target=instance.name)
