from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Block, Follow, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["handle"]
    list_display = ["handle", "email", "display_name", "is_brand", "is_staff", "date_joined"]
    list_filter = ["is_brand", "is_staff", "is_active"]
    search_fields = ["handle", "email", "display_name"]
    fieldsets = [
        (None, {"fields": ["handle", "email", "password"]}),
        ("Profile", {"fields": ["display_name", "avatar", "bio", "is_brand", "language"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["handle", "email", "password1", "password2"]})]


admin.site.register(Follow)
admin.site.register(Block)
