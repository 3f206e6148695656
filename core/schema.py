"""The OpenAPI schema: drf-spectacular's, plus the errors each operation answers with."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import status

from core.api import ErrorOutput


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, plus the errors each operation can answer with."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        for code, description in self._error_statuses():
            if str(code) not in responses:
                response = self._get_response_for_code(ErrorOutput, str(code))
                response["description"] = description
                if code == status.HTTP_401_UNAUTHORIZED:
                    response["headers"] = {
                        "WWW-Authenticate": {"schema": {"type": "string"}, "required": True}
                    }
                responses[str(code)] = response
        return dict(sorted(responses.items()))

    def _error_statuses(self):
        writes = self.method.upper() not in ("GET", "HEAD", "OPTIONS")
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        if self.view.authentication_classes:
            yield 401, "Not signed in, or the credentials (a token) are wrong."
        if writes or has_query or "{" in self.path:  # a NUL byte in a path is a 400 too
            yield 400, "The input is not valid, or a rule refuses it (the reason is given)."
        if writes:  # reads refuse no one: a missing sign-in is a 401
            yield 403, "Not allowed: not signed in, not permitted, or no CSRF token."
        if "{" in self.path or getattr(self.view, "looks_up", False):
            yield 404, "No such thing (or it is hidden from the caller)."
        if writes and getattr(self.view, "rate_limited", False):
            yield 429, "Too many attempts: wait and try again."
        if writes:
            yield 413, "The request body is too large."
