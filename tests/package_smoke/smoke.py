"""What a user does first with the installed wheel, inline (no token): each step asserts."""

import os
import sys
from importlib.metadata import version
from pathlib import Path


def main() -> None:
    import django

    django.setup()

    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client
    from shop.tasks import add

    import django_hatchet

    # The wheel, not a checkout: installed in this virtualenv's site-packages.
    where = Path(django_hatchet.__file__).resolve()
    assert Path(sys.prefix).resolve() in where.parents, f"django_hatchet comes from {where}"
    assert django_hatchet.__version__ == version("django-hatchet"), django_hatchet.__version__

    # A job, inline: the result at once.
    run = add.delay(2, 3)
    assert run.get(timeout=5) == 5, run.status
    assert run.status.value == "COMPLETED", run.status

    # On commit: the run waits for the transaction, then runs.
    with transaction.atomic():
        later = add.delay(20, 22)
        assert later.status.value == "PENDING", later.status
    assert later.get(timeout=5) == 42, later.status

    # The admin's pages: the wheel carries the templates.
    User.objects.create_superuser("admin", "admin@example.com", "admin")
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    pages = {
        # The status page (overview.html): the job and its cron are listed.
        "/admin/django_hatchet/overview/": ["shop.tasks.add", "nightly-total"],
        # The runs page (runs.html, _runs_table.html): the inline runs above.
        "/admin/django_hatchet/run/": [run.id, later.id],
        # A run's page (run_detail.html).
        f"/admin/django_hatchet/run/{run.id}/change/": [run.id, "COMPLETED"],
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        missing = [text for text in expected if text not in body]
        assert not missing, f"{url} lacks {missing}"
    print(f"smoke: django-hatchet {django_hatchet.__version__} from {where.parent}: ok")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smokeproject.settings")
    main()
