from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Membership, Partner


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = True
    verbose_name = "partner"
    verbose_name_plural = "partner"


class MemberInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active", "require_mfa"]
    list_filter = ["active", "require_mfa"]
    search_fields = ["name", "slug"]
    inlines = [MemberInline]

    def get_readonly_fields(self, request, obj=None):
        # The slug names the partner's folder and is part of every stored dataset path.
        return ["slug"] if obj else []


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = [*UserAdmin.list_display, "membership__partner"]
    list_select_related = ["membership__partner"]
