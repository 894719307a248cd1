"""The one way a rule says no: a `Refusal` with a code for machines, a sentence for people, and field errors.

Services raise it; the API's exception handler (config.api) turns it into the error body
`{"code", "detail"[, "errors"]}` and pages show it on their form through `refusal_to_form()`.
"""

from django.core.exceptions import ValidationError


class Refusal(Exception):
    """A request a rule refuses: nothing was changed.

    `code` is machine-readable (`allotment_exhausted`, `channel_refused`, ...), `message` says why in the
    portal's words, `errors` names the fields it is about, `status` is the HTTP status the API answers
    with, and `extra` adds facts to the API body (such as the minutes still left).
    """

    def __init__(
        self, code: str, message: str, *, errors: dict[str, list[str]] | None = None, status: int = 400, **extra
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or {}
        self.status = status
        self.extra = extra

    def as_body(self) -> dict:
        body = {"code": self.code, "detail": self.message, **self.extra}
        if self.errors:
            body["errors"] = self.errors
        return body

    @classmethod
    def on_field(cls, code: str, field: str, message: str, **kwargs) -> "Refusal":
        """A refusal about one field: the API names it in `errors`, a page shows it next to the field."""
        return cls(code, message, errors={field: [message]}, **kwargs)


def refusal_to_form(form, error: Exception) -> None:
    """Shows a service's refusal (or Django's ValidationError) on a form: by field where it names one."""
    if isinstance(error, Refusal):
        fields = [name for name in error.errors if name in form.fields]
        if fields:
            for name in fields:
                for message in error.errors[name]:
                    form.add_error(name, message)
        else:
            form.add_error(None, error.message)
        return
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return
    for message in getattr(error, "messages", [str(error)]):
        form.add_error(None, message)


def messages_of(error: Exception) -> str:
    """A refusal or a validation error as one sentence for a page's message banner."""
    if isinstance(error, Refusal):
        return error.message
    return " ".join(getattr(error, "messages", [str(error)]))
