"""Permission-checked fetches for scheduling, used by the pages and the API alike."""

from rooms.access import access_host
from rooms.models import Space
from rooms.selectors import space_get


def access_hosted_space(*, code: str, user) -> Space:
    """The Space with this code, if `user` hosts it: Http404 when there is no such Space,
    NotAllowed ("not_host") when someone else hosts it."""
    return access_host(space_get(code), user)
