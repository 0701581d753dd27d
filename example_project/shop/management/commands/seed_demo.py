"""``seed_demo``: the demo's users and the emulator's products. Safe to run again.

A re-run (every ``make demo``) creates only what is missing: existing users keep their
password — setting it again would change their session hash and log everyone out — and
the emulator keeps its products as they are (``recur_emulator seed --update`` resets them).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo user demo/demo and the superuser admin/admin; seed the emulator."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        for username, is_admin in (("demo", False), ("admin", True)):
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"User {username} exists; kept as it is.")
                continue
            user = User(username=username, email=f"{username}@example.com")
            user.is_staff = user.is_superuser = is_admin
            user.set_password(username)
            user.save()
            self.stdout.write(f"Created user {username}/{username}")

        if "recur_emulator" in get_commands():
            call_command("recur_emulator", "seed", stdout=self.stdout, stderr=self.stderr)
        else:
            self.stdout.write("The Recur emulator is not available yet; skipped its products.")
