"""django-tasks-db's peer: the bench's job as a Django Tasks ``@task`` on the database backend
(``TASKS`` in bench/settings.py; its worker runs it: ``manage.py db_worker``)."""

from django_tasks import task

from bench import probe


@task()
def noop(path: str, enqueued_at: float) -> None:
    probe.hit(path, enqueued_at)
