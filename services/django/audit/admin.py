from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Staff read every partner's trail here; nobody adds, edits or deletes an event."""

    list_display = ["at", "actor_name", "partner_name", "action", "target", "address"]
    list_filter = ["action", "partner"]
    search_fields = ["actor_name", "partner_name", "target", "address"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
