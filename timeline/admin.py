from django.contrib import admin

from timeline.models import Tweet


@admin.register(Tweet)
class TweetAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "text", "created_at"]
    raw_id_fields = ["author", "reply_to"]
    search_fields = ["text", "author__handle"]
