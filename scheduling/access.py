"""Permission-checked fetches for scheduling, used by the pages and the API alike."""

from django.utils.translation import gettext as _

from core.errors import NotAllowed
from rooms.models import Space
from rooms.selectors import space_get


def access_hosted_space(*, code: str, user) -> Space:
    """The Space with this code, if `user` hosts it: Http404 when there is no such Space,
    NotAllowed ("not_host") when someone else hosts it."""
    space = space_get(code)
    if user is None or user.pk != space.host_id:
        raise NotAllowed(_("Only the host can do this."), "not_host")
    return space
