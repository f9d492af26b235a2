"""Walk the demo shop (testproject) as a visitor would, inline, in a process of its own (its
settings are not the tests'): run by tests/test_demo.py, which checks what it prints."""

from __future__ import annotations

import json
import os
import re

import django


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "testproject.settings"
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("check", verbosity=0)
    from testproject.orders.models import Order

    client = Client(HTTP_HOST="localhost")
    seen: dict[str, object] = {"home": client.get("/").status_code}

    def say(path: str) -> list[str]:
        page = client.post(path, follow=True).content.decode()
        return [m.strip() for m in re.findall(r'<li class="[^"]*">(.*?)</li>', page, re.S)]

    seen["sales_report"] = say("/jobs/sales-report/")
    order = Order._default_manager.order_by("pk").first()
    assert order is not None
    seen["fulfil"] = say(f"/orders/{order.pk}/fulfil/")
    seen["ask_approval"] = say(f"/orders/{order.pk}/ask-approval/")
    seen["approve"] = say(f"/orders/{order.pk}/approve/")
    home = client.get("/").content.decode()
    seen["page_says_inline_waits_end"] = "inline, a wait cannot block" in home
    seen["mode"] = re.findall(r'<p class="mode [a-z]+"><strong>(.*?)</strong>', home)
    # Each run id the messages name links to its page in the admin (the seeded admin).
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model()._default_manager.get(username="admin"))
    links = re.findall(r'run <a href="([^"]+)">', " ".join(seen["sales_report"] + seen["fulfil"]))
    seen["run_pages"] = [client.get(link).status_code for link in links]
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
