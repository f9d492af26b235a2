from django.db import models


class Note(models.Model):
    """Written by jobs, to show when (and whether) they ran."""

    text = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.text
