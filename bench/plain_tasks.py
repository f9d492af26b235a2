"""Row 2's peer: the same job function, undecorated, in a project without django_hatchet."""

from bench import probe


def noop(path: str, enqueued_at: float) -> None:
    probe.hit(path, enqueued_at)
