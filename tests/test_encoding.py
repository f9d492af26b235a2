from __future__ import annotations

import datetime
import decimal

import pytest

from django_hatchet import encoding
from tests.testapp import tasks
from tests.testapp.models import Note


def test_round_trip_gives_what_the_engine_would():
    assert encoding.round_trip((1, "a", None)) == [1, "a", None]
    assert encoding.round_trip({"a": (1, 2.5)}) == {"a": [1, 2.5]}
    assert encoding.round_trip(7) == 7
    assert encoding.round_trip("é") == "é"


def test_int_keys_become_strings_in_both_modes():
    assert encoding.round_trip({1: "a"}) == {"1": "a"}


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((datetime.date(2026, 1, 1), 2), {}, "argument 'a' is a value of type datetime.date"),
        ((1,), {"b": decimal.Decimal("1.5")}, "argument 'b' is a value of type decimal.Decimal"),
        ((1, {1, 2}), {}, "argument 'b' is a value of type set"),
        (
            (1, float("nan")),
            {},
            r"argument 'b' is nan \(float; NaN and infinity are not valid JSON\)",
        ),
        ((1, [1, [2, object()]]), {}, r"argument 'b' \(at b\[1\]\[1\]\) is a value of type object"),
        ((1, {"when": b"x"}), {}, r"argument 'b' \(at b\['when'\]\) is a value of type bytes"),
        ((1, {(1, 2): "x"}), {}, r"argument 'b' \(at b key \(1, 2\)\) is a value of type tuple"),
    ],
)
def test_non_json_argument_is_named_with_its_type(args, kwargs, expected):
    with pytest.raises(TypeError, match=expected) as info:
        tasks.add.delay(*args, **kwargs)
    assert str(info.value).startswith("tests.testapp.tasks.add: ")
    assert "not JSON serializable" in str(info.value)


def test_star_args_are_named_by_position():
    with pytest.raises(TypeError, match=": positional argument 1 is a value of type set"):
        tasks.echo.delay(1, {2})
    with pytest.raises(TypeError, match="argument 'extra' is a value of type set"):
        tasks.echo.delay(1, extra={2})


@pytest.mark.django_db
def test_model_instance_hint_says_pass_the_primary_key():
    note = Note.objects.create(text="x")
    with pytest.raises(TypeError, match="pass its primary key and load the object inside the job"):
        tasks.write_note.delay(note)


def test_apply_async_names_the_argument_too():
    with pytest.raises(TypeError, match="argument 'b' is a value of type set"):
        tasks.add.apply_async(args=[1], kwargs={"b": {3}})


def test_return_value_error_names_the_path():
    error = encoding.return_value_error("j", {"a": [1, object()]})
    assert "j returned a value of type object (at return value['a'][1])" in str(error)
