from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("spaces/schedule/", views.space_schedule, name="schedule"),
    path("spaces/<str:code>/edit/", views.space_edit, name="edit"),
    path("spaces/<str:code>/cancel/", views.space_cancel, name="cancel"),
    path("spaces/<str:code>/reminder/", views.reminder_toggle, name="reminder"),
    path("spaces/<str:code>/card.png", views.promo_card, name="card"),
    path("spaces/<str:code>/calendar.ics", views.calendar_file, name="calendar"),
]
