from django.urls import path

from rooms.consumers import SpaceConsumer

websocket_urlpatterns = [
    path("ws/spaces/<str:code>/", SpaceConsumer.as_asgi()),
]
