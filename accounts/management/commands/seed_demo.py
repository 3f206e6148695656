"""Demo data for a first look: people, a brand, follows, tweets, an upcoming Space. Idempotent."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import follow_create
from timeline.models import Tweet

DEMO_PASSWORD = "spaces-demo-2026"

PEOPLE = [
    # handle, display name, bio, is_brand
    ("ada", "Ada Lovelace", "Poet of numbers. Hosts #AnalyticalEngine Spaces on Fridays.", False),
    ("grace", "Grace Hopper", "Debugging since 1947. Ask me about compilers.", False),
    ("linus", "Linus", "Kernel, diving, and strong opinions.", False),
    ("marta", "Marta Rossi", "Podcaster in Milan. Musica, tecnologia e caffè.", False),
    ("acme", "Acme Coffee", "Roasters of fine beans. We sponsor creators' Spaces.", True),
]
FOLLOWS = [
    ("ada", "grace"),
    ("ada", "marta"),
    ("grace", "ada"),
    ("grace", "linus"),
    ("linus", "ada"),
    ("marta", "ada"),
    ("marta", "acme"),
    ("acme", "marta"),
]
TWEETS = [
    ("grace", 'The most dangerous phrase in the language is "we\'ve always done it this way".'),
    ("ada", "Hosting a Space on the Analytical Engine this Friday. Bring questions! @grace"),
    (
        "marta",
        "Buongiorno! Who is up for a Space about Italian podcasts? https://example.com/podcast",
    ),
    ("linus", "Talk is cheap. Show me the code."),
    ("acme", "New single origin from Huila is in. Our next sponsored Space is with @marta."),
]


class Command(BaseCommand):
    help = "Create demo people, follows and tweets once; print the demo sign-ins."

    @transaction.atomic
    def handle(self, *args, **options):
        people = {}
        created_any = False
        for handle, name, bio, is_brand in PEOPLE:
            user = User.objects.filter(handle__iexact=handle).first()
            if user is None:
                user = User.objects.create_user(
                    handle,
                    f"{handle}@example.com",
                    DEMO_PASSWORD,
                    display_name=name,
                    bio=bio,
                    is_brand=is_brand,
                )
                created_any = True
            people[handle] = user
        for follower, followee in FOLLOWS:
            follow_create(follower=people[follower], followee=people[followee])
        if created_any:
            for handle, text in TWEETS:
                if not Tweet.objects.filter(author=people[handle], text=text).exists():
                    Tweet.objects.create(author=people[handle], text=text)
            self._scheduled_space(people)
        self.stdout.write("Demo sign-ins (email / password):")
        for handle, *_rest in PEOPLE:
            self.stdout.write(f"  {handle}@example.com / {DEMO_PASSWORD}")

    def _scheduled_space(self, people):
        """An upcoming Space to set reminders for: Grace's, tomorrow; Marta has one set."""
        from scheduling import services as scheduling

        space = scheduling.space_schedule(
            host=people["grace"],
            title="Compilers, explained",
            topics=["compilers", "history"],
            starts_at=timezone.now().replace(second=0, microsecond=0) + timedelta(days=1),
        )
        scheduling.reminder_set(space=space, user=people["marta"])
