import secrets


def anon_id(session) -> str:
    """An anonymous browser's identity in Spaces: a random id kept in its signed session."""
    if not session.get("anon_id"):
        session["anon_id"] = secrets.token_hex(16)
    return session["anon_id"]


def browser_identity(request) -> str:
    """The anonymous identity of this request's browser; "" for signed-in people."""
    return "" if request.user.is_authenticated else anon_id(request.session)
