from django.urls import path

from recordings import live, views

app_name = "recordings"

urlpatterns = [
    path("recordings/<id:recording_id>/<str:name>", views.recording_file, name="file"),
    path("spaces/<str:code>/recording/download/", views.recording_download, name="download"),
    path("spaces/<str:code>/recording/delete/", views.recording_delete, name="delete"),
    path("spaces/<str:code>/recording/trim/", views.recording_trim, name="trim"),
    path("spaces/<str:code>/hls/<str:name>", live.live_file, name="live"),
]
