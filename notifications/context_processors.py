from notifications.selectors import unread_count


def unread(request):
    """The bell's count on every page of a signed-in person (one indexed count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
