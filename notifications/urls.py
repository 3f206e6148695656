from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notifications, name="list"),
    path("notifications/read/", views.notifications_read, name="read"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("settings/notifications/", views.notification_settings, name="settings"),
]
