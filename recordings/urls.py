from django.urls import path

from recordings import views

app_name = "recordings"

urlpatterns = [
    path("recordings/<id:recording_id>/<str:name>", views.recording_file, name="file"),
    path("spaces/<str:code>/recording/download/", views.recording_download, name="download"),
    path("spaces/<str:code>/recording/delete/", views.recording_delete, name="delete"),
    path("spaces/<str:code>/recording/trim/", views.recording_trim, name="trim"),
    path("spaces/<str:code>/recording/play/", views.recording_play, name="play"),
    # Clips: /c/<code>/ and what it serves; the cutter and the live button.
    path("c/<str:code>/", views.clip_page, name="clip"),
    path("c/<str:code>/clip.mp4", views.clip_audio, name="clip-audio"),
    path("c/<str:code>/card.png", views.clip_card, name="clip-card"),
    path("c/<str:code>/keep/", views.clip_keep, name="clip-keep"),
    path("c/<str:code>/delete/", views.clip_delete, name="clip-delete"),
    path("spaces/<str:code>/clips/new/", views.clip_new, name="clip-new"),
    path("spaces/<str:code>/clips/live/", views.clip_live, name="clip-live"),
]
