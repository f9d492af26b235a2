"""``RunHistoryMixin``: an object's change page lists the runs about it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from django.urls import path

from django_hatchet.admin import OverviewAdmin, RunAdmin, RunHistoryMixin
from django_hatchet.models import Overview, Run
from tests.admin_fixtures import client_for, make_user, row
from tests.testapp.models import Note

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_inline_history")]


class NoteAdmin(RunHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg,misc]
    pass


site = admin.AdminSite(name="history")  # An admin site of the project's own.
site.register(Note, NoteAdmin)
site.register(Overview, OverviewAdmin)
site.register(Run, RunAdmin)

# This module is the URLconf of these tests: the admin, and a site with NoteAdmin.
urlpatterns = [path("admin/", admin.site.urls), path("history/", site.urls)]


@pytest.fixture(autouse=True)
def _urls() -> Iterator[None]:
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest.fixture
def note() -> Note:
    return Note.objects.create(text="a note")


def page_of(user: User, note: Note) -> str:
    response = client_for(user).get(f"/history/testapp/note/{note.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def note_user(*run_perms: str) -> User:
    user = make_user("staff", *run_perms)
    user.user_permissions.add(Permission.objects.get(codename="change_note"))
    return User.objects.get(pk=user.pk)  # Without the permission cache.


def test_inline_mode_lists_the_objects_runs_from_this_processs_runs(note, dispatch_at_once):
    from tests.testapp.tasks import shout_note

    other = Note.objects.create(text="another")
    about_it = shout_note.delay(note.pk)
    about_another = shout_note.delay(other.pk)
    page = page_of(note_user("view_run"), note)
    assert 'id="hatchet-object-runs"' in page
    assert "Runs about this note" in page
    assert f'data-run-id="{about_it.id}"' in page
    assert about_another.id not in page
    assert 'name="text"' in page  # The change form is still there.


def test_inline_mode_with_no_runs_says_so(note):
    page = page_of(note_user("view_run"), note)
    assert 'id="hatchet-object-runs"' in page
    assert "No runs in this web process yet: jobs run inline" in page


def test_engine_mode_asks_the_engine_for_the_objects_runs(fake_engine, note):
    label = f"testapp.note:{note.pk}"
    fake_engine.rows = [row(object=label), row(id="other", object="testapp.note:0")]
    page = page_of(note_user("view_run"), note)
    assert fake_engine.queries[-1].object == label
    assert f'data-run-id="{row().id}"' in page
    assert 'data-run-id="other"' not in page
    assert "No runs" not in page


def test_engine_that_does_not_answer_is_said_without_the_token(fake_engine, note):
    fake_engine.answers = False
    page = page_of(note_user("view_run"), note)
    assert "The engine did not answer" in page
    assert "engine refused the connection" in page
    assert "eyJ" not in page


def test_without_the_view_permission_no_runs_are_shown(fake_engine, note):
    fake_engine.rows = [row(object=f"testapp.note:{note.pk}")]
    page = page_of(note_user(), note)
    assert 'name="text"' in page
    assert "hatchet-object-runs" not in page
    assert row().id not in page
    assert fake_engine.queries == []  # The engine is not even asked.
