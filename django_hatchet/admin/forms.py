"""The run-now form, and the fields of a job's arguments as JSON (a cron's form has them too)."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from ..exceptions import ArgumentsRefused
from ..jobs.job import Job


class JSONField(forms.CharField):
    def __init__(self, kind: type, example: str, **kwargs: Any) -> None:
        self.kind = kind
        self.example = example
        super().__init__(required=False, widget=forms.Textarea(attrs={"rows": 3}), **kwargs)

    def prepare_value(self, value: Any) -> Any:
        # A model's value (a list, a dict) is shown as JSON, not as Python's repr.
        return value if isinstance(value, str) or value is None else json.dumps(value)

    def to_python(self, value: Any) -> Any:
        text = (super().to_python(value) or "").strip()
        if not text:
            return self.kind()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
                f"Write a JSON {self.kind.__name__}, e.g. {self.example}."
            ) from None
        if not isinstance(data, self.kind):
            raise forms.ValidationError(
                f"This must be a JSON {'list' if self.kind is list else 'object'}, "
                f"e.g. {self.example}, not {type(data).__name__}."
            )
        return data


def args_field() -> JSONField:
    """A job's positional arguments, as a JSON list (run now's form, a cron's)."""
    return JSONField(
        list,
        '[1, "two"]',
        label="Positional arguments",
        help_text='A JSON list, e.g. [1, "two"]; empty for none.',
    )


def kwargs_field() -> JSONField:
    """A job's keyword arguments, as a JSON object (run now's form, a cron's)."""
    return JSONField(
        dict,
        '{"order_id": 7}',
        label="Keyword arguments",
        help_text='A JSON object, e.g. {"order_id": 7}; empty for none.',
    )


class RunNowForm(forms.Form):
    args = args_field()
    kwargs = kwargs_field()

    def __init__(self, job: Job[Any, Any], *args: Any, **kwargs: Any) -> None:
        self.job = job
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "args" in data and "kwargs" in data:
            try:
                self.job.validate_arguments(data["args"], data["kwargs"])
            except ArgumentsRefused as exc:
                raise forms.ValidationError(
                    f"{exc.where}{exc.parameters} does not accept these arguments: "
                    f"{exc.reason.rstrip('.')}."
                ) from None
        return data
