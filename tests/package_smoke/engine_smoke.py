"""With the engine of `manage.py hatchet_engine start` and a `runworker`, both from the
wheel: a job goes to the engine, the worker runs it, the result comes back."""

import os


def main() -> None:
    import django

    django.setup()

    from shop.tasks import add

    import django_hatchet

    assert django_hatchet.jobs_enabled(), "HATCHET_EMBEDDED=1 did not find the engine"
    run = add.delay(2, 3)
    assert run.get(timeout=90) == 5, run.status
    assert run.engine_run_id, "the run did not go through the engine"
    print(f"engine smoke: run {run.id} ran on the engine as {run.engine_run_id}: ok")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smokeproject.settings")
    main()
