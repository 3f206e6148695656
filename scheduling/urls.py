from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("spaces/schedule/", views.space_schedule, name="schedule"),
    path("spaces/<str:code>/edit/", views.space_edit, name="edit"),
    path("spaces/<str:code>/cancel/", views.space_cancel, name="cancel"),
    path("spaces/<str:code>/reminder/", views.reminder_toggle, name="reminder"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
